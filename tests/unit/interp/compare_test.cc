// Ordering comparisons (< <= > >=): numbers exactly across int/float, strings, lexicographic
// lists and tuples, NaN unordered, and CPython's TypeError for kinds with no order.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "interp/objects.h"
#include "interp/python_ops.h"
#include "tests/unit/interp/interp_test_util.h"
#include "tests/unit/test_support.h"

namespace gyro {
namespace {

using gyro::testing::kInt64Max;
using gyro::testing::kNaN;
using gyro::testing::list;
using gyro::testing::num;
using gyro::testing::real;
using gyro::testing::text;
using gyro::testing::tuple;

std::string cmp(const Value& a, CompareOp op, const Value& b) {
  Expected<Value> result = compare_op(op, a, b);
  if (!result.ok()) return result.error().to_string();
  EXPECT_TRUE(result->is_bool()) << repr(*result);
  return repr(*result);
}

TEST(Compare, Numbers) {
  EXPECT_EQ(cmp(num(1), CompareOp::LT, num(2)), "True");
  EXPECT_EQ(cmp(num(2), CompareOp::LE, num(2)), "True");
  EXPECT_EQ(cmp(num(2), CompareOp::LT, num(2)), "False");
  EXPECT_EQ(cmp(num(3), CompareOp::GT, real(2.5)), "True");
  EXPECT_EQ(cmp(real(2.5), CompareOp::GE, num(3)), "False");
  EXPECT_EQ(cmp(Value::boolean(true), CompareOp::LT, num(2)), "True");
  EXPECT_EQ(cmp(Value::boolean(false), CompareOp::LT, Value::boolean(true)), "True");
  EXPECT_EQ(cmp(real(-0.0), CompareOp::LT, real(0.0)), "False");
  EXPECT_EQ(cmp(num(-1), CompareOp::LT, real(-0.5)), "True");
  EXPECT_EQ(cmp(num(0), CompareOp::GT, real(-0.5)), "True");
}

TEST(Compare, IntAgainstFloatIsExact) {
  const Value two_53 = real(9007199254740992.0);
  EXPECT_EQ(cmp(num((int64_t{1} << 53) + 1), CompareOp::GT, two_53), "True");
  EXPECT_EQ(cmp(two_53, CompareOp::LT, num((int64_t{1} << 53) + 1)), "True");
  EXPECT_EQ(cmp(num(kInt64Max), CompareOp::LT, real(9223372036854775808.0)), "True");
  EXPECT_EQ(cmp(num(kInt64Max), CompareOp::LT, real(1e300)), "True");
  EXPECT_EQ(cmp(num(kInt64Max), CompareOp::GT, real(-1e300)), "True");
}

TEST(Compare, NaNIsUnordered) {
  const Value nan = real(kNaN);
  for (CompareOp op : {CompareOp::LT, CompareOp::LE, CompareOp::GT, CompareOp::GE}) {
    EXPECT_EQ(cmp(nan, op, num(1)), "False") << compare_symbol(op);
    EXPECT_EQ(cmp(num(1), op, nan), "False") << compare_symbol(op);
    EXPECT_EQ(cmp(nan, op, nan), "False") << compare_symbol(op);
  }
  EXPECT_EQ(cmp(list({nan}), CompareOp::LT, list({nan})), "False");
  EXPECT_EQ(cmp(list({num(1), nan}), CompareOp::LT, list({num(1), num(2)})), "False");
}

TEST(Compare, StringsByCodePoint) {
  EXPECT_EQ(cmp(text("abc"), CompareOp::LT, text("abd")), "True");
  EXPECT_EQ(cmp(text("ab"), CompareOp::LT, text("abc")), "True");
  EXPECT_EQ(cmp(text("b"), CompareOp::GT, text("abc")), "True");
  EXPECT_EQ(cmp(text("B"), CompareOp::LT, text("a")), "True");
  EXPECT_EQ(cmp(text(""), CompareOp::LE, text("")), "True");
  EXPECT_EQ(cmp(text("a"), CompareOp::LT, text("\xc3\xa9")), "True");  // 'a' < 'é'
}

TEST(Compare, ListsAndTuplesLexicographically) {
  EXPECT_EQ(cmp(list({num(1), num(2)}), CompareOp::LT, list({num(1), num(3)})), "True");
  EXPECT_EQ(cmp(list({num(1), num(2)}), CompareOp::LT, list({num(1), num(2), num(0)})), "True");
  EXPECT_EQ(cmp(list({}), CompareOp::LT, list({num(0)})), "True");
  EXPECT_EQ(cmp(list({num(1), num(2)}), CompareOp::LE, list({num(1), num(2)})), "True");
  EXPECT_EQ(cmp(list({num(1), real(2.0)}), CompareOp::GE, list({num(1), num(2)})), "True");
  EXPECT_EQ(cmp(tuple({num(1), text("a")}), CompareOp::LT, tuple({num(1), text("b")})), "True");
  EXPECT_EQ(cmp(tuple({num(2)}), CompareOp::GT, tuple({num(1), num(99)})), "True");
  EXPECT_EQ(cmp(tuple({tuple({num(1)})}), CompareOp::LT, tuple({tuple({num(1), num(0)})})), "True");
}

TEST(Compare, KindsWithoutOrderRaiseTypeError) {
  EXPECT_EQ(cmp(num(1), CompareOp::LT, text("a")),
            "TypeError: '<' not supported between instances of 'int' and 'str'");
  EXPECT_EQ(cmp(text("a"), CompareOp::LT, num(1)),
            "TypeError: '<' not supported between instances of 'str' and 'int'");
  EXPECT_EQ(cmp(list({num(1)}), CompareOp::LT, tuple({num(1)})),
            "TypeError: '<' not supported between instances of 'list' and 'tuple'");
  EXPECT_EQ(cmp(Value(), CompareOp::LT, Value()),
            "TypeError: '<' not supported between instances of 'NoneType' and 'NoneType'");
  EXPECT_EQ(cmp(make_dict(), CompareOp::LT, make_dict()),
            "TypeError: '<' not supported between instances of 'dict' and 'dict'");
  EXPECT_EQ(cmp(num(1), CompareOp::LE, Value()),
            "TypeError: '<=' not supported between instances of 'int' and 'NoneType'");
  EXPECT_EQ(cmp(text("a"), CompareOp::GE, list({})),
            "TypeError: '>=' not supported between instances of 'str' and 'list'");
  EXPECT_EQ(cmp(num(1), CompareOp::GT, text("a")),
            "TypeError: '>' not supported between instances of 'int' and 'str'");
}

TEST(Compare, ItemsWithoutOrderInsideSequences) {
  // [1] < ['a']: the first differing items decide, and they cannot be ordered.
  EXPECT_EQ(cmp(list({num(1)}), CompareOp::LT, list({text("a")})),
            "TypeError: '<' not supported between instances of 'int' and 'str'");
  // Equal prefixes never compare the unorderable tail: [None] < [None, 1] is True.
  EXPECT_EQ(cmp(list({Value()}), CompareOp::LT, list({Value(), num(1)})), "True");
}

TEST(Compare, EqualityBetweenDifferentKindsIsFalseNotAnError) {
  EXPECT_EQ(cmp(num(1), CompareOp::EQ, text("a")), "False");
  EXPECT_EQ(cmp(num(1), CompareOp::NE, text("a")), "True");
  EXPECT_EQ(cmp(text("a"), CompareOp::EQ, list({})), "False");
  EXPECT_EQ(cmp(Value(), CompareOp::EQ, Value()), "True");
  EXPECT_EQ(cmp(Value(), CompareOp::NE, Value()), "False");
  EXPECT_EQ(cmp(list({}), CompareOp::EQ, tuple({})), "False");
  EXPECT_EQ(cmp(list({num(1)}), CompareOp::NE, list({num(1)})), "False");
}

}  // namespace
}  // namespace gyro
