// fuzz_safetensors: bytes -> the safetensors reader (ir/safetensors.h). Any input must load or
// fail with a ValueError; nothing may crash or read out of bounds.
#include <cstdint>
#include <span>

#include "ir/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  auto contents = gyro::read_safetensors(std::span<const uint8_t>(data, size), "fuzz");
  (void)contents;
  return 0;
}
