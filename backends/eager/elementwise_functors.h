// The elementwise functors: each computes one op over contiguous blocks, operator()(n, out, in...)
// (Eigen packet math for floats, wrapping integer arithmetic as PyTorch does). Eager's strided
// loop and the vectorized backend's fused blocks both call them, so the two agree per element.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#include "backends/eager/array_util.h"
#include "ir/attr.h"
#include "ir/convert.h"
#include "ir/python_arith.h"

namespace gyro::eager {

template <typename T>
ConstArrayMap<T> in_map(const T* data, int64_t n) {
  return ConstArrayMap<T>(data, n);
}
template <typename T>
ArrayMap<T> out_map(T* data, int64_t n) {
  return ArrayMap<T>(data, n);
}

// Integer arithmetic wraps on overflow, as PyTorch's does; in C++ signed overflow is UB, so the
// arithmetic happens in uint64_t.
inline int64_t wrap_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t wrap_sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
inline int64_t wrap_mul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

// ---- Unary functors: operator()(n, out, a) over contiguous blocks. ----
#define GYRO_FLOAT_UNARY(Name, expression)                  \
  struct Name {                                             \
    static constexpr unsigned kTypes = kFloats;             \
    template <typename T>                                   \
    bool operator()(int64_t n, T* out, const T* in) const { \
      auto a = in_map(in, n);                               \
      out_map(out, n) = (expression);                       \
      return true;                                          \
    }                                                       \
  };
GYRO_FLOAT_UNARY(ExpFn, a.exp())
GYRO_FLOAT_UNARY(LogFn, a.log())
GYRO_FLOAT_UNARY(SinFn, a.sin())
GYRO_FLOAT_UNARY(CosFn, a.cos())
GYRO_FLOAT_UNARY(TanhFn, a.tanh())
GYRO_FLOAT_UNARY(SigmoidFn, a.logistic())
GYRO_FLOAT_UNARY(ReciprocalFn, a.inverse())
GYRO_FLOAT_UNARY(SiluFn, a* a.logistic())
#undef GYRO_FLOAT_UNARY

// sqrt and rsqrt as plain loops: Eigen's packet versions (an rsqrt estimate and a Newton step,
// under its default EIGEN_FAST_MATH) lose 1-2 bits and give NaN for +inf in the SIMD body but
// inf in the scalar tail, so a result depended on the element's place in a loop. The loops
// compile to the exact SIMD sqrt (-fno-math-errno) and agree with PyTorch in every lane.
struct SqrtFn {
  static constexpr unsigned kTypes = kFloats;
  template <typename T>
  bool operator()(int64_t n, T* out, const T* in) const {
    for (int64_t i = 0; i < n; ++i) out[i] = std::sqrt(in[i]);
    return true;
  }
};
struct RsqrtFn {
  static constexpr unsigned kTypes = kFloats;
  template <typename T>
  bool operator()(int64_t n, T* out, const T* in) const {
    for (int64_t i = 0; i < n; ++i) out[i] = T(1) / std::sqrt(in[i]);
    return true;
  }
};

// Ops that are the identity on integers and a rounding on floats.
#define GYRO_ROUNDING_UNARY(Name, expression)               \
  struct Name {                                             \
    static constexpr unsigned kTypes = kNumeric;            \
    template <typename T>                                   \
    bool operator()(int64_t n, T* out, const T* in) const { \
      if constexpr (std::is_integral_v<T>) {                \
        std::copy_n(in, n, out);                            \
      } else {                                              \
        auto a = in_map(in, n);                             \
        out_map(out, n) = (expression);                     \
      }                                                     \
      return true;                                          \
    }                                                       \
  };
GYRO_ROUNDING_UNARY(FloorFn, a.floor())
GYRO_ROUNDING_UNARY(CeilFn, a.ceil())
GYRO_ROUNDING_UNARY(RoundFn, a.rint())  // half to even, like torch.round
#undef GYRO_ROUNDING_UNARY

// gelu(x) = x * Phi(x); approximate='tanh' is the tanh form (PyTorch's two variants).
struct GeluFn {
  static constexpr unsigned kTypes = kFloats;
  bool tanh_form = false;
  template <typename T>
  bool operator()(int64_t n, T* out, const T* in) const {
    auto a = in_map(in, n);
    if (tanh_form)
      out_map(out, n) =
          T(0.5) * a * (T(1) + (T(0.7978845608028654) * (a + T(0.044715) * a.cube())).tanh());
    else
      out_map(out, n) = T(0.5) * a * (T(1) + (a * T(0.7071067811865476)).erf());
    return true;
  }
};

struct NegFn {
  static constexpr unsigned kTypes = kNumeric;
  template <typename T>
  bool operator()(int64_t n, T* out, const T* in) const {
    if constexpr (std::is_integral_v<T>) {
      for (int64_t i = 0; i < n; ++i) out[i] = wrap_sub(0, in[i]);
    } else {
      out_map(out, n) = -in_map(in, n);
    }
    return true;
  }
};

struct AbsFn {
  static constexpr unsigned kTypes = kNumeric;
  template <typename T>
  bool operator()(int64_t n, T* out, const T* in) const {
    if constexpr (std::is_integral_v<T>) {
      for (int64_t i = 0; i < n; ++i) out[i] = in[i] < 0 ? wrap_sub(0, in[i]) : in[i];
    } else {
      out_map(out, n) = in_map(in, n).abs();
    }
    return true;
  }
};

struct ReluFn {
  static constexpr unsigned kTypes = kNumeric;
  template <typename T>
  bool operator()(int64_t n, T* out, const T* in) const {
    if constexpr (std::is_integral_v<T>) {
      for (int64_t i = 0; i < n; ++i) out[i] = in[i] < 0 ? 0 : in[i];
    } else {
      auto a = in_map(in, n);
      out_map(out, n) = (a < T(0)).select(T(0), a);  // NaN stays NaN
    }
    return true;
  }
};

struct SignFn {
  static constexpr unsigned kTypes = kAll;
  template <typename T>
  bool operator()(int64_t n, T* out, const T* in) const {
    if constexpr (std::is_same_v<T, bool>) {
      std::copy_n(in, n, out);
    } else if constexpr (std::is_integral_v<T>) {
      for (int64_t i = 0; i < n; ++i) out[i] = (in[i] > 0) - (in[i] < 0);
    } else {
      auto a = in_map(in, n);  // sign(NaN) is 0, as in PyTorch
      out_map(out, n) = (a > T(0)).template cast<T>() - (a < T(0)).template cast<T>();
    }
    return true;
  }
};

struct IdentityFn {
  static constexpr unsigned kTypes = kAll;
  template <typename T>
  bool operator()(int64_t n, T* out, const T* in) const {
    if (out != in) std::memcpy(out, in, n * sizeof(T));
    return true;
  }
};

// ---- Binary functors: operator()(n, out, a, b). ----
struct AddFn {
  static constexpr unsigned kTypes = kAll;
  template <typename T>
  bool operator()(int64_t n, T* out, const T* x, const T* y) const {
    if constexpr (std::is_same_v<T, bool>) {
      for (int64_t i = 0; i < n; ++i) out[i] = x[i] || y[i];
    } else if constexpr (std::is_integral_v<T>) {
      for (int64_t i = 0; i < n; ++i) out[i] = wrap_add(x[i], y[i]);
    } else {
      out_map(out, n) = in_map(x, n) + in_map(y, n);
    }
    return true;
  }
};

struct SubFn {
  static constexpr unsigned kTypes = kNumeric;
  template <typename T>
  bool operator()(int64_t n, T* out, const T* x, const T* y) const {
    if constexpr (std::is_integral_v<T>) {
      for (int64_t i = 0; i < n; ++i) out[i] = wrap_sub(x[i], y[i]);
    } else {
      out_map(out, n) = in_map(x, n) - in_map(y, n);
    }
    return true;
  }
};

struct MulFn {
  static constexpr unsigned kTypes = kAll;
  template <typename T>
  bool operator()(int64_t n, T* out, const T* x, const T* y) const {
    if constexpr (std::is_same_v<T, bool>) {
      for (int64_t i = 0; i < n; ++i) out[i] = x[i] && y[i];
    } else if constexpr (std::is_integral_v<T>) {
      for (int64_t i = 0; i < n; ++i) out[i] = wrap_mul(x[i], y[i]);
    } else {
      out_map(out, n) = in_map(x, n) * in_map(y, n);
    }
    return true;
  }
};

struct DivFn {
  static constexpr unsigned kTypes = kFloats;
  template <typename T>
  bool operator()(int64_t n, T* out, const T* x, const T* y) const {
    out_map(out, n) = in_map(x, n) / in_map(y, n);
    return true;
  }
};

template <typename T>
bool has_zero(const T* values, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (values[i] == 0) return true;
  return false;
}

struct FloorDivFn {
  static constexpr unsigned kTypes = kNumeric;
  static constexpr const char* kIntegerZero = "ZeroDivisionError";
  template <typename T>
  bool operator()(int64_t n, T* out, const T* x, const T* y) const {
    if constexpr (std::is_integral_v<T>)
      if (has_zero(y, n)) return false;
    for (int64_t i = 0; i < n; ++i) out[i] = python_floor_divide(x[i], y[i]);
    return true;
  }
};

struct RemainderFn {
  static constexpr unsigned kTypes = kNumeric;
  static constexpr const char* kIntegerZero = "ZeroDivisionError";
  template <typename T>
  bool operator()(int64_t n, T* out, const T* x, const T* y) const {
    if constexpr (std::is_integral_v<T>)
      if (has_zero(y, n)) return false;
    for (int64_t i = 0; i < n; ++i) out[i] = python_mod<T, /*kZeroTakesDivisorSign=*/false>(x[i], y[i]);
    return true;
  }
};

struct PowFn {
  static constexpr unsigned kTypes = kNumeric;
  template <typename T>
  bool operator()(int64_t n, T* out, const T* x, const T* y) const {
    if constexpr (std::is_integral_v<T>) {
      for (int64_t i = 0; i < n; ++i) {
        if (y[i] < 0) {
          // PyTorch's integer pow with a negative tensor exponent: 1 and -1 keep their powers,
          // every other base truncates to 0. (A negative Python-number exponent is refused
          // before the loop, in kernel_pow.)
          out[i] = x[i] == 1 ? 1 : x[i] == -1 ? ((y[i] & 1) ? -1 : 1) : 0;
          continue;
        }
        int64_t base = x[i], exponent = y[i], result = 1;
        while (exponent) {  // square and multiply, wrapping like PyTorch
          if (exponent & 1) result = wrap_mul(result, base);
          base = wrap_mul(base, base);
          exponent >>= 1;
        }
        out[i] = result;
      }
    } else {
      out_map(out, n) = in_map(x, n).pow(in_map(y, n));
    }
    return true;
  }
};

template <bool kMax>
struct ExtremumFn {
  static constexpr unsigned kTypes = kAll;
  template <typename T>
  bool operator()(int64_t n, T* out, const T* x, const T* y) const {
    if constexpr (std::is_floating_point_v<T>) {
      // PyTorch's maximum/minimum propagate NaN from either side.
      using Op = std::conditional_t<kMax, Eigen::internal::scalar_max_op<T, T, Eigen::PropagateNaN>,
                                    Eigen::internal::scalar_min_op<T, T, Eigen::PropagateNaN>>;
      out_map(out, n) = in_map(x, n).binaryExpr(in_map(y, n), Op());
    } else {
      for (int64_t i = 0; i < n; ++i) out[i] = kMax ? std::max(x[i], y[i]) : std::min(x[i], y[i]);
    }
    return true;
  }
};

// Comparisons and logical ops write bool; the inputs arrive in the promoted dtype.
#define GYRO_COMPARE(Name, op)                                            \
  struct Name {                                                           \
    static constexpr unsigned kTypes = kAll;                              \
    using Output = bool;                                                  \
    template <typename T>                                                 \
    bool operator()(int64_t n, bool* out, const T* x, const T* y) const { \
      for (int64_t i = 0; i < n; ++i) out[i] = x[i] op y[i];              \
      return true;                                                        \
    }                                                                     \
  };
GYRO_COMPARE(EqFn, ==)
GYRO_COMPARE(NeFn, !=)
GYRO_COMPARE(LtFn, <)
GYRO_COMPARE(LeFn, <=)
GYRO_COMPARE(GtFn, >)
GYRO_COMPARE(GeFn, >=)
#undef GYRO_COMPARE

struct LogicalAndFn {
  static constexpr unsigned kTypes = kAll;
  using Output = bool;
  template <typename T>
  bool operator()(int64_t n, bool* out, const T* x, const T* y) const {
    for (int64_t i = 0; i < n; ++i) out[i] = (x[i] != T(0)) && (y[i] != T(0));
    return true;
  }
};
struct LogicalOrFn {
  static constexpr unsigned kTypes = kAll;
  using Output = bool;
  template <typename T>
  bool operator()(int64_t n, bool* out, const T* x, const T* y) const {
    for (int64_t i = 0; i < n; ++i) out[i] = (x[i] != T(0)) || (y[i] != T(0));
    return true;
  }
};
struct LogicalNotFn {
  static constexpr unsigned kTypes = kAll;
  using Output = bool;
  template <typename T>
  bool operator()(int64_t n, bool* out, const T* x) const {
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] == T(0);
    return true;
  }
};

// ---- Ternary and attribute-carrying functors. ----
struct WhereFn {  // the condition arrives converted to T (0 or 1)
  static constexpr unsigned kTypes = kAll;
  template <typename T>
  bool operator()(int64_t n, T* out, const T* cond, const T* x, const T* y) const {
    for (int64_t i = 0; i < n; ++i) out[i] = cond[i] != T(0) ? x[i] : y[i];
    return true;
  }
};

struct LerpFn {
  static constexpr unsigned kTypes = kFloats;
  template <typename T>
  bool operator()(int64_t n, T* out, const T* start, const T* end, const T* weight) const {
    for (int64_t i = 0; i < n; ++i) {
      T diff = end[i] - start[i];
      // PyTorch's form: exact at weight 0 and 1, and monotone.
      out[i] = std::abs(weight[i]) < T(0.5) ? start[i] + weight[i] * diff
                                            : end[i] - diff * (T(1) - weight[i]);
    }
    return true;
  }
};

struct ClampFn {
  static constexpr unsigned kTypes = kNumeric;
  bool has_min = false, has_max = false;
  double min = 0, max = 0;
  int64_t min_int = 0, max_int = 0;

  // The bounds clamp's `min` and `max` attributes give (None: no bound).
  static ClampFn from_attrs(const Attr& low, const Attr& high) {
    ClampFn fn;
    fn.has_min = !low.is_none();
    fn.has_max = !high.is_none();
    fn.min = low.as_double();
    fn.max = high.as_double();
    fn.min_int = low.kind == AttrKind::kFloat ? convert<int64_t>(low.f) : low.i;
    fn.max_int = high.kind == AttrKind::kFloat ? convert<int64_t>(high.f) : high.i;
    return fn;
  }
  template <typename T>
  bool operator()(int64_t n, T* out, const T* x) const {
    T low = std::is_integral_v<T> ? T(min_int) : T(min);
    T high = std::is_integral_v<T> ? T(max_int) : T(max);
    for (int64_t i = 0; i < n; ++i) {
      T value = x[i];
      if (has_min) value = std::max(value, low);  // NaN stays NaN: max(NaN, low) is NaN
      if (has_max) value = std::min(value, high);
      out[i] = value;
    }
    return true;
  }
};

// The output element type of Fn over compute type T: bool for comparisons, else T.
template <typename Fn, typename T>
using OutputOf = std::conditional_t < requires {
  typename Fn::Output;
}
, bool, T > ;

}  // namespace gyro::eager
