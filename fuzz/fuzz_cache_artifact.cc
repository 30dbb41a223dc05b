// fuzz_cache_artifact: bytes -> the compile-cache artifact loader (interp/persistent_cache.h):
// header, checksum (skipped in fuzzing builds), every entry decoded and its graph rebuilt.
#include <cstdint>
#include <span>
#include <string>

#include "interp/persistent_cache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  gyro::PersistentCache cache;
  auto loaded = cache.load_image(std::span<const uint8_t>(data, size), "fuzz",
                                 [](std::string) {});
  (void)loaded;
  return 0;
}
