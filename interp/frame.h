// Interpreter::Frame: one activation of a code object (its values live on the ValueStack),
// shared by the call machinery (interpreter.cc) and the evaluation loop (eval_loop.cc).
#pragma once

#include <cstdint>
#include <vector>

#include "interp/interpreter.h"

namespace gyro {

struct Interpreter::Frame {
  const Code* code = nullptr;
  CodeCache* cache = nullptr;
  Value function;        // the module's top level runs as a function too
  Value globals;         // dict
  Value namespace_dict;  // a class body's namespace, else None
  // All from the interpreter's ValueStack: locals, then cells, then the operand stack.
  Value* values = nullptr;
  std::size_t value_count = 0;
  Value* locals;
  Value* cells;  // cell objects: code.cell_names, then code.free_names
  Value* stack;  // the operand stack's bottom
  Value* top;    // one past its top (run_frame keeps it in a register, stores it when needed)
  struct Block {
    std::size_t handler;
    std::size_t depth;
  };
  std::vector<Block> blocks;
  std::vector<Value> handled;  // exceptions whose handlers are running (for a bare `raise`)
  uint64_t serial = 0;
  std::size_t resume = 0;  // where handle_exception sends execution
  // Calls made inside the loop (no C++ recursion): the calling frame, and its call
  // instruction (the traceback line; execution resumes after it).
  Frame* caller = nullptr;
  std::size_t call_pc = 0;
};

}  // namespace gyro
