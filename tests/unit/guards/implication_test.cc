// The layered implication check: each layer's verdict confirmed by Z3, counterexamples that
// settle "not implied" without Z3, non-linear facts kept sound, budgets that only cost
// precision.
#include "guards/implication.h"

#include <gtest/gtest.h>

#include <vector>

#include "z3_oracle.h"

using namespace gyro;
using namespace gyro::guards;
using gyro::testing::Proof;

namespace {

Verdict check_confirmed(SymContext& c, const std::vector<SymId>& facts, std::vector<int64_t> hints,
                        SymId condition, ProverBudget budget = {}) {
  ImplicationProver prover(c, std::move(hints), budget);
  for (SymId fact : facts) prover.assume(fact);
  const Verdict verdict = prover.check(condition);
  if (verdict != Verdict::kUnknown) {
    EXPECT_EQ(gyro::testing::z3_proves(c, facts, condition, verdict == Verdict::kImplied),
              Proof::kProved)
        << c.print(condition);
  }
  return verdict;
}

}  // namespace

TEST(Implication, EachLayerDecides) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1);
  auto k = [&](int64_t v) { return c.constant(v); };
  std::vector<SymId> facts = {c.ge(s0, k(2)), c.le(s0, k(64)), c.eq(c.mod(s1, k(4)), k(0))};
  ImplicationProver prover(c, {8, 16}, {});
  for (SymId fact : facts) prover.assume(fact);
  EXPECT_EQ(prover.check(c.ge(s0, k(2))), Verdict::kImplied);
  EXPECT_EQ(prover.last_layer(), ImplicationProver::Layer::kSyntactic);
  EXPECT_EQ(prover.check(c.lt(s0, k(2))), Verdict::kRefuted);
  EXPECT_EQ(prover.last_layer(), ImplicationProver::Layer::kSyntactic);
  EXPECT_EQ(prover.check(c.ge(s0, k(1))), Verdict::kImplied);
  EXPECT_EQ(prover.last_layer(), ImplicationProver::Layer::kFacts);
  EXPECT_EQ(prover.check(c.ge(s0, k(8))), Verdict::kUnknown);  // s0 = 2 and s0 = 8 both fit
  EXPECT_EQ(prover.last_layer(), ImplicationProver::Layer::kCounterexample);
  EXPECT_EQ(prover.stats().z3_queries, 0);
  // s0*s0 >= 4 needs reasoning about a square: Z3 (or the product bounds).
  EXPECT_EQ(check_confirmed(c, facts, {8, 16}, c.ge(c.mul(s0, s0), k(4))), Verdict::kImplied);
  EXPECT_EQ(check_confirmed(c, facts, {8, 16}, c.eq(c.mod(s1, k(2)), k(0))), Verdict::kImplied);
  // s1 + s1 may overflow (s1 has no bounds): not implied under evaluate()'s semantics.
  EXPECT_NE(check_confirmed(c, facts, {8, 16}, c.eq(c.mod(c.add(s1, s1), k(8)), k(0))),
            Verdict::kImplied);
}

TEST(Implication, Z3ProvesWhatFactsCannot) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1), s2 = c.symbol(2);
  auto k = [&](int64_t v) { return c.constant(v); };
  // s0*s1 == s0*s2, s0 >= 1, small sizes  =>  s1 == s2.
  std::vector<SymId> facts = {c.eq(c.mul(s0, s1), c.mul(s0, s2)),
                              c.ge(s0, k(1)),
                              c.le(s0, k(1000)),
                              c.le(s1, k(1000)),
                              c.le(s2, k(1000)),
                              c.ge(s1, k(0)),
                              c.ge(s2, k(0))};
  ProverBudget generous;
  generous.rlimit_per_query = 200000;
  generous.rlimit_total = 1000000;
  generous.timeout_ms = 5000;
  ImplicationProver prover(c, {3, 5, 5}, generous);
  for (SymId fact : facts) prover.assume(fact);
  const Verdict verdict = prover.check(c.eq(s1, s2));
  EXPECT_NE(verdict, Verdict::kRefuted);
  if (verdict == Verdict::kImplied) {  // (a fresh one-shot solver may not find the proof)
    EXPECT_NE(gyro::testing::z3_proves(c, facts, c.eq(s1, s2), true), Proof::kDisproved);
  }
  EXPECT_GE(prover.stats().z3_queries, 1);
}

TEST(Implication, ModelsBecomeCounterexamples) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1);
  auto k = [&](int64_t v) { return c.constant(v); };
  ImplicationProver prover(c, {10, 10}, {});
  prover.assume(c.ge(s0, k(1)));
  prover.assume(c.ge(c.mul(s0, s1), k(50)));
  prover.assume(c.le(s1, k(10)));
  // Not implied; the hint and the mutations may all make it true, then Z3's model says no.
  EXPECT_NE(prover.check(c.ge(s0, k(6))), Verdict::kImplied);
  const int z3_before = prover.stats().z3_queries;
  EXPECT_NE(prover.check(c.ge(s0, k(6))), Verdict::kImplied);
  EXPECT_EQ(prover.stats().z3_queries, z3_before);  // the model answered the second time
}

TEST(Implication, BudgetsOnlyCostPrecision) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1);
  auto k = [&](int64_t v) { return c.constant(v); };
  std::vector<SymId> facts = {c.eq(c.mul(s0, s0), c.mul(k(2), c.mul(s1, s1))), c.ge(s1, k(1))};
  for (uint64_t rlimit : {uint64_t{1}, uint64_t{3000}}) {
    ProverBudget budget;
    budget.rlimit_per_query = rlimit;
    // No hint satisfies s0^2 == 2 s1^2 with s1 >= 1: none is given (a pool of none).
    ImplicationProver prover(c, {}, budget);
    for (SymId fact : facts) prover.assume(fact);
    const Verdict verdict = prover.check(c.le(s0, k(-5)));
    EXPECT_EQ(verdict, Verdict::kUnknown) << rlimit;
    EXPECT_LE(prover.stats().rlimit_spent, budget.rlimit_total + rlimit + 1000);
  }
  ProverBudget off;
  off.use_z3 = false;
  // Without an upper bound s0*s0 may overflow (and fail): only a bounded s0 implies it.
  EXPECT_EQ(check_confirmed(c, {c.ge(s0, k(3))}, {5, 0}, c.ge(c.mul(s0, s0), k(9)), off),
            Verdict::kUnknown);
  EXPECT_EQ(check_confirmed(c, {c.ge(s0, k(3)), c.le(s0, k(1000))}, {5, 0},
                            c.ge(c.mul(s0, s0), k(9)), off),
            Verdict::kImplied);
}

TEST(Implication, SpentTotalBudgetStopsAskingZ3) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1), s2 = c.symbol(2);
  auto k = [&](int64_t v) { return c.constant(v); };
  ProverBudget budget;
  budget.rlimit_per_query = 1000;
  budget.rlimit_total = 2000;
  ImplicationProver prover(c, {4, 4, 16}, budget);
  prover.assume(c.eq(c.mul(s0, s1), s2));
  prover.assume(c.ge(s0, k(1)));
  prover.assume(c.ge(s1, k(1)));
  for (int i = 0; i < 20; ++i) prover.check(c.ge(c.mul(s2, s2), c.mul(k(i), c.mul(s0, s1))));
  EXPECT_LE(prover.stats().z3_queries, 20);
  EXPECT_LE(prover.stats().rlimit_spent, 2000u + 1000u);
}

TEST(Implication, HintsAtTheInt64EndsAreMutatedWithoutOverflow) {
  // Regression (fuzz_guards, seed_sum_near_int64_max): the counterexample pool computed
  // hint * 2 and hint + 1 before asking whether they fit, an int64 overflow (UBSan, asan
  // preset) for an int symbol whose hint is near either end of int64.
  SymContext c;
  SymId s0 = c.symbol(0);
  auto k = [&](int64_t v) { return c.constant(v); };
  for (int64_t hint : {INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1}) {
    EXPECT_EQ(check_confirmed(c, {c.ne(s0, k(0))}, {hint}, c.gt(s0, k(5))), Verdict::kUnknown)
        << hint;
  }
}
