// Interpreter::Frame: one activation of a code object (its values live on the ValueStack),
// shared by the call machinery (interpreter.cc) and the evaluation loop (eval_loop.cc).
#pragma once

#include <cstdint>
#include <vector>

#include "interp/interpreter.h"
#include "ir/assert.h"

namespace gyro {

struct Interpreter::Frame {
  const Code* code = nullptr;
  CodeCache* cache = nullptr;
  Value function;        // the module's top level runs as a function too
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

  const Value& globals() const { return function.as<FunctionObject>().globals; }
};

// The frame for a call of `callable` (a Function) at the current depth, its values taken from
// the value stack (locals unbound only after binding). Frames are reused by depth: the frame
// at each depth is free once its call returned.
__attribute__((always_inline)) inline Interpreter::Frame& Interpreter::push_frame(
    const Value& callable, Value namespace_dict) {
  const auto& function = callable.as<FunctionObject>();
  CodeCache& cache = function.cache_owner == this ? *function.cache : cache_of(function);
  if (static_cast<std::size_t>(depth_) == frames_.size())
    frames_.push_back(std::make_unique<Frame>());
  Frame& frame = *frames_[depth_];
  frame.code = cache.code.get();
  frame.cache = &cache;
  frame.function = callable;
  if (!namespace_dict.is_none()) frame.namespace_dict = std::move(namespace_dict);
  frame.value_count = cache.frame_size;
  frame.values = value_stack_.allocate(cache.frame_size);
  frame.locals = frame.values;
  frame.cells = frame.locals + cache.local_count;
  frame.stack = frame.values + cache.stack_offset;
  frame.top = frame.stack;
  frame.serial = ++frame_serial_;
  frame.caller = nullptr;
  ++depth_;
  return frame;
}

// Gives a frame's values back and makes it free for the next call at its depth.
__attribute__((always_inline)) inline void Interpreter::leave_frame(Frame& frame) {
  // Above the operand stack's top no value holds an object (run_frame stores top on leaving).
#ifndef NDEBUG
  for (Value* value = frame.top; value < frame.values + frame.value_count; ++value)
    GYRO_ASSERT(!value->is_object(), "a frame left an object above its stack top");
#endif
  value_stack_.release(frame.values, frame.value_count, frame.top);
  if (!frame.blocks.empty()) frame.blocks.clear();
  if (!frame.handled.empty()) frame.handled.clear();
  frame.function = Value();
  if (!frame.namespace_dict.is_none()) frame.namespace_dict = Value();
  --depth_;
}

}  // namespace gyro
