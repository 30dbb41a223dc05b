// The shape env answers conditions by the hints and records them as facts; duck shaping
// shares symbols; relations compile to code that the call path evaluates exactly (an
// overflow or a division by zero fails the relation).
#include "guards/shape_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "guards/shape_check.h"
#include "random_guards.h"

using namespace gyro;
using namespace gyro::guards;

namespace {

bool holds(const SymContext& context, SymId relation, std::vector<int64_t> bindings) {
  auto code = compile_relation(context, relation);
  EXPECT_TRUE(code.has_value());
  bindings.resize(kMaxShapeSymbols, kUnbound);
  return relation_holds(*code, bindings.data());
}

}  // namespace

TEST(ShapeEnv, DecidesByTheHintsAndRecordsTheFactOnce) {
  ShapeEnv env;
  SymContext& c = env.context();
  SymId s0 = env.size_symbol(3, {0, 0}, /*duck=*/true);
  SymId s1 = env.size_symbol(5, {1, 0}, /*duck=*/true);
  EXPECT_NE(s0, s1);
  EXPECT_FALSE(env.decide(c.eq(s0, s1)));  // 3 != 5: recorded as s0 != s1
  EXPECT_TRUE(env.decide(c.lt(s0, s1)));
  EXPECT_TRUE(env.decide(c.lt(s0, s1)));   // known: not recorded again
  EXPECT_TRUE(env.decide(c.constant(1)));  // a constant truth records nothing
  ASSERT_EQ(env.facts().size(), 2u);
  EXPECT_EQ(c.print(env.facts()[0]), "s0 != s1");
  EXPECT_EQ(c.print(env.facts()[1]), "s0 < s1");
}

TEST(ShapeEnv, ANegatedFactThatOverflowsOnTheHintsStopsTheTrace) {
  // Regression (fuzz_guards, corpus/guards/decide_negation_overflows_on_hints): with
  // s0 = s1 = INT64_MIN + 15, `s0 <= s1 + min(s0, s1) + 15` evaluates (to false), but its
  // negation `s1 + min(s0, s1) + 16 <= s0` overflows in its first partial sums. Recorded as a
  // fact, it made a guard the traced call itself fails.
  ShapeEnv env;
  SymContext& c = env.context();
  const int64_t hint = INT64_MIN + 15;
  SymId s0 = env.int_symbol(hint, 0), s1 = env.int_symbol(hint, 1);
  const SymId condition = c.le(s0, c.add(c.add(s1, c.min(s0, s1)), c.constant(15)));
  ASSERT_TRUE(c.evaluate(condition, env.hints()).ok());
  EXPECT_FALSE(env.decide(condition));
  EXPECT_NE(env.failure(), "");
  for (SymId relation : env.relations()) {
    auto value = c.evaluate(relation, env.hints());
    EXPECT_TRUE(value.ok() && *value != 0) << c.print(relation);
  }
}

TEST(ShapeEnv, DuckShapingSharesASymbolForEqualHints) {
  ShapeEnv env;
  SymId a = env.size_symbol(4, {0, 0}, /*duck=*/true);
  SymId b = env.size_symbol(4, {1, 1}, /*duck=*/true);
  SymId c = env.size_symbol(4, {2, 0}, /*duck=*/false);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  ASSERT_EQ(env.symbols().size(), 2u);
  EXPECT_EQ(env.symbols()[0].sources.size(), 2u);
}

TEST(ShapeEnv, RelationsAreRangesThenFactsInTheUsersWords) {
  SourceTable sources;
  SourceId x = sources.local(0, "x"), y = sources.local(1, "y");
  ShapeEnv env;
  SymContext& c = env.context();
  SymId s0 = env.size_symbol(6, {x, 0}, true);
  SymId s1 = env.size_symbol(3, {y, 1}, true);
  env.decide(c.eq(c.mod(s0, s1), c.constant(0)));
  EXPECT_EQ(env.specialize(SymDim(3, s1, &env)), 3);
  std::vector<std::string> described;
  for (SymId relation : env.relations()) described.push_back(env.describe(relation, sources));
  EXPECT_EQ(described, (std::vector<std::string>{"x.size(0) >= 2", "y.size(1) >= 2",
                                                 "x.size(0) % y.size(1) == 0",
                                                 "y.size(1) == 3"}));
}

TEST(ShapeCheck, EvaluatesRelationsExactly) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1);
  SymId reshape = c.eq(c.mul(s0, s1), c.mul(c.constant(4), c.symbol(2)));
  EXPECT_TRUE(holds(c, reshape, {6, 2, 3}));
  EXPECT_FALSE(holds(c, reshape, {6, 2, 4}));
  SymId divisible = c.eq(c.mod(c.add(s0, c.constant(1)), c.constant(8)), c.constant(0));
  EXPECT_TRUE(holds(c, divisible, {15}));
  EXPECT_FALSE(holds(c, divisible, {16}));
  SymId range = c.logical_and(c.ge(s0, c.constant(2)), c.le(s0, c.constant(10)));
  EXPECT_TRUE(holds(c, range, {10}));
  EXPECT_FALSE(holds(c, range, {11}));
  EXPECT_FALSE(holds(c, c.logical_not(range), {5}));
  SymId floor = c.eq(c.floordiv(s0, c.constant(3)), c.max(s1, c.constant(2)));
  EXPECT_TRUE(holds(c, floor, {7, 1}));
  EXPECT_FALSE(holds(c, floor, {7, 3}));
}

TEST(ShapeCheck, OverflowDivisionByZeroAndUnboundSymbolsFail) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1);
  // Z3 reasons over unbounded ints, so a product that overflows int64 must not pass.
  SymId small_product = c.le(c.mul(s0, s1), c.constant(100));
  EXPECT_TRUE(holds(c, small_product, {10, 10}));
  EXPECT_FALSE(holds(c, small_product, {int64_t{1} << 62, 4}));
  // (3*s0 + s1 >= 0: the coefficients' gcd is 1, so the comparison keeps the product by 3.)
  SymId scaled = c.ge(c.add(c.mul(c.constant(3), s0), s1), c.constant(0));
  EXPECT_TRUE(holds(c, scaled, {int64_t{1} << 60, 0}));
  EXPECT_FALSE(holds(c, scaled, {int64_t{1} << 62, 0}));
  EXPECT_FALSE(holds(c, c.eq(c.mod(s0, s1), c.constant(0)), {4, 0}));
  EXPECT_FALSE(holds(c, c.ge(s1, c.constant(0)), {4}));  // s1 unbound
}

TEST(ShapeCheck, RefusesRelationsDeeperThanItsStack) {
  SymContext c;
  SymId deep = c.symbol(0);
  // A right-leaning chain of min() needs one stack slot per level.
  for (int i = 1; i < 40; ++i) deep = c.min(c.symbol(i % 8), c.max(deep, c.symbol((i + 3) % 8)));
  EXPECT_FALSE(compile_relation(c, c.ge(deep, c.constant(0))).has_value());
  EXPECT_FALSE(compile_relation(c, c.ge(c.symbol(kMaxShapeSymbols), c.constant(0))).has_value());
}

// The call path's evaluator (postfix code) and SymContext::evaluate (the semantics pruning
// proves under) agree on every relation of random guard sets, on bindings around the hints,
// near int64's limits and with unbound symbols left out: pruned and original guard programs
// then accept the same calls.
TEST(ShapeCheck, CompiledRelationsAgreeWithExactEvaluation) {
  std::mt19937_64 rng(7);
  int compared = 0, held = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    SymContext c;
    gyro::testing::GuardSet set = gyro::testing::random_guard_set(c, 30, seed, /*product_share=*/0.3);
    for (int trial = 0; trial < 200; ++trial) {
      std::vector<int64_t> bindings = gyro::testing::random_binding(set.hints, rng);
      if (trial % 10 == 0)
        for (auto& value : bindings) value = (int64_t{1} << 62) + static_cast<int64_t>(rng() % 7);
      // (INT64_MIN is the call path's "unbound": an int argument of that value misses.)
      if (std::find(bindings.begin(), bindings.end(), kUnbound) != bindings.end()) continue;
      std::vector<int64_t> padded = bindings;
      padded.resize(kMaxShapeSymbols, kUnbound);
      for (SymId relation : set.guards) {
        auto code = compile_relation(c, relation);
        ASSERT_TRUE(code.has_value()) << c.print(relation);
        auto exact = c.evaluate(relation, bindings);
        const bool expected = exact.ok() && *exact != 0;
        EXPECT_EQ(relation_holds(*code, padded.data()), expected)
            << c.print(relation) << " seed " << seed;
        ++compared;
        held += expected;
      }
    }
  }
  EXPECT_GT(held, compared / 10);  // both outcomes are exercised
  EXPECT_LT(held, compared);
}

// A symbolic int handed back to the program (ResultPlan::kSymInt) is its exact value or no
// value at all: an overflow in any step, fused ones included, is never a number.
TEST(ShapeCheck, ExpressionsEvaluateExactlyOrNotAtAll) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1);
  std::vector<int64_t> bindings(kMaxShapeSymbols, kUnbound);
  auto value = [&](SymId expression, int64_t a, int64_t b) {
    auto code = compile_expression(c, expression);
    EXPECT_TRUE(code.has_value());
    bindings[0] = a;
    bindings[1] = b;
    return evaluate_expression(*code, bindings.data());
  };
  SymId sum = c.add(s0, c.mul(c.constant(3), s1));
  EXPECT_EQ(value(sum, 4, 5), std::optional<int64_t>(19));
  EXPECT_EQ(value(sum, 4, int64_t{1} << 62), std::nullopt);
  EXPECT_EQ(value(c.sub(c.constant(-7), s0), INT64_MAX, 0), std::nullopt);
  EXPECT_EQ(value(c.floordiv(c.mul(s0, s1), c.constant(-2)), 5, 3), std::optional<int64_t>(-8));
  EXPECT_EQ(value(c.mod(s0, s1), -7, 3), std::optional<int64_t>(2));
  EXPECT_EQ(value(c.mod(s0, s1), 7, 0), std::nullopt);
}
