// fuzz_script: bytes -> gyro script's lexer, parser and compiler -> verifier; a program that
// compiles then runs in the reference VM and again with every function compiled (compile_all),
// inside the sandbox's walls. Any input must compile or fail with a SyntaxError-style error,
// and run or raise a script exception; nothing may crash.
#include <cstdint>
#include <string_view>

#include "fuzz/sandbox.h"
#include "lang/compiler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view source(reinterpret_cast<const char*>(data), size);
  auto code = gyro::lang::compile_source(source, "fuzz.gy");
  if (!code.ok()) return 0;
  gyro::fuzz::run_interpreted_and_compiled(*code);
  return 0;
}
