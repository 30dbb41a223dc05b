// `item in container` for str, list, tuple, dict and range, and CPython's TypeErrors.
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
using gyro::testing::kInt64Min;
using gyro::testing::kNaN;
using gyro::testing::list;
using gyro::testing::num;
using gyro::testing::real;
using gyro::testing::text;
using gyro::testing::tuple;

// "True", "False" or "Kind: message".
std::string in(const Value& item, const Value& container) {
  Expected<bool> result = contains(container, item);
  if (!result.ok()) return result.error().to_string();
  return *result ? "True" : "False";
}

TEST(Contains, SubstringOfStr) {
  EXPECT_EQ(in(text("b"), text("abc")), "True");
  EXPECT_EQ(in(text(""), text("abc")), "True");
  EXPECT_EQ(in(text(""), text("")), "True");
  EXPECT_EQ(in(text("bc"), text("abc")), "True");
  EXPECT_EQ(in(text("ac"), text("abc")), "False");
  EXPECT_EQ(in(text("abcd"), text("abc")), "False");
}

TEST(Contains, StrNeedsAStrOnTheLeft) {
  EXPECT_EQ(in(num(1), text("abc")),
            "TypeError: 'in <string>' requires string as left operand, not int");
  EXPECT_EQ(in(list({}), text("abc")),
            "TypeError: 'in <string>' requires string as left operand, not list");
  EXPECT_EQ(in(Value(), text("abc")),
            "TypeError: 'in <string>' requires string as left operand, not NoneType");
}

TEST(Contains, ListAndTupleUseEquality) {
  EXPECT_EQ(in(num(1), list({num(1), num(2)})), "True");
  EXPECT_EQ(in(real(1.0), list({num(1), num(2)})), "True");
  EXPECT_EQ(in(Value::boolean(true), list({num(1)})), "True");
  EXPECT_EQ(in(text("1"), list({num(1)})), "False");
  EXPECT_EQ(in(list({num(1)}), list({list({num(1)})})), "True");
  EXPECT_EQ(in(num(2), tuple({num(1), num(2)})), "True");
  EXPECT_EQ(in(num(3), tuple({num(1), num(2)})), "False");
  EXPECT_EQ(in(num(1), list({})), "False");
  EXPECT_EQ(in(Value(), list({Value()})), "True");
  // Exact int/float equality: 2**53 + 1 in [float(2**53)] is False.
  EXPECT_EQ(in(num((int64_t{1} << 53) + 1), list({real(9007199254740992.0)})), "False");
}

TEST(Contains, ListMembershipChecksIdentityFirst) {
  // x = float('nan'); x in [x] is True (identity), though x == x is False.
  Value nan = real(kNaN);
  EXPECT_EQ(in(nan, list({nan})), "True");
  Value box = make_tensor(Tensor::integer(1));
  EXPECT_EQ(in(box, list({num(0), box})), "True");
}

TEST(Contains, DictLooksUpKeys) {
  Value dict = make_dict();
  ASSERT_TRUE(dict.as<DictObject>().table.set(num(1), num(2)).ok());
  EXPECT_EQ(in(num(1), dict), "True");
  EXPECT_EQ(in(num(2), dict), "False");  // values are not members
  EXPECT_EQ(in(real(1.0), dict), "True");
  EXPECT_EQ(in(Value::boolean(true), dict), "True");
  EXPECT_EQ(in(list({}), dict), "TypeError: unhashable type: 'list'");
  EXPECT_EQ(in(list({}), make_dict()), "TypeError: unhashable type: 'list'");
}

TEST(Contains, RangeWithPositiveStep) {
  EXPECT_EQ(in(num(3), make_range(0, 10, 1)), "True");
  EXPECT_EQ(in(num(0), make_range(0, 10, 1)), "True");
  EXPECT_EQ(in(num(10), make_range(0, 10, 1)), "False");
  EXPECT_EQ(in(num(-1), make_range(0, 10, 1)), "False");
  EXPECT_EQ(in(num(4), make_range(0, 10, 2)), "True");
  EXPECT_EQ(in(num(5), make_range(0, 10, 2)), "False");
  EXPECT_EQ(in(num(-3), make_range(-7, 0, 2)), "True");
  EXPECT_EQ(in(num(-4), make_range(-7, 0, 2)), "False");
}

TEST(Contains, RangeWithNegativeStep) {
  EXPECT_EQ(in(num(5), make_range(10, 0, -1)), "True");
  EXPECT_EQ(in(num(10), make_range(10, 0, -1)), "True");
  EXPECT_EQ(in(num(0), make_range(10, 0, -1)), "False");
  EXPECT_EQ(in(num(11), make_range(10, 0, -1)), "False");
  EXPECT_EQ(in(num(7), make_range(10, 0, -3)), "True");
  EXPECT_EQ(in(num(6), make_range(10, 0, -3)), "False");
  EXPECT_EQ(in(num(1), make_range(10, 0, -3)), "True");
  EXPECT_EQ(in(num(-2), make_range(10, -5, -3)), "True");
}

TEST(Contains, RangeWithFloatsBoolsAndOtherKinds) {
  EXPECT_EQ(in(real(3.0), make_range(0, 5, 1)), "True");
  EXPECT_EQ(in(real(3.5), make_range(0, 5, 1)), "False");
  EXPECT_EQ(in(real(10.0), make_range(12, 0, -2)), "True");
  EXPECT_EQ(in(real(kNaN), make_range(0, 5, 1)), "False");
  EXPECT_EQ(in(Value::boolean(true), make_range(0, 2, 1)), "True");
  EXPECT_EQ(in(text("a"), make_range(0, 5, 1)), "False");
  EXPECT_EQ(in(Value(), make_range(0, 3, 1)), "False");
}

TEST(Contains, RangeSpanningMostOfInt64) {
  EXPECT_EQ(in(num(kInt64Max - 1), make_range(kInt64Min, kInt64Max, 1)), "True");
  // 1 - (-2**63) does not fit in int64; (1 + 2**63) % 3 == 0 so 1 is a member.
  EXPECT_EQ(in(num(1), make_range(kInt64Min, kInt64Max, 3)), "True");
}

TEST(Contains, RangeWithLargeIntegralFloats) {
  // 9.2e18 in range(9199999999999999998, 9200000000000000010) is True in CPython.
  EXPECT_EQ(in(real(9.2e18), make_range(9199999999999999998, 9200000000000000010, 1)), "True");
  EXPECT_EQ(in(real(-9223372036854775808.0), make_range(kInt64Min, kInt64Min + 10, 1)), "True");
}

TEST(Contains, NonContainersAreNotIterable) {
  EXPECT_EQ(in(num(1), num(5)), "TypeError: argument of type 'int' is not iterable");
  EXPECT_EQ(in(num(1), Value()), "TypeError: argument of type 'NoneType' is not iterable");
  EXPECT_EQ(in(num(1), real(2.5)), "TypeError: argument of type 'float' is not iterable");
  EXPECT_EQ(in(num(1), Value::boolean(true)), "TypeError: argument of type 'bool' is not iterable");
  EXPECT_EQ(in(num(1), make_slice(Value(), num(1), Value())),
            "TypeError: argument of type 'slice' is not iterable");
}

}  // namespace
}  // namespace gyro
