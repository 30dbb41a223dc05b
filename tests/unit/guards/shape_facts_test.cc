// The facts layer: equal classes, intervals, residues and bounds through linear and product
// terms; every implied / refuted verdict is confirmed by Z3 (implied: facts and not c unsat;
// refuted: facts and c unsat).
#include "guards/shape_facts.h"

#include <gtest/gtest.h>

#include <vector>

#include "z3_oracle.h"

using namespace gyro;
using namespace gyro::guards;
using gyro::testing::Proof;

namespace {

// Decides `condition` from `facts` and confirms the verdict with Z3.
Verdict decide_confirmed(SymContext& c, const std::vector<SymId>& facts, SymId condition) {
  ShapeFacts shape(c);
  for (SymId fact : facts) shape.add(fact);
  const Verdict verdict = shape.decide(condition);
  if (verdict != Verdict::kUnknown) {
    EXPECT_EQ(gyro::testing::z3_proves(c, facts, condition, verdict == Verdict::kImplied),
              Proof::kProved)
        << c.print(condition);
  }
  return verdict;
}

}  // namespace

TEST(ShapeFacts, BoundsAndEqualClasses) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1), s2 = c.symbol(2);
  auto k = [&](int64_t v) { return c.constant(v); };
  // (s2 >= 0 matters: without a lower bound, s2 - 9 could overflow for s2 near INT64_MIN.)
  std::vector<SymId> facts = {c.ge(s0, k(2)), c.eq(s0, s1), c.le(s1, k(10)), c.lt(s2, s0),
                              c.ge(s2, k(0))};
  EXPECT_EQ(decide_confirmed(c, facts, c.ge(s1, k(1))), Verdict::kImplied);
  EXPECT_EQ(decide_confirmed(c, facts, c.le(s0, k(10))), Verdict::kImplied);
  EXPECT_EQ(decide_confirmed(c, facts, c.eq(c.sub(s0, s1), k(0))), Verdict::kImplied);
  EXPECT_EQ(decide_confirmed(c, facts, c.gt(s1, k(10))), Verdict::kRefuted);
  EXPECT_EQ(decide_confirmed(c, facts, c.eq(s0, k(1))), Verdict::kRefuted);
  EXPECT_EQ(decide_confirmed(c, facts, c.le(s2, k(9))), Verdict::kImplied);
  EXPECT_EQ(decide_confirmed(c, facts, c.ge(s0, k(5))), Verdict::kUnknown);
  EXPECT_EQ(decide_confirmed(c, facts, c.logical_and(c.ge(s0, k(2)), c.ne(s1, k(0)))),
            Verdict::kImplied);
  EXPECT_EQ(decide_confirmed(c, facts, c.logical_not(c.ge(s0, k(2)))), Verdict::kRefuted);
}

TEST(ShapeFacts, ResiduesFromModuloAndProducts) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1), s2 = c.symbol(2);
  auto k = [&](int64_t v) { return c.constant(v); };
  // 8 | s0, s0 >= 8, s0*s1 == 4*s2  =>  2 | s2 (Z3 alone struggles with this one).
  std::vector<SymId> facts = {c.eq(c.mod(s0, k(8)), k(0)), c.ge(s0, k(8)),
                              c.eq(c.mul(s0, s1), c.mul(k(4), s2))};
  ShapeFacts shape(c);
  for (SymId fact : facts) shape.add(fact);
  EXPECT_EQ(shape.decide(c.eq(c.mod(s2, k(2)), k(0))), Verdict::kImplied);
  EXPECT_EQ(shape.decide(c.eq(c.mod(s0, k(4)), k(0))), Verdict::kImplied);
  EXPECT_EQ(decide_confirmed(c, facts, c.eq(c.mod(s0, k(4)), k(1))), Verdict::kRefuted);
  EXPECT_EQ(decide_confirmed(c, facts, c.eq(s0, k(12))), Verdict::kRefuted);
  EXPECT_EQ(decide_confirmed(c, facts, c.ne(s0, k(9))), Verdict::kImplied);
  EXPECT_EQ(shape.residue(0).modulus, 8);
}

TEST(ShapeFacts, BoundsFlowThroughProducts) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1), s2 = c.symbol(2);
  auto k = [&](int64_t v) { return c.constant(v); };
  // s0*s1 == 4*s2, s0 == 8, s1 >= 2  =>  s2 >= 4.
  std::vector<SymId> facts = {c.eq(c.mul(s0, s1), c.mul(k(4), s2)), c.eq(s0, k(8)), c.ge(s1, k(2)),
                              c.le(s1, k(100))};
  EXPECT_EQ(decide_confirmed(c, facts, c.ge(s2, k(4))), Verdict::kImplied);
  EXPECT_EQ(decide_confirmed(c, facts, c.le(c.mul(s0, s1), k(800))), Verdict::kImplied);
  EXPECT_EQ(decide_confirmed(c, facts, c.lt(c.mul(s0, s1), k(16))), Verdict::kRefuted);
}

TEST(ShapeFacts, ImpliedNeedsEvaluationThatCannotOverflow) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1);
  auto k = [&](int64_t v) { return c.constant(v); };
  // s0*s1 - 3*s0 <= 0 is true for s1 <= 3 mathematically, but s0*s1 can overflow int64.
  std::vector<SymId> facts = {c.ge(s0, k(0)), c.le(s1, k(3)), c.ge(s1, k(0))};
  SymId risky = c.le(c.sub(c.mul(s0, s1), c.mul(k(3), s0)), k(0));
  EXPECT_EQ(decide_confirmed(c, facts, risky), Verdict::kUnknown);
  EXPECT_EQ(gyro::testing::z3_proves(c, facts, risky, true), Proof::kDisproved);
  facts.push_back(c.le(s0, k(1000)));  // (then it is implied, beyond what intervals see)
  EXPECT_EQ(gyro::testing::z3_proves(c, facts, risky, true), Proof::kProved);
}

TEST(ShapeFacts, ContradictionsAreUnknownNotImplied) {
  SymContext c;
  SymId s0 = c.symbol(0);
  auto k = [&](int64_t v) { return c.constant(v); };
  ShapeFacts shape(c);
  shape.add(c.ge(s0, k(5)));
  shape.add(c.le(s0, k(3)));
  EXPECT_TRUE(shape.infeasible());
  EXPECT_EQ(shape.decide(c.eq(s0, k(100))), Verdict::kUnknown);
}

TEST(ShapeFacts, ValuesAtTheInt64EndsAreNotInfinities) {
  // Regression (fuzz_guards, corpus/guards/facts_int64_max_constant_read_as_infinity): the
  // interval ends double as "no bound" sentinels, and a constant or bound of exactly INT64_MAX
  // (INT64_MIN) read as +inf (-inf): `min(s0, -INT64_MAX) + INT64_MAX == 0` was refuted where
  // it holds, and ShapeEnv::decide's assertion fired.
  SymContext c;
  SymId s0 = c.symbol(0);
  auto k = [&](int64_t v) { return c.constant(v); };
  EXPECT_NE(decide_confirmed(c, {c.ge(s0, k(2))}, c.eq(c.min(s0, k(-INT64_MAX)), k(-INT64_MAX))),
            Verdict::kRefuted);
  EXPECT_NE(decide_confirmed(c, {c.ge(s0, k(INT64_MAX))}, c.eq(s0, k(INT64_MAX))),
            Verdict::kRefuted);
  EXPECT_NE(decide_confirmed(c, {c.le(s0, k(INT64_MIN))}, c.eq(s0, k(INT64_MIN))),
            Verdict::kRefuted);
  EXPECT_NE(decide_confirmed(c, {}, c.le(c.add(s0, k(INT64_MAX)), k(INT64_MAX))),
            Verdict::kRefuted);
}
