// gyro's documented deviation: ints are 64-bit and a result outside int64 is an OverflowError
// (CPython would switch to a big integer); results that fit stay exact up to the boundary.
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "interp/objects.h"
#include "interp/python_ops.h"
#include "tests/unit/interp/interp_test_util.h"
#include "tests/unit/test_support.h"

namespace gyro {
namespace {

using gyro::testing::fails_with;
using gyro::testing::kInt64Max;
using gyro::testing::kInt64Min;
using gyro::testing::num;
using gyro::testing::show;

::testing::AssertionResult overflows(const Expected<Value>& result) {
  return fails_with(result, ErrorKind::OverflowError, "integer overflow");
}

TEST(IntOverflow, AddSubtractMultiply) {
  EXPECT_TRUE(overflows(binary_op(Binop::ADD, num(kInt64Max), num(1))));
  EXPECT_TRUE(overflows(binary_op(Binop::INPLACE_ADD, num(kInt64Max), num(1))));
  EXPECT_TRUE(overflows(binary_op(Binop::SUBTRACT, num(kInt64Min), num(1))));
  EXPECT_TRUE(overflows(binary_op(Binop::MULTIPLY, num(kInt64Max), num(2))));
  EXPECT_TRUE(overflows(binary_op(Binop::MULTIPLY, num(kInt64Min), num(-1))));
  EXPECT_TRUE(overflows(binary_op(Binop::ADD, num(kInt64Max), Value::boolean(true))));
}

TEST(IntOverflow, FloorDivisionOfMinByMinusOne) {
  EXPECT_TRUE(overflows(binary_op(Binop::FLOOR_DIVIDE, num(kInt64Min), num(-1))));
  EXPECT_EQ(show(binary_op(Binop::REMAINDER, num(kInt64Min), num(-1))), "0");
}

TEST(IntOverflow, NegatingMin) {
  EXPECT_TRUE(overflows(unary_negative(num(kInt64Min))));
  EXPECT_EQ(show(unary_negative(num(kInt64Max))), "-9223372036854775807");
  EXPECT_EQ(show(unary_invert(num(kInt64Min))), "9223372036854775807");
}

TEST(IntOverflow, PowerPastInt64) {
  EXPECT_TRUE(overflows(binary_op(Binop::POWER, num(2), num(63))));
  EXPECT_TRUE(overflows(binary_op(Binop::POWER, num(-2), num(64))));
  EXPECT_TRUE(overflows(binary_op(Binop::POWER, num(3), num(40))));
  EXPECT_TRUE(overflows(binary_op(Binop::POWER, num(10), num(1000))));
  EXPECT_EQ(show(binary_op(Binop::POWER, num(-2), num(63))), "-9223372036854775808");
  EXPECT_EQ(show(binary_op(Binop::POWER, num(3), num(39))), "4052555153018976267");
  EXPECT_EQ(show(binary_op(Binop::POWER, num(-1), num(kInt64Max))), "-1");
  EXPECT_EQ(show(binary_op(Binop::POWER, num(1), num(kInt64Max))), "1");
}

TEST(IntOverflow, LeftShiftPastInt64) {
  EXPECT_TRUE(overflows(binary_op(Binop::LSHIFT, num(1), num(63))));
  EXPECT_TRUE(overflows(binary_op(Binop::LSHIFT, num(1), num(64))));
  EXPECT_TRUE(overflows(binary_op(Binop::LSHIFT, num(3), num(62))));
  EXPECT_TRUE(overflows(binary_op(Binop::LSHIFT, num(-3), num(62))));
  EXPECT_EQ(show(binary_op(Binop::LSHIFT, num(-(int64_t{1} << 62)), num(1))),
            "-9223372036854775808");
  EXPECT_EQ(show(binary_op(Binop::RSHIFT, num(kInt64Min), num(63))), "-1");
}

TEST(IntOverflow, MinusOneShiftedBy63FitsExactly) {
  // (-1) << 63 == -9223372036854775808, which is INT64_MIN: no overflow.
  EXPECT_EQ(show(binary_op(Binop::LSHIFT, num(-1), num(63))), "-9223372036854775808");
}

TEST(IntOverflow, BoundaryResultsThatFit) {
  EXPECT_EQ(show(binary_op(Binop::ADD, num(kInt64Max), num(kInt64Min))), "-1");
  EXPECT_EQ(show(binary_op(Binop::SUBTRACT, num(-1), num(kInt64Max))), "-9223372036854775808");
  EXPECT_EQ(show(binary_op(Binop::MULTIPLY, num(kInt64Min), num(1))), "-9223372036854775808");
  EXPECT_EQ(show(binary_op(Binop::FLOOR_DIVIDE, num(kInt64Min), num(2))), "-4611686018427387904");
}

}  // namespace
}  // namespace gyro
