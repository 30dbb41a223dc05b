// The bytecode verifier: every code object passes it before it runs, whatever produced it.
#pragma once

#include <vector>

#include "ir/code.h"
#include "ir/error.h"

namespace gyro {

// Limits that keep a hostile code object from exhausting memory while it is checked or run.
inline constexpr int kMaxStackDepth = 1 << 16;
inline constexpr int kMaxBlockDepth = 32;
inline constexpr std::size_t kMaxInstructions = std::size_t{1} << 24;

// Checks one code object and sets its max_stack: operands in range for their kind, jump
// targets inside the code, the same stack depth (and try-block depth) on every path into an
// instruction, no stack underflow, no falling off the end, a line per instruction, unique
// local names. Nested code constants must already be verified (builders and loaders verify
// inner functions first). Errors are BytecodeError: "code 'f', offset 4 (BINARY_OP): ...".
Status verify(Code& code);

// The operand stack depth and try-block depth on entry to each instruction of verified code
// (-1 for an instruction no path reaches): what a frame resumed at that pc must hold (a saved
// compile-cache entry's resume point is checked against it).
struct FlowDepth {
  int stack = -1;
  int blocks = -1;
};
Expected<std::vector<FlowDepth>> flow_depths(const Code& code);

}  // namespace gyro
