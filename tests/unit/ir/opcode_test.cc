// The opcode table (names, flags, stack effects), operator symbols, and Constant repr/equality.
#include "ir/opcode.h"

#include <cstdint>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "ir/code.h"
#include "tests/unit/test_support.h"

namespace gyro {

// Failures print a constant as Python would (internal linkage, found by argument lookup).
[[maybe_unused]] static void PrintTo(const Constant& constant, std::ostream* os) {
  *os << constant.repr();
}

namespace {

using testing::kInf;
using testing::kInt64Min;
using testing::kNaN;
using enum Opcode;

Opcode opcode_at(int index) {
  return static_cast<Opcode>(index);
}

// {pop, push} as a comparable pair, so failures print both numbers.
std::pair<int, int> fall(Opcode opcode, uint32_t arg = 0) {
  StackEffect effect = stack_effect(opcode, arg, false);
  return {effect.pop, effect.push};
}
std::pair<int, int> branch(Opcode opcode, uint32_t arg = 0) {
  StackEffect effect = stack_effect(opcode, arg, true);
  return {effect.pop, effect.push};
}

TEST(OpcodeTable, EveryOpcodeHasAUniqueNameThatRoundTrips) {
  std::set<std::string_view> names;
  for (int i = 0; i < kNumOpcodes; ++i) {
    std::string_view name = opcode_name(opcode_at(i));
    EXPECT_FALSE(name.empty()) << "opcode " << i;
    EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
    EXPECT_EQ(opcode_from_name(name), opcode_at(i)) << name;
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(kNumOpcodes));
  EXPECT_EQ(opcode_name(BINARY_OP), "BINARY_OP");
  EXPECT_EQ(opcode_from_name("RETURN_VALUE"), RETURN_VALUE);
}

TEST(OpcodeTable, UnknownNamesAreRejected) {
  EXPECT_EQ(opcode_from_name(""), std::nullopt);
  EXPECT_EQ(opcode_from_name("BOGUS"), std::nullopt);
  EXPECT_EQ(opcode_from_name("load_const"), std::nullopt);  // names are case-sensitive
  EXPECT_EQ(opcode_from_name("LOAD_CONST "), std::nullopt);
}

TEST(OpcodeTable, TerminatorsAreExactlyTheInstructionsThatNeverFallThrough) {
  std::set<Opcode> terminators;
  for (int i = 0; i < kNumOpcodes; ++i)
    if (opcode_flags(opcode_at(i)) & kTerminator) terminators.insert(opcode_at(i));
  EXPECT_EQ(terminators, (std::set<Opcode>{JUMP, RETURN_VALUE, RERAISE, RAISE_VARARGS}));
}

TEST(OpcodeTable, OnlySetupExceptAndPopBlockTouchTheTryBlockStack) {
  for (int i = 0; i < kNumOpcodes; ++i) {
    Opcode opcode = opcode_at(i);
    EXPECT_EQ((opcode_flags(opcode) & kBlockPush) != 0, opcode == SETUP_EXCEPT)
        << opcode_name(opcode);
    EXPECT_EQ((opcode_flags(opcode) & kBlockPop) != 0, opcode == POP_BLOCK) << opcode_name(opcode);
  }
}

TEST(OpcodeTable, OperandKindsMatchWhatTheOperandIndexes) {
  EXPECT_EQ(operand_kind(NOP), OperandKind::kNone);
  EXPECT_EQ(operand_kind(LOAD_FAST), OperandKind::kLocal);
  EXPECT_EQ(operand_kind(LOAD_CONST), OperandKind::kConst);
  EXPECT_EQ(operand_kind(LOAD_ATTR), OperandKind::kName);
  EXPECT_EQ(operand_kind(LOAD_DEREF), OperandKind::kCell);
  EXPECT_EQ(operand_kind(FOR_ITER), OperandKind::kJump);
  EXPECT_EQ(operand_kind(CALL), OperandKind::kCount);
  EXPECT_EQ(operand_kind(BINARY_OP), OperandKind::kBinop);
  EXPECT_EQ(operand_kind(COMPARE_OP), OperandKind::kCompare);
  EXPECT_EQ(operand_kind(IS_OP), OperandKind::kFlag);
  EXPECT_EQ(operand_kind(MAKE_FUNCTION), OperandKind::kFunctionFlags);
  std::set<Opcode> jumps;
  for (int i = 0; i < kNumOpcodes; ++i)
    if (is_jump(opcode_at(i))) jumps.insert(opcode_at(i));
  EXPECT_EQ(jumps,
            (std::set<Opcode>{JUMP, POP_JUMP_IF_FALSE, POP_JUMP_IF_TRUE, JUMP_IF_FALSE_OR_POP,
                              JUMP_IF_TRUE_OR_POP, FOR_ITER, SETUP_EXCEPT}));
}

TEST(OpcodeStackEffect, EveryJumpHasABranchEffectAndEveryEffectIsNonNegative) {
  for (int i = 0; i < kNumOpcodes; ++i) {
    Opcode opcode = opcode_at(i);
    // arg 1 is valid for every operand kind that feeds a formula.
    StackEffect through = stack_effect(opcode, 1, false);
    EXPECT_GE(through.pop, 0) << opcode_name(opcode);
    EXPECT_GE(through.push, 0) << opcode_name(opcode);
    if (!is_jump(opcode)) continue;
    StackEffect taken = stack_effect(opcode, 1, true);
    EXPECT_GE(taken.pop, 0) << opcode_name(opcode);
    EXPECT_GE(taken.push, 0) << opcode_name(opcode);
  }
}

TEST(OpcodeStackEffect, FixedEffects) {
  EXPECT_EQ(fall(NOP), std::make_pair(0, 0));
  EXPECT_EQ(fall(POP_TOP), std::make_pair(1, 0));
  EXPECT_EQ(fall(LOAD_CONST, 7), std::make_pair(0, 1));
  EXPECT_EQ(fall(STORE_FAST, 3), std::make_pair(1, 0));
  EXPECT_EQ(fall(LOAD_ATTR, 2), std::make_pair(1, 1));
  EXPECT_EQ(fall(STORE_ATTR, 2), std::make_pair(2, 0));
  EXPECT_EQ(fall(LOAD_METHOD, 2), std::make_pair(1, 2));
  EXPECT_EQ(fall(BINARY_OP, static_cast<uint32_t>(Binop::POWER)), std::make_pair(2, 1));
  EXPECT_EQ(fall(COMPARE_OP, static_cast<uint32_t>(CompareOp::GE)), std::make_pair(2, 1));
  EXPECT_EQ(fall(STORE_SUBSCR), std::make_pair(3, 0));
  EXPECT_EQ(fall(BUILD_CLASS), std::make_pair(3, 1));
  EXPECT_EQ(fall(CHECK_EXC_MATCH), std::make_pair(2, 2));
  EXPECT_EQ(fall(RETURN_VALUE), std::make_pair(1, 0));
  EXPECT_EQ(fall(RERAISE), std::make_pair(1, 0));
}

TEST(OpcodeStackEffect, CountOperandsScaleTheEffect) {
  for (uint32_t n : {0u, 1u, 5u}) {
    const int k = static_cast<int>(n);
    EXPECT_EQ(fall(BUILD_TUPLE, n), std::make_pair(k, 1));
    EXPECT_EQ(fall(BUILD_LIST, n), std::make_pair(k, 1));
    EXPECT_EQ(fall(BUILD_MAP, n), std::make_pair(2 * k, 1));  // n key/value pairs
    EXPECT_EQ(fall(CALL, n), std::make_pair(k + 1, 1));       // callable + n args
    EXPECT_EQ(fall(CALL_KW, n), std::make_pair(k + 2, 1));    // callable + n args + names
    EXPECT_EQ(fall(CALL_METHOD, n), std::make_pair(k + 2, 1));
    EXPECT_EQ(fall(UNPACK_SEQUENCE, n), std::make_pair(1, k));
  }
  EXPECT_EQ(fall(COPY, 1), std::make_pair(1, 2));
  EXPECT_EQ(fall(COPY, 3), std::make_pair(3, 4));
  EXPECT_EQ(fall(SWAP, 2), std::make_pair(2, 2));
  EXPECT_EQ(fall(LIST_APPEND, 2), std::make_pair(3, 2));
  EXPECT_EQ(fall(BUILD_SLICE, 2), std::make_pair(2, 1));
  EXPECT_EQ(fall(BUILD_SLICE, 3), std::make_pair(3, 1));
  EXPECT_EQ(fall(RAISE_VARARGS, 0), std::make_pair(0, 0));
  EXPECT_EQ(fall(RAISE_VARARGS, 1), std::make_pair(1, 0));
  EXPECT_EQ(fall(CALL_EX, 0), std::make_pair(2, 1));  // f args
  EXPECT_EQ(fall(CALL_EX, 1), std::make_pair(3, 1));  // f args kwargs
}

TEST(OpcodeStackEffect, MakeFunctionPopsOneExtraItemPerFlag) {
  EXPECT_EQ(fall(MAKE_FUNCTION, 0), std::make_pair(1, 1));  // code
  EXPECT_EQ(fall(MAKE_FUNCTION, 1), std::make_pair(2, 1));  // defaults code
  EXPECT_EQ(fall(MAKE_FUNCTION, 2), std::make_pair(2, 1));  // closure code
  EXPECT_EQ(fall(MAKE_FUNCTION, 3), std::make_pair(3, 1));  // defaults closure code
}

TEST(OpcodeStackEffect, BranchesHaveTheirOwnEffect) {
  // FOR_ITER: the next item is pushed when the loop continues; the iterator is popped at the end.
  EXPECT_EQ(fall(FOR_ITER, 9), std::make_pair(1, 2));
  EXPECT_EQ(branch(FOR_ITER, 9), std::make_pair(1, 0));
  // JUMP_IF_*_OR_POP: pops when it falls through, keeps the value when it jumps.
  for (Opcode opcode : {JUMP_IF_TRUE_OR_POP, JUMP_IF_FALSE_OR_POP}) {
    StackEffect through = stack_effect(opcode, 4, false);
    StackEffect taken = stack_effect(opcode, 4, true);
    EXPECT_EQ(through.push - through.pop, -1) << opcode_name(opcode);
    EXPECT_EQ(taken.push - taken.pop, 0) << opcode_name(opcode);
    EXPECT_GE(through.pop, 1) << opcode_name(opcode);
  }
  for (Opcode opcode : {POP_JUMP_IF_TRUE, POP_JUMP_IF_FALSE}) {
    EXPECT_EQ(fall(opcode, 4), std::make_pair(1, 0)) << opcode_name(opcode);
    EXPECT_EQ(branch(opcode, 4), std::make_pair(1, 0)) << opcode_name(opcode);
  }
  EXPECT_EQ(branch(JUMP, 4), std::make_pair(0, 0));
  // SETUP_EXCEPT: nothing on the way into the try body; the handler gets the exception.
  EXPECT_EQ(fall(SETUP_EXCEPT, 4), std::make_pair(0, 0));
  EXPECT_EQ(branch(SETUP_EXCEPT, 4), std::make_pair(0, 1));
}

TEST(OpcodeOperators, BinopsFollowCPythonNumberingAndSymbolsRoundTrip) {
  EXPECT_EQ(kNumBinops, 26);
  EXPECT_EQ(static_cast<int>(Binop::ADD), 0);           // NB_ADD
  EXPECT_EQ(static_cast<int>(Binop::POWER), 8);         // NB_POWER
  EXPECT_EQ(static_cast<int>(Binop::XOR), 12);          // NB_XOR
  EXPECT_EQ(static_cast<int>(Binop::INPLACE_ADD), 13);  // NB_INPLACE_ADD
  EXPECT_EQ(binop_symbol(Binop::FLOOR_DIVIDE), "//");
  EXPECT_EQ(binop_symbol(Binop::MATRIX_MULTIPLY), "@");
  EXPECT_EQ(binop_symbol(Binop::INPLACE_POWER), "**=");
  std::set<std::string_view> symbols;
  for (int i = 0; i < kNumBinops; ++i) {
    Binop op = static_cast<Binop>(i);
    EXPECT_TRUE(symbols.insert(binop_symbol(op)).second) << binop_symbol(op);
    EXPECT_EQ(binop_from_symbol(binop_symbol(op)), op) << binop_symbol(op);
    // Each in-place form sits 13 after its plain form and adds "=".
    if (i < 13) {
      EXPECT_EQ(std::string(binop_symbol(static_cast<Binop>(i + 13))),
                std::string(binop_symbol(op)) + "=");
    }
  }
  EXPECT_EQ(binop_from_symbol("<"), std::nullopt);
  EXPECT_EQ(binop_from_symbol(""), std::nullopt);
  EXPECT_EQ(binop_from_symbol("+ "), std::nullopt);
}

TEST(OpcodeOperators, CompareOpsFollowCPythonOrderAndSymbolsRoundTrip) {
  EXPECT_EQ(kNumCompareOps, 6);
  const char* const cpython_cmp_op[] = {"<", "<=", "==", "!=", ">", ">="};
  for (int i = 0; i < kNumCompareOps; ++i) {
    CompareOp op = static_cast<CompareOp>(i);
    EXPECT_EQ(compare_symbol(op), cpython_cmp_op[i]);
    EXPECT_EQ(compare_from_symbol(cpython_cmp_op[i]), op);
  }
  EXPECT_EQ(compare_from_symbol("+"), std::nullopt);
  EXPECT_EQ(compare_from_symbol("is"), std::nullopt);  // IS_OP, not COMPARE_OP
  EXPECT_EQ(compare_from_symbol("<>"), std::nullopt);
}

// Expected strings below are what CPython 3 prints for repr() of the same value.
TEST(ConstantRepr, NoneBoolsAndInts) {
  EXPECT_EQ(Constant().repr(), "None");
  EXPECT_EQ(Constant::boolean(true).repr(), "True");
  EXPECT_EQ(Constant::boolean(false).repr(), "False");
  EXPECT_EQ(Constant::integer(0).repr(), "0");
  EXPECT_EQ(Constant::integer(-3).repr(), "-3");
  EXPECT_EQ(Constant::integer(kInt64Min).repr(), "-9223372036854775808");
}

TEST(ConstantRepr, FloatsUseShortestRoundTripDigitsLikePython) {
  EXPECT_EQ(Constant::real(2.5).repr(), "2.5");
  EXPECT_EQ(Constant::real(1.0).repr(), "1.0");
  EXPECT_EQ(Constant::real(0.0).repr(), "0.0");
  EXPECT_EQ(Constant::real(-0.0).repr(), "-0.0");
  EXPECT_EQ(Constant::real(-7.0).repr(), "-7.0");
  EXPECT_EQ(Constant::real(0.1).repr(), "0.1");
  EXPECT_EQ(Constant::real(1.0 / 3.0).repr(), "0.3333333333333333");
  EXPECT_EQ(Constant::real(0.0001).repr(), "0.0001");
  EXPECT_EQ(Constant::real(1e15).repr(), "1000000000000000.0");
  EXPECT_EQ(Constant::real(123456789.125).repr(), "123456789.125");
}

TEST(ConstantRepr, FloatsSwitchToExponentsWherePythonDoes) {
  EXPECT_EQ(Constant::real(1e16).repr(), "1e+16");
  EXPECT_EQ(Constant::real(-1e16).repr(), "-1e+16");
  EXPECT_EQ(Constant::real(12345678901234567.0).repr(), "1.2345678901234568e+16");
  EXPECT_EQ(Constant::real(1.5e300).repr(), "1.5e+300");
  EXPECT_EQ(Constant::real(1e-5).repr(), "1e-05");
  EXPECT_EQ(Constant::real(2.5e-7).repr(), "2.5e-07");
  EXPECT_EQ(Constant::real(5e-324).repr(), "5e-324");
  EXPECT_EQ(Constant::real(1.7976931348623157e308).repr(), "1.7976931348623157e+308");
}

TEST(ConstantRepr, InfinitiesAndNaN) {
  EXPECT_EQ(Constant::real(kInf).repr(), "inf");
  EXPECT_EQ(Constant::real(-kInf).repr(), "-inf");
  EXPECT_EQ(Constant::real(kNaN).repr(), "nan");
  EXPECT_EQ(Constant::real(-kNaN).repr(), "nan");  // Python never prints a NaN's sign
}

TEST(ConstantRepr, StringsQuoteAndEscapeLikePython) {
  EXPECT_EQ(Constant::string("").repr(), "''");
  EXPECT_EQ(Constant::string("text").repr(), "'text'");
  // A single quote switches to double quotes unless the text also has a double quote.
  EXPECT_EQ(Constant::string("it's").repr(), "\"it's\"");
  EXPECT_EQ(Constant::string("say \"hi\"").repr(), "'say \"hi\"'");
  EXPECT_EQ(Constant::string("it's \"x\"").repr(), "'it\\'s \"x\"'");
  EXPECT_EQ(Constant::string("a\\b").repr(), "'a\\\\b'");
  EXPECT_EQ(Constant::string("line\n\ttab\r").repr(), "'line\\n\\ttab\\r'");
  EXPECT_EQ(Constant::string(std::string("\0\x1b\x7f", 3)).repr(), "'\\x00\\x1b\\x7f'");
  EXPECT_EQ(Constant::string("caf\xc3\xa9").repr(), "'caf\xc3\xa9'");  // printable UTF-8 as is
}

TEST(ConstantRepr, TuplesIncludingOneTuplesAndNesting) {
  EXPECT_EQ(Constant::tuple({}).repr(), "()");
  EXPECT_EQ(Constant::ellipsis().repr(), "Ellipsis");
  EXPECT_EQ(Constant::tuple({Constant::integer(1)}).repr(), "(1,)");
  EXPECT_EQ(Constant::tuple({Constant::integer(1), Constant::string("a"), Constant()}).repr(),
            "(1, 'a', None)");
  Constant nested = Constant::tuple({Constant::tuple({Constant::integer(1)}),
                                     Constant::tuple({Constant::integer(2), Constant::real(3.0)}),
                                     Constant::tuple({})});
  EXPECT_EQ(nested.repr(), "((1,), (2, 3.0), ())");
}

TEST(ConstantRepr, CodeObjectsShowTheirName) {
  auto code = std::make_shared<Code>();
  code->name = "add";
  EXPECT_EQ(Constant::code(code).repr(), "<code add>");
}

TEST(ConstantEquality, KindsNeverCompareEqualAcrossEachOther) {
  // Unlike Python's ==, True, 1 and 1.0 are distinct constants (CPython keeps them apart too).
  EXPECT_NE(Constant::boolean(true), Constant::integer(1));
  EXPECT_NE(Constant::integer(1), Constant::real(1.0));
  EXPECT_NE(Constant::boolean(false), Constant());
  EXPECT_NE(Constant::string("1"), Constant::integer(1));
  EXPECT_NE(Constant::tuple({}), Constant());
  EXPECT_EQ(Constant::ellipsis(), Constant::ellipsis());
  EXPECT_NE(Constant::ellipsis(), Constant());
  EXPECT_EQ(Constant(), Constant());
  EXPECT_EQ(Constant::boolean(true), Constant::boolean(true));
  EXPECT_EQ(Constant::integer(-3), Constant::integer(-3));
  EXPECT_NE(Constant::integer(-3), Constant::integer(3));
  EXPECT_EQ(Constant::string("a"), Constant::string("a"));
  EXPECT_NE(Constant::string("a"), Constant::string("A"));
}

TEST(ConstantEquality, FloatsCompareBitwise) {
  EXPECT_EQ(Constant::real(2.5), Constant::real(2.5));
  EXPECT_NE(Constant::real(-0.0), Constant::real(0.0));
  EXPECT_EQ(Constant::real(-0.0), Constant::real(-0.0));
  EXPECT_EQ(Constant::real(kNaN), Constant::real(kNaN));
  EXPECT_NE(Constant::real(kNaN), Constant::real(-kNaN));  // different sign bit
  EXPECT_EQ(Constant::real(kInf), Constant::real(kInf));
  EXPECT_NE(Constant::real(kInf), Constant::real(-kInf));
}

TEST(ConstantEquality, TuplesCompareItemByItem) {
  auto pair = [](Constant a, Constant b) { return Constant::tuple({a, b}); };
  EXPECT_EQ(pair(Constant::integer(1), Constant::real(kNaN)),
            pair(Constant::integer(1), Constant::real(kNaN)));
  EXPECT_NE(pair(Constant::integer(1), Constant::real(0.0)),
            pair(Constant::integer(1), Constant::real(-0.0)));
  EXPECT_NE(pair(Constant::integer(1), Constant::integer(2)),
            pair(Constant::integer(2), Constant::integer(1)));
  EXPECT_NE(Constant::tuple({Constant::integer(1)}), pair(Constant::integer(1), Constant()));
  EXPECT_EQ(Constant::tuple({pair(Constant(), Constant::string("x"))}),
            Constant::tuple({pair(Constant(), Constant::string("x"))}));
}

TEST(ConstantEquality, CodeObjectsCompareByStructure) {
  auto make = [](std::string name) {
    auto code = std::make_shared<Code>();
    code->name = std::move(name);
    code->instructions = {{LOAD_CONST, 0}, {RETURN_VALUE, 0}};
    code->lines = {1, 1};
    code->constants = {Constant()};
    return code;
  };
  auto first = make("f");
  EXPECT_EQ(Constant::code(first), Constant::code(first));
  EXPECT_EQ(Constant::code(first), Constant::code(make("f")));  // distinct but equal objects
  EXPECT_NE(Constant::code(first), Constant::code(make("g")));
  auto other = make("f");
  other->instructions[0].arg = 1;
  other->constants.push_back(Constant::integer(1));
  EXPECT_NE(Constant::code(first), Constant::code(other));
  EXPECT_NE(Constant::code(first), Constant::code(nullptr));
  EXPECT_EQ(Constant::code(nullptr), Constant::code(nullptr));
}

}  // namespace
}  // namespace gyro
