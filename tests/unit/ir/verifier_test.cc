// CodeBuilder (labels, operand indices, closures, misuse) and the verifier, one rule per test.
#include "ir/verifier.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ir/code.h"
#include "ir/code_builder.h"
#include "tests/unit/test_support.h"

namespace gyro {
namespace {

using testing::fails_with;
using testing::kNaN;
using enum Opcode;

constexpr uint32_t kAdd = static_cast<uint32_t>(Binop::ADD);

// "NAME arg" per instruction, so a failed comparison shows readable bytecode.
std::vector<std::string> listing(const Code& code) {
  std::vector<std::string> lines;
  for (const Instruction& instruction : code.instructions)
    lines.push_back(fmt::format("{} {}", opcode_name(instruction.opcode), instruction.arg));
  return lines;
}

template <typename R>
::testing::AssertionResult succeeded(const R& result) {
  if (result.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << result.error().to_string();
}

// ---------------------------------------------------------------------------------------------
// CodeBuilder happy paths

TEST(CodeBuilder, IfElseWithForwardLabelsMergesAtTheEnd) {
  // def pick(flag):
  //   if flag: x = 1
  //   else: x = 2
  //   return x
  CodeBuilder b("pick", "pick.py", 1);
  b.set_parameters({"flag"});
  Label otherwise = b.new_label(), end = b.new_label();
  b.set_line(2);
  b.emit(LOAD_FAST, b.local("flag"));
  b.emit_jump(POP_JUMP_IF_FALSE, otherwise);
  b.set_line(3);
  b.emit(LOAD_CONST, b.constant(Constant::integer(1)));
  b.emit(STORE_FAST, b.local("x"));
  b.emit_jump(JUMP, end);
  b.bind(otherwise);
  b.set_line(5);
  b.emit(LOAD_CONST, b.constant(Constant::integer(2)));
  b.emit(STORE_FAST, b.local("x"));
  b.bind(end);
  b.set_line(6);
  b.emit(LOAD_FAST, b.local("x"));
  b.emit(RETURN_VALUE);
  Expected<std::shared_ptr<Code>> code = b.finish();
  ASSERT_TRUE(succeeded(code));
  const Code& c = **code;
  EXPECT_EQ(listing(c),
            (std::vector<std::string>{"LOAD_FAST 0", "POP_JUMP_IF_FALSE 5", "LOAD_CONST 0",
                                      "STORE_FAST 1", "JUMP 7", "LOAD_CONST 1", "STORE_FAST 1",
                                      "LOAD_FAST 1", "RETURN_VALUE 0"}));
  EXPECT_EQ(c.lines, (std::vector<int>{2, 2, 3, 3, 3, 5, 5, 6, 6}));
  EXPECT_EQ(c.name, "pick");
  EXPECT_EQ(c.filename, "pick.py");
  EXPECT_EQ(c.local_names, (std::vector<std::string>{"flag", "x"}));
  EXPECT_EQ(c.arg_count, 1);
  EXPECT_EQ(c.flags, 0u);
  EXPECT_EQ(c.constants, (std::vector<Constant>{Constant::integer(1), Constant::integer(2)}));
  EXPECT_EQ(c.max_stack, 1);
}

TEST(CodeBuilder, ForLoopWithABackwardLabel) {
  // def total(xs):
  //   s = 0
  //   for x in xs: s = s + x
  //   return s
  CodeBuilder b("total");
  b.set_parameters({"xs"});
  b.emit(LOAD_CONST, b.constant(Constant::integer(0)));
  b.emit(STORE_FAST, b.local("s"));
  b.emit(LOAD_FAST, b.local("xs"));
  b.emit(GET_ITER);
  Label top = b.new_label(), done = b.new_label();
  b.bind(top);
  b.emit_jump(FOR_ITER, done);
  b.emit(STORE_FAST, b.local("x"));
  b.emit(LOAD_FAST, b.local("s"));
  b.emit(LOAD_FAST, b.local("x"));
  b.emit(BINARY_OP, kAdd);
  b.emit(STORE_FAST, b.local("s"));
  b.emit_jump(JUMP, top);
  b.bind(done);
  b.emit(LOAD_FAST, b.local("s"));
  b.emit(RETURN_VALUE);
  Expected<std::shared_ptr<Code>> code = b.finish();
  ASSERT_TRUE(succeeded(code));
  EXPECT_EQ(listing(**code),
            (std::vector<std::string>{"LOAD_CONST 0", "STORE_FAST 1", "LOAD_FAST 0", "GET_ITER 0",
                                      "FOR_ITER 11", "STORE_FAST 2", "LOAD_FAST 1", "LOAD_FAST 2",
                                      "BINARY_OP 0", "STORE_FAST 1", "JUMP 4", "LOAD_FAST 1",
                                      "RETURN_VALUE 0"}));
  EXPECT_EQ((*code)->local_names, (std::vector<std::string>{"xs", "s", "x"}));
  EXPECT_EQ((*code)->max_stack, 3);  // iterator, s, x
}

TEST(CodeBuilder, TryExceptWithAHandlerThatMatchesOrReraises) {
  // def guarded():
  //   try: risky()
  //   except ValueError: pass
  //   return None
  CodeBuilder b("guarded");
  Label handler = b.new_label(), reraise = b.new_label(), end = b.new_label();
  b.emit_jump(SETUP_EXCEPT, handler);
  b.emit(LOAD_GLOBAL, b.name("risky"));
  b.emit(CALL, 0);
  b.emit(POP_TOP);
  b.emit(POP_BLOCK);
  b.emit_jump(JUMP, end);
  b.bind(handler);  // exc
  b.emit(LOAD_GLOBAL, b.name("ValueError"));
  b.emit(CHECK_EXC_MATCH);  // exc matches
  b.emit_jump(POP_JUMP_IF_FALSE, reraise);
  b.emit(POP_EXCEPT);
  b.emit_jump(JUMP, end);
  b.bind(reraise);
  b.emit(RERAISE);
  b.bind(end);
  b.emit(LOAD_CONST, b.constant(Constant()));
  b.emit(RETURN_VALUE);
  Expected<std::shared_ptr<Code>> code = b.finish();
  ASSERT_TRUE(succeeded(code));
  EXPECT_EQ(listing(**code),
            (std::vector<std::string>{"SETUP_EXCEPT 6", "LOAD_GLOBAL 0", "CALL 0", "POP_TOP 0",
                                      "POP_BLOCK 0", "JUMP 12", "LOAD_GLOBAL 1",
                                      "CHECK_EXC_MATCH 0", "POP_JUMP_IF_FALSE 11", "POP_EXCEPT 0",
                                      "JUMP 12", "RERAISE 0", "LOAD_CONST 0", "RETURN_VALUE 0"}));
  EXPECT_EQ((*code)->names, (std::vector<std::string>{"risky", "ValueError"}));
  EXPECT_EQ((*code)->max_stack, 2);  // exc, ValueError
}

TEST(CodeBuilder, FreeVariablesAreNumberedAfterAllCellsEvenCellsDeclaredLater) {
  CodeBuilder b("inner");
  b.emit(LOAD_DEREF, b.free_var("y"));  // before any cell exists
  b.emit(STORE_DEREF, b.cell("x"));
  b.emit(LOAD_DEREF, b.free_var("z"));
  b.emit(LOAD_DEREF, b.free_var("y"));  // same free variable again
  b.emit(BINARY_OP, kAdd);
  b.emit(STORE_DEREF, b.cell("w"));  // a second cell, after every free use
  b.emit(LOAD_CLOSURE, b.cell("w"));
  b.emit(RETURN_VALUE);
  Expected<std::shared_ptr<Code>> code = b.finish();
  ASSERT_TRUE(succeeded(code));
  EXPECT_EQ((*code)->cell_names, (std::vector<std::string>{"x", "w"}));
  EXPECT_EQ((*code)->free_names, (std::vector<std::string>{"y", "z"}));
  // cells: x = 0, w = 1; free: y = 2 + 0, z = 2 + 1.
  EXPECT_EQ(listing(**code),
            (std::vector<std::string>{"LOAD_DEREF 2", "STORE_DEREF 0", "LOAD_DEREF 3",
                                      "LOAD_DEREF 2", "BINARY_OP 0", "STORE_DEREF 1",
                                      "LOAD_CLOSURE 1", "RETURN_VALUE 0"}));
}

TEST(CodeBuilder, OuterFunctionBuildsAClosureOverItsCell) {
  // def outer(): x = 1; def inner(): return x; return inner
  CodeBuilder inner_builder("inner");
  inner_builder.emit(LOAD_DEREF, inner_builder.free_var("x"));
  inner_builder.emit(RETURN_VALUE);
  Expected<std::shared_ptr<Code>> inner = inner_builder.finish();
  ASSERT_TRUE(succeeded(inner));
  EXPECT_EQ(listing(**inner), (std::vector<std::string>{"LOAD_DEREF 0", "RETURN_VALUE 0"}));

  CodeBuilder b("outer");
  b.emit(LOAD_CONST, b.constant(Constant::integer(1)));
  b.emit(STORE_DEREF, b.cell("x"));
  b.emit(LOAD_CLOSURE, b.cell("x"));
  b.emit(BUILD_TUPLE, 1);
  b.emit(LOAD_CONST, b.constant(Constant::code(*inner)));
  b.emit(MAKE_FUNCTION, 2);  // closure code -> function
  b.emit(RETURN_VALUE);
  Expected<std::shared_ptr<Code>> outer = b.finish();
  ASSERT_TRUE(succeeded(outer));
  EXPECT_EQ((*outer)->max_stack, 2);
  EXPECT_EQ(all_codes(**outer), (std::vector<const Code*>{outer->get(), inner->get()}));
}

TEST(CodeBuilder, OperandIndicesAreAssignedOnFirstUseAndConstantsDeduplicated) {
  CodeBuilder b("indices");
  b.set_parameters({"a", "args"}, /*varargs=*/true);
  EXPECT_EQ(b.local("args"), 1u);
  EXPECT_EQ(b.local("tmp"), 2u);
  EXPECT_EQ(b.local("a"), 0u);
  EXPECT_EQ(b.local("tmp"), 2u);
  EXPECT_EQ(b.name("print"), 0u);
  EXPECT_EQ(b.name("len"), 1u);
  EXPECT_EQ(b.name("print"), 0u);
  EXPECT_EQ(b.cell("c"), 0u);
  EXPECT_EQ(b.cell("c"), 0u);

  EXPECT_EQ(b.constant(Constant::integer(1)), 0u);
  EXPECT_EQ(b.constant(Constant::boolean(true)), 1u);  // True is not 1
  EXPECT_EQ(b.constant(Constant::real(1.0)), 2u);      // nor is 1.0
  EXPECT_EQ(b.constant(Constant::real(0.0)), 3u);
  EXPECT_EQ(b.constant(Constant::real(-0.0)), 4u);  // -0.0 keeps its sign
  EXPECT_EQ(b.constant(Constant::real(kNaN)), 5u);
  EXPECT_EQ(b.constant(Constant::real(kNaN)), 5u);  // NaN is reused, not duplicated
  EXPECT_EQ(b.constant(Constant::string("1")), 6u);
  EXPECT_EQ(b.constant(Constant::tuple({Constant::integer(1), Constant()})), 7u);
  EXPECT_EQ(b.constant(Constant::tuple({Constant::integer(1), Constant()})), 7u);
  EXPECT_EQ(b.constant(Constant::integer(1)), 0u);
  EXPECT_EQ(b.constant(Constant::boolean(true)), 1u);

  b.emit(LOAD_CONST, 0);
  b.emit(RETURN_VALUE);
  Expected<std::shared_ptr<Code>> code = b.finish();
  ASSERT_TRUE(succeeded(code));
  EXPECT_EQ((*code)->local_names, (std::vector<std::string>{"a", "args", "tmp"}));
  EXPECT_EQ((*code)->arg_count, 2);
  EXPECT_EQ((*code)->flags, static_cast<uint32_t>(kVarargs));
  EXPECT_EQ((*code)->constants.size(), 8u);
}

TEST(CodeBuilder, MaxStackIsTheDeepestPointOnAnyPath) {
  // if flag: return (1, 2, 3) else: return {4: 5, 6: 7}  -- the else side goes deeper.
  CodeBuilder b("deep");
  b.set_parameters({"flag"});
  Label otherwise = b.new_label();
  b.emit(LOAD_FAST, 0);
  b.emit_jump(POP_JUMP_IF_FALSE, otherwise);
  for (int v : {1, 2, 3}) b.emit(LOAD_CONST, b.constant(Constant::integer(v)));
  b.emit(BUILD_TUPLE, 3);
  b.emit(RETURN_VALUE);
  b.bind(otherwise);
  for (int v : {4, 5, 6, 7}) b.emit(LOAD_CONST, b.constant(Constant::integer(v)));
  b.emit(BUILD_MAP, 2);
  b.emit(RETURN_VALUE);
  Expected<std::shared_ptr<Code>> code = b.finish();
  ASSERT_TRUE(succeeded(code));
  EXPECT_EQ((*code)->max_stack, 4);
}

TEST(CodeBuilder, MaxStackCountsMethodCallsAndCopies) {
  // obj.f(1, 2) with obj copied first: obj obj -> obj method self 1 2 -> obj result.
  CodeBuilder b("calls");
  b.set_parameters({"obj"});
  b.emit(LOAD_FAST, 0);
  b.emit(COPY, 1);
  b.emit(LOAD_METHOD, b.name("f"));
  b.emit(LOAD_CONST, b.constant(Constant::integer(1)));
  b.emit(LOAD_CONST, b.constant(Constant::integer(2)));
  b.emit(CALL_METHOD, 2);
  b.emit(BINARY_OP, kAdd);
  b.emit(RETURN_VALUE);
  Expected<std::shared_ptr<Code>> code = b.finish();
  ASSERT_TRUE(succeeded(code));
  EXPECT_EQ((*code)->max_stack, 5);
}

TEST(CodeBuilder, FinishReportsVerifierErrors) {
  CodeBuilder b("f");
  b.emit(LOAD_CONST, b.constant(Constant()));
  EXPECT_TRUE(fails_with(b.finish(), ErrorKind::BytecodeError,
                         "code 'f', offset 0 (LOAD_CONST): execution falls off the end"));
}

// ---------------------------------------------------------------------------------------------
// CodeBuilder misuse

TEST(CodeBuilder, UnboundLabelIsAnError) {
  CodeBuilder b("f");
  Label nowhere = b.new_label();
  b.emit_jump(JUMP, nowhere);
  EXPECT_TRUE(fails_with(b.finish(), ErrorKind::BytecodeError,
                         "code 'f': label 0 is used but never bound"));
}

TEST(CodeBuilder, LabelBoundTwiceIsAnError) {
  CodeBuilder b("f");
  Label here = b.new_label();
  b.bind(here);
  b.emit(LOAD_CONST, b.constant(Constant()));
  b.bind(here);
  b.emit(RETURN_VALUE);
  EXPECT_TRUE(fails_with(b.finish(), ErrorKind::BytecodeError, "code 'f': label 0 bound twice"));
}

TEST(CodeBuilder, UnknownLabelIsAnError) {
  CodeBuilder b("f");
  b.emit_jump(JUMP, Label{});
  EXPECT_TRUE(fails_with(b.finish(), ErrorKind::BytecodeError,
                         "code 'f': emit_jump() with an unknown label -1"));
  CodeBuilder other("g");
  other.bind(Label{3});
  other.emit(LOAD_CONST, other.constant(Constant()));
  other.emit(RETURN_VALUE);
  EXPECT_TRUE(fails_with(other.finish(), ErrorKind::BytecodeError,
                         "code 'g': bind() of an unknown label 3"));
}

TEST(CodeBuilder, EmitOfAJumpOpcodeIsAnError) {
  CodeBuilder b("f");
  b.emit(JUMP, 0);
  EXPECT_TRUE(fails_with(b.finish(), ErrorKind::BytecodeError,
                         "code 'f': JUMP needs emit_jump() with a label"));
}

TEST(CodeBuilder, EmitJumpOfANonJumpIsAnError) {
  CodeBuilder b("f");
  Label here = b.new_label();
  b.bind(here);
  b.emit(LOAD_CONST, b.constant(Constant()));
  b.emit_jump(RETURN_VALUE, here);
  EXPECT_TRUE(fails_with(b.finish(), ErrorKind::BytecodeError,
                         "code 'f': emit_jump() with RETURN_VALUE, which does not jump"));
}

TEST(CodeBuilder, SetParametersAfterLocalsIsAnError) {
  CodeBuilder b("f");
  b.emit(LOAD_FAST, b.local("x"));
  b.set_parameters({"a"});
  b.emit(RETURN_VALUE);
  EXPECT_TRUE(fails_with(b.finish(), ErrorKind::BytecodeError,
                         "code 'f': set_parameters() called after locals were declared"));
}

// ---------------------------------------------------------------------------------------------
// Verifier: a hand-built code object, correct as given, with exactly one thing broken per test.

// A code object named 'bad' with constants {None} and one line per instruction.
Code hand_built(std::vector<Instruction> instructions) {
  Code code;
  code.name = "bad";
  code.filename = "<test>";
  code.lines.assign(instructions.size(), 1);
  code.instructions = std::move(instructions);
  code.constants = {Constant()};
  return code;
}

// return None
Code returns_none() {
  return hand_built({{LOAD_CONST, 0}, {RETURN_VALUE, 0}});
}

constexpr auto kBytecode = ErrorKind::BytecodeError;

TEST(Verifier, AcceptsAWellFormedCodeObjectAndSetsMaxStack) {
  Code code = returns_none();
  code.max_stack = 99;
  ASSERT_TRUE(succeeded(verify(code)));
  EXPECT_EQ(code.max_stack, 1);
}

TEST(Verifier, AllowsUnreachableCodeAfterReturn) {
  // The POP_TOP and BINARY_OP would underflow and the end falls off, but nothing reaches them.
  Code code = hand_built({{LOAD_CONST, 0}, {RETURN_VALUE, 0}, {POP_TOP, 0}, {BINARY_OP, kAdd}});
  ASSERT_TRUE(succeeded(verify(code)));
  EXPECT_EQ(code.max_stack, 1);
}

TEST(Verifier, StillChecksOperandsOfUnreachableCode) {
  Code code = hand_built({{LOAD_CONST, 0}, {RETURN_VALUE, 0}, {LOAD_CONST, 5}});
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 2 (LOAD_CONST): operand 5 is out of range"));
}

// Layout rules (whole code object, no offset).

TEST(Verifier, RejectsEmptyCode) {
  Code code = hand_built({});
  EXPECT_TRUE(fails_with(verify(code), kBytecode, "code 'bad': has no instructions"));
}

TEST(Verifier, RejectsALineTableOfTheWrongSize) {
  Code code = returns_none();
  code.lines.push_back(2);
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad': line table has 3 entries for 2 instructions"));
  code.lines = {1};
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad': line table has 1 entries for 2 instructions"));
}

TEST(Verifier, RejectsArgCountBeyondTheLocals) {
  Code code = returns_none();
  code.local_names = {"a"};
  code.arg_count = 1;
  ASSERT_TRUE(succeeded(verify(code)));
  code.arg_count = 2;
  EXPECT_TRUE(fails_with(verify(code), kBytecode, "code 'bad': arg_count 2 exceeds its 1 local"));
  code.arg_count = -1;
  EXPECT_TRUE(fails_with(verify(code), kBytecode, "code 'bad': arg_count -1"));
}

TEST(Verifier, RejectsVarargsWithoutArguments) {
  Code code = returns_none();
  code.flags = kVarargs;
  code.local_names = {"args"};
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad': takes *args but has no argument to hold them"));
  code.arg_count = 1;
  EXPECT_TRUE(succeeded(verify(code)));
}

TEST(Verifier, RejectsUnknownFlags) {
  Code code = returns_none();
  code.flags = 1u << 3;
  EXPECT_TRUE(fails_with(verify(code), kBytecode, "code 'bad': unknown flags 0x8"));
}

TEST(Verifier, RejectsDuplicateVariableNames) {
  Code code = returns_none();
  code.local_names = {"x", "y", "x"};
  EXPECT_TRUE(fails_with(verify(code), kBytecode, "code 'bad': duplicate variable name 'x'"));
  code.local_names = {"x", "y"};
  code.cell_names = {"c", "c"};
  EXPECT_TRUE(fails_with(verify(code), kBytecode, "code 'bad': duplicate variable name 'c'"));
  code.cell_names = {"c"};
  code.free_names = {"f", "f"};
  EXPECT_TRUE(fails_with(verify(code), kBytecode, "code 'bad': duplicate variable name 'f'"));
  code.free_names = {"f"};
  EXPECT_TRUE(succeeded(verify(code)));
}

TEST(Verifier, RejectsAnEmptyCodeConstant) {
  Code code = returns_none();
  code.constants.push_back(Constant::code(nullptr));
  EXPECT_TRUE(
      fails_with(verify(code), kBytecode, "code 'bad': constant 1 is an empty code object"));
}

// Operand rules.

TEST(Verifier, RejectsAnUnknownOpcodeByte) {
  Code code = returns_none();
  code.instructions[1].opcode = static_cast<Opcode>(200);
  EXPECT_TRUE(fails_with(verify(code), kBytecode, "code 'bad', offset 1: unknown opcode 200"));
  code.instructions[1].opcode = static_cast<Opcode>(kNumOpcodes);  // the first unused byte
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         fmt::format("code 'bad', offset 1: unknown opcode {}", kNumOpcodes)));
}

TEST(Verifier, RejectsAnOperandOnAnOpcodeThatTakesNone) {
  Code code = returns_none();
  code.instructions[1].arg = 1;
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 1 (RETURN_VALUE): takes no operand but has 1"));
}

TEST(Verifier, RejectsALocalIndexOutOfRange) {
  Code code = hand_built({{LOAD_FAST, 0}, {RETURN_VALUE, 0}});
  code.local_names = {"a"};
  ASSERT_TRUE(succeeded(verify(code)));
  code.instructions[0].arg = 1;
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 0 (LOAD_FAST): operand 1 is out of range: "
                         "local_names has 1 entries"));
}

TEST(Verifier, RejectsAConstantIndexOutOfRange) {
  Code code = returns_none();
  code.instructions[0].arg = 1;
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 0 (LOAD_CONST): operand 1 is out of range: "
                         "constants has 1 entries"));
}

TEST(Verifier, RejectsANameIndexOutOfRange) {
  Code code = hand_built({{LOAD_GLOBAL, 0}, {RETURN_VALUE, 0}});
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 0 (LOAD_GLOBAL): operand 0 is out of range: "
                         "names has 0 entries"));
  code.names = {"g"};
  EXPECT_TRUE(succeeded(verify(code)));
}

TEST(Verifier, RejectsACellIndexBeyondCellsAndFreeVariables) {
  Code code = hand_built({{LOAD_DEREF, 1}, {RETURN_VALUE, 0}});
  code.cell_names = {"c"};
  code.free_names = {"f"};
  ASSERT_TRUE(succeeded(verify(code)));  // index 1 is the free variable
  code.instructions[0].arg = 2;
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 0 (LOAD_DEREF): operand 2 is out of range: "
                         "cells and free vars has 2 entries"));
}

TEST(Verifier, RejectsAJumpTargetOutsideTheCode) {
  Code code = hand_built({{JUMP, 1}, {LOAD_CONST, 0}, {RETURN_VALUE, 0}});
  ASSERT_TRUE(succeeded(verify(code)));
  code.instructions[0].arg = 3;
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 0 (JUMP): operand 3 is out of range: "
                         "the instruction list has 3 entries"));
}

TEST(Verifier, RejectsAnUnknownBinop) {
  Code code = hand_built({{LOAD_CONST, 0}, {LOAD_CONST, 0}, {BINARY_OP, 0}, {RETURN_VALUE, 0}});
  code.instructions[2].arg = kNumBinops - 1;
  ASSERT_TRUE(succeeded(verify(code)));
  code.instructions[2].arg = kNumBinops;
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         fmt::format("code 'bad', offset 2 (BINARY_OP): operand {} is out of "
                                     "range: the binary operators",
                                     kNumBinops)));
}

TEST(Verifier, RejectsAnUnknownComparison) {
  Code code = hand_built({{LOAD_CONST, 0}, {LOAD_CONST, 0}, {COMPARE_OP, 0}, {RETURN_VALUE, 0}});
  code.instructions[2].arg = kNumCompareOps - 1;
  ASSERT_TRUE(succeeded(verify(code)));
  code.instructions[2].arg = kNumCompareOps;
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         fmt::format("code 'bad', offset 2 (COMPARE_OP): operand {} is out of "
                                     "range: the comparison operators",
                                     kNumCompareOps)));
}

TEST(Verifier, RejectsAFlagOtherThanZeroOrOne) {
  Code code = hand_built({{LOAD_CONST, 0}, {LOAD_CONST, 0}, {IS_OP, 1}, {RETURN_VALUE, 0}});
  ASSERT_TRUE(succeeded(verify(code)));
  code.instructions[2].arg = 2;
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 2 (IS_OP): operand 2 is out of range: "
                         "the flag values {0, 1}"));
}

TEST(Verifier, RejectsUnknownMakeFunctionFlags) {
  Code code = hand_built(
      {{LOAD_CONST, 0}, {LOAD_CONST, 0}, {LOAD_CONST, 0}, {MAKE_FUNCTION, 3}, {RETURN_VALUE, 0}});
  ASSERT_TRUE(succeeded(verify(code)));
  code.instructions[3].arg = 4;
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 3 (MAKE_FUNCTION): operand 4 is out of range: "
                         "the MAKE_FUNCTION flags"));
}

TEST(Verifier, RejectsACountBeyondTheStackLimit) {
  Code code = hand_built({{BUILD_LIST, 0}, {RETURN_VALUE, 0}});
  ASSERT_TRUE(succeeded(verify(code)));
  code.instructions[0].arg = kMaxStackDepth + 1;
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         fmt::format("code 'bad', offset 0 (BUILD_LIST): count {} exceeds the "
                                     "stack limit {}",
                                     kMaxStackDepth + 1, kMaxStackDepth)));
  code.instructions[0].arg = UINT32_MAX;  // would overflow the stack-effect formula
  EXPECT_TRUE(fails_with(verify(code), kBytecode, "(BUILD_LIST): count 4294967295 exceeds"));
}

TEST(Verifier, RejectsBuildSliceOfOtherThanTwoOrThreeItems) {
  Code code = hand_built(
      {{LOAD_CONST, 0}, {LOAD_CONST, 0}, {LOAD_CONST, 0}, {BUILD_SLICE, 3}, {RETURN_VALUE, 0}});
  ASSERT_TRUE(succeeded(verify(code)));
  code.instructions[3].arg = 4;
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 3 (BUILD_SLICE): BUILD_SLICE takes 2 or 3 items, "
                         "not 4"));
  code.instructions[3].arg = 1;
  EXPECT_TRUE(fails_with(verify(code), kBytecode, "BUILD_SLICE takes 2 or 3 items, not 1"));
}

TEST(Verifier, RejectsRaiseVarargsOfMoreThanOneItem) {
  Code code = hand_built({{LOAD_CONST, 0}, {LOAD_CONST, 0}, {RAISE_VARARGS, 1}});
  ASSERT_TRUE(succeeded(verify(code)));
  code.instructions[2].arg = 2;
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 2 (RAISE_VARARGS): RAISE_VARARGS takes 0 or 1 "
                         "items, not 2"));
}

TEST(Verifier, RejectsDepthZeroForCopySwapAndListAppend) {
  for (Opcode opcode : {COPY, SWAP, LIST_APPEND}) {
    SCOPED_TRACE(opcode_name(opcode));
    Code code = hand_built({{LOAD_CONST, 0}, {LOAD_CONST, 0}, {opcode, 1}, {RETURN_VALUE, 0}});
    ASSERT_TRUE(succeeded(verify(code)));
    code.instructions[2].arg = 0;
    EXPECT_TRUE(fails_with(verify(code), kBytecode,
                           fmt::format("code 'bad', offset 2 ({0}): {0} needs a depth of at "
                                       "least 1",
                                       opcode_name(opcode))));
  }
}

// Flow rules.

TEST(Verifier, RejectsStackUnderflowOnFallthrough) {
  Code code = hand_built({{LOAD_CONST, 0}, {BINARY_OP, kAdd}, {RETURN_VALUE, 0}});
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 1 (BINARY_OP): stack underflow: needs 2 values, "
                         "has 1"));
}

TEST(Verifier, RejectsStackUnderflowOnAPathOnlyABranchReaches) {
  // FOR_ITER's exit branch pops the iterator, so the POP_TOP after the loop has nothing to pop.
  Code code = hand_built({{LOAD_CONST, 0},
                          {GET_ITER, 0},
                          {FOR_ITER, 5},
                          {POP_TOP, 0},
                          {JUMP, 2},
                          {POP_TOP, 0},
                          {LOAD_CONST, 0},
                          {RETURN_VALUE, 0}});
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 5 (POP_TOP): stack underflow: needs 1 values, "
                         "has 0"));
  code.instructions[5] = {NOP, 0};
  EXPECT_TRUE(succeeded(verify(code)));
  EXPECT_EQ(code.max_stack, 2);
}

TEST(Verifier, RejectsDifferentStackDepthsWhereTwoPathsMeet) {
  // if c: push one extra value -- then both paths reach offset 3 with different depths.
  Code code = hand_built({{LOAD_CONST, 0},
                          {POP_JUMP_IF_FALSE, 3},
                          {LOAD_CONST, 0},
                          {LOAD_CONST, 0},
                          {RETURN_VALUE, 0}});
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 2 (LOAD_CONST): reaches offset 3 with stack depth "
                         "1, but another path has 0"));
}

TEST(Verifier, RejectsDifferentTryBlockDepthsWhereTwoPathsMeet) {
  // The try body jumps to the handler's offset without POP_BLOCK: same stack, one block more.
  Code code = hand_built({{SETUP_EXCEPT, 3}, {LOAD_CONST, 0}, {JUMP, 3}, {RETURN_VALUE, 0}});
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 2 (JUMP): reaches offset 3 inside 1 try blocks, "
                         "but another path has 0"));
  code.instructions.insert(code.instructions.begin() + 2, {POP_BLOCK, 0});
  code.instructions[3].arg = 4;
  code.instructions[0].arg = 4;
  code.lines.push_back(1);
  EXPECT_TRUE(succeeded(verify(code)));
}

TEST(Verifier, RejectsPopBlockOutsideATryBlock) {
  Code code = hand_built({{POP_BLOCK, 0}, {LOAD_CONST, 0}, {RETURN_VALUE, 0}});
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 0 (POP_BLOCK): pops a try block outside any try "
                         "block"));
}

// `depth` nested SETUP_EXCEPTs, then return None; each handler re-raises.
Code nested_tries(int depth) {
  std::vector<Instruction> instructions;
  const uint32_t first_handler = static_cast<uint32_t>(depth) + 2;
  for (int i = 0; i < depth; ++i)
    instructions.push_back({SETUP_EXCEPT, first_handler + static_cast<uint32_t>(i)});
  instructions.push_back({LOAD_CONST, 0});
  instructions.push_back({RETURN_VALUE, 0});
  for (int i = 0; i < depth; ++i) instructions.push_back({RERAISE, 0});
  return hand_built(std::move(instructions));
}

TEST(Verifier, RejectsTooManyNestedTryBlocks) {
  Code code = nested_tries(kMaxBlockDepth);
  ASSERT_TRUE(succeeded(verify(code)));
  code = nested_tries(kMaxBlockDepth + 1);
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         fmt::format("code 'bad', offset {} (SETUP_EXCEPT): more than {} nested "
                                     "try blocks",
                                     kMaxBlockDepth, kMaxBlockDepth)));
}

TEST(Verifier, RejectsFallingOffTheEnd) {
  Code code = hand_built({{LOAD_CONST, 0}, {POP_TOP, 0}});
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 1 (POP_TOP): execution falls off the end of the "
                         "code"));
  // A conditional jump as the last instruction falls off when it is not taken.
  code = hand_built({{LOAD_CONST, 0}, {POP_JUMP_IF_TRUE, 0}});
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         "code 'bad', offset 1 (POP_JUMP_IF_TRUE): execution falls off the end"));
}

TEST(Verifier, RejectsExceedingTheStackLimit) {
  // UNPACK_SEQUENCE of the largest legal count fills the stack; one more push is too many.
  Code code = hand_built({{LOAD_CONST, 0},
                          {UNPACK_SEQUENCE, static_cast<uint32_t>(kMaxStackDepth)},
                          {RETURN_VALUE, 0}});
  ASSERT_TRUE(succeeded(verify(code)));
  EXPECT_EQ(code.max_stack, kMaxStackDepth);
  code.instructions.insert(code.instructions.begin() + 2, {LOAD_CONST, 0});
  code.lines.push_back(1);
  EXPECT_TRUE(fails_with(verify(code), kBytecode,
                         fmt::format("code 'bad', offset 2 (LOAD_CONST): stack depth {} exceeds "
                                     "the limit {}",
                                     kMaxStackDepth + 1, kMaxStackDepth)));
}

TEST(Verifier, RejectsExceedingTheStackLimitAtABranchTarget) {
  // SETUP_EXCEPT on a full stack: its handler would start with the exception one past the limit.
  Code code = hand_built({{LOAD_CONST, 0},
                          {UNPACK_SEQUENCE, static_cast<uint32_t>(kMaxStackDepth)},
                          {SETUP_EXCEPT, 4},
                          {RETURN_VALUE, 0},
                          {RERAISE, 0}});
  Status status = verify(code);
  EXPECT_TRUE(fails_with(status, kBytecode, fmt::format("exceeds the limit {}", kMaxStackDepth)))
      << "max_stack was set to " << code.max_stack;
}

}  // namespace
}  // namespace gyro
