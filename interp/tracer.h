// The symbolic evaluator: runs a frame's bytecode over symbolic values, turning tensor work
// into a captured program and every fact it relied on into a guard. One handler per opcode,
// mirroring the reference VM's; calls of script functions and methods are inlined.
#pragma once

#include <span>
#include <string>
#include <variant>

#include "interp/capture.h"
#include "interp/interpreter.h"
#include "interp/shape_policy.h"

namespace gyro {

enum class BreakReason : uint8_t {
#define BREAK_REASON(name, explanation, hint) name,
#include "interp/break_reasons.def"
#undef BREAK_REASON
};
std::string_view break_reason_name(BreakReason reason);
std::string_view break_reason_explanation(BreakReason reason);
std::string_view break_reason_hint(BreakReason reason);

// Why a trace stopped short, with the script line it stopped at.
struct TraceStop {
  BreakReason reason;
  std::string filename;
  int line = 0;
  std::string detail;            // the instruction, builtin or error involved
  std::string describe() const;  // "reason (file:line): explanation; detail"
};

// Traces `function`'s frame from `start_pc` (0, or a resume point after a graph break) with
// its current `locals` and live operand `stack`, to its return or the next break. The frame's
// values are read, never changed.
std::variant<Capture, TraceStop> trace_frame(Interpreter& vm, const Value& function,
                                             std::span<const Value> locals,
                                             std::span<const Value> stack = {},
                                             std::size_t start_pc = 0, ShapePolicy policy = {});

}  // namespace gyro
