// Verifier: per-instruction operand checks, then an abstract walk of stack and block depths.
#include "ir/verifier.h"

#include <set>
#include <vector>

namespace gyro {

namespace {

struct Verifier {
  const Code& code;

  template <typename... Args>
  Error fail_at(std::size_t pc, fmt::format_string<Args...> format, Args&&... args) const {
    return make_error(ErrorKind::BytecodeError, "code '{}', offset {} ({}): {}", code.name, pc,
                      opcode_name(code.instructions[pc].opcode),
                      fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  Error fail(fmt::format_string<Args...> format, Args&&... args) const {
    return make_error(ErrorKind::BytecodeError, "code '{}': {}", code.name,
                      fmt::format(format, std::forward<Args>(args)...));
  }

  Status check_layout() const {
    if (code.instructions.empty()) return fail("has no instructions");
    if (code.instructions.size() > kMaxInstructions)
      return fail("has {} instructions; the limit is {}", code.instructions.size(),
                  kMaxInstructions);
    if (code.lines.size() != code.instructions.size())
      return fail("line table has {} entries for {} instructions", code.lines.size(),
                  code.instructions.size());
    if (code.arg_count < 0 || code.arg_count > static_cast<int>(code.local_names.size()))
      return fail("arg_count {} exceeds its {} local names", code.arg_count,
                  code.local_names.size());
    if ((code.flags & kVarargs) && code.arg_count == 0)
      return fail("takes *args but has no argument to hold them");
    if (code.flags & ~static_cast<uint32_t>(kVarargs))
      return fail("unknown flags {:#x}", code.flags);
    for (const auto* list : {&code.local_names, &code.cell_names, &code.free_names}) {
      std::set<std::string_view> seen;
      for (const auto& name : *list)
        if (!seen.insert(name).second) return fail("duplicate variable name '{}'", name);
    }
    for (std::size_t i = 0; i < code.constants.size(); ++i) {
      const Constant& constant = code.constants[i];
      if (constant.kind() == Constant::Kind::kCode && !constant.as_code())
        return fail("constant {} is an empty code object", i);
    }
    return {};
  }

  Status check_operand(std::size_t pc) const {
    const Instruction& instruction = code.instructions[pc];
    if (static_cast<int>(instruction.opcode) >= kNumOpcodes)
      return make_error(ErrorKind::BytecodeError, "code '{}', offset {}: unknown opcode {}",
                        code.name, pc, static_cast<int>(instruction.opcode));
    const uint32_t arg = instruction.arg;
    auto in_range = [&](std::size_t size, std::string_view what) -> Status {
      if (arg >= size)
        return fail_at(pc, "operand {} is out of range: {} has {} entries", arg, what, size);
      return {};
    };
    switch (operand_kind(instruction.opcode)) {
      case OperandKind::kNone:
        if (arg != 0) return fail_at(pc, "takes no operand but has {}", arg);
        return {};
      case OperandKind::kLocal:
        return in_range(code.local_names.size(), "local_names");
      case OperandKind::kConst:
        return in_range(code.constants.size(), "constants");
      case OperandKind::kName:
        return in_range(code.names.size(), "names");
      case OperandKind::kCell:
        return in_range(code.cell_names.size() + code.free_names.size(), "cells and free vars");
      case OperandKind::kJump:
        return in_range(code.instructions.size(), "the instruction list");
      case OperandKind::kCount:
        if (arg > static_cast<uint32_t>(kMaxStackDepth))
          return fail_at(pc, "count {} exceeds the stack limit {}", arg, kMaxStackDepth);
        if (instruction.opcode == Opcode::BUILD_SLICE && arg != 2 && arg != 3)
          return fail_at(pc, "BUILD_SLICE takes 2 or 3 items, not {}", arg);
        if (instruction.opcode == Opcode::RAISE_VARARGS && arg > 1)
          return fail_at(pc, "RAISE_VARARGS takes 0 or 1 items, not {}", arg);
        if ((instruction.opcode == Opcode::COPY || instruction.opcode == Opcode::SWAP ||
             instruction.opcode == Opcode::LIST_APPEND ||
             instruction.opcode == Opcode::LIST_EXTEND) &&
            arg == 0)
          return fail_at(pc, "{} needs a depth of at least 1", opcode_name(instruction.opcode));
        return {};
      case OperandKind::kBinop:
        return in_range(kNumBinops, "the binary operators");
      case OperandKind::kCompare:
        return in_range(kNumCompareOps, "the comparison operators");
      case OperandKind::kFlag:
        return in_range(2, "the flag values {0, 1}");
      case OperandKind::kFunctionFlags:
        return in_range(4, "the MAKE_FUNCTION flags");
    }
    GYRO_UNREACHABLE("bad operand kind");
  }

  // Walks every path from offset 0, recording the stack and try-block depth on entry to each
  // instruction; a second path must agree with the first. Returns the deepest stack seen.
  Expected<int> check_flow(std::vector<FlowDepth>* depths = nullptr) const {
    const std::size_t size = code.instructions.size();
    std::vector<int> depth_at(size, -1), block_at(size, -1);
    std::vector<std::size_t> worklist{0};
    depth_at[0] = 0;
    block_at[0] = 0;
    int max_depth = 0;
    auto reach = [&](std::size_t from, std::size_t target, int depth, int blocks) -> Status {
      if (depth_at[target] < 0) {
        depth_at[target] = depth;
        block_at[target] = blocks;
        worklist.push_back(target);
        return {};
      }
      if (depth_at[target] != depth)
        return fail_at(from, "reaches offset {} with stack depth {}, but another path has {}",
                       target, depth, depth_at[target]);
      if (block_at[target] != blocks)
        return fail_at(from, "reaches offset {} inside {} try blocks, but another path has {}",
                       target, blocks, block_at[target]);
      return {};
    };
    while (!worklist.empty()) {
      std::size_t pc = worklist.back();
      worklist.pop_back();
      const Instruction& instruction = code.instructions[pc];
      const int depth = depth_at[pc], blocks = block_at[pc];
      const uint8_t flags = opcode_flags(instruction.opcode);
      StackEffect through = stack_effect(instruction.opcode, instruction.arg, false);
      if (depth < through.pop)
        return fail_at(pc, "stack underflow: needs {} values, has {}", through.pop, depth);
      int after = depth - through.pop + through.push;
      if (after > kMaxStackDepth)
        return fail_at(pc, "stack depth {} exceeds the limit {}", after, kMaxStackDepth);
      max_depth = std::max(max_depth, after);
      int blocks_after = blocks;
      if (flags & kBlockPush) {
        if (blocks >= kMaxBlockDepth)
          return fail_at(pc, "more than {} nested try blocks", kMaxBlockDepth);
        blocks_after = blocks + 1;
      }
      if (flags & kBlockPop) {
        if (blocks == 0) return fail_at(pc, "pops a try block outside any try block");
        blocks_after = blocks - 1;
      }
      if (is_jump(instruction.opcode)) {
        StackEffect taken = stack_effect(instruction.opcode, instruction.arg, true);
        if (depth < taken.pop)
          return fail_at(pc, "stack underflow on the branch: needs {} values, has {}", taken.pop,
                         depth);
        int at_target = depth - taken.pop + taken.push;
        if (at_target > kMaxStackDepth)
          return fail_at(pc, "stack depth {} at offset {} exceeds the limit {}", at_target,
                         instruction.arg, kMaxStackDepth);
        max_depth = std::max(max_depth, at_target);
        // A handler runs after its try block is popped.
        GYRO_TRY(reach(pc, instruction.arg, at_target, blocks));
      }
      if (!(flags & kTerminator)) {
        if (pc + 1 == size) return fail_at(pc, "execution falls off the end of the code");
        GYRO_TRY(reach(pc, pc + 1, after, blocks_after));
      }
    }
    if (depths)
      for (std::size_t pc = 0; pc < size; ++pc) depths->push_back({depth_at[pc], block_at[pc]});
    return max_depth;
  }
};

}  // namespace

Expected<std::vector<FlowDepth>> flow_depths(const Code& code) {
  Verifier verifier{code};
  std::vector<FlowDepth> depths;
  GYRO_TRY(verifier.check_flow(&depths));
  return depths;
}

Status verify(Code& code) {
  Verifier verifier{code};
  GYRO_TRY(verifier.check_layout());
  for (std::size_t pc = 0; pc < code.instructions.size(); ++pc)
    GYRO_TRY(verifier.check_operand(pc));
  GYRO_ASSIGN_OR_RETURN(code.max_stack, verifier.check_flow());
  return {};
}

}  // namespace gyro
