// fuzz_gyc: bytes -> the binary bytecode loader and verifier (ir/bytecode_file.h). Any input
// must load or fail with a BytecodeError; nothing may crash.
#include <cstdint>
#include <span>

#include "ir/bytecode_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  auto module = gyro::read_bytecode(std::span<const uint8_t>(data, size));
  (void)module;
  return 0;
}
