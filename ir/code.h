// Code objects: a function's instructions, constants, names and line table; and Module.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/opcode.h"

namespace gyro {

// One instruction: an opcode and its operand (see OperandKind). Jumps hold instruction indices.
struct Instruction {
  Opcode opcode = Opcode::NOP;
  uint32_t arg = 0;

  friend bool operator==(const Instruction&, const Instruction&) = default;
};

class Code;

// A compile-time constant: what LOAD_CONST pushes (nested code objects included, as CPython).
class Constant {
 public:
  // kEllipsis is Python's `...` (Ellipsis); new kinds go last (they are .gyc constant tags).
  enum class Kind : uint8_t { kNone, kBool, kInt, kFloat, kString, kCode, kTuple, kEllipsis };

  Constant() = default;
  static Constant boolean(bool value);
  static Constant integer(int64_t value);
  static Constant real(double value);
  static Constant string(std::string value);
  static Constant code(std::shared_ptr<const Code> value);
  static Constant tuple(std::vector<Constant> items);
  static Constant ellipsis();

  Kind kind() const { return kind_; }
  bool as_bool() const { return int_ != 0; }
  int64_t as_int() const { return int_; }
  double as_float() const { return float_; }
  const std::string& as_string() const { return string_; }
  const std::shared_ptr<const Code>& as_code() const { return code_; }
  const std::vector<Constant>& items() const { return items_; }

  // Python's repr for the disassembler: None, True, 3, 2.5, 'text', (1, 2), Ellipsis, <code add>.
  std::string repr() const;
  // Structural equality (floats bitwise, so -0.0 and NaN constants stay distinct and equal to
  // themselves, which constant deduplication needs).
  friend bool operator==(const Constant& a, const Constant& b);

 private:
  Kind kind_ = Kind::kNone;
  int64_t int_ = 0;
  double float_ = 0;
  std::string string_;
  std::shared_ptr<const Code> code_;
  std::vector<Constant> items_;
};

// Code flags.
enum CodeFlag : uint32_t {
  kVarargs = 1u << 0,  // the last argument local collects extra positional args (*args)
};

class Code {
 public:
  std::string name;      // function name ("<module>" for a module's top level)
  std::string filename;  // source file, for tracebacks
  int first_line = 1;
  std::vector<Instruction> instructions;
  std::vector<int> lines;  // source line of each instruction (same length)
  std::vector<Constant> constants;
  std::vector<std::string> names;        // globals and attributes
  std::vector<std::string> local_names;  // arguments first
  std::vector<std::string> cell_names;   // locals captured by nested functions
  std::vector<std::string> free_names;   // variables captured from enclosing functions
  int arg_count = 0;                     // positional parameters, *args included
  uint32_t flags = 0;
  int max_stack = 0;  // computed by the verifier

  friend bool operator==(const Code& a, const Code& b);
};

// A compiled source file: its top-level code and, through constants, every function in it.
struct Module {
  std::string name;
  std::shared_ptr<const Code> top;
};

// Every code object reachable from `code` through constants (itself first, breadth-first).
std::vector<const Code*> all_codes(const Code& code);

}  // namespace gyro
