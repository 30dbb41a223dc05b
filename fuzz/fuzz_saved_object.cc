// fuzz_saved_object: bytes -> load() of a saved object (interp/saved_object.h), in one
// interpreter with the prelude (so classes such as gyro.nn.Linear can be found by name).
#include <cstdint>
#include <span>

#include "interp/interpreter.h"
#include "interp/saved_object.h"
#include "lang/prelude.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static gyro::Interpreter* vm = [] {
    auto* made = new gyro::Interpreter([](std::string_view) {});
    (void)gyro::lang::install_prelude(*made);
    return made;
  }();
  auto loaded = gyro::load_object(*vm, std::span<const uint8_t>(data, size), "fuzz");
  (void)loaded;
  return 0;
}
