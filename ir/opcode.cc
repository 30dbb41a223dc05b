// Opcode metadata tables expanded from opcodes.def, binops.def and compare_ops.def.
#include "ir/opcode.h"

#include "ir/assert.h"

namespace gyro {

namespace {

struct OpcodeInfo {
  std::string_view name;
  OperandKind operand;
  uint8_t flags;
};

constexpr OpcodeInfo kOpcodes[] = {
#define OPCODE(name, operand, pop, push, jump_pop, jump_push, flags) \
  {#name, OperandKind::operand, static_cast<uint8_t>(flags)},
#include "ir/opcodes.def"
#undef OPCODE
};

constexpr std::string_view kBinopSymbols[] = {
#define BINOP(name, symbol) symbol,
#include "ir/binops.def"
#undef BINOP
};

constexpr std::string_view kCompareSymbols[] = {
#define COMPARE(name, symbol) symbol,
#include "ir/compare_ops.def"
#undef COMPARE
};

}  // namespace

std::string_view opcode_name(Opcode opcode) {
  return kOpcodes[static_cast<int>(opcode)].name;
}
OperandKind operand_kind(Opcode opcode) {
  return kOpcodes[static_cast<int>(opcode)].operand;
}
uint8_t opcode_flags(Opcode opcode) {
  return kOpcodes[static_cast<int>(opcode)].flags;
}

std::optional<Opcode> opcode_from_name(std::string_view name) {
  for (int i = 0; i < kNumOpcodes; ++i)
    if (kOpcodes[i].name == name) return static_cast<Opcode>(i);
  return std::nullopt;
}

StackEffect stack_effect(Opcode opcode, uint32_t operand, bool jump) {
  // The formulas in opcodes.def are written over `arg`.
  const int arg = static_cast<int>(operand);
  switch (opcode) {
#define OPCODE(name, operand_kind, pop, push, jump_pop, jump_push, flags) \
  case Opcode::name:                                                      \
    return jump ? StackEffect{jump_pop, jump_push} : StackEffect{pop, push};
#include "ir/opcodes.def"
#undef OPCODE
  }
  GYRO_UNREACHABLE("bad opcode {}", static_cast<int>(opcode));
}

std::string_view binop_symbol(Binop op) {
  return kBinopSymbols[static_cast<int>(op)];
}
std::optional<Binop> binop_from_symbol(std::string_view symbol) {
  for (int i = 0; i < kNumBinops; ++i)
    if (kBinopSymbols[i] == symbol) return static_cast<Binop>(i);
  return std::nullopt;
}

std::string_view compare_symbol(CompareOp op) {
  return kCompareSymbols[static_cast<int>(op)];
}
std::optional<CompareOp> compare_from_symbol(std::string_view symbol) {
  for (int i = 0; i < kNumCompareOps; ++i)
    if (kCompareSymbols[i] == symbol) return static_cast<CompareOp>(i);
  return std::nullopt;
}

}  // namespace gyro
