// Z3 as a test oracle with a large budget: implications and equivalences of guard sets under
// SymContext::evaluate's semantics (symbols are int64; an overflow fails a guard).
#pragma once

#include <z3++.h>

#include <span>

#include "guards/z3_translate.h"
#include "ir/sym_expr.h"

namespace gyro::testing {

enum class Proof { kProved, kDisproved, kUnknown };

// Is `formula` (with every symbol an int64) unsatisfiable?
inline Proof z3_unsat(z3::context& z3, guards::Z3Translator& translator, z3::expr formula) {
  z3::solver solver(z3, "QF_NIA");
  z3::params params(z3);
  params.set("rlimit", 5000000u);
  // rlimit bounds the work deterministically; the wall clock is only a backstop, generous so
  // that a loaded machine (sanitizers, parallel tests) gives the same verdicts.
  params.set("timeout", 120000u);
  params.set("random_seed", 7u);
  solver.set(params);
  solver.add(formula);
  for (int symbol : translator.symbols_seen()) solver.add(translator.symbol_in_int64(symbol));
  switch (solver.check()) {
    case z3::unsat:
      return Proof::kProved;
    case z3::sat:
      return Proof::kDisproved;
    case z3::unknown:
      return Proof::kUnknown;
  }
  return Proof::kUnknown;
}

inline z3::expr all_hold(z3::context& z3, guards::Z3Translator& translator,
                         std::span<const SymId> guards) {
  z3::expr_vector parts(z3);
  for (SymId guard : guards) parts.push_back(translator.holds(guard));
  return z3::mk_and(parts);
}

// facts => condition holds (expect_holds) or facts => condition fails.
inline Proof z3_proves(const SymContext& c, std::span<const SymId> facts, SymId condition,
                       bool expect_holds) {
  z3::context z3;
  guards::Z3Translator translator(c, z3, guards::Z3Semantics::kInt64);
  z3::expr holds = translator.holds(condition);
  return z3_unsat(z3, translator,
                  all_hold(z3, translator, facts) && (expect_holds ? !holds : holds));
}

// Both sets hold on exactly the same int64 assignments.
inline Proof z3_equivalent(const SymContext& c, std::span<const SymId> a,
                           std::span<const SymId> b) {
  z3::context z3;
  guards::Z3Translator translator(c, z3, guards::Z3Semantics::kInt64);
  z3::expr all_a = all_hold(z3, translator, a), all_b = all_hold(z3, translator, b);
  const Proof forward = z3_unsat(z3, translator, all_a && !all_b);
  if (forward == Proof::kDisproved) return forward;
  const Proof backward = z3_unsat(z3, translator, all_b && !all_a);
  if (backward == Proof::kDisproved) return backward;
  return forward == Proof::kProved && backward == Proof::kProved ? Proof::kProved : Proof::kUnknown;
}

}  // namespace gyro::testing
