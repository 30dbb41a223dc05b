// Tensor element types, their sizes and PyTorch's type-promotion rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

namespace gyro {

enum class DType : unsigned char {
#define DTYPE(name, ctype, script_name, category) name,
#include "ir/dtypes.def"
#undef DTYPE
};
inline constexpr int kNumDTypes = 0
#define DTYPE(name, ctype, script_name, category) +1
#include "ir/dtypes.def"
#undef DTYPE
    ;

inline constexpr DType kDefaultFloat = DType::Float32;

enum class DTypeCategory : unsigned char { kBoolCategory, kIntegralCategory, kFloatingCategory };

std::string_view dtype_name(DType dtype);  // "float32"
std::optional<DType> dtype_from_name(std::string_view name);
std::size_t dtype_size(DType dtype);  // bytes per element
DTypeCategory dtype_category(DType dtype);
inline bool is_floating(DType dtype) {
  return dtype_category(dtype) == DTypeCategory::kFloatingCategory;
}
inline bool is_integral(DType dtype, bool include_bool) {
  auto category = dtype_category(dtype);
  return category == DTypeCategory::kIntegralCategory ||
         (include_bool && category == DTypeCategory::kBoolCategory);
}

// The smallest dtype both promote to: bool < int64 < float32 < float64.
DType promote_types(DType a, DType b);

// PyTorch's result_type over operands of three priorities: tensors with dims, zero-dim tensors,
// and wrapped Python numbers. A lower-priority operand changes the result only when its
// category is higher (float32 tensor + 2.5 stays float32; int64 tensor + 2.5 becomes float32).
class ResultType {
 public:
  enum class Priority : unsigned char { kDimensioned, kZeroDim, kWrappedNumber };
  void add(DType dtype, Priority priority);
  DType result() const;

 private:
  std::optional<DType> by_priority_[3];
};

// Maps a dtype to its C++ element type at compile time.
template <DType D>
struct CTypeOf;
#define DTYPE(name, ctype, script_name, category) \
  template <>                                     \
  struct CTypeOf<DType::name> {                   \
    using type = ctype;                           \
  };
#include "ir/dtypes.def"
#undef DTYPE
template <DType D>
using ctype_t = typename CTypeOf<D>::type;

// The dtype whose element type is T (the inverse of ctype_t).
template <typename T>
constexpr DType dtype_of() {
#define DTYPE(name, ctype, script_name, category) \
  if constexpr (std::is_same_v<T, ctype>)         \
    return DType::name;                           \
  else
#include "ir/dtypes.def"
#undef DTYPE
  {
    static_assert(!sizeof(T*), "not the element type of a dtype");
  }
}

// Calls fn(T{}) with the element type of `dtype`: the one place dtype switches happen.
template <typename Fn>
decltype(auto) visit_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
#define DTYPE(name, ctype, script_name, category) \
  case DType::name:                               \
    return fn(ctype{});
#include "ir/dtypes.def"
#undef DTYPE
  }
  __builtin_unreachable();
}

}  // namespace gyro

template <>
struct fmt::formatter<gyro::DType> : fmt::formatter<std::string_view> {
  auto format(gyro::DType dtype, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(gyro::dtype_name(dtype), ctx);
  }
};
