// Shared by the Eigen-based kernel files: array maps, dtype sets and chunked float sums.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include <Eigen/Core>

namespace gyro::eager {

template <typename T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <typename T>
using ConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

// Which compute dtypes a functor is instantiated for (inference rules out the others).
enum TypeSet : unsigned { kFloats = 1, kInts = 2, kBools = 4, kAll = 7, kNumeric = 3 };

template <typename T>
constexpr bool in_set(unsigned set) {
  if constexpr (std::is_same_v<T, bool>)
    return set & kBools;
  else if constexpr (std::is_integral_v<T>)
    return set & kInts;
  else
    return set & kFloats;
}

// Float runs are summed in chunks that stay in L1, adding the chunk results in double: a 16M
// element sum then loses no more precision than one 4096-element chunk does, at Eigen's speed.
inline constexpr int64_t kSumChunk = 4096;

template <typename T, typename Fn>
double sum_chunks(const T* data, int64_t n, Fn&& fn) {
  double total = 0;
  for (int64_t start = 0; start < n; start += kSumChunk)
    total +=
        static_cast<double>(fn(ConstArrayMap<T>(data + start, std::min(kSumChunk, n - start))));
  return total;
}

}  // namespace gyro::eager
