// The differential fuzzer's program generator: reads fuzz input bytes as a sequence of choices
// and writes a well-formed gyro script program over tensors from them (any bytes make a
// program; a longer input makes a longer one), plus the shapes to call it with.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gyro::fuzz {

// The sizes A, B, C the program's inputs are made with (`inputs(a, b, c, n)` in the program),
// and the int argument n.
struct ShapeSet {
  std::array<int64_t, 3> sizes;  // A, B, C
  int64_t n;
};

struct GeneratedProgram {
  // Defines `inputs(a, b, c, n)` (the argument list for f: tensors x, y of A x B, w of B x C,
  // v of B, the int n and a list of two tensors), helper functions, and
  // `f(x, y, w, v, n, items)`, the function under test.
  std::string source;
  // The calls to make, in order: the first shapes, other shapes (a recompile, then the dynamic
  // path), and the first again (a cache hit).
  std::vector<ShapeSet> calls;
};

GeneratedProgram generate_program(std::span<const uint8_t> bytes);

}  // namespace gyro::fuzz
