// Softmax, log_softmax and layer_norm: values on every dim, stability, NaN/inf, strided and
// empty inputs, optional weight and bias, and the error cases.
#include <cmath>
#include <cstdint>
#include <vector>

#include "tests/unit/backends/test_util.h"

using namespace gyro;
using namespace gyro::testing;

namespace {

// A float32 tensor of `sizes` whose values cycle through a small irregular pattern.
Tensor pattern(const Dims& sizes, float scale = 1.0f, float offset = 0.0f) {
  std::vector<float> data(product(sizes));
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = offset + scale * (static_cast<float>((i * 37) % 23) / 7.0f - 1.5f);
  return Tensor::from_vector(data, sizes).value();
}

// Softmax of x (row-major [outer, n, inner]) along the middle dim, in double.
std::vector<double> reference_softmax(const std::vector<double>& x, int64_t outer, int64_t n,
                                      int64_t inner, bool log) {
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t r) { return (o * n + r) * inner + i; };
      double max = -kInf, sum = 0;
      for (int64_t r = 0; r < n; ++r) max = std::max(max, x[at(r)]);
      for (int64_t r = 0; r < n; ++r) sum += std::exp(x[at(r)] - max);
      for (int64_t r = 0; r < n; ++r)
        y[at(r)] = log ? x[at(r)] - max - std::log(sum) : std::exp(x[at(r)] - max) / sum;
    }
  return y;
}

// layer_norm over the trailing `width` elements of each row, in double.
std::vector<double> reference_layer_norm(const std::vector<double>& x, int64_t width, double eps,
                                         const std::vector<double>& weight = {},
                                         const std::vector<double>& bias = {}) {
  std::vector<double> y(x.size());
  for (std::size_t start = 0; start < x.size(); start += width) {
    double mean = 0, var = 0;
    for (int64_t j = 0; j < width; ++j) mean += x[start + j];
    mean /= width;
    for (int64_t j = 0; j < width; ++j) var += (x[start + j] - mean) * (x[start + j] - mean);
    var /= width;
    for (int64_t j = 0; j < width; ++j) {
      double value = (x[start + j] - mean) / std::sqrt(var + eps);
      if (!weight.empty()) value *= weight[j];
      if (!bias.empty()) value += bias[j];
      y[start + j] = value;
    }
  }
  return y;
}

// ---- softmax / log_softmax ----

TEST(SoftmaxLastDim, Values) {
  Tensor x = T({{1.0, 2.0, 3.0}, {5.0, 5.0, 5.0}});
  const double sum = std::exp(-2.0) + std::exp(-1.0) + 1;
  Tensor y = ok(OpKind::softmax, {x}, {I(1)});
  EXPECT_EQ(shape(y), "[2, 3]");
  EXPECT_EQ(y.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(
      y, {std::exp(-2.0) / sum, std::exp(-1.0) / sum, 1 / sum, 1.0 / 3, 1.0 / 3, 1.0 / 3}));
  Tensor logs = ok(OpKind::log_softmax, {x}, {I(-1)});
  EXPECT_TRUE(all_close(logs, {-2 - std::log(sum), -1 - std::log(sum), -std::log(sum),
                               -std::log(3.0), -std::log(3.0), -std::log(3.0)}));
}

TEST(SoftmaxLastDim, LongRowSumsToOne) {
  const int64_t n = 10000;  // longer than one summation chunk
  Tensor x = pattern({2, n}, 3.0f);
  std::vector<double> input = values(x);
  EXPECT_TRUE(
      all_close(ok(OpKind::softmax, {x}, {I(1)}), reference_softmax(input, 2, n, 1, false), 1e-5));
  EXPECT_TRUE(all_close(ok(OpKind::log_softmax, {x}, {I(1)}),
                        reference_softmax(input, 2, n, 1, true), 1e-5));
  Tensor rows = ok(OpKind::sum, {ok(OpKind::softmax, {x}, {I(1)})}, {L({1})});
  EXPECT_TRUE(all_close(rows, {1, 1}, 1e-5));
}

TEST(SoftmaxLastDim, StableForLargeMagnitudes) {
  EXPECT_TRUE(all_close(ok(OpKind::softmax, {T({1000.0, 1000.0})}, {I(0)}), {0.5, 0.5}));
  EXPECT_TRUE(all_close(ok(OpKind::softmax, {T({-1000.0, -1000.0})}, {I(0)}), {0.5, 0.5}));
  EXPECT_TRUE(all_close(ok(OpKind::log_softmax, {T({1000.0, 0.0})}, {I(0)}), {0, -1000}));
  EXPECT_TRUE(all_close(ok(OpKind::softmax, {T({1000.0, 0.0})}, {I(0)}), {1, 0}));
}

TEST(SoftmaxLastDim, NaNAndInfinities) {
  // A NaN poisons its own row only.
  Tensor x = T({{1.0, kNaN, 2.0}, {0.0, 0.0, 0.0}});
  EXPECT_TRUE(
      all_close(ok(OpKind::softmax, {x}, {I(1)}), {kNaN, kNaN, kNaN, 1.0 / 3, 1.0 / 3, 1.0 / 3}));
  EXPECT_TRUE(all_close(ok(OpKind::log_softmax, {x}, {I(1)}),
                        {kNaN, kNaN, kNaN, -std::log(3.0), -std::log(3.0), -std::log(3.0)}));
  // -inf entries get probability 0 (log-probability -inf); a row of only -inf is NaN.
  EXPECT_TRUE(all_close(ok(OpKind::softmax, {T({-kInf, 0.0})}, {I(0)}), {0, 1}));
  EXPECT_TRUE(all_close(ok(OpKind::log_softmax, {T({-kInf, 0.0})}, {I(0)}), {-kInf, 0}));
  EXPECT_TRUE(all_close(ok(OpKind::softmax, {T({-kInf, -kInf})}, {I(0)}), {kNaN, kNaN}));
  EXPECT_TRUE(all_close(ok(OpKind::softmax, {T({kInf, 1.0})}, {I(0)}), {kNaN, kNaN}));
}

TEST(SoftmaxOtherDims, FirstDim) {
  Tensor x = T({{1.0, 2.0, 3.0}, {3.0, 2.0, 1.0}});
  const double big = 1 / (1 + std::exp(-2.0)), small = 1 - big;
  Tensor y = ok(OpKind::softmax, {x}, {I(0)});
  EXPECT_EQ(shape(y), "[2, 3]");
  EXPECT_TRUE(all_close(y, {small, 0.5, big, big, 0.5, small}));
  Tensor logs = ok(OpKind::log_softmax, {x}, {I(-2)});
  EXPECT_TRUE(all_close(logs, {std::log(small), std::log(0.5), std::log(big), std::log(big),
                               std::log(0.5), std::log(small)}));
}

TEST(SoftmaxOtherDims, MiddleDimOfThree) {
  Tensor x = pattern({2, 5, 3}, 2.0f);
  std::vector<double> input = values(x);
  EXPECT_TRUE(
      all_close(ok(OpKind::softmax, {x}, {I(1)}), reference_softmax(input, 2, 5, 3, false)));
  EXPECT_TRUE(
      all_close(ok(OpKind::log_softmax, {x}, {I(-2)}), reference_softmax(input, 2, 5, 3, true)));
  EXPECT_TRUE(
      all_close(ok(OpKind::softmax, {x}, {I(0)}), reference_softmax(input, 1, 2, 15, false)));
  EXPECT_TRUE(
      all_close(ok(OpKind::softmax, {x}, {I(2)}), reference_softmax(input, 10, 3, 1, false)));
}

TEST(SoftmaxOtherDims, NaNPoisonsItsColumnOnly) {
  Tensor x = T({{1.0, 0.0}, {kNaN, 0.0}});
  EXPECT_TRUE(all_close(ok(OpKind::softmax, {x}, {I(0)}), {kNaN, 0.5, kNaN, 0.5}));
  EXPECT_TRUE(all_close(ok(OpKind::log_softmax, {x}, {I(0)}),
                        {kNaN, -std::log(2.0), kNaN, -std::log(2.0)}));
}

TEST(SoftmaxNonContiguous, TransposedInput) {
  Tensor x = pattern({3, 4});
  std::vector<double> input = values(x);
  // softmax(x^T, dim 1) is softmax(x, dim 0) transposed; the result itself is contiguous.
  std::vector<double> by_column = reference_softmax(input, 1, 3, 4, false);
  std::vector<double> expected;
  for (int j = 0; j < 4; ++j)
    for (int i = 0; i < 3; ++i) expected.push_back(by_column[i * 4 + j]);
  Tensor y = ok(OpKind::softmax, {transposed(x)}, {I(1)});
  EXPECT_EQ(shape(y), "[4, 3]");
  EXPECT_TRUE(y.is_contiguous());
  EXPECT_TRUE(all_close(y, expected));
  Tensor logs = ok(OpKind::log_softmax, {transposed(x)}, {I(0)});  // x's rows, laid out as columns
  std::vector<double> by_row = reference_softmax(input, 3, 4, 1, true);
  std::vector<double> expected_logs;
  for (int j = 0; j < 4; ++j)
    for (int i = 0; i < 3; ++i) expected_logs.push_back(by_row[i * 4 + j]);
  EXPECT_TRUE(all_close(logs, expected_logs));
}

TEST(SoftmaxEdgeCases, ZeroDimAndEmpty) {
  EXPECT_TRUE(all_close(ok(OpKind::softmax, {T(3.0)}, {I(0)}), {1}));
  EXPECT_TRUE(all_close(ok(OpKind::log_softmax, {T(3.0)}, {I(-1)}), {0}));
  Tensor no_rows = ok(OpKind::softmax, {Tensor::empty({0, 3}, DType::Float32).value()}, {I(1)});
  EXPECT_EQ(shape(no_rows), "[0, 3]");
  Tensor no_cols = ok(OpKind::log_softmax, {Tensor::empty({2, 0}, DType::Float32).value()}, {I(1)});
  EXPECT_EQ(shape(no_cols), "[2, 0]");
}

TEST(SoftmaxEdgeCases, Float64StaysFloat64) {
  Tensor y = ok(OpKind::softmax, {T({0.0, std::log(3.0)}, DType::Float64)}, {I(0)});
  EXPECT_EQ(y.dtype(), DType::Float64);
  EXPECT_TRUE(all_close(y, {0.25, 0.75}, 1e-12));
}

TEST(SoftmaxEdgeCases, Errors) {
  EXPECT_TRUE(fails_with(op(OpKind::softmax, {T({1, 2})}, {I(0)}), ErrorKind::RuntimeError,
                         "softmax(): expected a floating point tensor, but got int64"));
  EXPECT_TRUE(fails_with(op(OpKind::log_softmax, {T({true})}, {I(0)}), ErrorKind::RuntimeError,
                         "log_softmax(): expected a floating point tensor"));
  EXPECT_TRUE(fails_with(op(OpKind::softmax, {T({1.0, 2.0})}, {I(1)}), ErrorKind::IndexError,
                         "Dimension out of range (expected to be in range of [-1, 0], but got 1)"));
  EXPECT_TRUE(fails_with(op(OpKind::softmax, {T({1.0, 2.0})}), ErrorKind::TypeError,
                         "softmax() missing required argument 'dim'"));
}

TEST(SoftmaxEdgeCases, WritesIntoAStridedBuffer) {
  Tensor x = T({{0.0, 0.0}, {0.0, std::log(3.0)}});
  Tensor storage = Tensor::empty({2, 2}, DType::Float32).value();
  Tensor out = transposed(storage);
  const Attr attrs[] = {I(1)};
  ASSERT_TRUE(eager::run_into(OpKind::softmax, {&x, 1}, attrs, out).ok());
  EXPECT_TRUE(all_close(out, {0.5, 0.5, 0.25, 0.75}));
  EXPECT_TRUE(all_close(storage, {0.5, 0.25, 0.5, 0.75}));
}

TEST(SoftmaxEdgeCases, InPlace) {
  Tensor x = T({{0.0, 0.0}, {0.0, std::log(3.0)}});
  const Attr attrs[] = {I(0)};
  ASSERT_TRUE(eager::run_into(OpKind::log_softmax, {&x, 1}, attrs, x).ok());
  const double lse = std::log(1 + 3.0);
  EXPECT_TRUE(all_close(x, {-std::log(2.0), -lse, -std::log(2.0), std::log(3.0) - lse}));
}

// ---- layer_norm ----

TEST(LayerNormValues, NoAffine) {
  Tensor x = T({{1.0, 2.0, 3.0}, {2.0, 4.0, 9.0}});
  Tensor y = ok(OpKind::layer_norm, {x}, {L({3})});
  EXPECT_EQ(shape(y), "[2, 3]");
  EXPECT_EQ(y.dtype(), DType::Float32);
  // Row 1: mean 2, biased variance 2/3.
  const double scale = 1 / std::sqrt(2.0 / 3 + 1e-5);
  std::vector<double> expected = reference_layer_norm(values(x), 3, 1e-5);
  EXPECT_NEAR(expected[0], -scale, 1e-12);
  EXPECT_TRUE(all_close(y, expected, 1e-5));
  // eps is honoured: with a big eps the outputs shrink.
  Tensor damped = ok(OpKind::layer_norm, {x}, {L({3}), F(1.0)});
  EXPECT_TRUE(all_close(damped, reference_layer_norm(values(x), 3, 1.0), 1e-5));
  EXPECT_TRUE(all_close(ok(OpKind::layer_norm, {x}, {I(3)}, {{"eps", F(0.5)}}),
                        reference_layer_norm(values(x), 3, 0.5), 1e-5));
}

TEST(LayerNormValues, WeightAndBias) {
  Tensor x = T({{1.0, 2.0, 3.0}, {2.0, 4.0, 9.0}});
  Tensor weight = T({2.0, -1.0, 0.5});
  Tensor bias = T({0.0, 10.0, -1.0});
  Tensor both = ok(OpKind::layer_norm, {x, weight, bias}, {L({3})});
  EXPECT_TRUE(
      all_close(both, reference_layer_norm(values(x), 3, 1e-5, {2, -1, 0.5}, {0, 10, -1}), 1e-5));
  Tensor weight_only = ok(OpKind::layer_norm, {x, weight}, {L({3})});
  EXPECT_TRUE(all_close(weight_only, reference_layer_norm(values(x), 3, 1e-5, {2, -1, 0.5}), 1e-5));
}

TEST(LayerNormValues, SeveralNormalizedDims) {
  Tensor x = pattern({3, 2, 4}, 2.0f, 1.0f);
  Tensor weight = pattern({2, 4}, 0.5f, 1.0f);
  Tensor bias = pattern({2, 4}, 1.0f, -0.5f);
  Tensor y = ok(OpKind::layer_norm, {x, weight, bias}, {L({2, 4}), F(1e-3)});
  EXPECT_EQ(shape(y), "[3, 2, 4]");
  EXPECT_TRUE(
      all_close(y, reference_layer_norm(values(x), 8, 1e-3, values(weight), values(bias)), 1e-5));
  // Normalizing over every dim treats the tensor as one row.
  Tensor whole = ok(OpKind::layer_norm, {x}, {L({3, 2, 4})});
  EXPECT_TRUE(all_close(whole, reference_layer_norm(values(x), 24, 1e-5), 1e-5));
}

TEST(LayerNormValues, LongRowsAndLargeMean) {
  // float32 rows of 10000 values around 1e4 with spread ~1: a one-pass float E[x^2] - E[x]^2
  // would lose the variance entirely.
  Tensor x = pattern({2, 10000}, 1.0f, 1e4f);
  EXPECT_TRUE(all_close(ok(OpKind::layer_norm, {x}, {L({10000})}),
                        reference_layer_norm(values(x), 10000, 1e-5), 1e-4));
}

TEST(LayerNormValues, ConstantRowIsZero) {
  Tensor y = ok(OpKind::layer_norm, {T({{7.0, 7.0, 7.0, 7.0}})}, {L({4})});
  EXPECT_TRUE(all_close(y, {0, 0, 0, 0}));
}

TEST(LayerNormValues, NaNStaysInItsRow) {
  Tensor y = ok(OpKind::layer_norm, {T({{1.0, kNaN}, {1.0, 3.0}})}, {L({2})});
  const double unit = 1 / std::sqrt(1 + 1e-5);
  EXPECT_TRUE(all_close(y, {kNaN, kNaN, -unit, unit}, 1e-5));
}

TEST(LayerNormValues, Float64) {
  Tensor x = T({{1.0, 2.0, 3.0}}, DType::Float64);
  Tensor y = ok(OpKind::layer_norm, {x, T({1.0, 1.0, 1.0}, DType::Float64)}, {L({3}), F(0.0)});
  EXPECT_EQ(y.dtype(), DType::Float64);
  const double unit = std::sqrt(1.5);
  EXPECT_TRUE(all_close(y, {-unit, 0, unit}, 1e-12));
}

TEST(LayerNormStrided, NonContiguousInputAndParameters) {
  Tensor x = pattern({4, 3}, 1.5f);
  Tensor xt = transposed(x);  // [3, 4], normalized over its last dim (x's columns)
  std::vector<double> logical = values(xt);
  Tensor weight_storage = T({1.0, 9.0, 2.0, 9.0, 3.0, 9.0, 4.0, 9.0});
  Tensor weight = weight_storage.as_strided({4}, {2}, 0);  // {1, 2, 3, 4}
  Tensor y = ok(OpKind::layer_norm, {xt, weight}, {L({4})});
  EXPECT_EQ(shape(y), "[3, 4]");
  EXPECT_TRUE(all_close(y, reference_layer_norm(logical, 4, 1e-5, {1, 2, 3, 4}), 1e-5));
}

TEST(LayerNormEdgeCases, Empty) {
  Tensor no_rows =
      ok(OpKind::layer_norm, {Tensor::empty({0, 3}, DType::Float32).value()}, {L({3})});
  EXPECT_EQ(shape(no_rows), "[0, 3]");
  Tensor empty_rows =
      ok(OpKind::layer_norm, {Tensor::empty({2, 0}, DType::Float32).value()}, {L({0})});
  EXPECT_EQ(shape(empty_rows), "[2, 0]");
}

TEST(LayerNormEdgeCases, Errors) {
  Tensor x = T({{1.0, 2.0, 3.0}, {2.0, 4.0, 9.0}});
  EXPECT_TRUE(fails_with(op(OpKind::layer_norm, {x}, {L({2})}), ErrorKind::RuntimeError,
                         "Given normalized_shape=[2], expected input with shape [*, 2]"));
  EXPECT_TRUE(fails_with(op(OpKind::layer_norm, {x, T({1.0, 2.0})}, {L({3})}),
                         ErrorKind::RuntimeError,
                         "layer_norm: expected weight of shape [3], but got [2]"));
  EXPECT_TRUE(fails_with(
      op(OpKind::layer_norm, {x, T({1.0, 1.0, 1.0}, DType::Float64)}, {L({3})}),
      ErrorKind::RuntimeError,
      "layer_norm: expected weight to have dtype float32 like the input, but got float64"));
  EXPECT_TRUE(fails_with(op(OpKind::layer_norm, {T({{1, 2}})}, {L({2})}), ErrorKind::RuntimeError,
                         "layer_norm(): expected a floating point tensor, but got int64"));
}

}  // namespace
