// fuzz_assembly: text -> the assembler -> verifier -> the reference VM, inside the sandbox's
// walls. Bytecode a host emits need not come from gyro script, so this reaches instruction
// sequences the script compiler never makes; the verifier is the wall in front of the VM.
#include <cstdint>
#include <string_view>

#include "fuzz/sandbox.h"
#include "ir/assembler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto code = gyro::assemble(text, "fuzz.gya");
  if (!code.ok()) return 0;
  gyro::fuzz::run_interpreted_and_compiled(*code);
  return 0;
}
