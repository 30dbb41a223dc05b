// The layered implication check and guard pruning. Why counterexamples before Z3: one
// assignment that satisfies the facts and fails the condition settles "not implied" in
// microseconds, and in minimisation most kept guards are kept for exactly that reason; Z3 then
// only sees the questions nothing cheaper could answer. Every candidate is re-checked by exact
// evaluation, so a wrong model or mutation can cost time but never a wrong answer.
#include "guards/implication.h"

#include <algorithm>
#include <numeric>
#include <set>

namespace gyro::guards {

ImplicationProver::ImplicationProver(SymContext& context, std::vector<int64_t> hints,
                                     ProverBudget budget)
    : context_(context),
      hints_(std::move(hints)),
      budget_(budget),
      shape_facts_(context),
      z3_(context, budget) {
  add_candidate(hints_);
}

ImplicationProver::~ImplicationProver() = default;

bool ImplicationProver::holds(SymId condition, std::span<const int64_t> bindings) const {
  Expected<int64_t> value = context_.evaluate(condition, bindings);
  return value.ok() && value.value() != 0;
}

void ImplicationProver::add_candidate(std::vector<int64_t> bindings) {
  for (const Candidate& existing : pool_)
    if (existing.bindings == bindings) return;
  Candidate candidate;
  candidate.bindings = std::move(bindings);
  for (size_t i = 0; i < facts_.size(); ++i) {
    const bool ok = holds(facts_[i], candidate.bindings);
    candidate.holds.push_back(ok);
    if (!ok && active_[i]) ++candidate.failing_active;
  }
  pool_.push_back(std::move(candidate));
}

int ImplicationProver::assume(SymId fact) {
  const int index = static_cast<int>(facts_.size());
  facts_.push_back(fact);
  active_.push_back(1);
  fact_index_[fact.index].push_back(index);
  for (Candidate& candidate : pool_) {
    const bool ok = holds(fact, candidate.bindings);
    candidate.holds.push_back(ok);
    if (!ok) ++candidate.failing_active;
  }
  if (shape_facts_valid_) shape_facts_.add(fact);
  z3_.add_fact(fact);
  return index;
}

void ImplicationProver::set_active(int fact, bool active) {
  if (static_cast<bool>(active_[fact]) == active) return;
  active_[fact] = active;
  for (Candidate& candidate : pool_)
    if (!candidate.holds[fact]) candidate.failing_active += active ? 1 : -1;
  // Adding a fact back extends the facts layer; removing one needs a rebuild.
  if (active && shape_facts_valid_)
    shape_facts_.add(facts_[fact]);
  else
    shape_facts_valid_ = false;
}

ShapeFacts& ImplicationProver::facts() {
  if (!shape_facts_valid_) {
    shape_facts_.clear();
    for (size_t i = 0; i < facts_.size(); ++i)
      if (active_[i]) shape_facts_.add(facts_[i]);
    shape_facts_valid_ = true;
  }
  return shape_facts_;
}

// Boundary mutations of the hint, one equality class at a time (the whole class moves, so
// equalities stay satisfied): lo, lo+1, hint-1, hint+1, 2*hint, hint/2, hi-1, hi; and each
// symbol of a larger class alone by +-1 (to show which equality is needed).
void ImplicationProver::seed_mutations() {
  mutations_seeded_ = true;
  ShapeFacts& shape = facts();
  const int symbols = static_cast<int>(hints_.size());
  std::vector<std::vector<int>> classes(symbols);
  for (int s = 0; s < symbols; ++s) {
    const int root = shape.representative(s);
    if (root < symbols) classes[root].push_back(s);
  }
  for (int root = 0; root < symbols; ++root) {
    const std::vector<int>& members = classes[root];
    if (members.empty()) continue;
    const int64_t hint = hints_[root];
    const Interval bound = shape.bounds(root);
    std::vector<int64_t> values;
    auto offer = [&](int64_t value, bool valid) {
      if (valid && value != hint && std::find(values.begin(), values.end(), value) == values.end())
        values.push_back(value);
    };
    offer(bound.lo, bound.lo != Interval::kNegInf);
    offer(bound.lo + 1, bound.lo != Interval::kNegInf && bound.lo < INT64_MAX - 1);
    offer(hint - 1, hint > INT64_MIN);
    offer(hint + 1, hint < INT64_MAX);
    offer(hint * 2, hint > INT64_MIN / 2 && hint < INT64_MAX / 2);
    offer(hint / 2, true);
    offer(bound.hi - 1, bound.hi != Interval::kPosInf && bound.hi > INT64_MIN + 1);
    offer(bound.hi, bound.hi != Interval::kPosInf);
    for (int64_t value : values) {
      std::vector<int64_t> bindings = hints_;
      for (int s : members) bindings[s] = value;
      add_candidate(std::move(bindings));
    }
    if (members.size() > 1) {
      for (int s : members) {
        for (int64_t delta : {int64_t{-1}, int64_t{1}}) {
          if ((delta < 0 && hints_[s] == INT64_MIN) || (delta > 0 && hints_[s] == INT64_MAX))
            continue;
          std::vector<int64_t> bindings = hints_;
          bindings[s] += delta;
          add_candidate(std::move(bindings));
        }
      }
    }
  }
}

Verdict ImplicationProver::check(SymId condition) {
  ++stats_.queries;
  last_layer_ = Layer::kSyntactic;
  const SymNode& node = context_.node(condition);
  if (node.kind == SymKind::kConstant) {
    ++stats_.syntactic;
    return node.value != 0 ? Verdict::kImplied : Verdict::kRefuted;
  }
  auto is_active_fact = [&](SymId id) {
    auto it = fact_index_.find(id.index);
    if (it == fact_index_.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(), [&](int i) { return active_[i]; });
  };
  if (is_active_fact(condition)) {
    ++stats_.syntactic;
    return Verdict::kImplied;
  }
  if (is_active_fact(context_.logical_not(condition))) {
    ++stats_.syntactic;
    return Verdict::kRefuted;
  }

  last_layer_ = Layer::kFacts;
  const Verdict by_facts = facts().decide(condition);
  if (by_facts != Verdict::kUnknown) {
    ++stats_.by_facts;
    return by_facts;
  }

  last_layer_ = Layer::kCounterexample;
  if (!mutations_seeded_) seed_mutations();
  bool can_hold = false, can_fail = false;
  for (const Candidate& candidate : pool_) {
    if (candidate.failing_active != 0) continue;
    (holds(condition, candidate.bindings) ? can_hold : can_fail) = true;
    if (can_hold && can_fail) break;
  }
  if (can_hold && can_fail) {
    ++stats_.by_counterexample;
    return Verdict::kUnknown;
  }

  last_layer_ = Layer::kZ3;
  std::vector<int> active;
  for (size_t i = 0; i < facts_.size(); ++i)
    if (active_[i]) active.push_back(static_cast<int>(i));
  Verdict verdict = Verdict::kUnknown;
  // Asks Z3 whether the condition can hold (or fail); a model becomes a candidate.
  auto ask = [&](bool query_holds) {
    std::vector<int64_t> model = hints_;
    const Z3Answer answer = z3_.check(active, condition, query_holds, &model);
    if (answer == Z3Answer::kSat && !model.empty()) add_candidate(std::move(model));
    return answer;
  };
  if (!can_fail && !z3_.exhausted()) {
    if (ask(false) == Z3Answer::kUnsat) verdict = Verdict::kImplied;
  }
  if (verdict == Verdict::kUnknown && !can_hold && !z3_.exhausted()) {
    if (ask(true) == Z3Answer::kUnsat) verdict = Verdict::kRefuted;
  }
  if (can_fail && verdict == Verdict::kUnknown && stats_.z3_queries == z3_.stats().checks)
    ++stats_.by_counterexample;  // "not implied" known without Z3
  const Z3Stats& z3 = z3_.stats();
  if (stats_.z3_queries == z3.checks && verdict == Verdict::kUnknown) last_layer_ = Layer::kNone;
  stats_.z3_queries = z3.checks;
  stats_.z3_unsat = z3.unsat;
  stats_.z3_sat = z3.sat;
  stats_.z3_unknown = z3.unknown;
  stats_.z3_ms = z3.ms;
  stats_.rlimit_spent = z3.rlimit_spent;
  return verdict;
}

int guard_cost(const SymContext& context, SymId guard) {
  std::set<int64_t> symbols;
  int size = 0, products = 0;
  auto visit = [&](auto&& self, SymId id) -> void {
    const SymNode& n = context.node(id);
    ++size;
    if (n.kind == SymKind::kSymbol) symbols.insert(n.value);
    if (n.kind == SymKind::kMul || n.kind == SymKind::kFloorDiv || n.kind == SymKind::kMod)
      ++products;
    for (const auto& [term, coefficient] : n.terms) self(self, term);
    for (SymId operand : n.operands) self(self, operand);
  };
  visit(visit, guard);
  const int relation = symbols.size() > 1 ? 1 : 0;
  return size + 100 * products + 50 * relation * static_cast<int>(symbols.size());
}

namespace {

// One leave-one-out pass with its own prover (a fresh Z3 context and budget).
std::vector<SymId> prune_pass(SymContext& context, const std::vector<SymId>& distinct,
                              std::span<const int64_t> hints, const ProverBudget& budget,
                              PruneStats& out) {
  ImplicationProver prover(context, std::vector<int64_t>(hints.begin(), hints.end()), budget);
  for (SymId guard : distinct) prover.assume(guard);

  std::vector<int> order(distinct.size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<int> cost(distinct.size());
  for (size_t i = 0; i < distinct.size(); ++i) cost[i] = guard_cost(context, distinct[i]);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return cost[a] > cost[b]; });

  std::vector<uint8_t> kept(distinct.size(), 1);
  for (int i : order) {
    prover.set_active(i, false);
    if (prover.check(distinct[i]) == Verdict::kImplied) {
      kept[i] = 0;
      (prover.last_layer() == ImplicationProver::Layer::kZ3 ? out.after_z3 : out.after_facts) -= 1;
    } else {
      prover.set_active(i, true);
    }
  }
  const ProverStats& stats = prover.stats();
  ProverStats& total = out.prover;
  total.queries += stats.queries;
  total.syntactic += stats.syntactic;
  total.by_facts += stats.by_facts;
  total.by_counterexample += stats.by_counterexample;
  total.z3_queries += stats.z3_queries;
  total.z3_unsat += stats.z3_unsat;
  total.z3_sat += stats.z3_sat;
  total.z3_unknown += stats.z3_unknown;
  total.z3_ms += stats.z3_ms;
  total.rlimit_spent += stats.rlimit_spent;

  std::vector<SymId> result;
  for (size_t i = 0; i < distinct.size(); ++i)
    if (kept[i]) result.push_back(distinct[i]);
  return result;
}

}  // namespace

std::vector<SymId> prune_guards(SymContext& context, std::span<const SymId> guards,
                                std::span<const int64_t> hints, const ProverBudget& budget,
                                PruneStats* stats) {
  PruneStats local;
  PruneStats& out = stats != nullptr ? *stats : local;
  out = PruneStats{};
  out.before = static_cast<int>(guards.size());

  std::vector<SymId> distinct;
  std::set<int32_t> seen;
  for (SymId guard : guards) {
    const SymNode& n = context.node(guard);
    if (n.kind == SymKind::kConstant && n.value != 0) continue;  // always true
    if (seen.insert(guard.index).second) distinct.push_back(guard);
  }
  out.after_dedup = static_cast<int>(distinct.size());

  // Passes until one drops nothing: a budgeted Z3 may prove in a smaller set what it gave up
  // on in a larger one. Each pass starts afresh, so that pruning the result again repeats the
  // last pass exactly (idempotence). Drops are counted negatively per layer, then summed.
  out.after_facts = 0;
  out.after_z3 = 0;
  std::vector<SymId> current = distinct;
  for (int pass = 0; pass < 4; ++pass) {
    std::vector<SymId> next = prune_pass(context, current, hints, budget, out);
    const bool unchanged = next.size() == current.size();
    current = std::move(next);
    if (unchanged) break;
  }
  out.after_facts += out.after_dedup;
  out.after_counterexamples = out.after_facts;
  out.after_z3 += out.after_facts;
  return current;
}

}  // namespace gyro::guards
