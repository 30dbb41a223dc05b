// Helpers for eager-kernel tests: build tensors from literals, run ops, compare values.
// (fails_with, kNaN/kInf, the attr literals and iota come from tests/unit/test_support.h.)
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "backends/eager/eager.h"
#include "ir/nested.h"
#include "tests/unit/test_support.h"

namespace gyro::testing {

inline Tensor T(const NestedList& data, std::optional<DType> dtype = std::nullopt) {
  return tensor_from_nested(data, dtype).value();
}

// A wrapped Python number, as a script's `x + 2.5` passes it.
inline Tensor number(double value, DType dtype = DType::Float32) {
  return Tensor::scalar(value, dtype, /*wrapped=*/true);
}

inline Expected<Tensor> op(OpKind kind, std::vector<Tensor> inputs, std::vector<Attr> attrs = {},
                           std::vector<NamedAttr> named = {}) {
  return eager::run1(kind, inputs, attrs, named);
}

// Runs an op that must succeed.
inline Tensor ok(OpKind kind, std::vector<Tensor> inputs, std::vector<Attr> attrs = {},
                 std::vector<NamedAttr> named = {}) {
  auto result = op(kind, std::move(inputs), std::move(attrs), std::move(named));
  EXPECT_TRUE(result.ok()) << op_name(kind) << ": " << result.error().to_string();
  return result.ok() ? std::move(result).value() : Tensor();
}

inline std::vector<double> values(const Tensor& t) {
  return t.to_vector<double>();
}
inline std::vector<int64_t> ints(const Tensor& t) {
  return t.to_vector<int64_t>();
}

// "[2, 3]": a tensor's sizes as error messages print them.
inline std::string shape(const Tensor& t) {
  return to_string(t.sizes());
}

// The last two dims swapped, as a strided view of the same storage (t.transpose(-2, -1)).
inline Tensor transposed(const Tensor& t) {
  if (t.dim() < 2) {
    ADD_FAILURE() << "transposed: a " << t.dim() << "-d tensor";
    return Tensor();
  }
  Dims sizes = t.sizes(), strides = t.strides();
  int a = t.dim() - 2, b = t.dim() - 1;
  std::swap(sizes[a], sizes[b]);
  std::swap(strides[a], strides[b]);
  return t.as_strided(sizes, strides, t.offset());
}

// Values equal within a relative+absolute tolerance; NaNs compare equal to NaNs.
inline ::testing::AssertionResult all_close(const Tensor& actual, std::vector<double> expected,
                                            double tolerance = 1e-6) {
  if (!actual.defined()) return ::testing::AssertionFailure() << "undefined tensor";
  auto got = values(actual);
  if (got.size() != expected.size())
    return ::testing::AssertionFailure()
           << "got " << got.size() << " values, expected " << expected.size();
  for (std::size_t i = 0; i < got.size(); ++i) {
    bool both_nan = std::isnan(got[i]) && std::isnan(expected[i]);
    bool close = got[i] == expected[i] ||
                 std::abs(got[i] - expected[i]) <= tolerance * (1 + std::abs(expected[i]));
    if (!both_nan && !close)
      return ::testing::AssertionFailure()
             << "at " << i << ": got " << got[i] << ", expected " << expected[i];
  }
  return ::testing::AssertionSuccess();
}

// A tensor of `sizes` with irregular values in [-2, 2) (float64 data converted to `dtype`);
// `seed` shifts the pattern so two inputs differ.
inline Tensor irregular_tensor(const Dims& sizes, int seed = 0, DType dtype = DType::Float32) {
  std::vector<double> data(product(sizes));
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<double>((i * 37 + seed * 11) % 23) / 5.75 - 2.0;
  Tensor t = Tensor::from_vector(data, sizes).value();
  return dtype == DType::Float64 ? t : ok(OpKind::to, {t}, {Attr::of_dtype(dtype)});
}

}  // namespace gyro::testing
