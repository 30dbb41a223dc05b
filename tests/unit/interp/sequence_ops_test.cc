// + and * on str, list and tuple (concatenation, repetition, list += in place) and CPython's
// TypeError messages for operand types no operator accepts.
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

using gyro::testing::fails_with;
using gyro::testing::list;
using gyro::testing::num;
using gyro::testing::show;
using gyro::testing::text;
using gyro::testing::tuple;

std::string calc(Binop op, const Value& a, const Value& b) {
  return show(binary_op(op, a, b));
}

TEST(SequenceConcat, StrListTuple) {
  EXPECT_EQ(calc(Binop::ADD, text("ab"), text("cd")), "'abcd'");
  EXPECT_EQ(calc(Binop::ADD, text(""), text("")), "''");
  EXPECT_EQ(calc(Binop::ADD, list({num(1)}), list({num(2)})), "[1, 2]");
  EXPECT_EQ(calc(Binop::ADD, tuple({num(1)}), tuple({num(2)})), "(1, 2)");
  EXPECT_EQ(calc(Binop::ADD, tuple({}), tuple({num(1)})), "(1,)");
}

TEST(SequenceConcat, MakesANewObjectAndLeavesTheOperandsAlone) {
  Value a = list({num(1)});
  Value b = list({num(2)});
  Expected<Value> sum = binary_op(Binop::ADD, a, b);
  ASSERT_TRUE(sum.ok());
  EXPECT_FALSE(identical(*sum, a));
  EXPECT_EQ(repr(a), "[1]");
  EXPECT_EQ(repr(b), "[2]");
  Value s = text("x");
  Expected<Value> grown = binary_op(Binop::INPLACE_ADD, s, text("y"));  // str += makes a new str
  ASSERT_TRUE(grown.ok());
  EXPECT_EQ(repr(*grown), "'xy'");
  EXPECT_EQ(repr(s), "'x'");
  Value t = tuple({num(1)});
  Expected<Value> longer = binary_op(Binop::INPLACE_ADD, t, tuple({num(2)}));
  ASSERT_TRUE(longer.ok());
  EXPECT_FALSE(identical(*longer, t));
  EXPECT_EQ(repr(t), "(1,)");
}

TEST(SequenceRepeat, StrListTupleEitherSide) {
  EXPECT_EQ(calc(Binop::MULTIPLY, text("ab"), num(3)), "'ababab'");
  EXPECT_EQ(calc(Binop::MULTIPLY, num(3), text("ab")), "'ababab'");
  EXPECT_EQ(calc(Binop::MULTIPLY, list({num(1), num(2)}), num(2)), "[1, 2, 1, 2]");
  EXPECT_EQ(calc(Binop::MULTIPLY, tuple({num(1)}), num(3)), "(1, 1, 1)");
  EXPECT_EQ(calc(Binop::MULTIPLY, list({}), num(3)), "[]");
  EXPECT_EQ(calc(Binop::MULTIPLY, Value::boolean(true), text("ab")), "'ab'");
  EXPECT_EQ(calc(Binop::MULTIPLY, list({num(1)}), Value::boolean(false)), "[]");
}

TEST(SequenceRepeat, ZeroOrNegativeCountIsEmpty) {
  EXPECT_EQ(calc(Binop::MULTIPLY, text("ab"), num(0)), "''");
  EXPECT_EQ(calc(Binop::MULTIPLY, text("ab"), num(-1)), "''");
  EXPECT_EQ(calc(Binop::MULTIPLY, list({num(1)}), num(-5)), "[]");
  EXPECT_EQ(calc(Binop::MULTIPLY, num(-1), list({num(1)})), "[]");
  EXPECT_EQ(calc(Binop::MULTIPLY, tuple({num(1), num(2)}), num(-1)), "()");
}

TEST(SequenceRepeat, ItemsAreSharedNotCopied) {
  Value inner = list({});
  Expected<Value> rows = binary_op(Binop::MULTIPLY, list({inner}), num(3));  // [[]] * 3
  ASSERT_TRUE(rows.ok());
  for (const Value& row : rows->as<ListObject>().items) EXPECT_TRUE(identical(row, inner));
}

TEST(ListInPlaceAdd, ExtendsTheSameObject) {
  Value a = list({num(1), num(2)});
  Value alias = a;
  Expected<Value> result = binary_op(Binop::INPLACE_ADD, a, list({num(3)}));
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(identical(*result, a));
  EXPECT_EQ(repr(alias), "[1, 2, 3]");
}

TEST(ListInPlaceAdd, AddingAListToItself) {
  Value a = list({num(1), num(2)});
  Expected<Value> result = binary_op(Binop::INPLACE_ADD, a, a);  // a += a
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(identical(*result, a));
  EXPECT_EQ(repr(a), "[1, 2, 1, 2]");
}

TEST(ListInPlaceAdd, AcceptsAnyIterable) {
  // l = [1]; m = l; l += (2, 3) -> m == [1, 2, 3]; l += 'ab' -> [1, 2, 3, 'a', 'b'].
  Value a = list({num(1)});
  Expected<Value> result = binary_op(Binop::INPLACE_ADD, a, tuple({num(2), num(3)}));
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_TRUE(identical(*result, a));
  EXPECT_EQ(repr(a), "[1, 2, 3]");
  result = binary_op(Binop::INPLACE_ADD, a, text("ab"));
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_EQ(repr(a), "[1, 2, 3, 'a', 'b']");
}

TEST(ListInPlaceMultiply, RepeatsTheSameObject) {
  // l = [1]; m = l; l *= 2 -> m == [1, 1] and l is m.
  Value a = list({num(1)});
  Expected<Value> result = binary_op(Binop::INPLACE_MULTIPLY, a, num(2));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(repr(*result), "[1, 1]");
  EXPECT_TRUE(identical(*result, a));
  EXPECT_EQ(repr(a), "[1, 1]");
}

TEST(SequenceOpsErrors, UnsupportedOperandTypes) {
  EXPECT_EQ(calc(Binop::ADD, num(1), text("a")),
            "TypeError: unsupported operand type(s) for +: 'int' and 'str'");
  EXPECT_EQ(calc(Binop::INPLACE_ADD, num(1), text("a")),
            "TypeError: unsupported operand type(s) for +=: 'int' and 'str'");
  EXPECT_EQ(calc(Binop::ADD, num(1), list({num(1)})),
            "TypeError: unsupported operand type(s) for +: 'int' and 'list'");
  EXPECT_EQ(calc(Binop::ADD, Value(), text("a")),
            "TypeError: unsupported operand type(s) for +: 'NoneType' and 'str'");
  EXPECT_EQ(calc(Binop::SUBTRACT, list({}), list({})),
            "TypeError: unsupported operand type(s) for -: 'list' and 'list'");
  EXPECT_EQ(calc(Binop::INPLACE_SUBTRACT, list({num(1)}), list({num(1)})),
            "TypeError: unsupported operand type(s) for -=: 'list' and 'list'");
  EXPECT_EQ(calc(Binop::ADD, make_dict(), make_dict()),
            "TypeError: unsupported operand type(s) for +: 'dict' and 'dict'");
}

TEST(SequenceOpsErrors, ConcatenatingAnotherTypeNamesBoth) {
  EXPECT_EQ(calc(Binop::ADD, text("a"), num(1)),
            "TypeError: can only concatenate str (not \"int\") to str");
  EXPECT_EQ(calc(Binop::INPLACE_ADD, text("a"), num(1)),
            "TypeError: can only concatenate str (not \"int\") to str");
  EXPECT_EQ(calc(Binop::ADD, text("a"), Value()),
            "TypeError: can only concatenate str (not \"NoneType\") to str");
  EXPECT_EQ(calc(Binop::ADD, list({num(1)}), tuple({num(2)})),
            "TypeError: can only concatenate list (not \"tuple\") to list");
  EXPECT_EQ(calc(Binop::ADD, list({num(1)}), text("a")),
            "TypeError: can only concatenate list (not \"str\") to list");
  EXPECT_EQ(calc(Binop::ADD, tuple({num(1)}), list({num(2)})),
            "TypeError: can only concatenate tuple (not \"list\") to tuple");
}

TEST(SequenceOpsErrors, RepeatingByANonInt) {
  EXPECT_EQ(calc(Binop::MULTIPLY, text("a"), Value::real(2.0)),
            "TypeError: can't multiply sequence by non-int of type 'float'");
  EXPECT_EQ(calc(Binop::MULTIPLY, Value::real(2.0), text("a")),
            "TypeError: can't multiply sequence by non-int of type 'float'");
  EXPECT_EQ(calc(Binop::MULTIPLY, list({num(1)}), list({num(2)})),
            "TypeError: can't multiply sequence by non-int of type 'list'");
  EXPECT_EQ(calc(Binop::MULTIPLY, tuple({num(1)}), tuple({num(2)})),
            "TypeError: can't multiply sequence by non-int of type 'tuple'");
  EXPECT_EQ(calc(Binop::MULTIPLY, list({num(1)}), Value()),
            "TypeError: can't multiply sequence by non-int of type 'NoneType'");
}

TEST(StringFormatting, PercentIsNotImplemented) {
  // A documented deviation: '%d' % 5 is '5' in CPython.
  EXPECT_TRUE(fails_with(binary_op(Binop::REMAINDER, text("%d"), num(5)),
                         ErrorKind::NotImplementedError, "printf-style string formatting"));
  EXPECT_TRUE(fails_with(binary_op(Binop::INPLACE_REMAINDER, text("%s"), text("x")),
                         ErrorKind::NotImplementedError, "printf-style string formatting"));
}

}  // namespace
}  // namespace gyro
