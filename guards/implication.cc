// The layered implication check and guard pruning. Why counterexamples before Z3: one
// assignment that satisfies the facts and fails the condition settles "not implied" in
// microseconds, and in minimisation most kept guards are kept for exactly that reason; Z3 then
// only sees the questions nothing cheaper could answer. Every candidate is re-checked by exact
// evaluation, so a wrong model or mutation can cost time but never a wrong answer.
#include "guards/implication.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <set>

namespace gyro::guards {

namespace {

void collect_symbols(const SymContext& context, SymId id, std::vector<int>& out) {
  const SymNode& n = context.node(id);
  if (n.kind == SymKind::kSymbol && std::find(out.begin(), out.end(), n.value) == out.end())
    out.push_back(static_cast<int>(n.value));
  for (const auto& [term, coefficient] : n.terms) collect_symbols(context, term, out);
  for (SymId operand : n.operands) collect_symbols(context, operand, out);
}

int count_symbol(const SymContext& context, SymId id, int64_t symbol) {
  const SymNode& n = context.node(id);
  int count = n.kind == SymKind::kSymbol && n.value == symbol ? 1 : 0;
  for (const auto& [term, coefficient] : n.terms) count += count_symbol(context, term, symbol);
  for (SymId operand : n.operands) count += count_symbol(context, operand, symbol);
  return count;
}

// The symbols `difference` is affine in: each occurs once, as a term of the sum or as a factor
// of one of its products (`s0*s1 - s2*s3`: all four; `s0*s0 - s1`: s1 only).
std::vector<int> affine_symbols(const SymContext& context, SymId difference) {
  std::vector<int> out;
  const SymNode& n = context.node(difference);
  if (n.kind == SymKind::kSymbol) return {static_cast<int>(n.value)};
  if (n.kind != SymKind::kAdd) return out;
  std::vector<int> all;
  collect_symbols(context, difference, all);
  // Terms of the sum first: a reshape's `s0*s1 - s2` is best solved for s2.
  std::vector<int> factors;
  for (int symbol : all) {
    if (count_symbol(context, difference, symbol) != 1) continue;
    for (const auto& [term, coefficient] : n.terms) {
      const SymNode& t = context.node(term);
      if (t.kind == SymKind::kSymbol && t.value == symbol) out.push_back(symbol);
      if (t.kind == SymKind::kMul &&
          std::any_of(t.operands.begin(), t.operands.end(), [&](SymId factor) {
            const SymNode& f = context.node(factor);
            return f.kind == SymKind::kSymbol && f.value == symbol;
          }))
        factors.push_back(symbol);
    }
  }
  out.insert(out.end(), factors.begin(), factors.end());
  return out;
}

// `difference` as slope * x + offset in an affine symbol x, the others at `bindings`; false when
// it cannot be evaluated there.
bool affine_form(const SymContext& context, SymId difference, int symbol,
                 std::vector<int64_t>& bindings, __int128& slope, __int128& offset) {
  const int64_t saved = bindings[symbol];
  bindings[symbol] = 0;
  Expected<int64_t> at_zero = context.evaluate(difference, bindings);
  bindings[symbol] = 1;
  Expected<int64_t> at_one = context.evaluate(difference, bindings);
  bindings[symbol] = saved;
  if (!at_zero.ok() || !at_one.ok()) return false;
  offset = at_zero.value();
  slope = static_cast<__int128>(at_one.value()) - offset;
  return true;
}

// Where each comparison in `condition` changes its truth value, per symbol it is affine in, the
// other symbols at `hints`: `-s0 + 2 <= 0` gives s0 = 2 (and 1, 3 around it).
void collect_thresholds(const SymContext& context, SymId condition, std::span<const int64_t> hints,
                        std::vector<std::pair<int, int64_t>>& out) {
  const SymNode& n = context.node(condition);
  switch (n.kind) {
    case SymKind::kAnd:
    case SymKind::kOr:
    case SymKind::kNot:
      for (SymId operand : n.operands) collect_thresholds(context, operand, hints, out);
      return;
    case SymKind::kLe:
    case SymKind::kEq:
    case SymKind::kNe:
      break;
    case SymKind::kConstant:
    case SymKind::kSymbol:
    case SymKind::kAdd:
    case SymKind::kMul:
    case SymKind::kFloorDiv:
    case SymKind::kMod:
    case SymKind::kMin:
    case SymKind::kMax:
      return;
  }
  std::vector<int64_t> bindings(hints.begin(), hints.end());
  for (int symbol : affine_symbols(context, n.operands[0])) {
    __int128 slope = 0, offset = 0;
    if (symbol >= static_cast<int>(bindings.size()) ||
        !affine_form(context, n.operands[0], symbol, bindings, slope, offset) || slope == 0)
      continue;
    const __int128 root = -offset / slope;  // rounded toward zero; the neighbours cover the rest
    for (__int128 value : {root - 1, root, root + 1})
      if (value > INT64_MIN && value < INT64_MAX)
        out.push_back({symbol, static_cast<int64_t>(value)});
  }
}

}  // namespace

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

bool ImplicationProver::satisfies_active(std::span<const int64_t> bindings) const {
  for (size_t i = 0; i < facts_.size(); ++i)
    if (active_[i] && !holds(facts_[i], bindings)) return false;
  return true;
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
  const SymNode& node = context_.node(fact);
  if (node.kind == SymKind::kEq) {
    Definition definition{index, node.operands[0], affine_symbols(context_, node.operands[0])};
    if (!definition.solved.empty()) definitions_.push_back(std::move(definition));
  }
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

void ImplicationProver::move_class(std::vector<int64_t>& bindings, std::vector<uint8_t>& pinned,
                                   int root, int64_t value) {
  ShapeFacts& shape = facts();
  for (size_t s = 0; s < bindings.size(); ++s)
    if (shape.representative(static_cast<int>(s)) == root) bindings[s] = value;
  pinned[root] = 1;
}

void ImplicationProver::repair(std::vector<int64_t>& bindings, std::vector<uint8_t>& pinned) {
  ShapeFacts& shape = facts();
  const auto symbols = static_cast<int64_t>(bindings.size());
  // A few rounds: definitions chain shortly (s2 := s0*s1, then s3 := s2 // 4).
  for (int round = 0; round < 4; ++round) {
    bool changed = false;
    for (const Definition& definition : definitions_) {
      if (!active_[definition.fact] || holds(facts_[definition.fact], bindings)) continue;
      for (int symbol : definition.solved) {
        if (symbol >= symbols) continue;
        const int root = shape.representative(symbol);
        if (root >= symbols || pinned[root]) continue;
        __int128 slope = 0, offset = 0;
        if (!affine_form(context_, definition.difference, symbol, bindings, slope, offset) ||
            slope == 0 || offset % slope != 0)
          continue;
        const __int128 value = -offset / slope;
        if (value < INT64_MIN || value > INT64_MAX) continue;
        move_class(bindings, pinned, root, static_cast<int64_t>(value));
        changed = true;
        break;
      }
    }
    if (!changed) break;
  }
}

// Boundary mutations of the hint, one equality class at a time (the whole class moves, so
// equalities stay satisfied, and repair() re-solves the equalities that define other symbols
// from it): lo, lo+1, hint-1, hint+1, 2*hint, hint/2, hi-1, hi; and each symbol of a larger
// class alone by +-1 (to show which equality is needed). These use the bounds of the facts
// active now; search_counterexample() looks again, with the bounds active then, for a
// condition none of them settles.
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
    auto offer = [&](std::optional<int64_t> value) {
      if (value && *value != hint && std::find(values.begin(), values.end(), *value) == values.end())
        values.push_back(*value);
    };
    // Each value is computed only when it fits: near the int64 ends (an int symbol's hint,
    // a bound at INT64_MAX - 1) hint * 2 or hint + 1 would overflow.
    auto moved = [](int64_t value, int64_t delta) -> std::optional<int64_t> {
      int64_t out = 0;
      if (__builtin_add_overflow(value, delta, &out)) return std::nullopt;
      return out;
    };
    auto doubled = [](int64_t value) -> std::optional<int64_t> {
      int64_t out = 0;
      if (__builtin_mul_overflow(value, 2, &out)) return std::nullopt;
      return out;
    };
    if (bound.lo != Interval::kNegInf) {
      offer(bound.lo);
      offer(moved(bound.lo, 1));
    }
    offer(moved(hint, -1));
    offer(moved(hint, 1));
    offer(doubled(hint));
    offer(hint / 2);
    if (bound.hi != Interval::kPosInf) {
      offer(moved(bound.hi, -1));
      offer(bound.hi);
    }
    for (int64_t value : values) {
      std::vector<int64_t> bindings = hints_;
      std::vector<uint8_t> pinned(symbols, 0);
      move_class(bindings, pinned, root, value);
      repair(bindings, pinned);
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

int ImplicationProver::failing_active(std::span<const int64_t> bindings, int cap) const {
  int failing = 0;
  for (size_t i = 0; i < facts_.size() && failing < cap; ++i)
    if (active_[i] && !holds(facts_[i], bindings)) ++failing;
  return failing;
}

bool ImplicationProver::fix_failing(std::vector<int64_t>& bindings, std::vector<uint8_t>& pinned,
                                    SymId condition, bool want_holds, int& budget) {
  ShapeFacts& shape = facts();
  const int symbols = static_cast<int>(bindings.size());
  int failing = failing_active(bindings, 3);
  if (failing > 2) return false;  // far from the facts: leave it to Z3
  for (int round = 0; round < 4 && failing > 0 && budget > 0; ++round) {
    std::vector<int64_t> best;
    int best_root = -1;
    for (size_t fact = 0; fact < facts_.size() && budget > 0; ++fact) {
      if (!active_[fact] || holds(facts_[fact], bindings)) continue;
      std::vector<int> read;
      collect_symbols(context_, facts_[fact], read);
      std::vector<std::pair<int, int64_t>> thresholds;
      collect_thresholds(context_, facts_[fact], bindings, thresholds);
      for (int s : read) {
        if (s >= symbols) continue;
        const int root = shape.representative(s);
        if (root >= symbols || pinned[root]) continue;
        std::vector<int64_t> values;
        const __int128 current = bindings[s];
        for (__int128 value : {current * 2, current * 4, current * 8, current * 16, current / 2})
          if (value > INT64_MIN && value < INT64_MAX) values.push_back(static_cast<int64_t>(value));
        for (const auto& [symbol, value] : thresholds)
          if (symbol == s) values.push_back(value);
        for (int64_t value : values) {
          if (budget-- <= 0) break;
          std::vector<int64_t> trial = bindings;
          std::vector<uint8_t> trial_pinned = pinned;
          move_class(trial, trial_pinned, root, value);
          repair(trial, trial_pinned);
          if (holds(condition, trial) != want_holds) continue;
          const int now = failing_active(trial, failing);
          if (now < failing) {
            failing = now;
            best = std::move(trial);
            best_root = root;
          }
        }
      }
    }
    if (best_root < 0) return false;
    bindings = std::move(best);
    pinned[best_root] = 1;  // (the classes repair() set stay free to move)
  }
  return failing == 0;
}

bool ImplicationProver::search_counterexample(SymId condition, bool want_holds) {
  const int symbols = static_cast<int>(hints_.size());
  std::vector<int> read;
  collect_symbols(context_, condition, read);
  ShapeFacts& shape = facts();
  std::vector<int> roots;
  for (int s : read) {
    if (s >= symbols) return false;  // no hint to start from
    const int root = shape.representative(s);
    if (root >= symbols) return false;
    if (std::find(roots.begin(), roots.end(), root) == roots.end()) roots.push_back(root);
  }
  std::vector<std::pair<int, int64_t>> thresholds;
  collect_thresholds(context_, condition, hints_, thresholds);

  // What one question may try: candidates, then local-search steps. (Most questions that get
  // this far in a large set are implied, and no search can succeed on them.)
  int trials = 32;
  int budget = 16;
  std::vector<uint8_t> pinned;
  auto accept = [&](std::vector<int64_t>& bindings) {
    if (holds(condition, bindings) != want_holds) return false;
    if (--trials < 0) return false;
    if (!satisfies_active(bindings) &&
        !fix_failing(bindings, pinned, condition, want_holds, budget))
      return false;
    add_candidate(std::move(bindings));
    return true;
  };
  for (int root : roots) {
    // Most likely first: where the condition flips, the class's active bounds, the smallest
    // sizes, then the hint's neighbours; each rounded to the class residue when it has one.
    const int64_t hint = hints_[root];
    const Interval bound = shape.bounds(root);
    const Residue residue = shape.residue(root);
    std::vector<int64_t> values;
    auto offer = [&](__int128 value) {
      if (value <= INT64_MIN || value >= INT64_MAX) return;
      auto add = [&](__int128 v) {
        if (v > INT64_MIN && v < INT64_MAX && v != hint &&
            std::find(values.begin(), values.end(), static_cast<int64_t>(v)) == values.end())
          values.push_back(static_cast<int64_t>(v));
      };
      if (residue.modulus > 1) {
        const __int128 m = residue.modulus;
        __int128 down = value - ((value - residue.residue) % m + m) % m;
        add(down);
        add(down + m);
      } else {
        add(value);
      }
    };
    for (const auto& [symbol, value] : thresholds)
      if (shape.representative(symbol) == root) offer(value);
    if (bound.lo != Interval::kNegInf) {
      offer(bound.lo);
      offer(static_cast<__int128>(bound.lo) + 1);
    }
    if (bound.hi != Interval::kPosInf) {
      offer(bound.hi);
      offer(static_cast<__int128>(bound.hi) - 1);
    }
    for (int64_t small : {0, 1, 2}) offer(small);
    offer(static_cast<__int128>(hint) - 1);
    offer(static_cast<__int128>(hint) + 1);
    offer(static_cast<__int128>(hint) * 2);
    offer(hint / 2);
    for (int64_t value : values) {
      std::vector<int64_t> bindings = hints_;
      pinned.assign(symbols, 0);
      move_class(bindings, pinned, root, value);
      std::vector<uint8_t> repaired = pinned;
      repair(bindings, repaired);
      if (accept(bindings)) return true;
    }
  }
  // Several classes at once, at their lower bounds (then one above): `s0 + s1 >= 5` with both
  // at least 2 fails only when both are small.
  if (roots.size() > 1) {
    for (int64_t above : {0, 1}) {
      std::vector<int64_t> bindings = hints_;
      pinned.assign(symbols, 0);
      for (int root : roots) {
        const Interval bound = shape.bounds(root);
        const int64_t low = bound.lo == Interval::kNegInf ? 0 : bound.lo;
        move_class(bindings, pinned, root, low < INT64_MAX - 1 ? low + above : low);
      }
      std::vector<uint8_t> repaired = pinned;
      repair(bindings, repaired);
      if (accept(bindings)) return true;
    }
  }
  return false;
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
  // The pool was made before this condition's own fact (or bound) was switched off; look
  // again around the bounds active now.
  if (!can_fail) can_fail = search_counterexample(condition, false);
  if (!can_hold) can_hold = search_counterexample(condition, true);
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
