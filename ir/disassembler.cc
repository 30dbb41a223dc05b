// Disassembly driven by the opcode table's operand kinds.
#include "ir/disassembler.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace gyro {

namespace {

// What an operand means, or "" when the number says it all.
std::string operand_meaning(const Code& code, const Instruction& instruction) {
  const uint32_t arg = instruction.arg;
  auto lookup = [&](const std::vector<std::string>& list) {
    return arg < list.size() ? list[arg] : std::string("?");
  };
  switch (operand_kind(instruction.opcode)) {
    case OperandKind::kNone:
    case OperandKind::kCount:
      return "";
    case OperandKind::kLocal:
      return lookup(code.local_names);
    case OperandKind::kName:
      return lookup(code.names);
    case OperandKind::kConst:
      return arg < code.constants.size() ? code.constants[arg].repr() : "?";
    case OperandKind::kCell:
      if (arg < code.cell_names.size()) return code.cell_names[arg];
      if (arg - code.cell_names.size() < code.free_names.size())
        return code.free_names[arg - code.cell_names.size()];
      return "?";
    case OperandKind::kJump:
      return fmt::format("to {}", arg);
    case OperandKind::kBinop:
      return arg < static_cast<uint32_t>(kNumBinops)
                 ? std::string(binop_symbol(static_cast<Binop>(arg)))
                 : "?";
    case OperandKind::kCompare:
      return arg < static_cast<uint32_t>(kNumCompareOps)
                 ? std::string(compare_symbol(static_cast<CompareOp>(arg)))
                 : "?";
    case OperandKind::kFlag:
      if (instruction.opcode == Opcode::IS_OP) return arg ? "is not" : "is";
      if (instruction.opcode == Opcode::CONTAINS_OP) return arg ? "not in" : "in";
      return arg ? "with kwargs" : "";
    case OperandKind::kFunctionFlags: {
      std::string parts;
      if (arg & 1) parts += "defaults";
      if (arg & 2) parts += parts.empty() ? "closure" : ", closure";
      return parts;
    }
  }
  return "";
}

// Constants as the assembler reads them back: Python repr, code objects by table index.
std::string constant_text(const Constant& constant, const std::vector<const Code*>& codes) {
  switch (constant.kind()) {
    case Constant::Kind::kCode: {
      std::size_t index =
          std::find(codes.begin(), codes.end(), constant.as_code().get()) - codes.begin();
      return fmt::format("<code #{} {}>", index, constant.as_code()->name);
    }
    case Constant::Kind::kTuple: {
      std::vector<std::string> items;
      for (const Constant& item : constant.items()) items.push_back(constant_text(item, codes));
      return fmt::format("({}{})", fmt::join(items, ", "), items.size() == 1 ? "," : "");
    }
    case Constant::Kind::kNone:
    case Constant::Kind::kBool:
    case Constant::Kind::kInt:
    case Constant::Kind::kFloat:
    case Constant::Kind::kString:
    case Constant::Kind::kEllipsis:
      return constant.repr();
  }
  return "?";
}

// "  label: a, b" (no trailing space for an empty list).
std::string list_line(std::string_view label, const std::vector<std::string>& items) {
  if (items.empty()) return fmt::format("  {}\n", label);
  return fmt::format("  {} {}\n", label, fmt::join(items, ", "));
}

std::vector<std::string> quoted(const std::vector<std::string>& names) {
  std::vector<std::string> result;
  for (const auto& name : names) result.push_back(Constant::string(name).repr());
  return result;
}

void disassemble_one(const Code& code, std::size_t index, const std::vector<const Code*>& codes,
                     std::string& out) {
  std::vector<bool> is_target(code.instructions.size(), false);
  for (const Instruction& instruction : code.instructions)
    if (is_jump(instruction.opcode) && instruction.arg < is_target.size())
      is_target[instruction.arg] = true;
  std::vector<std::string> consts;
  for (const Constant& constant : code.constants) consts.push_back(constant_text(constant, codes));
  out += fmt::format("code #{} {}\n", index, Constant::string(code.name).repr());
  out += fmt::format("  file {} line {} args {} flags {} stack {}\n",
                     Constant::string(code.filename).repr(), code.first_line, code.arg_count,
                     code.flags, code.max_stack);
  out += list_line("consts:", consts);
  out += list_line("names:", quoted(code.names));
  out += list_line("locals:", quoted(code.local_names));
  out += list_line("cells:", quoted(code.cell_names));
  out += list_line("frees:", quoted(code.free_names));
  int last_line = -1;
  for (std::size_t pc = 0; pc < code.instructions.size(); ++pc) {
    const Instruction& instruction = code.instructions[pc];
    int line = pc < code.lines.size() ? code.lines[pc] : -1;
    std::string line_column = line != last_line ? fmt::format("{:>4}", line) : "    ";
    last_line = line;
    std::string meaning =
        instruction.opcode == Opcode::LOAD_CONST && instruction.arg < consts.size()
            ? consts[instruction.arg]
            : operand_meaning(code, instruction);
    std::string text = fmt::format("  {} {:>2} {:>5} {:<22}", line_column,
                                   is_target[pc] ? ">>" : "", pc, opcode_name(instruction.opcode));
    if (operand_kind(instruction.opcode) != OperandKind::kNone)
      text += fmt::format(" {:>4}", instruction.arg);
    if (!meaning.empty()) text += fmt::format(" ({})", meaning);
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  out += "end\n";
}

}  // namespace

std::string disassemble(const Code& code) {
  std::string out;
  std::vector<const Code*> codes = all_codes(code);
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if (i) out += "\n";
    disassemble_one(*codes[i], i, codes, out);
  }
  return out;
}

}  // namespace gyro
