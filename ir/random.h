// The random stream: a seeded counter-based generator (Philox4x32-10) shared by every backend.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace gyro {

// The spec (docs/random.md): a generator is (seed, offset). A rand/randn call of n elements
// reserves counters [offset, offset + n) and element i is a pure function of (seed, offset + i),
// so a blocked or threaded backend reproduces the VM's values exactly, in program order.
class Generator {
 public:
  explicit Generator(uint64_t seed = kDefaultSeed) { manual_seed(seed); }

  void manual_seed(uint64_t seed) {
    seed_.store(seed, std::memory_order_relaxed);
    offset_.store(0, std::memory_order_relaxed);
  }
  uint64_t seed() const { return seed_.load(std::memory_order_relaxed); }
  uint64_t offset() const { return offset_.load(std::memory_order_relaxed); }
  // Reserves `count` counters and returns the first.
  uint64_t reserve(uint64_t count) { return offset_.fetch_add(count, std::memory_order_relaxed); }

  static constexpr uint64_t kDefaultSeed = 67280421310721ull;  // PyTorch's default seed

 private:
  std::atomic<uint64_t> seed_;
  std::atomic<uint64_t> offset_;
};

// The process-wide default generator (what manual_seed() seeds).
Generator& default_generator();

// Philox4x32-10 (Salmon et al., SC'11) of counter `counter` under key `seed`.
std::array<uint32_t, 4> philox4x32(uint64_t seed, uint64_t counter);

// Element values of the stream, as defined by the spec.
inline float uniform_float(uint64_t seed, uint64_t counter) {
  return static_cast<float>(philox4x32(seed, counter)[0] >> 8) * (1.0f / 16777216.0f);
}
inline double uniform_double(uint64_t seed, uint64_t counter) {
  auto words = philox4x32(seed, counter);
  uint64_t bits = (static_cast<uint64_t>(words[0]) << 21) ^ (words[1] >> 11);
  return static_cast<double>(bits & ((uint64_t{1} << 53) - 1)) * (1.0 / 9007199254740992.0);
}
// Box-Muller over the counter's words 2 and 3 (cosine branch): one normal per counter.
double normal_double(uint64_t seed, uint64_t counter);

}  // namespace gyro
