// Python's floor division and modulo (the remainder takes the divisor's sign), for ints and
// floats: the one definition both the tensor kernels and the reference VM's scalars use.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace gyro {

// Integer forms assume b != 0 (callers raise ZeroDivisionError first); INT64_MIN // -1 wraps
// to INT64_MIN as in PyTorch (the VM checks for that overflow itself).
template <typename T>
T python_floor_divide(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if (b == -1) return static_cast<T>(0ull - static_cast<uint64_t>(a));
    T quotient = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --quotient;
    return quotient;
  } else {
    // CPython's float_floor_div: exact for large quotients, and signed zeros preserved.
    if (b == 0) return a / b;
    T mod = std::fmod(a, b);
    T div = (a - mod) / b;
    if (mod != 0 && (b < 0) != (mod < 0)) div -= 1;
    if (div == 0) return std::copysign(T(0), a / b);
    T floored = std::floor(div);
    if (div - floored > T(0.5)) floored += 1;
    return floored;
  }
}

// kZeroTakesDivisorSign: CPython gives 0.0 % -2.0 == -0.0; PyTorch's remainder gives +0.0 (and
// keeps -0.0 % 2.0 == -0.0), so the tensor kernels pass false.
template <typename T, bool kZeroTakesDivisorSign = true>
T python_mod(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if (b == -1) return 0;
    T mod = a % b;
    if (mod != 0 && ((mod < 0) != (b < 0))) mod += b;
    return mod;
  } else {
    T mod = std::fmod(a, b);
    if (mod != 0) {
      if ((b < 0) != (mod < 0)) mod += b;
    } else if constexpr (kZeroTakesDivisorSign) {
      mod = std::copysign(T(0), b);
    }
    return mod;
  }
}

}  // namespace gyro
