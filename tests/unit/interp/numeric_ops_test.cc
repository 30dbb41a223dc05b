// Binary and unary operators on bool, int and float: CPython 3.11's results, result types
// (read from repr: "2" vs "2.0" vs "True") and exception messages.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "interp/objects.h"
#include "interp/python_ops.h"
#include "tests/unit/interp/interp_test_util.h"
#include "tests/unit/test_support.h"

namespace gyro {
namespace {

using gyro::testing::kInf;
using gyro::testing::kInt64Min;
using gyro::testing::num;
using gyro::testing::real;
using gyro::testing::show;

Value boolean(bool v) {
  return Value::boolean(v);
}

struct Case {
  Value left;
  Binop op;
  Value right;
  std::string expected;
};

void check(const std::vector<Case>& cases) {
  for (const Case& c : cases)
    EXPECT_EQ(show(binary_op(c.op, c.left, c.right)), c.expected)
        << repr(c.left) << " " << binop_symbol(c.op) << " " << repr(c.right);
}

TEST(IntOps, EveryOperator) {
  check({
      {num(7), Binop::ADD, num(2), "9"},
      {num(7), Binop::SUBTRACT, num(2), "5"},
      {num(7), Binop::MULTIPLY, num(2), "14"},
      {num(7), Binop::TRUE_DIVIDE, num(2), "3.5"},
      {num(7), Binop::FLOOR_DIVIDE, num(2), "3"},
      {num(7), Binop::REMAINDER, num(2), "1"},
      {num(7), Binop::POWER, num(2), "49"},
      {num(7), Binop::AND, num(2), "2"},
      {num(7), Binop::OR, num(2), "7"},
      {num(7), Binop::XOR, num(2), "5"},
      {num(7), Binop::LSHIFT, num(2), "28"},
      {num(7), Binop::RSHIFT, num(2), "1"},
      {num(1), Binop::MATRIX_MULTIPLY, num(2),
       "TypeError: unsupported operand type(s) for @: 'int' and 'int'"},
  });
}

TEST(IntOps, FloorDivisionAndModuloFollowTheDivisorsSign) {
  check({
      {num(-7), Binop::FLOOR_DIVIDE, num(2), "-4"},
      {num(-7), Binop::REMAINDER, num(2), "1"},
      {num(7), Binop::FLOOR_DIVIDE, num(-2), "-4"},
      {num(7), Binop::REMAINDER, num(-2), "-1"},
      {num(-7), Binop::FLOOR_DIVIDE, num(-2), "3"},
      {num(-7), Binop::REMAINDER, num(-2), "-1"},
      {num(6), Binop::FLOOR_DIVIDE, num(-3), "-2"},
      {num(6), Binop::REMAINDER, num(-3), "0"},
      {num(kInt64Min), Binop::REMAINDER, num(-1), "0"},
      {num(kInt64Min), Binop::FLOOR_DIVIDE, num(1), "-9223372036854775808"},
  });
}

TEST(IntOps, TrueDivisionGivesAFloat) {
  check({
      {num(6), Binop::TRUE_DIVIDE, num(3), "2.0"},
      {num(1), Binop::TRUE_DIVIDE, num(3), "0.3333333333333333"},
      {num(-1), Binop::TRUE_DIVIDE, num(3), "-0.3333333333333333"},
      {num(0), Binop::TRUE_DIVIDE, num(-5), "-0.0"},
      {num(9223372036854775807), Binop::TRUE_DIVIDE, num(1), "9.223372036854776e+18"},
  });
}

TEST(IntOps, TrueDivisionOfLargeIntsIsCorrectlyRounded) {
  // CPython divides the exact integers and rounds once; converting each operand to double
  // first rounds three times and can be one ulp off.
  check({
      {num(-931725450029404348), Binop::TRUE_DIVIDE, num(-3501332431411006492),
       "0.2661059663089252"},
      {num(4813636180488882345), Binop::TRUE_DIVIDE, num(-2672763602704157432),
       "-1.8009958589748476"},
  });
}

TEST(IntOps, PowerWithNegativeExponentGivesAFloat) {
  check({
      {num(2), Binop::POWER, num(-1), "0.5"},
      {num(2), Binop::POWER, num(-2), "0.25"},
      {num(-2), Binop::POWER, num(-1), "-0.5"},
      {num(-2), Binop::POWER, num(3), "-8"},
      {num(0), Binop::POWER, num(0), "1"},
      {num(2), Binop::POWER, num(62), "4611686018427387904"},
      {num(0), Binop::POWER, num(-1),
       "ZeroDivisionError: 0.0 cannot be raised to a negative power"},
  });
}

TEST(IntOps, Shifts) {
  check({
      {num(1), Binop::LSHIFT, num(62), "4611686018427387904"},
      {num(-8), Binop::RSHIFT, num(1), "-4"},
      {num(-1), Binop::RSHIFT, num(100), "-1"},
      {num(5), Binop::RSHIFT, num(100), "0"},
      {num(0), Binop::LSHIFT, num(1000), "0"},
      {num(1), Binop::LSHIFT, num(-1), "ValueError: negative shift count"},
      {num(1), Binop::RSHIFT, num(-1), "ValueError: negative shift count"},
  });
}

TEST(MixedOps, IntWithFloatGivesAFloat) {
  check({
      {num(7), Binop::ADD, real(2.5), "9.5"},
      {num(7), Binop::SUBTRACT, real(2.5), "4.5"},
      {num(7), Binop::MULTIPLY, real(2.5), "17.5"},
      {num(7), Binop::TRUE_DIVIDE, real(2.5), "2.8"},
      {num(7), Binop::FLOOR_DIVIDE, real(2.5), "2.0"},
      {num(7), Binop::REMAINDER, real(2.5), "2.0"},
      {num(2), Binop::POWER, real(0.5), "1.4142135623730951"},
      {real(7.5), Binop::ADD, num(2), "9.5"},
      {real(-7.5), Binop::FLOOR_DIVIDE, num(2), "-4.0"},
      {real(-7.5), Binop::REMAINDER, num(2), "0.5"},
      {real(7.5), Binop::FLOOR_DIVIDE, num(-2), "-4.0"},
      {real(7.5), Binop::REMAINDER, num(-2), "-0.5"},
      {num(7), Binop::TRUE_DIVIDE, real(-0.5), "-14.0"},
  });
}

TEST(MixedOps, BitwiseOperatorsRejectFloats) {
  check({
      {num(7), Binop::AND, real(2.0),
       "TypeError: unsupported operand type(s) for &: 'int' and 'float'"},
      {real(7.0), Binop::OR, num(2),
       "TypeError: unsupported operand type(s) for |: 'float' and 'int'"},
      {real(1.0), Binop::LSHIFT, num(2),
       "TypeError: unsupported operand type(s) for <<: 'float' and 'int'"},
      {real(1.0), Binop::XOR, real(1.0),
       "TypeError: unsupported operand type(s) for ^: 'float' and 'float'"},
      {real(1.0), Binop::MATRIX_MULTIPLY, real(1.0),
       "TypeError: unsupported operand type(s) for @: 'float' and 'float'"},
  });
}

TEST(FloatOps, FloorDivisionAndModuloFollowTheDivisorsSign) {
  check({
      {real(-7.5), Binop::FLOOR_DIVIDE, real(2.0), "-4.0"},
      {real(-7.5), Binop::REMAINDER, real(2.0), "0.5"},
      {real(7.5), Binop::FLOOR_DIVIDE, real(-2.0), "-4.0"},
      {real(7.5), Binop::REMAINDER, real(-2.0), "-0.5"},
      {real(-1.0), Binop::FLOOR_DIVIDE, real(3.0), "-1.0"},
  });
}

TEST(FloatOps, SignedZeros) {
  check({
      {real(0.0), Binop::REMAINDER, real(-2.0), "-0.0"},
      {real(-0.0), Binop::REMAINDER, real(2.0), "0.0"},
      {real(-0.0), Binop::FLOOR_DIVIDE, real(1.0), "-0.0"},
      {real(0.0), Binop::FLOOR_DIVIDE, real(-1.0), "-0.0"},
      {real(-0.0), Binop::ADD, real(0.0), "0.0"},
      {real(-0.0), Binop::ADD, real(-0.0), "-0.0"},
  });
}

TEST(FloatOps, PowerAndInfinities) {
  check({
      {real(-8.0), Binop::POWER, real(2.0), "64.0"},
      {real(2.0), Binop::POWER, real(-1.0), "0.5"},
      {real(0.0), Binop::POWER, real(0.0), "1.0"},
      {real(kInf), Binop::POWER, real(2.0), "inf"},
      {real(1e308), Binop::MULTIPLY, num(10), "inf"},
      {real(10.0), Binop::POWER, real(400.0),
       "OverflowError: (34, 'Numerical result out of range')"},
      {real(0.0), Binop::POWER, num(-1),
       "ZeroDivisionError: 0.0 cannot be raised to a negative power"},
  });
}

TEST(FloatOps, NegativeBaseToFractionalPowerIsValueError) {
  // A documented deviation: CPython returns a complex number; gyro has none.
  EXPECT_TRUE(testing::fails_with(binary_op(Binop::POWER, real(-8.0), real(1.0 / 3.0)),
                                  ErrorKind::ValueError,
                                  "negative number cannot be raised to a fractional power"));
  EXPECT_TRUE(testing::fails_with(binary_op(Binop::POWER, num(-8), real(0.5)),
                                  ErrorKind::ValueError,
                                  "negative number cannot be raised to a fractional power"));
}

TEST(BoolOps, ArithmeticGivesIntsBitwiseKeepsBool) {
  Value t = boolean(true), f = boolean(false);
  check({
      {t, Binop::ADD, t, "2"},
      {t, Binop::SUBTRACT, f, "1"},
      {t, Binop::MULTIPLY, num(3), "3"},
      {t, Binop::TRUE_DIVIDE, t, "1.0"},
      {t, Binop::FLOOR_DIVIDE, t, "1"},
      {t, Binop::REMAINDER, t, "0"},
      {t, Binop::POWER, t, "1"},
      {t, Binop::AND, f, "False"},
      {t, Binop::OR, f, "True"},
      {t, Binop::XOR, t, "False"},
      {t, Binop::INPLACE_AND, t, "True"},
      {t, Binop::AND, num(1), "1"},
      {t, Binop::LSHIFT, t, "2"},
      {t, Binop::ADD, real(0.5), "1.5"},
  });
}

TEST(ZeroDivision, EveryMessage) {
  check({
      {num(7), Binop::TRUE_DIVIDE, num(0), "ZeroDivisionError: division by zero"},
      {num(7), Binop::FLOOR_DIVIDE, num(0),
       "ZeroDivisionError: integer division or modulo by zero"},
      {num(7), Binop::INPLACE_FLOOR_DIVIDE, num(0),
       "ZeroDivisionError: integer division or modulo by zero"},
      {boolean(true), Binop::FLOOR_DIVIDE, boolean(false),
       "ZeroDivisionError: integer division or modulo by zero"},
      {real(7.0), Binop::TRUE_DIVIDE, num(0), "ZeroDivisionError: float division by zero"},
      {num(7), Binop::TRUE_DIVIDE, real(0.0), "ZeroDivisionError: float division by zero"},
      {real(0.0), Binop::TRUE_DIVIDE, real(0.0), "ZeroDivisionError: float division by zero"},
      {real(7.0), Binop::FLOOR_DIVIDE, num(0), "ZeroDivisionError: float floor division by zero"},
      {real(7.5), Binop::FLOOR_DIVIDE, real(-0.0),
       "ZeroDivisionError: float floor division by zero"},
      {real(7.0), Binop::REMAINDER, num(0), "ZeroDivisionError: float modulo"},
      {num(7), Binop::REMAINDER, real(0.0), "ZeroDivisionError: float modulo"},
  });
}

TEST(ZeroDivision, IntModuloHasItsOwnMessage) {
  // CPython 3.11: 7 % 0 -> "integer modulo by zero" (// keeps "integer division or modulo").
  check({
      {num(7), Binop::REMAINDER, num(0), "ZeroDivisionError: integer modulo by zero"},
      {boolean(true), Binop::REMAINDER, boolean(false),
       "ZeroDivisionError: integer modulo by zero"},
  });
}

TEST(InPlaceOps, NumbersBehaveLikeTheBinaryForm) {
  check({
      {num(7), Binop::INPLACE_ADD, num(2), "9"},
      {num(7), Binop::INPLACE_SUBTRACT, real(0.5), "6.5"},
      {num(7), Binop::INPLACE_TRUE_DIVIDE, num(2), "3.5"},
      {num(-7), Binop::INPLACE_REMAINDER, num(2), "1"},
      {num(3), Binop::INPLACE_POWER, num(2), "9"},
      {num(1), Binop::INPLACE_LSHIFT, num(3), "8"},
      {num(1), Binop::INPLACE_ADD, Value(),
       "TypeError: unsupported operand type(s) for +=: 'int' and 'NoneType'"},
      {real(1.0), Binop::INPLACE_XOR, num(1),
       "TypeError: unsupported operand type(s) for ^=: 'float' and 'int'"},
  });
}

TEST(UnsupportedOps, NoneWithNumbers) {
  check({
      {Value(), Binop::ADD, num(1),
       "TypeError: unsupported operand type(s) for +: 'NoneType' and 'int'"},
      {num(1), Binop::MULTIPLY, Value(),
       "TypeError: unsupported operand type(s) for *: 'int' and 'NoneType'"},
      {real(1.0), Binop::FLOOR_DIVIDE, Value(),
       "TypeError: unsupported operand type(s) for //: 'float' and 'NoneType'"},
  });
}

TEST(UnaryOps, NegativePositiveInvert) {
  EXPECT_EQ(show(unary_negative(num(5))), "-5");
  EXPECT_EQ(show(unary_negative(boolean(true))), "-1");
  EXPECT_EQ(show(unary_negative(real(-5.5))), "5.5");
  EXPECT_EQ(show(unary_negative(real(0.0))), "-0.0");
  EXPECT_EQ(show(unary_positive(boolean(true))), "1");
  EXPECT_EQ(show(unary_positive(num(-3))), "-3");
  EXPECT_EQ(show(unary_positive(real(2.5))), "2.5");
  EXPECT_EQ(show(unary_invert(num(5))), "-6");
  EXPECT_EQ(show(unary_invert(boolean(true))), "-2");
  EXPECT_EQ(show(unary_invert(num(-1))), "0");
}

TEST(UnaryOps, BadOperandTypes) {
  EXPECT_EQ(show(unary_invert(real(1.5))), "TypeError: bad operand type for unary ~: 'float'");
  EXPECT_EQ(show(unary_negative(make_str("a"))), "TypeError: bad operand type for unary -: 'str'");
  EXPECT_EQ(show(unary_positive(make_list())), "TypeError: bad operand type for unary +: 'list'");
  EXPECT_EQ(show(unary_invert(make_str("a"))), "TypeError: bad operand type for unary ~: 'str'");
  EXPECT_EQ(show(unary_negative(Value())), "TypeError: bad operand type for unary -: 'NoneType'");
}

}  // namespace
}  // namespace gyro
