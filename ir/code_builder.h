// CodeBuilder: how a host (or gyro's own compiler) emits bytecode directly.
//
//   CodeBuilder b("add");                     // def add(a, b): return a + b
//   b.set_parameters({"a", "b"});
//   b.emit(Opcode::LOAD_FAST, b.local("a"));
//   b.emit(Opcode::LOAD_FAST, b.local("b"));
//   b.emit(Opcode::BINARY_OP, static_cast<uint32_t>(Binop::ADD));
//   b.emit(Opcode::RETURN_VALUE);
//   Expected<std::shared_ptr<Code>> code = b.finish();   // labels resolved, verified
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ir/code.h"
#include "ir/error.h"

namespace gyro {

// A jump target; bind it at the instruction it stands for (before or after the jumps to it).
struct Label {
  int id = -1;
};

class CodeBuilder {
 public:
  explicit CodeBuilder(std::string name, std::string filename = "<builder>", int first_line = 1);

  // Declares the parameters, which become the first locals (`varargs`: the last one is *args).
  void set_parameters(const std::vector<std::string>& names, bool varargs = false);

  // Indices for operands, each entry added on first use. Constants are deduplicated.
  uint32_t local(std::string_view name);
  uint32_t name(std::string_view name);
  uint32_t constant(const Constant& value);
  // Cell operands: cells (locals captured by inner functions) and free variables (captured
  // from outer ones) share one index space, cells first. free_var() returns a tagged index
  // that only emit() understands; finish() turns it into the final one.
  uint32_t cell(std::string_view name);
  uint32_t free_var(std::string_view name);

  // Source line of the instructions emitted from now on.
  void set_line(int line) { line_ = line; }

  CodeBuilder& emit(Opcode opcode, uint32_t arg = 0);
  CodeBuilder& emit_jump(Opcode opcode, Label target);
  Label new_label();
  void bind(Label label);
  // Offset of the next instruction.
  std::size_t offset() const { return code_.instructions.size(); }

  // Resolves labels and free-variable operands, then verifies. The builder is spent after.
  Expected<std::shared_ptr<Code>> finish();

 private:
  Code code_;
  int line_;
  std::vector<std::size_t> label_offsets_;          // per label; npos until bound
  std::vector<std::pair<std::size_t, int>> jumps_;  // (instruction, label)
  std::vector<std::size_t> free_uses_;              // instructions whose operand is a free index
  std::vector<std::string> error_;                  // builder misuse found before finish()
};

}  // namespace gyro
