// Element conversion between dtypes with defined results for every input (no UB on NaN/inf).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace gyro {

// Like a C++ cast, except that a floating value with no int64 equivalent (NaN, infinity, out of
// range) becomes INT64_MIN, which is what PyTorch produces on x86-64 (cvttsd2si). Floating ->
// bool is "!= 0" (so NaN is true).
template <typename To, typename From>
inline To convert(From value) {
  if constexpr (std::is_same_v<To, From>) {
    return value;
  } else if constexpr (std::is_same_v<To, bool>) {
    return value != From(0);
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    // 2^63 is exactly representable; anything at or beyond it (or NaN) has no int64 value.
    constexpr From kLimit = From(9223372036854775808.0);
    if (!(value > -kLimit - From(1)) || !(value < kLimit)) return std::numeric_limits<To>::min();
    return static_cast<To>(value);
  } else {
    return static_cast<To>(value);
  }
}

}  // namespace gyro
