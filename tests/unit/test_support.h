// Helpers shared by every unit test (ir only): error matcher, special values, attr literals, iota.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "ir/attr.h"
#include "ir/error.h"
#include "ir/tensor.h"

namespace gyro::testing {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// Expects `result` to fail with `kind` and a message containing `fragment`.
template <typename R>
::testing::AssertionResult fails_with(const R& result, ErrorKind kind, std::string_view fragment) {
  if (result.ok()) return ::testing::AssertionFailure() << "expected an error, got success";
  const Error& error = result.error();
  if (error.kind != kind || error.message.find(fragment) == std::string::npos)
    return ::testing::AssertionFailure()
           << "got " << error.to_string() << "; expected " << error_kind_name(kind)
           << " containing '" << fragment << "'";
  return ::testing::AssertionSuccess();
}

// Attribute literals, as a call site writes them.
inline Attr I(int64_t v) {
  return Attr::integer(v);
}
inline Attr F(double v) {
  return Attr::real(v);
}
inline Attr B(bool v) {
  return Attr::boolean(v);
}
inline Attr L(std::vector<int64_t> v) {
  return Attr::list(std::move(v));
}
inline Attr DT(DType d) {
  return Attr::of_dtype(d);
}
inline Attr None() {
  return Attr::none();
}

// A contiguous float32 tensor holding 0, 1, 2, ... with `sizes`.
inline Tensor iota(const Dims& sizes) {
  Tensor t = Tensor::empty(sizes, DType::Float32).value();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

}  // namespace gyro::testing
