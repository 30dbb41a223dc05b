// ShapeEnv: the symbols of one trace (each with a hint, a range and the tensor dims it was
// read from), and the facts about them the trace relied on. It is the SymDecider the graph
// builder's symbolic shape rules ask: a condition on symbolic sizes is answered by the hints,
// and recorded as a fact unless the facts already decide it. At the end of the trace the
// facts, the ranges and the equalities of duck-shaped dims become the entry's SHAPE guards.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "guards/implication.h"
#include "guards/source.h"
#include "ir/sym_dim.h"
#include "ir/sym_expr.h"

namespace gyro::guards {

// Where a symbol is read: dim `dim` of the tensor at `tensor`, or (dim -1) the int there.
struct DimSource {
  SourceId tensor = kNoSource;
  int dim = 0;
};

struct ShapeSymbol {
  int64_t hint = 0;
  int64_t min = 2;  // sizes 0 and 1 stay static, so a symbolic size is at least 2
  int64_t max = std::numeric_limits<int64_t>::max();
  std::vector<DimSource> sources;  // the first binds it; the others must equal it
  bool marked = false;             // mark_dynamic: the trace must keep [min, max] valid
};

class ShapeEnv final : public SymDecider {
 public:
  // `budget`: what Z3 may spend on this trace's questions (branch decisions and pruning).
  explicit ShapeEnv(ProverBudget budget = {}) : budget_(budget) {}
  ~ShapeEnv() override;
  ShapeEnv(const ShapeEnv&) = delete;
  ShapeEnv& operator=(const ShapeEnv&) = delete;

  SymContext& context() override { return context_; }
  const SymContext& context() const { return context_; }
  bool decide(SymId condition) override;

  // The symbol for a size read from `source`: with `duck`, an existing symbol whose hint is
  // `hint` (equal sizes are one symbol until a call shows otherwise, Dynamo's duck shaping);
  // else a new one. Invalid (index -1) when the entry has kMaxShapeSymbols already.
  SymId size_symbol(int64_t hint, DimSource source, bool duck);
  // A size marked dynamic (mark_dynamic): its own symbol, with the range given (at least 2).
  SymId marked_symbol(int64_t hint, DimSource source, int64_t min, int64_t max);
  // An int argument that changed between calls: its own symbol, any int64 value.
  SymId int_symbol(int64_t hint, SourceId source);
  // For each marked symbol, the first kept relation that fails for a value of its range (the
  // others at their hints): empty when every value tried is accepted. In the user's words:
  // "x.size(0) == 8", naming the size and the relation.
  std::string constraint_violation(std::span<const SymId> relations,
                                   const SourceTable& sources) const;
  // Fixes a symbolic size to its hint (a size the trace turned into a plain int): records
  // `expr == hint` and returns the hint.
  int64_t specialize(const SymDim& size);

  const std::vector<ShapeSymbol>& symbols() const { return symbols_; }
  std::vector<int64_t> hints() const;
  // The facts recorded, in the order the trace relied on them.
  const std::vector<SymId>& facts() const { return facts_; }

  // What a cache entry must check, in a deterministic order: each symbol's range, then the
  // facts. (A symbol's extra sources are checked by TENSOR_MATCH: they bind the same symbol.)
  std::vector<SymId> relations();
  // relations() without those the others imply (prune_guards: facts layer, counterexamples,
  // then Z3 within the budget left), with what each layer did.
  std::vector<SymId> pruned_relations(PruneStats* stats);
  // Why a condition could not be decided (it overflows on the hints), or empty: the trace
  // must stop, since the guard it needs cannot be expressed.
  const std::string& failure() const { return failure_; }
  // What deciding branches asked the prover so far.
  const ProverStats& decide_stats() const { return decide_stats_; }
  // A relation in the user's words: `x.size(0) >= 2`, `x.size(0) == y.size(0)`.
  std::string describe(SymId relation, const SourceTable& sources) const;
  // The sizes an entry with these (kept) relations accepts, in words: each symbol's range,
  // the sources that must equal it, then the other relations: `x.size(0) in [2, inf),
  // y.size(0) == x.size(0), x.size(1) % 8 == 0`.
  std::string describe_region(std::span<const SymId> relations, const SourceTable& sources) const;
  // `x.size(0)`: the name of a symbol's first source.
  std::string symbol_name(int symbol, const SourceTable& sources) const;

 private:
  // The prover of the facts so far, made again when symbols were added since (its hints are
  // fixed at construction).
  ImplicationProver& prover();
  void add_stats(const ProverStats& stats);
  ProverBudget remaining_budget() const;

  ProverBudget budget_;
  std::string failure_;
  std::unique_ptr<ImplicationProver> prover_;
  std::size_t prover_symbols_ = 0;
  ProverStats decide_stats_;  // of provers already dropped, plus the current one's at the end
  SymContext context_;
  std::vector<ShapeSymbol> symbols_;
  std::vector<SymId> facts_;
  std::unordered_set<int32_t> known_;  // facts_ as node indices; only looked up
};

}  // namespace gyro::guards
