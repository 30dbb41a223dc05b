// Compiled shape relations (the call path's SHAPE checks) agree with SymContext::evaluate,
// overflow and division by zero included, and the commonest shapes compile to few steps.
#include "guards/shape_check.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "random_guards.h"

using namespace gyro;
using namespace gyro::guards;

namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

bool evaluates_true(const SymContext& c, SymId relation, const std::vector<int64_t>& bindings) {
  auto value = c.evaluate(relation, bindings);
  return value.ok() && value.value() != 0;
}

bool compiled_true(const SymContext& c, SymId relation, std::vector<int64_t> bindings) {
  auto code = compile_relation(c, relation);
  EXPECT_TRUE(code.has_value()) << c.print(relation);
  bindings.resize(kMaxShapeSymbols, kUnbound);
  const bool holds = relation_holds(*code, bindings.data());
  // The hit path's inline form of one-step bounds answers the same.
  EXPECT_EQ(relation_holds_fast(*code, bindings.data()), holds) << c.print(relation);
  return holds;
}

}  // namespace

TEST(ShapeCheck, BoundsAndProductsTakeFewSteps) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1), s2 = c.symbol(2);
  auto k = [&](int64_t v) { return c.constant(v); };
  EXPECT_EQ(compile_relation(c, c.ge(s0, k(2)))->size(), 1u);
  EXPECT_EQ(compile_relation(c, c.le(s1, k(64)))->size(), 1u);
  // s2 - s0*s1 == 0: s2, s0, s1, mul, add -1 times, == 0.
  EXPECT_EQ(compile_relation(c, c.eq(c.mul(s0, s1), s2))->size(), 6u);
}

TEST(ShapeCheck, AgreesWithEvaluateAtTheInt64Edges) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1), s2 = c.symbol(2);
  auto k = [&](int64_t v) { return c.constant(v); };
  std::vector<SymId> relations;
  for (int64_t bound : {kMin, kMin + 1, int64_t{-5}, int64_t{0}, int64_t{2}, kMax - 1, kMax}) {
    relations.push_back(c.ge(s0, k(bound)));
    relations.push_back(c.le(s0, k(bound)));
    relations.push_back(c.le(c.add(s0, s1), k(bound)));
    relations.push_back(c.eq(c.mul(s0, s1), c.add(s2, k(bound))));
  }
  relations.push_back(c.eq(c.mul(s0, s1), s2));
  relations.push_back(c.eq(c.mod(c.mul(s0, s1), k(4)), k(0)));
  relations.push_back(c.ge(c.floordiv(s1, s0), k(2)));
  // (kMin itself is the call path's "unbound" binding: an int argument of that value misses, so
  // it is only a bound here, never a value.)
  const std::vector<int64_t> values = {kMin + 1, kMin + 2, -2, 0, 1, 2, 3, 8, kMax - 1, kMax};
  for (SymId relation : relations)
    for (int64_t a : values)
      for (int64_t b : values)
        for (int64_t d : {int64_t{0}, int64_t{6}, kMax}) {
          const std::vector<int64_t> bindings = {a, b, d};
          EXPECT_EQ(compiled_true(c, relation, bindings), evaluates_true(c, relation, bindings))
              << c.print(relation) << " at " << a << ", " << b << ", " << d;
        }
}

TEST(ShapeCheck, AgreesWithEvaluateOnRandomRelations) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    SymContext c;
    const auto set = gyro::testing::random_guard_set(c, 30, 500 + trial, 0.3);
    for (int sample = 0; sample < 200; ++sample) {
      std::vector<int64_t> bindings = gyro::testing::random_binding(set.hints, rng);
      for (int64_t& value : bindings)
        if (value == kUnbound) value = 0;  // -1 means "not bound" to the compiled form
      for (SymId relation : set.guards)
        ASSERT_EQ(compiled_true(c, relation, bindings), evaluates_true(c, relation, bindings))
            << c.print(relation);
    }
  }
}
