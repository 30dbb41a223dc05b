// Helpers for eager-kernel tests: build tensors from literals, run ops, compare values.
#pragma once

#include <cmath>
#include <initializer_list>
#include <vector>

#include <gtest/gtest.h>

#include "backends/eager/eager.h"
#include "ir/nested.h"

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

inline Attr I(int64_t v) { return Attr::integer(v); }
inline Attr F(double v) { return Attr::real(v); }
inline Attr B(bool v) { return Attr::boolean(v); }
inline Attr L(std::vector<int64_t> v) { return Attr::list(std::move(v)); }
inline Attr DT(DType d) { return Attr::of_dtype(d); }
inline Attr None() { return Attr::none(); }

inline std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

// Values equal within a relative+absolute tolerance; NaNs compare equal to NaNs.
inline ::testing::AssertionResult all_close(const Tensor& actual, std::vector<double> expected,
                                            double tolerance = 1e-6) {
  if (!actual.defined()) return ::testing::AssertionFailure() << "undefined tensor";
  auto got = values(actual);
  if (got.size() != expected.size())
    return ::testing::AssertionFailure() << "got " << got.size() << " values, expected "
                                         << expected.size();
  for (std::size_t i = 0; i < got.size(); ++i) {
    bool both_nan = std::isnan(got[i]) && std::isnan(expected[i]);
    bool close = got[i] == expected[i] ||
                 std::abs(got[i] - expected[i]) <= tolerance * (1 + std::abs(expected[i]));
    if (!both_nan && !close)
      return ::testing::AssertionFailure() << "at " << i << ": got " << got[i] << ", expected "
                                           << expected[i];
  }
  return ::testing::AssertionSuccess();
}

// Expects `result` to fail with `kind` and a message containing `fragment`.
template <typename R>
::testing::AssertionResult fails_with(const R& result, ErrorKind kind, std::string_view fragment) {
  if (result.ok()) return ::testing::AssertionFailure() << "expected an error, got success";
  const Error& error = result.error();
  if (error.kind != kind || error.message.find(fragment) == std::string::npos)
    return ::testing::AssertionFailure() << "got " << error.to_string() << "; expected "
                                         << error_kind_name(kind) << " containing '" << fragment
                                         << "'";
  return ::testing::AssertionSuccess();
}

}  // namespace gyro::testing
