// CodeBuilder: operand tables with first-use indices, labels patched at finish().
#include "ir/code_builder.h"

#include <algorithm>

#include "ir/verifier.h"

namespace gyro {

namespace {
constexpr std::size_t kUnbound = static_cast<std::size_t>(-1);
// free_var() tags its index; emit() strips the tag and finish() adds the final cell count.
constexpr uint32_t kFreeVarTag = 1u << 31;

uint32_t index_of(std::vector<std::string>& list, std::string_view name) {
  auto it = std::find(list.begin(), list.end(), name);
  if (it != list.end()) return static_cast<uint32_t>(it - list.begin());
  list.emplace_back(name);
  return static_cast<uint32_t>(list.size() - 1);
}
}  // namespace

CodeBuilder::CodeBuilder(std::string name, std::string filename, int first_line)
    : line_(first_line) {
  code_.name = std::move(name);
  code_.filename = std::move(filename);
  code_.first_line = first_line;
}

void CodeBuilder::set_parameters(const std::vector<std::string>& names, bool varargs) {
  if (!code_.local_names.empty()) {
    error_.push_back("set_parameters() called after locals were declared");
    return;
  }
  code_.local_names = names;
  code_.arg_count = static_cast<int>(names.size());
  if (varargs) code_.flags |= kVarargs;
}

uint32_t CodeBuilder::local(std::string_view name) {
  return index_of(code_.local_names, name);
}
uint32_t CodeBuilder::name(std::string_view name) {
  return index_of(code_.names, name);
}
uint32_t CodeBuilder::cell(std::string_view name) {
  return index_of(code_.cell_names, name);
}
uint32_t CodeBuilder::free_var(std::string_view name) {
  return index_of(code_.free_names, name) | kFreeVarTag;
}

uint32_t CodeBuilder::constant(const Constant& value) {
  auto it = std::find(code_.constants.begin(), code_.constants.end(), value);
  if (it != code_.constants.end()) return static_cast<uint32_t>(it - code_.constants.begin());
  code_.constants.push_back(value);
  return static_cast<uint32_t>(code_.constants.size() - 1);
}

CodeBuilder& CodeBuilder::emit(Opcode opcode, uint32_t arg) {
  if (is_jump(opcode))
    error_.push_back(fmt::format("{} needs emit_jump() with a label", opcode_name(opcode)));
  // A free variable's index counts after every cell, and cells may still be declared later.
  if (operand_kind(opcode) == OperandKind::kCell && (arg & kFreeVarTag)) {
    free_uses_.push_back(code_.instructions.size());
    arg &= ~kFreeVarTag;
  }
  code_.instructions.push_back({opcode, arg});
  code_.lines.push_back(line_);
  return *this;
}

CodeBuilder& CodeBuilder::emit_jump(Opcode opcode, Label target) {
  if (!is_jump(opcode))
    error_.push_back(fmt::format("emit_jump() with {}, which does not jump", opcode_name(opcode)));
  if (target.id < 0 || target.id >= static_cast<int>(label_offsets_.size()))
    error_.push_back(fmt::format("emit_jump() with an unknown label {}", target.id));
  jumps_.emplace_back(code_.instructions.size(), target.id);
  code_.instructions.push_back({opcode, 0});
  code_.lines.push_back(line_);
  return *this;
}

Label CodeBuilder::new_label() {
  label_offsets_.push_back(kUnbound);
  return Label{static_cast<int>(label_offsets_.size() - 1)};
}

void CodeBuilder::bind(Label label) {
  if (label.id < 0 || label.id >= static_cast<int>(label_offsets_.size())) {
    error_.push_back(fmt::format("bind() of an unknown label {}", label.id));
    return;
  }
  if (label_offsets_[label.id] != kUnbound) {
    error_.push_back(fmt::format("label {} bound twice", label.id));
    return;
  }
  label_offsets_[label.id] = code_.instructions.size();
}

Expected<std::shared_ptr<Code>> CodeBuilder::finish() {
  if (!error_.empty())
    return make_error(ErrorKind::BytecodeError, "code '{}': {}", code_.name,
                      fmt::join(error_, "; "));
  for (auto [instruction, label] : jumps_) {
    std::size_t target = label_offsets_[label];
    if (target == kUnbound)
      return make_error(ErrorKind::BytecodeError, "code '{}': label {} is used but never bound",
                        code_.name, label);
    code_.instructions[instruction].arg = static_cast<uint32_t>(target);
  }
  for (std::size_t instruction : free_uses_)
    code_.instructions[instruction].arg += static_cast<uint32_t>(code_.cell_names.size());
  auto code = std::make_shared<Code>(std::move(code_));
  GYRO_TRY(verify(*code));
  return code;
}

}  // namespace gyro
