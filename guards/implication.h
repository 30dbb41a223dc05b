// "Do the facts imply this condition?" answered in layers, cheapest first: syntactic (already a
// fact), the facts layer (ShapeFacts), counterexamples (assignments re-checked by exact
// evaluation), then a budgeted Z3. prune_guards builds guard minimisation on it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "guards/shape_facts.h"
#include "guards/z3_prover.h"
#include "ir/sym_expr.h"

namespace gyro::guards {

struct ProverStats {
  int queries = 0;            // check() calls
  int syntactic = 0;          // decided because the condition (or its negation) is a fact
  int by_facts = 0;           // decided by ShapeFacts
  int by_counterexample = 0;  // left unknown because assignments showed both outcomes, or
                              // "not implied" shown by an assignment before any Z3 call
  int z3_queries = 0;         // Z3 checks made (one check() may make two)
  int z3_unsat = 0;
  int z3_sat = 0;
  int z3_unknown = 0;
  double z3_ms = 0;
  uint64_t rlimit_spent = 0;
};

// Semantics: a fact or condition "holds" under bindings when SymContext::evaluate succeeds and
// gives non-zero; an overflow or a division by zero is a failing guard. kImplied: every
// assignment where the active facts hold makes the condition hold. kRefuted: none does.
class ImplicationProver {
 public:
  // hints: an assignment where everything that will be assumed holds (bindings[i] = s<i>); it
  // seeds the pool of counterexamples.
  ImplicationProver(SymContext& context, std::vector<int64_t> hints, ProverBudget budget);
  ~ImplicationProver();
  ImplicationProver(const ImplicationProver&) = delete;
  ImplicationProver& operator=(const ImplicationProver&) = delete;

  // A truth-valued node taken as true; returns its index (for set_active).
  int assume(SymId fact);
  // Switches an assumed fact off (and on again): minimisation asks whether the others imply it.
  void set_active(int fact, bool active);
  // Implied by the active facts, refuted by them, or unknown (the budget, or nonlinear
  // arithmetic Z3 gave up on, or neither: both outcomes possible).
  Verdict check(SymId condition);
  const ProverStats& stats() const { return stats_; }

  // Which layer decided the last check (for PruneStats).
  enum class Layer : uint8_t { kSyntactic, kFacts, kCounterexample, kZ3, kNone };
  Layer last_layer() const { return last_layer_; }

 private:
  struct Candidate {
    std::vector<int64_t> bindings;
    std::vector<uint8_t> holds;  // per fact
    int failing_active = 0;      // active facts it fails: 0 = it satisfies them all
  };
  // An equality fact that can be solved for a symbol it is affine in (a term or a factor of a
  // product, nowhere else): `s0*s1 - s2 == 0` defines each of s0, s1, s2 from the others.
  struct Definition {
    int fact;
    SymId difference;         // the node compared with zero
    std::vector<int> solved;  // the symbols it can be solved for
  };
  bool holds(SymId condition, std::span<const int64_t> bindings) const;
  bool satisfies_active(std::span<const int64_t> bindings) const;
  void add_candidate(std::vector<int64_t> bindings);
  void seed_mutations();
  // Sets every symbol of `root`'s equality class to `value` and marks the class pinned.
  void move_class(std::vector<int64_t>& bindings, std::vector<uint8_t>& pinned, int root,
                  int64_t value);
  // After some classes moved (pinned), re-solves the active equalities they broke for a
  // symbol of a class not pinned yet (s2 := s0*s1 after s0 moved), so that a mutation can
  // still satisfy every active fact. A heuristic: the result is re-checked exactly.
  void repair(std::vector<int64_t>& bindings, std::vector<uint8_t>& pinned);
  // How many active facts `bindings` fails, counting up to `cap`.
  int failing_active(std::span<const int64_t> bindings, int cap) const;
  // A small local search after move_class and repair left some active facts failing: moves one
  // class not pinned that a failing fact reads (to multiples of its value first, for
  // divisibility; then the fact's own thresholds) while that makes fewer facts fail and keeps
  // `condition`'s truth value. At most `budget` trials in all; none when more than two fail.
  bool fix_failing(std::vector<int64_t>& bindings, std::vector<uint8_t>& pinned, SymId condition,
                   bool want_holds, int& budget);
  // Looks for an assignment that satisfies the active facts and gives `condition` the truth
  // value `want_holds`: boundary values (the active bounds, the condition's own thresholds,
  // 0 and 1, the hint's neighbours) of each class the condition reads. Found: it joins the pool.
  bool search_counterexample(SymId condition, bool want_holds);
  ShapeFacts& facts();

  SymContext& context_;
  std::vector<int64_t> hints_;
  ProverBudget budget_;
  std::vector<SymId> facts_;
  std::vector<uint8_t> active_;
  std::unordered_map<int32_t, std::vector<int>> fact_index_;  // node -> facts; only looked up
  std::vector<Definition> definitions_;
  ShapeFacts shape_facts_;
  bool shape_facts_valid_ = false;
  std::vector<Candidate> pool_;
  bool mutations_seeded_ = false;
  Z3Prover z3_;
  ProverStats stats_;
  Layer last_layer_ = Layer::kNone;
};

struct PruneStats {
  int before = 0;                 // guards given
  int after_dedup = 0;            // distinct, constant-true ones dropped
  int after_facts = 0;            // minus those dropped syntactically or by the facts layer
  int after_counterexamples = 0;  // counterexamples only keep guards: equal to after_facts
  int after_z3 = 0;               // minus those Z3 proved implied: the result's size
  ProverStats prover;
};

// Leave-one-out minimisation: drops each guard the kept rest implies, most expensive first
// (cost = expression size; products and multi-symbol relations before simple bounds), in passes
// until one drops nothing (each pass has its own prover and the whole budget). The
// result keeps the guards' original relative order and holds exactly where the input holds
// (under evaluate()'s semantics). Deterministic: the same input and budget give the same output
// in every run and process. `hints` must satisfy every guard.
std::vector<SymId> prune_guards(SymContext& context, std::span<const SymId> guards,
                                std::span<const int64_t> hints, const ProverBudget& budget,
                                PruneStats* stats = nullptr);

// The evaluation cost rank prune_guards uses (larger = dropped first when implied).
int guard_cost(const SymContext& context, SymId guard);

}  // namespace gyro::guards
