// Reduction kernels: values, dim lists and keepdim, dtype rules, NaN, empty/0-d/strided inputs.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "tests/unit/backends/test_util.h"

using namespace gyro;
using namespace gyro::testing;

namespace {

// ---- sum ----

TEST(ReductionSum, AllDimsByDefault) {
  Tensor y = ok(OpKind::sum, {T({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}})});
  EXPECT_EQ(shape(y), "[]");
  EXPECT_EQ(y.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(y, {21}));
}

TEST(ReductionSum, OneDimAndNegativeDims) {
  Tensor x = T({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  Tensor rows = ok(OpKind::sum, {x}, {L({0})});
  EXPECT_EQ(shape(rows), "[3]");
  EXPECT_TRUE(all_close(rows, {5, 7, 9}));
  Tensor cols = ok(OpKind::sum, {x}, {L({-1})});
  EXPECT_EQ(shape(cols), "[2]");
  EXPECT_TRUE(all_close(cols, {6, 15}));
  EXPECT_TRUE(all_close(ok(OpKind::sum, {x}, {I(-2)}), {5, 7, 9}));  // a lone int is a list
  Tensor both = ok(OpKind::sum, {x}, {L({1, -2})});
  EXPECT_EQ(shape(both), "[]");
  EXPECT_TRUE(all_close(both, {21}));
}

TEST(ReductionSum, Keepdim) {
  Tensor x = T({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  Tensor y = ok(OpKind::sum, {x}, {L({1}), B(true)});
  EXPECT_EQ(shape(y), "[2, 1]");
  EXPECT_TRUE(all_close(y, {6, 15}));
  Tensor all = ok(OpKind::sum, {x}, {None(), B(true)});
  EXPECT_EQ(shape(all), "[1, 1]");
  EXPECT_TRUE(all_close(all, {21}));
}

TEST(ReductionSum, MiddleDimOfThree) {
  Tensor x = iota({2, 3, 4});  // x[i][j][k] = 12i + 4j + k
  Tensor y = ok(OpKind::sum, {x}, {L({1})});
  EXPECT_EQ(shape(y), "[2, 4]");
  // sum over j of 12i + 4j + k = 36i + 12 + 3k
  EXPECT_TRUE(all_close(y, {12, 15, 18, 21, 48, 51, 54, 57}));
  Tensor kept = ok(OpKind::sum, {x}, {L({1}), B(true)});
  EXPECT_EQ(shape(kept), "[2, 1, 4]");
}

TEST(ReductionSum, OuterAndInnerDims) {
  Tensor x = iota({2, 3, 4});
  Tensor y = ok(OpKind::sum, {x}, {L({0, 2})});
  EXPECT_EQ(shape(y), "[3]");
  // sum over i, k of 12i + 4j + k = 8*4j + (4*12 + 2*6) = 32j + 60
  EXPECT_TRUE(all_close(y, {60, 92, 124}));
  Tensor kept = ok(OpKind::sum, {x}, {L({2, 0}), B(true)});
  EXPECT_EQ(shape(kept), "[1, 3, 1]");
  EXPECT_TRUE(all_close(kept, {60, 92, 124}));
}

TEST(ReductionSum, SizeOneDimsDoNotChangeTheResult) {
  Tensor x = iota({1, 3, 1, 2});
  Tensor y = ok(OpKind::sum, {x}, {L({0, 1})});
  EXPECT_EQ(shape(y), "[1, 2]");
  EXPECT_TRUE(all_close(y, {6, 9}));
  Tensor same = ok(OpKind::sum, {x}, {L({2})});
  EXPECT_EQ(shape(same), "[1, 3, 2]");
  EXPECT_TRUE(all_close(same, {0, 1, 2, 3, 4, 5}));
}

TEST(ReductionSum, ZeroDim) {
  Tensor x = T(5.5);
  Tensor y = ok(OpKind::sum, {x});
  EXPECT_EQ(shape(y), "[]");
  EXPECT_TRUE(all_close(y, {5.5}));
  EXPECT_TRUE(all_close(ok(OpKind::sum, {x}, {L({0})}), {5.5}));
  EXPECT_TRUE(all_close(ok(OpKind::sum, {x}, {L({-1}), B(true)}), {5.5}));
  EXPECT_TRUE(fails_with(op(OpKind::sum, {x}, {L({1})}), ErrorKind::IndexError,
                         "Dimension out of range (expected to be in range of [-1, 0], but got 1)"));
}

TEST(ReductionSum, EmptyIsZero) {
  Tensor x = Tensor::empty({0, 3}, DType::Float32).value();
  EXPECT_TRUE(all_close(ok(OpKind::sum, {x}), {0}));
  Tensor over_empty = ok(OpKind::sum, {x}, {L({0})});
  EXPECT_EQ(shape(over_empty), "[3]");
  EXPECT_TRUE(all_close(over_empty, {0, 0, 0}));
  Tensor none_left = ok(OpKind::sum, {x}, {L({1})});
  EXPECT_EQ(shape(none_left), "[0]");
  Tensor ints = ok(OpKind::sum, {Tensor::empty({0}, DType::Int64).value()});
  EXPECT_EQ(ints.dtype(), DType::Int64);
  EXPECT_TRUE(all_close(ints, {0}));
}

TEST(ReductionSum, BoolAndIntSumToInt64) {
  Tensor flags = T({{true, false, true}, {true, true, true}});
  Tensor y = ok(OpKind::sum, {flags});
  EXPECT_EQ(y.dtype(), DType::Int64);
  EXPECT_TRUE(all_close(y, {5}));
  Tensor per_row = ok(OpKind::sum, {flags}, {L({1})});
  EXPECT_EQ(per_row.dtype(), DType::Int64);
  EXPECT_TRUE(all_close(per_row, {2, 3}));
  Tensor per_col = ok(OpKind::sum, {flags}, {L({0})});
  EXPECT_TRUE(all_close(per_col, {2, 1, 2}));
  Tensor ints = ok(OpKind::sum, {T({{1, -2}, {3, 4}})}, {L({0})});
  EXPECT_EQ(ints.dtype(), DType::Int64);
  EXPECT_TRUE(all_close(ints, {4, 2}));
  Tensor doubles = ok(OpKind::sum, {T({0.5, 0.25}, DType::Float64)});
  EXPECT_EQ(doubles.dtype(), DType::Float64);
  EXPECT_TRUE(all_close(doubles, {0.75}));
}

TEST(ReductionSum, IntegerSumWraps) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  Tensor x = Tensor::from_vector<int64_t>({max, 1, max, 1}, {2, 2}).value();
  Tensor all = ok(OpKind::sum, {x});
  EXPECT_EQ(all.to_vector<int64_t>(), std::vector<int64_t>{0});  // 2 * 2^63 wraps to 0
  Tensor columns = ok(OpKind::sum, {x}, {L({0})});
  EXPECT_EQ(columns.to_vector<int64_t>(), (std::vector<int64_t>{-2, 2}));  // 2^64 - 2 wraps
  Tensor rows = ok(OpKind::sum, {x}, {L({1})});
  EXPECT_EQ(rows.to_vector<int64_t>(), (std::vector<int64_t>{std::numeric_limits<int64_t>::min(),
                                                             std::numeric_limits<int64_t>::min()}));
}

TEST(ReductionSum, NonContiguousInput) {
  Tensor x = T({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  Tensor xt = transposed(x);  // [[1, 4], [2, 5], [3, 6]]
  ASSERT_FALSE(xt.is_contiguous());
  EXPECT_TRUE(all_close(ok(OpKind::sum, {xt}, {L({1})}), {5, 7, 9}));
  EXPECT_TRUE(all_close(ok(OpKind::sum, {xt}, {L({0})}), {6, 15}));
  EXPECT_TRUE(all_close(ok(OpKind::sum, {xt}), {21}));
  // Every other column of a [2, 4] tensor: a strided view with an offset.
  Tensor wide = iota({2, 4});
  Tensor odd = wide.as_strided({2, 2}, {4, 2}, 1);  // [[1, 3], [5, 7]]
  EXPECT_TRUE(all_close(ok(OpKind::sum, {odd}, {L({1})}), {4, 12}));
  EXPECT_TRUE(all_close(ok(OpKind::sum, {odd}, {L({0})}), {6, 10}));
}

TEST(ReductionSum, BroadcastViewWithZeroStride) {
  Tensor row = T({1.0, 2.0, 3.0});
  Tensor expanded = row.as_strided({4, 3}, {0, 1}, 0);
  EXPECT_TRUE(all_close(ok(OpKind::sum, {expanded}, {L({0})}), {4, 8, 12}));
  EXPECT_TRUE(all_close(ok(OpKind::sum, {expanded}), {24}));
}

TEST(ReductionSum, LongFloatSumStaysExact) {
  // A plain float accumulator stops growing at 2^24; chunked sums do not.
  const int64_t n = (int64_t{1} << 24) + 1000;
  Tensor x = Tensor::empty({n}, DType::Float32).value();
  std::fill_n(x.data<float>(), n, 1.0f);
  EXPECT_EQ(ok(OpKind::sum, {x}).item(), static_cast<double>(n));
  EXPECT_EQ(ok(OpKind::mean, {x}).item(), 1.0);
}

TEST(ReductionSum, LeadingDimsOfAWideMatrix) {
  // More rows than one row block and more columns than one tile: the column fold's edges.
  const int64_t rows = 300, cols = 5000;
  Tensor x = Tensor::empty({rows, cols}, DType::Float32).value();
  std::vector<double> expected(cols, 0.0);
  float* data = x.data<float>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      data[r * cols + c] = static_cast<float>((r * 7 + c * 3) % 11) - 5.0f;
      expected[c] += data[r * cols + c];
    }
  EXPECT_TRUE(all_close(ok(OpKind::sum, {x}, {L({0})}), expected));
  std::vector<double> means(expected);
  for (double& m : means) m /= rows;
  EXPECT_TRUE(all_close(ok(OpKind::mean, {x}, {L({0})}), means));
}

TEST(ReductionSum, RejectsRepeatedAndOutOfRangeDims) {
  Tensor x = iota({2, 3});
  EXPECT_TRUE(fails_with(op(OpKind::sum, {x}, {L({1, -1})}), ErrorKind::RuntimeError,
                         "dim 1 appears multiple times in the list of dims"));
  EXPECT_TRUE(
      fails_with(op(OpKind::sum, {x}, {L({2})}), ErrorKind::IndexError, "Dimension out of range"));
}

TEST(ReductionSum, WritesIntoAStridedBuffer) {
  Tensor x = T({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  Tensor storage = Tensor::empty({2, 2}, DType::Float32).value();
  std::fill_n(storage.data<float>(), 4, -1.0f);
  Tensor column = storage.as_strided({2}, {2}, 0);  // storage[:, 0]
  const Attr attrs[] = {L({1})};
  ASSERT_TRUE(eager::run_into(OpKind::sum, {&x, 1}, attrs, column).ok());
  EXPECT_TRUE(all_close(storage, {6, -1, 15, -1}));
}

// ---- mean ----

TEST(ReductionMean, Values) {
  Tensor x = T({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  EXPECT_TRUE(all_close(ok(OpKind::mean, {x}), {3.5}));
  EXPECT_TRUE(all_close(ok(OpKind::mean, {x}, {L({0})}), {2.5, 3.5, 4.5}));
  Tensor y = ok(OpKind::mean, {x}, {L({1}), B(true)});
  EXPECT_EQ(shape(y), "[2, 1]");
  EXPECT_TRUE(all_close(y, {2, 5}));
  EXPECT_TRUE(all_close(ok(OpKind::mean, {transposed(x)}, {L({0})}), {2, 5}));
  Tensor d = ok(OpKind::mean, {T({1.0, 2.0}, DType::Float64)});
  EXPECT_EQ(d.dtype(), DType::Float64);
  EXPECT_TRUE(all_close(d, {1.5}));
}

TEST(ReductionMean, EmptyIsNaN) {
  Tensor x = Tensor::empty({2, 0}, DType::Float32).value();
  EXPECT_TRUE(std::isnan(ok(OpKind::mean, {x}).item()));
  Tensor y = ok(OpKind::mean, {x}, {L({1})});
  EXPECT_EQ(shape(y), "[2]");
  EXPECT_TRUE(all_close(y, {kNaN, kNaN}));
}

TEST(ReductionMean, RejectsIntegralAndBool) {
  EXPECT_TRUE(fails_with(op(OpKind::mean, {T({1, 2})}), ErrorKind::RuntimeError,
                         "mean(): expected a floating point tensor, but got int64"));
  EXPECT_TRUE(fails_with(op(OpKind::mean, {T({true})}), ErrorKind::RuntimeError,
                         "mean(): expected a floating point tensor"));
}

TEST(ReductionMean, NaNPropagates) {
  EXPECT_TRUE(all_close(ok(OpKind::mean, {T({{1.0, kNaN}, {3.0, 4.0}})}, {L({1})}), {kNaN, 3.5}));
}

// ---- prod ----

TEST(ReductionProd, Values) {
  Tensor x = T({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  EXPECT_TRUE(all_close(ok(OpKind::prod, {x}), {720}));
  EXPECT_TRUE(all_close(ok(OpKind::prod, {x}, {L({0})}), {4, 10, 18}));
  EXPECT_TRUE(all_close(ok(OpKind::prod, {x}, {L({1})}), {6, 120}));
  EXPECT_TRUE(all_close(ok(OpKind::prod, {transposed(x)}, {L({1})}), {4, 10, 18}));
}

TEST(ReductionProd, EmptyIsOne) {
  Tensor x = Tensor::empty({0, 2}, DType::Float32).value();
  EXPECT_TRUE(all_close(ok(OpKind::prod, {x}), {1}));
  EXPECT_TRUE(all_close(ok(OpKind::prod, {x}, {L({0})}), {1, 1}));
}

TEST(ReductionProd, BoolAndIntGiveInt64AndWrap) {
  Tensor b = ok(OpKind::prod, {T({{true, true}, {true, false}})}, {L({1})});
  EXPECT_EQ(b.dtype(), DType::Int64);
  EXPECT_TRUE(all_close(b, {1, 0}));
  Tensor i = ok(OpKind::prod, {T({{2, -3}, {4, 5}})}, {L({0})});
  EXPECT_EQ(i.dtype(), DType::Int64);
  EXPECT_TRUE(all_close(i, {8, -15}));
  // 2^62 * 4 = 2^64 wraps to 0; 2^62 * 2 = 2^63 wraps to INT64_MIN.
  Tensor big = Tensor::from_vector<int64_t>({int64_t{1} << 62, 4}, {2}).value();
  EXPECT_EQ(ok(OpKind::prod, {big}).to_vector<int64_t>(), std::vector<int64_t>{0});
  Tensor half = Tensor::from_vector<int64_t>({int64_t{1} << 62, 2}, {2}).value();
  EXPECT_EQ(ok(OpKind::prod, {half}).to_vector<int64_t>(),
            std::vector<int64_t>{std::numeric_limits<int64_t>::min()});
}

// ---- max / min ----

TEST(ReductionMaxMin, Values) {
  Tensor x = T({{1.0, 7.0, 3.0}, {4.0, -5.0, 6.0}});
  EXPECT_TRUE(all_close(ok(OpKind::max, {x}), {7}));
  EXPECT_TRUE(all_close(ok(OpKind::min, {x}), {-5}));
  EXPECT_TRUE(all_close(ok(OpKind::max, {x}, {L({0})}), {4, 7, 6}));
  EXPECT_TRUE(all_close(ok(OpKind::min, {x}, {L({0})}), {1, -5, 3}));
  EXPECT_TRUE(all_close(ok(OpKind::max, {x}, {L({-1})}), {7, 6}));
  Tensor kept = ok(OpKind::min, {x}, {L({1}), B(true)});
  EXPECT_EQ(shape(kept), "[2, 1]");
  EXPECT_TRUE(all_close(kept, {1, -5}));
  EXPECT_TRUE(all_close(ok(OpKind::max, {transposed(x)}, {L({1})}), {4, 7, 6}));
  EXPECT_TRUE(all_close(ok(OpKind::max, {T(-2.0)}), {-2}));
}

TEST(ReductionMaxMin, KeepsIntAndBoolDtypes) {
  Tensor i = ok(OpKind::max, {T({{3, -9}, {-4, 8}})}, {L({0})});
  EXPECT_EQ(i.dtype(), DType::Int64);
  EXPECT_TRUE(all_close(i, {3, 8}));
  EXPECT_TRUE(all_close(ok(OpKind::min, {T({{3, -9}, {-4, 8}})}), {-9}));
  Tensor flags = T({{false, true}, {false, false}});
  Tensor any_row = ok(OpKind::max, {flags}, {L({1})});
  EXPECT_EQ(any_row.dtype(), DType::Bool);
  EXPECT_TRUE(all_close(any_row, {1, 0}));
  EXPECT_TRUE(all_close(ok(OpKind::max, {flags}, {L({0})}), {0, 1}));
  EXPECT_TRUE(all_close(ok(OpKind::min, {T({true, true})}), {1}));
  EXPECT_TRUE(all_close(ok(OpKind::min, {flags}, {L({0})}), {0, 0}));
}

TEST(ReductionMaxMin, NaNPropagates) {
  Tensor x = T({{1.0, kNaN, 3.0}, {4.0, 5.0, 6.0}});
  EXPECT_TRUE(std::isnan(ok(OpKind::max, {x}).item()));
  EXPECT_TRUE(std::isnan(ok(OpKind::min, {x}).item()));
  EXPECT_TRUE(all_close(ok(OpKind::max, {x}, {L({1})}), {kNaN, 6}));
  EXPECT_TRUE(all_close(ok(OpKind::min, {x}, {L({0})}), {1, kNaN, 3}));
  EXPECT_TRUE(all_close(ok(OpKind::max, {x}, {L({0})}), {4, kNaN, 6}));
  EXPECT_TRUE(all_close(ok(OpKind::max, {T({-kInf, -kInf})}), {-kInf}));
}

TEST(ReductionMaxMin, EmptyIsAnError) {
  Tensor x = Tensor::empty({0, 3}, DType::Float32).value();
  EXPECT_TRUE(fails_with(op(OpKind::max, {x}), ErrorKind::RuntimeError,
                         "max(): Expected reduction dim to be specified for input.numel() == 0. "
                         "Specify the reduction dim with the 'dim' argument."));
  EXPECT_TRUE(fails_with(op(OpKind::min, {x}), ErrorKind::RuntimeError,
                         "min(): Expected reduction dim to be specified"));
  EXPECT_TRUE(fails_with(op(OpKind::max, {x}, {L({0})}), ErrorKind::IndexError,
                         "max(): Expected reduction dim 0 to have non-zero size."));
  EXPECT_TRUE(fails_with(op(OpKind::min, {x}, {L({-2})}), ErrorKind::IndexError,
                         "min(): Expected reduction dim 0 to have non-zero size."));
  // Reducing a non-empty dim of an empty tensor is fine: the result is empty too.
  Tensor y = ok(OpKind::max, {x}, {L({1})});
  EXPECT_EQ(shape(y), "[0]");
}

// ---- argmax / argmin ----

TEST(ReductionArgmax, FlattenedByDefault) {
  Tensor x = T({{1.0, 7.0, 3.0}, {7.0, -5.0, 6.0}});
  Tensor y = ok(OpKind::argmax, {x});
  EXPECT_EQ(shape(y), "[]");
  EXPECT_EQ(y.dtype(), DType::Int64);
  EXPECT_TRUE(all_close(y, {1}));  // the first of the two 7s
  EXPECT_TRUE(all_close(ok(OpKind::argmin, {x}), {4}));
  Tensor kept = ok(OpKind::argmax, {x}, {None(), B(true)});
  EXPECT_EQ(shape(kept), "[1, 1]");
  EXPECT_TRUE(all_close(kept, {1}));
  // The flattened index follows the logical (row-major) order, not the memory order:
  // transposed, {{1, 3, 7}, {7, -5, 6}} reads 1, 7, 3, -5, 7, 6.
  Tensor other = T({{1.0, 3.0, 7.0}, {7.0, -5.0, 6.0}});
  EXPECT_TRUE(all_close(ok(OpKind::argmax, {transposed(other)}), {1}));
  EXPECT_TRUE(all_close(ok(OpKind::argmin, {transposed(other)}), {3}));
}

TEST(ReductionArgmax, AlongADim) {
  Tensor x = T({{1.0, 7.0, 3.0}, {7.0, -5.0, 3.0}});
  EXPECT_TRUE(all_close(ok(OpKind::argmax, {x}, {I(0)}), {1, 0, 0}));  // ties: first wins
  EXPECT_TRUE(all_close(ok(OpKind::argmin, {x}, {I(0)}), {0, 1, 0}));
  EXPECT_TRUE(all_close(ok(OpKind::argmax, {x}, {I(-1)}), {1, 0}));
  EXPECT_TRUE(all_close(ok(OpKind::argmin, {x}, {I(1)}), {0, 1}));
  Tensor kept = ok(OpKind::argmin, {x}, {I(1), B(true)});
  EXPECT_EQ(shape(kept), "[2, 1]");
  EXPECT_TRUE(all_close(ok(OpKind::argmax, {transposed(x)}, {I(1)}), {1, 0, 0}));
  Tensor ints = ok(OpKind::argmax, {T({{3, 9, 9}, {-1, -1, -2}})}, {I(1)});
  EXPECT_TRUE(all_close(ints, {1, 0}));
  EXPECT_TRUE(all_close(ok(OpKind::argmax, {T(4.0)}), {0}));
  EXPECT_TRUE(all_close(ok(OpKind::argmax, {T(4.0)}, {I(0)}), {0}));
}

TEST(ReductionArgmax, NaNIsBothMaxAndMin) {
  Tensor x = T({1.0, kNaN, 9.0, kNaN, -3.0});
  EXPECT_TRUE(all_close(ok(OpKind::argmax, {x}), {1}));
  EXPECT_TRUE(all_close(ok(OpKind::argmin, {x}), {1}));
  Tensor inf = T({-kInf, 2.0, kInf, kInf});
  EXPECT_TRUE(all_close(ok(OpKind::argmax, {inf}), {2}));
  EXPECT_TRUE(all_close(ok(OpKind::argmin, {inf}), {0}));
}

TEST(ReductionArgmax, ErrorCases) {
  Tensor empty = Tensor::empty({2, 0}, DType::Float32).value();
  EXPECT_TRUE(
      fails_with(op(OpKind::argmax, {empty}), ErrorKind::IndexError,
                 "argmax(): Expected reduction dim to be specified for input.numel() == 0."));
  EXPECT_TRUE(fails_with(op(OpKind::argmin, {empty}, {I(1)}), ErrorKind::IndexError,
                         "argmin(): Expected reduction dim 1 to have non-zero size."));
  Tensor y = ok(OpKind::argmax, {empty}, {I(0)});
  EXPECT_EQ(shape(y), "[0]");
  EXPECT_TRUE(fails_with(op(OpKind::argmax, {T({true, false})}), ErrorKind::RuntimeError,
                         "argmax(): not supported for bool tensors"));
  EXPECT_TRUE(fails_with(op(OpKind::argmax, {iota({2, 2})}, {I(2)}), ErrorKind::IndexError,
                         "Dimension out of range"));
}

// ---- var / std ----

TEST(ReductionVar, DefaultCorrectionIsOne) {
  Tensor x = T({1.0, 2.0, 3.0, 4.0});
  EXPECT_TRUE(all_close(ok(OpKind::var, {x}), {5.0 / 3.0}));
  EXPECT_TRUE(all_close(ok(OpKind::std, {x}), {std::sqrt(5.0 / 3.0)}));
  EXPECT_TRUE(all_close(ok(OpKind::var, {x}, {}, {{"correction", I(0)}}), {1.25}));
  EXPECT_TRUE(all_close(ok(OpKind::std, {x}, {None(), I(0)}), {std::sqrt(1.25)}));
  EXPECT_TRUE(all_close(ok(OpKind::var, {x}, {None(), I(2)}), {2.5}));
}

TEST(ReductionVar, Dims) {
  Tensor x = T({{1.0, 2.0, 6.0}, {3.0, 2.0, 0.0}});
  EXPECT_TRUE(all_close(ok(OpKind::var, {x}, {L({0})}), {2, 0, 18}));
  Tensor rows = ok(OpKind::var, {x}, {L({1}), I(1), B(true)});
  EXPECT_EQ(shape(rows), "[2, 1]");
  EXPECT_TRUE(all_close(rows, {7, 7.0 / 3.0}));
  EXPECT_TRUE(
      all_close(ok(OpKind::std, {transposed(x)}, {L({1})}), {std::sqrt(2.0), 0, std::sqrt(18.0)}));
  Tensor d = ok(OpKind::var, {T({1.0, 3.0}, DType::Float64)});
  EXPECT_EQ(d.dtype(), DType::Float64);
  EXPECT_TRUE(all_close(d, {2}));
}

TEST(ReductionVar, ZeroDivisorAndEmpty) {
  // One element with correction 1: 0 / 0. Two distinct values with correction 2: x / 0 = inf.
  EXPECT_TRUE(std::isnan(ok(OpKind::var, {T({3.0})}).item()));
  EXPECT_TRUE(std::isnan(ok(OpKind::std, {T(3.0)}).item()));
  EXPECT_EQ(ok(OpKind::var, {T({1.0, 3.0})}, {None(), I(2)}).item(), kInf);
  EXPECT_TRUE(std::isnan(ok(OpKind::var, {Tensor::empty({0}, DType::Float32).value()}).item()));
  Tensor y = ok(OpKind::var, {Tensor::empty({3, 0}, DType::Float32).value()}, {L({1})});
  EXPECT_TRUE(all_close(y, {kNaN, kNaN, kNaN}));
}

TEST(ReductionVar, LargeMeanSmallSpreadStaysAccurate) {
  // float32 values 1e4 + {0, 0.5, 1, ..., 9.5}: a naive E[x^2] - E[x]^2 loses every digit.
  std::vector<float> data;
  for (int i = 0; i < 20; ++i) data.push_back(1e4f + 0.5f * i);
  Tensor x = Tensor::from_vector(data, {20}).value();
  // var of 0.5 * {0..19} with correction 1: 0.25 * 20 * 21 / 12 = 8.75
  EXPECT_TRUE(all_close(ok(OpKind::var, {x}), {8.75}, 1e-5));
}

TEST(ReductionVar, NaNAndInfGiveNaN) {
  EXPECT_TRUE(all_close(ok(OpKind::var, {T({{1.0, kNaN}, {1.0, 2.0}})}, {L({1})}), {kNaN, 0.5}));
  EXPECT_TRUE(std::isnan(ok(OpKind::std, {T({1.0, kInf})}).item()));
}

TEST(ReductionVar, RejectsIntegral) {
  EXPECT_TRUE(fails_with(op(OpKind::var, {T({1, 2})}), ErrorKind::RuntimeError,
                         "var(): expected a floating point tensor, but got int64"));
  EXPECT_TRUE(fails_with(op(OpKind::std, {T({true})}), ErrorKind::RuntimeError,
                         "std(): expected a floating point tensor, but got bool"));
}

// ---- all / any ----

TEST(ReductionAllAny, Values) {
  Tensor x = T({{1.0, 0.0, 3.0}, {4.0, 5.0, 6.0}});
  Tensor all = ok(OpKind::all, {x});
  EXPECT_EQ(all.dtype(), DType::Bool);
  EXPECT_EQ(shape(all), "[]");
  EXPECT_TRUE(all_close(all, {0}));
  EXPECT_TRUE(all_close(ok(OpKind::any, {x}), {1}));
  EXPECT_TRUE(all_close(ok(OpKind::all, {x}, {L({1})}), {0, 1}));
  EXPECT_TRUE(all_close(ok(OpKind::all, {x}, {L({0})}), {1, 0, 1}));
  EXPECT_TRUE(all_close(ok(OpKind::any, {T({{0, 0}, {0, 2}})}, {L({0})}), {0, 1}));
  EXPECT_TRUE(all_close(ok(OpKind::any, {T({{0, 0}, {0, 2}})}, {L({1}), B(true)}), {0, 1}));
  EXPECT_TRUE(all_close(ok(OpKind::all, {T({{true, false}, {true, true}})}, {L({0})}), {1, 0}));
  EXPECT_TRUE(all_close(ok(OpKind::all, {transposed(x)}, {L({0})}), {0, 1}));
}

TEST(ReductionAllAny, NaNIsTrue) {
  EXPECT_TRUE(all_close(ok(OpKind::all, {T({kNaN, 1.0})}), {1}));
  EXPECT_TRUE(all_close(ok(OpKind::any, {T({0.0, kNaN})}), {1}));
  EXPECT_TRUE(all_close(ok(OpKind::any, {T({0.0, -0.0})}), {0}));
}

TEST(ReductionAllAny, EmptyIsTrueForAllFalseForAny) {
  Tensor x = Tensor::empty({0, 2}, DType::Int64).value();
  EXPECT_TRUE(all_close(ok(OpKind::all, {x}), {1}));
  EXPECT_TRUE(all_close(ok(OpKind::any, {x}), {0}));
  EXPECT_TRUE(all_close(ok(OpKind::all, {x}, {L({0})}), {1, 1}));
  EXPECT_TRUE(all_close(ok(OpKind::any, {x}, {L({0})}), {0, 0}));
}

// ---- logsumexp ----

TEST(ReductionLogSumExp, Values) {
  Tensor x = T({{0.0, 1.0, 2.0}, {-1.0, -1.0, -1.0}});
  const double first = std::log(1 + std::exp(1.0) + std::exp(2.0));
  const double second = -1 + std::log(3.0);
  Tensor rows = ok(OpKind::logsumexp, {x}, {L({1})});
  EXPECT_EQ(shape(rows), "[2]");
  EXPECT_TRUE(all_close(rows, {first, second}, 1e-6));
  Tensor cols = ok(OpKind::logsumexp, {x}, {L({0}), B(true)});
  EXPECT_EQ(shape(cols), "[1, 3]");
  EXPECT_TRUE(
      all_close(cols, {std::log(1 + std::exp(-1.0)), std::log(std::exp(1.0) + std::exp(-1.0)),
                       std::log(std::exp(2.0) + std::exp(-1.0))}));
  EXPECT_TRUE(all_close(ok(OpKind::logsumexp, {x}, {L({0, 1})}),
                        {std::log(std::exp(first) + std::exp(second))}));
}

TEST(ReductionLogSumExp, StableForLargeValues) {
  EXPECT_TRUE(
      all_close(ok(OpKind::logsumexp, {T({1000.0, 1000.0})}, {L({0})}), {1000 + std::log(2.0)}));
  EXPECT_TRUE(
      all_close(ok(OpKind::logsumexp, {T({-1000.0, -1000.0})}, {L({0})}), {-1000 + std::log(2.0)}));
}

TEST(ReductionLogSumExp, Infinities) {
  EXPECT_EQ(ok(OpKind::logsumexp, {T({-kInf, -kInf})}, {L({0})}).item(), -kInf);
  EXPECT_EQ(ok(OpKind::logsumexp, {T({kInf, 1.0})}, {L({0})}).item(), kInf);
  EXPECT_EQ(ok(OpKind::logsumexp, {T({kInf, -kInf})}, {L({0})}).item(), kInf);
  EXPECT_TRUE(std::isnan(ok(OpKind::logsumexp, {T({kNaN, 1.0})}, {L({0})}).item()));
  Tensor empty = ok(OpKind::logsumexp, {Tensor::empty({0, 2}, DType::Float32).value()}, {L({0})});
  EXPECT_TRUE(all_close(empty, {-kInf, -kInf}));
}

TEST(ReductionLogSumExp, IntegralComputesInFloat32) {
  Tensor y = ok(OpKind::logsumexp, {T({{0, 0}, {1, 1}})}, {L({1})});
  EXPECT_EQ(y.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(y, {std::log(2.0), 1 + std::log(2.0)}));
  Tensor b = ok(OpKind::logsumexp, {T({true, false})}, {L({0})});
  EXPECT_EQ(b.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(b, {std::log(1 + std::exp(1.0))}));
}

TEST(ReductionLogSumExp, DimIsRequired) {
  EXPECT_TRUE(fails_with(op(OpKind::logsumexp, {T({1.0})}), ErrorKind::TypeError,
                         "logsumexp() missing required argument 'dim'"));
}

// ---- every op against a naive reference on random shapes, dim sets and permuted views ----

// The values each output reduces, in row-major order of the reduced dims.
std::vector<std::vector<double>> reference_groups(const Tensor& x,
                                                  const std::vector<bool>& reduced) {
  std::vector<double> flat = values(x);
  int64_t outputs = 1;
  for (int d = 0; d < x.dim(); ++d)
    if (!reduced[d]) outputs *= x.size(d);
  std::vector<std::vector<double>> groups(outputs);
  for (int64_t i = 0; i < static_cast<int64_t>(flat.size()); ++i) {
    int64_t rest = i, out = 0, out_stride = 1;
    for (int d = x.dim() - 1; d >= 0; --d) {
      int64_t index = rest % x.size(d);
      rest /= x.size(d);
      if (!reduced[d]) {
        out += index * out_stride;
        out_stride *= x.size(d);
      }
    }
    groups[out].push_back(flat[i]);
  }
  return groups;
}

TEST(ReductionRandomized, MatchesNaiveReference) {
  std::mt19937 rng(1234);
  auto uniform = [&](int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(rng);
  };
  for (int trial = 0; trial < 300; ++trial) {
    const int rank = uniform(1, 4);
    Dims sizes;
    for (int d = 0; d < rank; ++d) sizes.push_back(uniform(1, 5));
    std::vector<float> data(product(sizes));
    for (float& v : data) v = static_cast<float>(uniform(-4, 4));
    Tensor x = Tensor::from_vector(data, sizes).value();
    if (uniform(0, 1)) {  // a permuted (usually non-contiguous) view of the same storage
      std::vector<int> order(rank);
      std::iota(order.begin(), order.end(), 0);
      std::shuffle(order.begin(), order.end(), rng);
      Dims view_sizes, view_strides;
      for (int d : order) {
        view_sizes.push_back(x.size(d));
        view_strides.push_back(x.stride(d));
      }
      x = x.as_strided(view_sizes, view_strides, 0);
    }
    std::vector<bool> reduced(rank, false);
    std::vector<int64_t> dims;
    for (int d = 0; d < rank; ++d)
      if (uniform(0, 2) == 0) {
        reduced[d] = true;
        dims.push_back(uniform(0, 1) ? d : d - rank);
      }
    if (dims.empty()) {
      int d = uniform(0, rank - 1);
      reduced[d] = true;
      dims.push_back(d);
    }
    const bool keepdim = uniform(0, 1);
    std::string expected_shape = "[";
    for (int d = 0; d < rank; ++d)
      if (!reduced[d] || keepdim)
        expected_shape +=
            (expected_shape.size() > 1 ? ", " : "") + std::to_string(reduced[d] ? 1 : x.size(d));
    expected_shape += "]";
    SCOPED_TRACE(x.to_string() + " strides " + to_string(x.strides()) + " dims " +
                 to_string(Dims(std::span<const int64_t>(dims.data(), dims.size()))));

    auto groups = reference_groups(x, reduced);
    auto expect = [&](OpKind kind, std::vector<Attr> attrs, auto&& fold, double tolerance = 1e-6) {
      std::vector<double> expected;
      for (const auto& group : groups) expected.push_back(fold(group));
      Tensor y = ok(kind, {x}, std::move(attrs));
      EXPECT_EQ(shape(y), expected_shape) << op_name(kind);
      EXPECT_TRUE(all_close(y, expected, tolerance)) << op_name(kind);
    };
    auto total = [](const std::vector<double>& g) {
      return std::accumulate(g.begin(), g.end(), 0.0);
    };
    auto mean = [&](const std::vector<double>& g) { return total(g) / g.size(); };
    expect(OpKind::sum, {L(dims), B(keepdim)}, total);
    expect(OpKind::mean, {L(dims), B(keepdim)}, mean);
    expect(OpKind::max, {L(dims), B(keepdim)},
           [](const std::vector<double>& g) { return *std::max_element(g.begin(), g.end()); });
    expect(OpKind::min, {L(dims), B(keepdim)},
           [](const std::vector<double>& g) { return *std::min_element(g.begin(), g.end()); });
    expect(
        OpKind::var, {L(dims), I(1), B(keepdim)},
        [&](const std::vector<double>& g) {
          double m = mean(g), squares = 0;
          for (double v : g) squares += (v - m) * (v - m);
          return squares / (static_cast<double>(g.size()) - 1);  // 0 / 0 = NaN for one element
        },
        1e-5);
    expect(OpKind::all, {L(dims), B(keepdim)}, [](const std::vector<double>& g) {
      return static_cast<double>(std::all_of(g.begin(), g.end(), [](double v) { return v != 0; }));
    });
    expect(OpKind::any, {L(dims), B(keepdim)}, [](const std::vector<double>& g) {
      return static_cast<double>(std::any_of(g.begin(), g.end(), [](double v) { return v != 0; }));
    });
    expect(
        OpKind::logsumexp, {L(dims), B(keepdim)},
        [](const std::vector<double>& g) {
          double m = *std::max_element(g.begin(), g.end()), sum = 0;
          for (double v : g) sum += std::exp(v - m);
          return m + std::log(sum);
        },
        1e-5);
    if (dims.size() == 1) {
      expect(OpKind::argmax, {I(dims[0]), B(keepdim)}, [](const std::vector<double>& g) {
        return static_cast<double>(std::max_element(g.begin(), g.end()) - g.begin());
      });
      expect(OpKind::argmin, {I(dims[0]), B(keepdim)}, [](const std::vector<double>& g) {
        return static_cast<double>(std::min_element(g.begin(), g.end()) - g.begin());
      });
    }
    if (HasFailure()) break;
  }
}

}  // namespace
