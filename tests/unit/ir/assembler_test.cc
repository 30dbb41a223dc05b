// Disassembler and assembler: text round trips, symbolic operands, and each assembly error.
#include <gtest/gtest.h>

#include "ir/assembler.h"
#include "ir/code_builder.h"
#include "ir/disassembler.h"
#include "tests/unit/test_support.h"

using namespace gyro;
using namespace gyro::testing;

namespace {

// def outer(x, *rest): y = 'it''s'; def inner(): return y + x ... with every constant kind.
std::shared_ptr<Code> sample_tree() {
  CodeBuilder inner("inner", "sample.gy", 3);
  inner.set_line(4);
  inner.emit(Opcode::LOAD_DEREF, inner.free_var("y"));
  inner.emit(Opcode::LOAD_DEREF, inner.free_var("x"));
  inner.emit(Opcode::BINARY_OP, static_cast<uint32_t>(Binop::ADD));
  inner.emit(Opcode::RETURN_VALUE);
  std::shared_ptr<const Code> inner_code = inner.finish().value();

  CodeBuilder outer("outer", "sample.gy", 1);
  outer.set_parameters({"x", "rest"}, /*varargs=*/true);
  outer.set_line(2);
  outer.emit(Opcode::LOAD_CONST, outer.constant(Constant::string("it's \"quoted\"\n")));
  outer.emit(Opcode::STORE_DEREF, outer.cell("y"));
  outer.emit(Opcode::LOAD_CLOSURE, outer.cell("y"));
  outer.emit(Opcode::LOAD_CLOSURE, outer.cell("x"));
  outer.emit(Opcode::BUILD_TUPLE, 2);
  outer.emit(Opcode::LOAD_CONST, outer.constant(Constant::code(inner_code)));
  outer.emit(Opcode::MAKE_FUNCTION, 2);
  outer.emit(Opcode::STORE_FAST, outer.local("f"));
  outer.set_line(5);
  Label done = outer.new_label();
  outer.emit(Opcode::LOAD_FAST, outer.local("rest"));
  outer.emit_jump(Opcode::POP_JUMP_IF_FALSE, done);
  outer.emit(Opcode::LOAD_GLOBAL, outer.name("print"));
  outer.emit(Opcode::LOAD_CONST,
             outer.constant(Constant::tuple(
                 {Constant::integer(-3), Constant::real(2.5), Constant::real(1e16),
                  Constant::boolean(true), Constant::tuple({Constant()}), Constant::real(-0.0),
                  Constant::ellipsis()})));
  outer.emit(Opcode::CALL, 1);
  outer.emit(Opcode::POP_TOP);
  outer.bind(done);
  outer.set_line(6);
  outer.emit(Opcode::LOAD_FAST, outer.local("f"));
  outer.emit(Opcode::CALL, 0);
  outer.emit(Opcode::RETURN_VALUE);
  return outer.finish().value();
}

}  // namespace

TEST(Assembler, RoundTripsTheDisassembly) {
  std::shared_ptr<Code> original = sample_tree();
  std::string text = disassemble(*original);
  auto rebuilt = assemble(text, "sample.gya");
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().to_string() << "\n" << text;
  EXPECT_EQ(**rebuilt, *original);
  EXPECT_EQ((*rebuilt)->max_stack, original->max_stack);
  EXPECT_EQ(disassemble(**rebuilt), text);
}

TEST(Assembler, DisassemblyShowsMeaningsAndJumpTargets) {
  std::string text = disassemble(*sample_tree());
  EXPECT_NE(text.find("code #0 'outer'"), std::string::npos) << text;
  EXPECT_NE(text.find("code #1 'inner'"), std::string::npos) << text;
  EXPECT_NE(text.find("<code #1 inner>"), std::string::npos) << text;
  EXPECT_NE(text.find("LOAD_DEREF                1 (x)"), std::string::npos) << text;
  EXPECT_NE(text.find("BINARY_OP                 0 (+)"), std::string::npos) << text;
  EXPECT_NE(text.find(">>"), std::string::npos) << text;
  EXPECT_NE(text.find("(-3, 2.5, 1e+16, True, (None,), -0.0, Ellipsis)"), std::string::npos) << text;
}

TEST(Assembler, AcceptsSymbolicOperandsAndComments) {
  auto code = assemble(R"(; add two arguments
code #0 'add'
  file 'add.gya' line 1 args 2 flags 0 stack 0
  consts:
  names:
  locals: 'a', 'b'
  cells:
  frees:
   7     0 LOAD_FAST a
         1 LOAD_FAST b   (the second argument)
         2 BINARY_OP +
         3 RETURN_VALUE
end
)");
  ASSERT_TRUE(code.ok()) << code.error().to_string();
  EXPECT_EQ((*code)->instructions[1], (Instruction{Opcode::LOAD_FAST, 1}));
  EXPECT_EQ((*code)->instructions[2].arg, static_cast<uint32_t>(Binop::ADD));
  EXPECT_EQ((*code)->lines, (std::vector<int>{7, 7, 7, 7}));
  EXPECT_EQ((*code)->max_stack, 2);
}

namespace {
std::string one_block(std::string_view body, std::string_view tables = "  consts: None\n") {
  return fmt::format("code #0 'f'\n  file 'f.gya' line 1 args 0 flags 0 stack 0\n{}{}end\n", tables,
                     body);
}
}  // namespace

TEST(Assembler, RejectsEachMalformedInputWithItsLine) {
  EXPECT_TRUE(fails_with(assemble(""), ErrorKind::BytecodeError, "no code block"));
  EXPECT_TRUE(fails_with(assemble(one_block("  0 FROB\n")), ErrorKind::BytecodeError,
                         "<assembly>:4: unknown opcode 'FROB'"));
  EXPECT_TRUE(fails_with(assemble(one_block("  1 RETURN_VALUE\n")), ErrorKind::BytecodeError,
                         "offset 1 out of sequence (expected 0)"));
  EXPECT_TRUE(fails_with(assemble(one_block("  0 LOAD_FAST x\n  1 RETURN_VALUE\n")),
                         ErrorKind::BytecodeError, "'x' is not declared for LOAD_FAST"));
  EXPECT_TRUE(fails_with(assemble(one_block("  0 LOAD_CONST\n  1 RETURN_VALUE\n")),
                         ErrorKind::BytecodeError, "LOAD_CONST needs an operand"));
  EXPECT_TRUE(
      fails_with(assemble(one_block("  0 LOAD_CONST 0\n  1 RETURN_VALUE\n", "  consts: 1.2.3\n")),
                 ErrorKind::BytecodeError, "bad constant '1.2.3'"));
  EXPECT_TRUE(
      fails_with(assemble(one_block("  0 LOAD_CONST 0\n  1 RETURN_VALUE\n", "  consts: 'open\n")),
                 ErrorKind::BytecodeError, "unterminated string"));
  EXPECT_TRUE(fails_with(assemble("code #0 'f'\n  file 'f' line 1 args 0 flags 0 stack 0\n"),
                         ErrorKind::BytecodeError, "has no 'end'"));
  EXPECT_TRUE(fails_with(assemble("code #1 'f'\n"), ErrorKind::BytecodeError,
                         "code #1 out of sequence (expected #0)"));
  EXPECT_TRUE(fails_with(
      assemble(one_block("  0 LOAD_CONST 0\n  1 RETURN_VALUE\n", "  consts: <code #5 g>\n")),
      ErrorKind::BytecodeError, "code #5, which is not defined"));
  EXPECT_TRUE(fails_with(
      assemble(one_block("  0 LOAD_CONST 0\n  1 RETURN_VALUE\n", "  consts: <code #0 f>\n")),
      ErrorKind::BytecodeError, "contains itself"));
}

TEST(Assembler, ReportsVerifierErrorsAtTheBlock) {
  // BINARY_OP on an empty stack: the verifier's message, prefixed with the block's line.
  EXPECT_TRUE(fails_with(assemble(one_block("  0 BINARY_OP +\n  1 RETURN_VALUE\n")),
                         ErrorKind::BytecodeError,
                         "<assembly>:1: code 'f', offset 0 (BINARY_OP): stack underflow"));
}

TEST(Assembler, MutatedTextNeverCrashes) {
  // Every single-byte mutation of a valid listing either assembles (to verified code) or fails
  // with a BytecodeError; none may crash (the asan preset runs this under ASan/UBSan too).
  const std::string text = disassemble(*sample_tree());
  const char replacements[] = {'\0', ' ', '\n', '(', ')', '\'', '#', ',', '-', '9', 'x', '>'};
  uint64_t state = 12345;
  for (int trial = 0; trial < 3000; ++trial) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    std::string mutated = text;
    std::size_t at = (state >> 33) % mutated.size();
    mutated[at] = replacements[(state >> 17) % sizeof(replacements)];
    auto result = assemble(mutated, "mutated.gya");
    if (!result.ok()) {
      EXPECT_EQ(result.error().kind, ErrorKind::BytecodeError) << result.error().to_string();
    }
  }
}
