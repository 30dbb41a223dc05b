// The shape env: symbols, facts decided by the hints, and the relations an entry checks.
#include "guards/shape_env.h"

#include <algorithm>
#include <cctype>

#include "guards/shape_check.h"
#include "ir/assert.h"

namespace gyro::guards {

ShapeEnv::~ShapeEnv() = default;

void ShapeEnv::add_stats(const ProverStats& stats) {
  decide_stats_.queries += stats.queries;
  decide_stats_.syntactic += stats.syntactic;
  decide_stats_.by_facts += stats.by_facts;
  decide_stats_.by_counterexample += stats.by_counterexample;
  decide_stats_.z3_queries += stats.z3_queries;
  decide_stats_.z3_unsat += stats.z3_unsat;
  decide_stats_.z3_sat += stats.z3_sat;
  decide_stats_.z3_unknown += stats.z3_unknown;
  decide_stats_.z3_ms += stats.z3_ms;
  decide_stats_.rlimit_spent += stats.rlimit_spent;
}

ProverBudget ShapeEnv::remaining_budget() const {
  // The per-compilation Z3 budget is shared by every prover this trace makes.
  ProverBudget budget = budget_;
  const uint64_t spent = decide_stats_.rlimit_spent;
  budget.rlimit_total = budget.rlimit_total > spent ? budget.rlimit_total - spent : 0;
  if (budget.rlimit_total == 0) budget.use_z3 = false;
  return budget;
}

ImplicationProver& ShapeEnv::prover() {
  if (prover_ && prover_symbols_ == symbols_.size()) return *prover_;
  if (prover_) add_stats(prover_->stats());
  prover_ = std::make_unique<ImplicationProver>(context_, hints(), remaining_budget());
  prover_symbols_ = symbols_.size();
  for (std::size_t i = 0; i < symbols_.size(); ++i) {
    const SymId symbol = context_.symbol(static_cast<int>(i));
    if (symbols_[i].min != std::numeric_limits<int64_t>::min())
      prover_->assume(context_.ge(symbol, context_.constant(symbols_[i].min)));
    if (symbols_[i].max != std::numeric_limits<int64_t>::max())
      prover_->assume(context_.le(symbol, context_.constant(symbols_[i].max)));
  }
  for (SymId fact : facts_) prover_->assume(fact);
  return *prover_;
}

bool ShapeEnv::decide(SymId condition) {
  const SymNode& node = context_.node(condition);
  if (node.kind == SymKind::kConstant) return node.value != 0;
  const std::vector<int64_t> bindings = hints();
  auto value = context_.evaluate(condition, bindings);
  if (!value.ok()) {
    // The condition's canonical form (everything moved to one side) overflows int64 on these
    // values (ints near 2^63): it cannot be a guard. The tracer stops at the first such one.
    if (failure_.empty())
      failure_ = fmt::format("{} cannot be evaluated on this call's values ({})",
                             context_.print(condition), value.error().message);
    return false;
  }
  const bool holds = *value != 0;
  // What the facts (the symbols' ranges included) already decide needs no guard of its own.
  const Verdict verdict = prover().check(condition);
  if (verdict != Verdict::kUnknown) {
    GYRO_ASSERT((verdict == Verdict::kImplied) == holds,
                "the prover contradicts the hints on {}", context_.print(condition));
    return holds;
  }
  const SymId fact = holds ? condition : context_.logical_not(condition);
  if (!holds) {
    // The negation is a rewritten comparison (`not (d <= 0)` is `1 - d <= 0`, summed in another
    // order), whose partial sums can overflow where the condition's did not. A guard that fails
    // on the very call that recorded it can never pass: the trace stops, as above.
    auto fact_value = context_.evaluate(fact, bindings);
    if (!fact_value.ok() || *fact_value == 0) {
      if (failure_.empty())
        failure_ = fmt::format("{} cannot be evaluated on this call's values ({})",
                               context_.print(fact),
                               fact_value.ok() ? "it is false" : fact_value.error().message);
      return holds;
    }
  }
  if (known_.insert(fact.index).second) {
    facts_.push_back(fact);
    prover().assume(fact);
  }
  return holds;
}

std::vector<SymId> ShapeEnv::pruned_relations(PruneStats* stats) {
  if (prover_) {
    add_stats(prover_->stats());
    prover_.reset();
  }
  const std::vector<SymId> all = relations();
  return prune_guards(context_, all, hints(), remaining_budget(), stats);
}

SymId ShapeEnv::size_symbol(int64_t hint, DimSource source, bool duck) {
  if (duck)
    for (std::size_t i = 0; i < symbols_.size(); ++i)
      if (symbols_[i].hint == hint) {
        symbols_[i].sources.push_back(source);
        return context_.symbol(static_cast<int>(i));
      }
  if (symbols_.size() >= static_cast<std::size_t>(kMaxShapeSymbols)) return SymId{};
  ShapeSymbol symbol;
  symbol.hint = hint;
  symbol.sources.push_back(source);
  symbols_.push_back(std::move(symbol));
  return context_.symbol(static_cast<int>(symbols_.size() - 1));
}

SymId ShapeEnv::int_symbol(int64_t hint, SourceId source) {
  if (symbols_.size() >= static_cast<std::size_t>(kMaxShapeSymbols)) return SymId{};
  ShapeSymbol symbol;
  symbol.hint = hint;
  symbol.min = std::numeric_limits<int64_t>::min();
  symbol.sources.push_back({source, -1});
  symbols_.push_back(std::move(symbol));
  return context_.symbol(static_cast<int>(symbols_.size() - 1));
}

SymId ShapeEnv::marked_symbol(int64_t hint, DimSource source, int64_t min, int64_t max) {
  if (symbols_.size() >= static_cast<std::size_t>(kMaxShapeSymbols)) return SymId{};
  ShapeSymbol symbol;
  symbol.hint = hint;
  symbol.min = std::max<int64_t>(min, 2);
  symbol.max = max;
  symbol.marked = true;
  symbol.sources.push_back(source);
  symbols_.push_back(std::move(symbol));
  return context_.symbol(static_cast<int>(symbols_.size() - 1));
}

std::string ShapeEnv::constraint_violation(std::span<const SymId> relations,
                                           const SourceTable& sources) const {
  const std::vector<int64_t> base = hints();
  for (std::size_t i = 0; i < symbols_.size(); ++i) {
    const ShapeSymbol& symbol = symbols_[i];
    if (!symbol.marked) continue;
    // Values of the marked range around the hint and at its ends: a relation that rejects
    // one of them narrows what the user asked to stay dynamic.
    std::vector<int64_t> tries = {symbol.min, symbol.hint + 1, symbol.hint - 1};
    if (symbol.max != std::numeric_limits<int64_t>::max()) tries.push_back(symbol.max);
    for (int64_t value : tries) {
      if (value < symbol.min || value > symbol.max || value == symbol.hint) continue;
      std::vector<int64_t> bindings = base;
      bindings[i] = value;
      for (SymId relation : relations) {
        auto holds = context_.evaluate(relation, bindings);
        if (holds.ok() && *holds != 0) continue;
        return fmt::format(
            "{} was marked dynamic (range [{}, {}) but the trace requires {}, which {} = {} "
            "does not satisfy",
            symbol_name(static_cast<int>(i), sources), symbol.min,
            symbol.max == std::numeric_limits<int64_t>::max() ? std::string("inf)")
                                                              : std::to_string(symbol.max) + "]",
            describe(relation, sources), symbol_name(static_cast<int>(i), sources), value);
      }
    }
  }
  return {};
}

int64_t ShapeEnv::specialize(const SymDim& size) {
  if (!size.is_symbolic()) return size.hint;
  const bool equal = decide(context_.eq(size.expr, context_.constant(size.hint)));
  GYRO_ASSERT(equal || !failure_.empty(), "a size differs from its own hint");
  return size.hint;
}

std::vector<int64_t> ShapeEnv::hints() const {
  std::vector<int64_t> values;
  values.reserve(symbols_.size());
  for (const ShapeSymbol& symbol : symbols_) values.push_back(symbol.hint);
  return values;
}

std::vector<SymId> ShapeEnv::relations() {
  std::vector<SymId> out;
  for (std::size_t i = 0; i < symbols_.size(); ++i) {
    const SymId symbol = context_.symbol(static_cast<int>(i));
    if (symbols_[i].min != std::numeric_limits<int64_t>::min())
      out.push_back(context_.ge(symbol, context_.constant(symbols_[i].min)));
    if (symbols_[i].max != std::numeric_limits<int64_t>::max())
      out.push_back(context_.le(symbol, context_.constant(symbols_[i].max)));
  }
  for (SymId fact : facts_)
    if (std::find(out.begin(), out.end(), fact) == out.end()) out.push_back(fact);
  return out;
}

std::string ShapeEnv::symbol_name(int symbol, const SourceTable& sources) const {
  const DimSource& first = symbols_[symbol].sources.front();
  if (first.dim < 0) return sources.describe(first.tensor);
  return fmt::format("{}.size({})", sources.describe(first.tensor), first.dim);
}

std::string ShapeEnv::describe(SymId relation, const SourceTable& sources) const {
  // The printer writes symbols as s<index> and nothing else as `s` followed by digits, so the
  // names can be put in afterwards.
  const std::string text = context_.print(relation);
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const bool starts_word = i == 0 || !(std::isalnum(static_cast<unsigned char>(text[i - 1])) ||
                                         text[i - 1] == '_');
    std::size_t end = i + 1;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    if (text[i] == 's' && starts_word && end > i + 1) {
      const int symbol = std::stoi(text.substr(i + 1, end - i - 1));
      if (symbol >= 0 && static_cast<std::size_t>(symbol) < symbols_.size()) {
        out += symbol_name(symbol, sources);
        i = end;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

std::string ShapeEnv::describe_region(std::span<const SymId> relations,
                                      const SourceTable& sources) const {
  // Bounds on one symbol (`s0 >= 2` is `-s0 + 2 <= 0`) fold into its range; the rest is listed.
  std::vector<int64_t> low(symbols_.size(), std::numeric_limits<int64_t>::min());
  std::vector<int64_t> high(symbols_.size(), std::numeric_limits<int64_t>::max());
  std::vector<SymId> others;
  for (SymId relation : relations) {
    const SymNode& node = context_.node(relation);
    if (node.kind == SymKind::kLe) {
      const SymNode& sum = context_.node(node.operands[0]);
      if (sum.kind == SymKind::kAdd && sum.terms.size() == 1 &&
          context_.node(sum.terms[0].first).kind == SymKind::kSymbol) {
        const auto symbol = static_cast<std::size_t>(context_.node(sum.terms[0].first).value);
        const int64_t coefficient = sum.terms[0].second;
        if (coefficient == -1) {  // -s + c <= 0: s >= c
          low[symbol] = std::max(low[symbol], sum.value);
          continue;
        }
        if (coefficient == 1 && sum.value != std::numeric_limits<int64_t>::min()) {  // s <= -c
          high[symbol] = std::min(high[symbol], -sum.value);
          continue;
        }
      }
    }
    others.push_back(relation);
  }
  std::vector<std::string> parts;
  auto bound = [](int64_t value, bool lower) {
    if (lower && value == std::numeric_limits<int64_t>::min()) return std::string("-inf");
    if (!lower && value == std::numeric_limits<int64_t>::max()) return std::string("inf");
    return std::to_string(value);
  };
  for (std::size_t i = 0; i < symbols_.size(); ++i) {
    const std::string name = symbol_name(static_cast<int>(i), sources);
    // (A symbol whose bounds were pruned is pinned by the other relations.)
    const bool bounded = low[i] != std::numeric_limits<int64_t>::min() ||
                         high[i] != std::numeric_limits<int64_t>::max();
    if (bounded)
      parts.push_back(fmt::format(
          "{} in {}{}, {}{}", name, low[i] == std::numeric_limits<int64_t>::min() ? "(" : "[",
          bound(low[i], true), bound(high[i], false),
          high[i] == std::numeric_limits<int64_t>::max() ? ")" : "]"));
    for (std::size_t k = 1; k < symbols_[i].sources.size(); ++k) {
      const DimSource& other = symbols_[i].sources[k];
      parts.push_back(
          fmt::format("{}.size({}) == {}", sources.describe(other.tensor), other.dim, name));
    }
  }
  for (SymId relation : others) parts.push_back(describe(relation, sources));
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace gyro::guards
