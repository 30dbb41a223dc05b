// Symbolic ints: hash-consing, canonical linear forms, folding with Python's // and %,
// comparisons against zero that print as written, and exact evaluation.
#include "ir/sym_expr.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

using namespace gyro;

namespace {

TEST(SymExpr, EqualExpressionsAreOneNode) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1);
  EXPECT_EQ(c.symbol(0), s0);
  EXPECT_EQ(c.add(s0, s1), c.add(s1, s0));
  EXPECT_EQ(c.add(s0, s0), c.mul(c.constant(2), s0));
  EXPECT_EQ(c.mul(s0, c.constant(2)), c.mul(c.constant(2), s0));
  EXPECT_EQ(c.mul(s0, s1), c.mul(s1, s0));
  EXPECT_EQ(c.sub(c.add(s0, s1), s1), s0);
  EXPECT_EQ(c.add(c.mul(c.constant(3), s0), c.neg(c.mul(c.constant(3), s0))), c.constant(0));
  // 2*(s0 + 1) distributes (linear); (s0 + 1)*(s1 + 1) stays a product.
  EXPECT_EQ(c.mul(c.constant(2), c.add(s0, c.constant(1))),
            c.add(c.mul(c.constant(2), s0), c.constant(2)));
  EXPECT_EQ(c.print(c.mul(c.add(s0, c.constant(1)), c.add(s1, c.constant(1)))),
            "(s0 + 1)*(s1 + 1)");
  // Coefficients leave products: (2*s0)*(3*s1) is 6*(s0*s1).
  EXPECT_EQ(c.mul(c.mul(c.constant(2), s0), c.mul(c.constant(3), s1)),
            c.mul(c.constant(6), c.mul(s0, s1)));
}

TEST(SymExpr, ConstantsFoldWithPythonsFloorDivisionAndModulo) {
  SymContext c;
  auto k = [&](int64_t v) { return c.constant(v); };
  EXPECT_EQ(c.floordiv(k(7), k(2)), k(3));
  EXPECT_EQ(c.floordiv(k(-7), k(2)), k(-4));
  EXPECT_EQ(c.mod(k(-7), k(2)), k(1));
  EXPECT_EQ(c.mod(k(7), k(-2)), k(-1));
  EXPECT_EQ(c.min(k(3), k(-1)), k(-1));
  EXPECT_EQ(c.max(k(3), k(-1)), k(3));
  SymId s0 = c.symbol(0);
  EXPECT_EQ(c.floordiv(s0, k(1)), s0);
  EXPECT_EQ(c.mod(s0, k(1)), k(0));
  EXPECT_EQ(c.min(s0, s0), s0);
  // Division by a constant zero is not folded: evaluating it is the error.
  SymId by_zero = c.floordiv(k(1), k(0));
  EXPECT_FALSE(c.is_constant(by_zero));
  auto value = c.evaluate(by_zero, {});
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().kind, ErrorKind::ZeroDivisionError);
}

TEST(SymExpr, ComparisonsAreStoredAgainstZeroAndPrintAsWritten) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1);
  auto k = [&](int64_t v) { return c.constant(v); };
  EXPECT_EQ(c.print(c.ge(s0, k(2))), "s0 >= 2");
  EXPECT_EQ(c.print(c.le(s0, k(5))), "s0 <= 5");
  EXPECT_EQ(c.print(c.lt(s0, s1)), "s0 < s1");
  EXPECT_EQ(c.print(c.eq(s0, s1)), "s0 == s1");
  EXPECT_EQ(c.print(c.eq(c.mod(s0, k(8)), k(0))), "s0 % 8 == 0");
  // (Sides come from the canonical order of terms, which follows creation: made one by one.)
  SymId product = c.mul(s0, s1);
  SymId scaled = c.mul(k(4), c.symbol(2));
  EXPECT_EQ(c.print(c.eq(product, scaled)), "s0*s1 == 4*s2");
  // One fact, one node: s0 > 1 is s0 >= 2, and 2*s0 <= 5 is s0 <= 2 (ints).
  EXPECT_EQ(c.gt(s0, k(1)), c.ge(s0, k(2)));
  EXPECT_EQ(c.le(c.mul(k(2), s0), k(5)), c.le(s0, k(2)));
  EXPECT_EQ(c.eq(s0, s1), c.eq(s1, s0));
  EXPECT_EQ(c.eq(c.mul(k(2), s0), k(4)), c.eq(s0, k(2)));
  EXPECT_EQ(c.eq(c.mul(k(2), s0), k(3)), k(0));  // never: an even number is not 3
  EXPECT_EQ(c.ne(c.mul(k(2), s0), k(3)), k(1));
  EXPECT_EQ(c.ge(k(3), k(2)), k(1));
  // not flips a comparison into another comparison.
  EXPECT_EQ(c.logical_not(c.ge(s0, k(2))), c.lt(s0, k(2)));
  EXPECT_EQ(c.logical_not(c.eq(s0, s1)), c.ne(s0, s1));
  EXPECT_EQ(c.logical_not(c.logical_not(c.ge(s0, k(2)))), c.ge(s0, k(2)));
}

TEST(SymExpr, LogicFoldsConstantsAndPrints) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1);
  SymId big = c.ge(s0, c.constant(2)), same = c.eq(s0, s1);
  EXPECT_EQ(c.logical_and(c.constant(1), big), big);
  EXPECT_EQ(c.logical_and(c.constant(0), big), c.constant(0));
  EXPECT_EQ(c.logical_or(c.constant(1), big), c.constant(1));
  EXPECT_EQ(c.logical_and(big, same), c.logical_and(same, big));
  EXPECT_EQ(c.print(c.logical_and(big, same)), "s0 >= 2 and s0 == s1");
  EXPECT_EQ(c.print(c.logical_or(c.logical_and(big, same), c.ne(s1, c.constant(3)))),
            "(s0 >= 2 and s0 == s1) or s1 != 3");
}

TEST(SymExpr, EvaluationIsExactUnderBindings) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1);
  auto k = [&](int64_t v) { return c.constant(v); };
  SymId e = c.add(c.mul(s0, s1), c.floordiv(c.sub(s0, k(7)), k(2)));  // s0*s1 + (s0 - 7) // 2
  const std::vector<int64_t> bindings = {3, 5};
  auto value = c.evaluate(e, bindings);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 3 * 5 + (-4) / 2);
  EXPECT_EQ(*c.evaluate(c.mod(c.neg(s0), k(4)), bindings), 1);  // -3 % 4 == 1
  EXPECT_EQ(*c.evaluate(c.logical_and(c.ge(s0, k(2)), c.lt(s1, s0)), bindings), 0);
  EXPECT_EQ(*c.evaluate(c.max(s0, s1), bindings), 5);
  // Overflow is an error, never a wrapped value.
  const std::vector<int64_t> huge = {std::numeric_limits<int64_t>::max() / 2 + 1, 2};
  auto overflowed = c.evaluate(c.mul(s0, s1), huge);
  ASSERT_FALSE(overflowed.ok());
  EXPECT_EQ(overflowed.error().kind, ErrorKind::OverflowError);
  // A symbol without a binding is an error too.
  EXPECT_FALSE(c.evaluate(c.symbol(4), bindings).ok());
}

TEST(SymExpr, EveryRewriteKeepsTheValue) {
  // The canonical forms must not change what an expression means: compare each built
  // expression with the same formula computed directly, on a grid of bindings.
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1);
  auto k = [&](int64_t v) { return c.constant(v); };
  struct Case {
    SymId expression;
    int64_t (*direct)(int64_t, int64_t);
  };
  const Case cases[] = {
      {c.sub(c.add(c.mul(k(3), s0), s1), c.mul(k(2), c.add(s0, s1))),
       [](int64_t a, int64_t b) { return 3 * a + b - 2 * (a + b); }},
      {c.mul(c.add(s0, k(1)), c.sub(s1, k(2))),
       [](int64_t a, int64_t b) { return (a + 1) * (b - 2); }},
      {c.le(c.mul(k(2), s0), c.add(s1, k(5))),
       [](int64_t a, int64_t b) -> int64_t { return 2 * a <= b + 5; }},
      {c.logical_not(c.lt(c.mul(k(3), s0), c.mul(k(6), s1))),
       [](int64_t a, int64_t b) -> int64_t { return !(3 * a < 6 * b); }},
      {c.eq(c.mul(k(4), s0), c.add(c.mul(k(2), s1), k(6))),
       [](int64_t a, int64_t b) -> int64_t { return 4 * a == 2 * b + 6; }},
      {c.ne(c.mul(k(-2), s0), c.mul(k(4), s1)),
       [](int64_t a, int64_t b) -> int64_t { return -2 * a != 4 * b; }},
  };
  for (int64_t a = -9; a <= 9; ++a)
    for (int64_t b = -9; b <= 9; ++b)
      for (const Case& test : cases) {
        const std::vector<int64_t> bindings = {a, b};
        auto value = c.evaluate(test.expression, bindings);
        ASSERT_TRUE(value.ok()) << c.print(test.expression);
        EXPECT_EQ(*value, test.direct(a, b))
            << c.print(test.expression) << " at " << a << ", " << b;
      }
}

}  // namespace
