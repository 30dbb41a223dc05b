// Opcodes, their operand kinds and stack effects, and BINARY_OP/COMPARE_OP operands, all
// derived from opcodes.def, binops.def and compare_ops.def.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace gyro {

enum class Opcode : uint8_t {
#define OPCODE(name, operand, pop, push, jump_pop, jump_push, flags) name,
#include "ir/opcodes.def"
#undef OPCODE
};
inline constexpr int kNumOpcodes = 0
#define OPCODE(name, operand, pop, push, jump_pop, jump_push, flags) +1
#include "ir/opcodes.def"
#undef OPCODE
    ;

// What an instruction's operand indexes or means; the verifier checks each kind's range and
// the disassembler prints each kind's meaning.
enum class OperandKind : uint8_t {
  kNone,           // no operand (must be 0)
  kLocal,          // index into local_names
  kConst,          // index into constants
  kName,           // index into names
  kCell,           // index into cell_names then free_names
  kJump,           // instruction index
  kCount,          // a count of stack items
  kBinop,          // a Binop
  kCompare,        // a CompareOp
  kFlag,           // 0 or 1
  kFunctionFlags,  // MAKE_FUNCTION: bit 0 defaults tuple, bit 1 closure tuple
};

enum OpcodeFlag : uint8_t {
  kTerminator = 1 << 0,  // never falls through to the next instruction
  kBlockPush = 1 << 1,   // pushes a try block (its jump target is the handler)
  kBlockPop = 1 << 2,    // pops a try block
};

struct StackEffect {
  int pop;
  int push;
};

std::string_view opcode_name(Opcode opcode);
std::optional<Opcode> opcode_from_name(std::string_view name);
OperandKind operand_kind(Opcode opcode);
uint8_t opcode_flags(Opcode opcode);
inline bool is_jump(Opcode opcode) {
  return operand_kind(opcode) == OperandKind::kJump;
}

// The stack effect of `opcode` with operand `arg` when it falls through (jump = false) or
// branches (jump = true; only for instructions with a kJump operand).
StackEffect stack_effect(Opcode opcode, uint32_t arg, bool jump);

enum class Binop : uint8_t {
#define BINOP(name, symbol) name,
#include "ir/binops.def"
#undef BINOP
};
inline constexpr int kNumBinops = 0
#define BINOP(name, symbol) +1
#include "ir/binops.def"
#undef BINOP
    ;
std::string_view binop_symbol(Binop op);  // "+", "+=", ...
std::optional<Binop> binop_from_symbol(std::string_view symbol);

enum class CompareOp : uint8_t {
#define COMPARE(name, symbol) name,
#include "ir/compare_ops.def"
#undef COMPARE
};
inline constexpr int kNumCompareOps = 0
#define COMPARE(name, symbol) +1
#include "ir/compare_ops.def"
#undef COMPARE
    ;
std::string_view compare_symbol(CompareOp op);
std::optional<CompareOp> compare_from_symbol(std::string_view symbol);

}  // namespace gyro
