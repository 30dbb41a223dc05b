// Eager matmul and linear against PyTorch: shapes, batches, strides, dtypes, errors, run_into.
#include <algorithm>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/backends/test_util.h"

namespace gyro {
namespace {

using namespace gyro::testing;

// A float tensor of `sizes` holding small distinct values: (i % 7) - 3 + i / 16.
Tensor pattern(std::vector<int64_t> sizes, DType dtype = DType::Float32) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  Tensor flat = ok(OpKind::arange, {}, {I(n)});
  Tensor mod = ok(OpKind::remainder, {flat, number(7, DType::Int64)});
  Tensor frac = ok(OpKind::div, {flat, number(16, DType::Int64)});
  Tensor values = ok(OpKind::add, {ok(OpKind::sub, {mod, number(3, DType::Int64)}), frac});
  return ok(OpKind::reshape, {ok(OpKind::to, {values}, {DT(dtype)})}, {L(sizes)});
}

// Reference batched matmul over row-major values: a is [batch_a..., m, k] and b is
// [batch_b..., k, n] with batch dims already broadcast-compatible; both given as full shapes.
std::vector<double> reference_matmul(const Tensor& a, const Tensor& b) {
  auto av = values(a), bv = values(b);
  int ra = a.dim(), rb = b.dim();
  int64_t m = a.size(ra - 2), k = a.size(ra - 1), n = b.size(rb - 1);
  int rank = std::max(ra, rb) - 2;
  std::vector<int64_t> batch(rank, 1), a_batch(rank, 1), b_batch(rank, 1);
  for (int d = 0; d < ra - 2; ++d) a_batch[rank - (ra - 2) + d] = a.size(d);
  for (int d = 0; d < rb - 2; ++d) b_batch[rank - (rb - 2) + d] = b.size(d);
  int64_t total = 1;
  for (int d = 0; d < rank; ++d) {
    batch[d] = std::max(a_batch[d], b_batch[d]);
    total *= batch[d];
  }
  std::vector<double> out;
  for (int64_t index = 0; index < total; ++index) {
    // Unravel the batch index and map it to each operand's (possibly broadcast) batch offset.
    int64_t rest = index, a_off = 0, b_off = 0, a_stride = 1, b_stride = 1;
    for (int d = rank - 1; d >= 0; --d) {
      int64_t i = rest % batch[d];
      rest /= batch[d];
      a_off += (a_batch[d] == 1 ? 0 : i) * a_stride;
      b_off += (b_batch[d] == 1 ? 0 : i) * b_stride;
      a_stride *= a_batch[d];
      b_stride *= b_batch[d];
    }
    for (int64_t r = 0; r < m; ++r)
      for (int64_t c = 0; c < n; ++c) {
        double sum = 0;
        for (int64_t j = 0; j < k; ++j)
          sum += av[a_off * m * k + r * k + j] * bv[b_off * k * n + j * n + c];
        out.push_back(sum);
      }
  }
  return out;
}

// ---------------------------------------------------------------- matmul: vectors and matrices

TEST(LinalgMatmul, VectorDotVectorIsZeroDim) {
  Tensor t = ok(OpKind::matmul, {T({1.0, 2.0, 3.0}), T({4.0, 5.0, 6.0})});
  EXPECT_EQ(t.dim(), 0);
  EXPECT_EQ(t.item(), 32.0);
}

TEST(LinalgMatmul, VectorTimesMatrix) {
  Tensor t = ok(OpKind::matmul, {T({1.0, 2.0}), T({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}})});
  EXPECT_EQ(t.sizes(), (Dims{3}));
  EXPECT_TRUE(all_close(t, {9, 12, 15}));
}

TEST(LinalgMatmul, MatrixTimesVector) {
  Tensor t = ok(OpKind::matmul, {T({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}), T({1.0, 0.0, -1.0})});
  EXPECT_EQ(t.sizes(), (Dims{2}));
  EXPECT_TRUE(all_close(t, {-2, -2}));
}

TEST(LinalgMatmul, MatrixTimesMatrix) {
  Tensor t = ok(OpKind::matmul, {T({{1.0, 2.0}, {3.0, 4.0}}), T({{5.0, 6.0}, {7.0, 8.0}})});
  EXPECT_EQ(t.sizes(), (Dims{2, 2}));
  EXPECT_EQ(t.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(t, {19, 22, 43, 50}));
  Tensor d =
      ok(OpKind::matmul, {T({{1.0, 2.0}}, DType::Float64), T({{3.0}, {4.0}}, DType::Float64)});
  EXPECT_EQ(d.dtype(), DType::Float64);
  EXPECT_TRUE(all_close(d, {11}));
}

// ---------------------------------------------------------------- matmul: batches

TEST(LinalgMatmul, BatchTimesMatrix) {
  Tensor a = pattern({2, 3, 4}), b = pattern({4, 5});
  Tensor t = ok(OpKind::matmul, {a, b});
  EXPECT_EQ(t.sizes(), (Dims{2, 3, 5}));
  EXPECT_TRUE(all_close(t, reference_matmul(a, b), 1e-5));
}

TEST(LinalgMatmul, BroadcastBatchDims) {
  // [2, 1, 3, 4] @ [5, 4, 2] -> [2, 5, 3, 2].
  Tensor a = pattern({2, 1, 3, 4}), b = pattern({5, 4, 2});
  Tensor t = ok(OpKind::matmul, {a, b});
  EXPECT_EQ(t.sizes(), (Dims{2, 5, 3, 2}));
  EXPECT_TRUE(all_close(t, reference_matmul(a, b), 1e-5));
}

TEST(LinalgMatmul, MatrixTimesBatch) {
  Tensor a = pattern({3, 4}), b = pattern({2, 4, 5});
  Tensor t = ok(OpKind::matmul, {a, b});
  EXPECT_EQ(t.sizes(), (Dims{2, 3, 5}));
  EXPECT_TRUE(all_close(t, reference_matmul(a, b), 1e-5));
}

TEST(LinalgMatmul, BatchAndVector) {
  Tensor batch = pattern({2, 3, 4});
  Tensor v = T({1.0, -1.0, 2.0, 0.5});
  Tensor right = ok(OpKind::matmul, {batch, v});
  EXPECT_EQ(right.sizes(), (Dims{2, 3}));
  Tensor column = ok(OpKind::reshape, {v}, {L({4, 1})});
  EXPECT_TRUE(all_close(right, reference_matmul(batch, column), 1e-5));

  Tensor b = pattern({2, 4, 5});
  Tensor left = ok(OpKind::matmul, {v, b});
  EXPECT_EQ(left.sizes(), (Dims{2, 5}));
  Tensor row = ok(OpKind::reshape, {v}, {L({1, 4})});
  EXPECT_TRUE(all_close(left, reference_matmul(row, b), 1e-5));
}

// ---------------------------------------------------------------- matmul: strided operands

TEST(LinalgMatmul, TransposedOperands) {
  Tensor a = pattern({4, 3}), b = pattern({5, 4});
  Tensor at = transposed(a), bt = transposed(b);  // [3, 4] and [4, 5], column-major
  ASSERT_FALSE(at.is_contiguous());
  Tensor expected_a = ok(OpKind::contiguous, {at}), expected_b = ok(OpKind::contiguous, {bt});
  auto expected = reference_matmul(expected_a, expected_b);
  EXPECT_TRUE(all_close(ok(OpKind::matmul, {at, expected_b}), expected, 1e-5));
  EXPECT_TRUE(all_close(ok(OpKind::matmul, {expected_a, bt}), expected, 1e-5));
  EXPECT_TRUE(all_close(ok(OpKind::matmul, {at, bt}), expected, 1e-5));
}

TEST(LinalgMatmul, SteppedOperands) {
  // Neither stride is 1: every other row and column of larger matrices.
  Tensor big_a = pattern({6, 8}), big_b = pattern({8, 10});
  auto every_other = [](const Tensor& t) {
    Tensor rows = ok(OpKind::slice, {t}, {I(0), None(), None(), I(2)});
    return ok(OpKind::slice, {rows}, {I(1), None(), None(), I(2)});
  };
  Tensor a = every_other(big_a), b = every_other(big_b);  // [3, 4] and [4, 5]
  Tensor t = ok(OpKind::matmul, {a, b});
  EXPECT_EQ(t.sizes(), (Dims{3, 5}));
  EXPECT_TRUE(all_close(
      t, reference_matmul(ok(OpKind::contiguous, {a}), ok(OpKind::contiguous, {b})), 1e-5));
  // A stepped vector on the left of a matrix.
  Tensor v = ok(OpKind::slice, {T({1.0, 9.0, 2.0, 9.0, 3.0, 9.0})}, {I(0), None(), None(), I(2)});
  EXPECT_TRUE(all_close(ok(OpKind::matmul, {v, T({{1.0}, {1.0}, {1.0}})}), {6}));
  EXPECT_EQ(ok(OpKind::matmul, {v, v}).item(), 14.0);
}

TEST(LinalgMatmul, PermutedBatch) {
  // A batch whose rows are not evenly spaced across batch entries.
  Tensor base = pattern({3, 2, 4});
  Tensor a = ok(OpKind::transpose, {base}, {I(0), I(1)});  // [2, 3, 4]
  Tensor b = pattern({4, 5});
  Tensor t = ok(OpKind::matmul, {a, b});
  EXPECT_TRUE(all_close(t, reference_matmul(ok(OpKind::contiguous, {a}), b), 1e-5));
  Tensor expanded = ok(OpKind::expand, {pattern({3, 4})}, {L({2, 3, 4})});
  EXPECT_TRUE(all_close(ok(OpKind::matmul, {expanded, b}),
                        reference_matmul(ok(OpKind::contiguous, {expanded}), b), 1e-5));
}

// ---------------------------------------------------------------- matmul: dtypes, empty, errors

TEST(LinalgMatmul, Int64IsExact) {
  Tensor t = ok(OpKind::matmul, {T({{1, 2}, {3, 4}}), T({{5, 6}, {7, 8}})});
  EXPECT_EQ(t.dtype(), DType::Int64);
  EXPECT_EQ(ints(t), (std::vector<int64_t>{19, 22, 43, 50}));
  int64_t big = (int64_t{1} << 40) + 1;
  Tensor exact = ok(OpKind::matmul, {T({big, int64_t{1}}), T({int64_t{1} << 20, int64_t{3}})});
  EXPECT_EQ(exact.to_vector<int64_t>()[0], (big << 20) + 3);
}

TEST(LinalgMatmul, EmptyInnerDimGivesZeros) {
  Tensor t =
      ok(OpKind::matmul, {ok(OpKind::ones, {}, {L({2, 0})}), ok(OpKind::ones, {}, {L({0, 3})})});
  EXPECT_EQ(t.sizes(), (Dims{2, 3}));
  EXPECT_TRUE(all_close(t, {0, 0, 0, 0, 0, 0}));
  Tensor dot = ok(OpKind::matmul, {ok(OpKind::ones, {}, {L({0})}), ok(OpKind::ones, {}, {L({0})})});
  EXPECT_EQ(dot.item(), 0.0);
  Tensor batch =
      ok(OpKind::matmul, {ok(OpKind::ones, {}, {L({2, 3, 0})}), ok(OpKind::ones, {}, {L({0, 4})})});
  EXPECT_EQ(batch.sizes(), (Dims{2, 3, 4}));
  EXPECT_TRUE(all_close(batch, std::vector<double>(24, 0.0)));
}

TEST(LinalgMatmul, EmptyOuterDims) {
  Tensor t =
      ok(OpKind::matmul, {ok(OpKind::ones, {}, {L({0, 3})}), ok(OpKind::ones, {}, {L({3, 2})})});
  EXPECT_EQ(t.sizes(), (Dims{0, 2}));
  Tensor b =
      ok(OpKind::matmul, {ok(OpKind::ones, {}, {L({0, 2, 3})}), ok(OpKind::ones, {}, {L({3, 2})})});
  EXPECT_EQ(b.sizes(), (Dims{0, 2, 2}));
}

TEST(LinalgMatmul, ErrorsHaveTorchsMessages) {
  EXPECT_TRUE(fails_with(op(OpKind::matmul, {T({1.0, 2.0, 3.0}), T({1.0, 2.0, 3.0, 4.0})}),
                         ErrorKind::RuntimeError,
                         "inconsistent tensor size, expected tensor [3] and src [4] to have the "
                         "same number of elements, but got 3 and 4 elements respectively"));
  EXPECT_TRUE(fails_with(op(OpKind::matmul, {pattern({2, 3}), pattern({4, 5})}),
                         ErrorKind::RuntimeError,
                         "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"));
  EXPECT_TRUE(fails_with(op(OpKind::matmul, {T(1.0), T({1.0})}), ErrorKind::RuntimeError,
                         "both arguments to matmul need to be at least 1D, but they are 0D and "
                         "1D"));
  EXPECT_TRUE(fails_with(op(OpKind::matmul, {pattern({2, 3}), pattern({3, 4}, DType::Float64)}),
                         ErrorKind::RuntimeError, "same dtype"));
  EXPECT_TRUE(
      fails_with(op(OpKind::matmul, {T({{true}}), T({{true}})}), ErrorKind::RuntimeError, "bool"));
  EXPECT_TRUE(fails_with(op(OpKind::matmul, {pattern({2, 2, 3}), pattern({3, 3, 4})}),
                         ErrorKind::RuntimeError, "must match"));
}

// ---------------------------------------------------------------- linear

TEST(LinalgLinear, WithoutBias) {
  // x @ weight.T: [[1, 2, 3]] with weight [[1, 0, 0], [1, 1, 1]] -> [[1, 6]].
  Tensor weight = T({{1.0, 0.0, 0.0}, {1.0, 1.0, 1.0}});
  Tensor t = ok(OpKind::linear, {T({{1.0, 2.0, 3.0}, {-1.0, 0.0, 1.0}}), weight});
  EXPECT_EQ(t.sizes(), (Dims{2, 2}));
  EXPECT_TRUE(all_close(t, {1, 6, -1, 0}));
}

TEST(LinalgLinear, WithBias) {
  Tensor weight = T({{1.0, 0.0, 0.0}, {1.0, 1.0, 1.0}});
  Tensor t = ok(OpKind::linear, {T({{1.0, 2.0, 3.0}, {-1.0, 0.0, 1.0}}), weight, T({10.0, 20.0})});
  EXPECT_TRUE(all_close(t, {11, 26, 9, 20}));
  Tensor scalar_bias = ok(OpKind::linear, {T({{1.0, 2.0, 3.0}}), weight, T(0.5)});
  EXPECT_TRUE(all_close(scalar_bias, {1.5, 6.5}));
}

TEST(LinalgLinear, VectorAndBatchedInputs) {
  Tensor weight = pattern({4, 3});
  Tensor bias = T({1.0, 2.0, 3.0, 4.0});
  Tensor v = ok(OpKind::linear, {T({1.0, 2.0, 3.0}), weight, bias});
  EXPECT_EQ(v.sizes(), (Dims{4}));
  auto w = values(weight);
  std::vector<double> expected;
  for (int o = 0; o < 4; ++o)
    expected.push_back(w[o * 3] + 2 * w[o * 3 + 1] + 3 * w[o * 3 + 2] + (o + 1));
  EXPECT_TRUE(all_close(v, expected, 1e-5));

  Tensor x = pattern({2, 5, 3});
  Tensor batched = ok(OpKind::linear, {x, weight});
  EXPECT_EQ(batched.sizes(), (Dims{2, 5, 4}));
  EXPECT_TRUE(
      all_close(batched, reference_matmul(x, ok(OpKind::contiguous, {transposed(weight)})), 1e-5));
}

TEST(LinalgLinear, StridedWeight) {
  Tensor stored = pattern({3, 4});
  Tensor weight = transposed(stored);  // [4, 3], non-contiguous
  Tensor x = pattern({2, 3});
  Tensor t = ok(OpKind::linear, {x, weight});
  EXPECT_TRUE(all_close(t, reference_matmul(x, stored), 1e-5));
}

TEST(LinalgLinear, Errors) {
  // torch.nn.functional.linear(torch.ones(2, 3), torch.ones(4, 5)).
  EXPECT_TRUE(fails_with(op(OpKind::linear, {pattern({2, 3}), pattern({4, 5})}),
                         ErrorKind::RuntimeError,
                         "mat1 and mat2 shapes cannot be multiplied (2x3 and 5x4)"));
  EXPECT_TRUE(fails_with(op(OpKind::linear, {pattern({2, 3}), pattern({4, 3}), pattern({3})}),
                         ErrorKind::RuntimeError, "must match"));
  EXPECT_TRUE(fails_with(op(OpKind::linear, {pattern({2, 3}), pattern({4, 3}, DType::Float64)}),
                         ErrorKind::RuntimeError, "same dtype"));
}

// ---------------------------------------------------------------- run_into

TEST(LinalgRunInto, WritesIntoTheGivenBuffer) {
  Tensor out = Tensor::empty({2, 2}, DType::Float32).value();
  const void* data = out.raw_data();
  const Tensor first[] = {T({{1.0, 2.0}, {3.0, 4.0}}), T({{5.0, 6.0}, {7.0, 8.0}})};
  ASSERT_TRUE(eager::run_into(OpKind::matmul, first, {}, out).ok());
  EXPECT_EQ(out.raw_data(), data);
  EXPECT_TRUE(all_close(out, {19, 22, 43, 50}));
  // The same buffer serves the next call.
  const Tensor second[] = {T({{1.0, 0.0}, {0.0, 1.0}}), T({{2.0, 3.0}, {4.0, 5.0}})};
  ASSERT_TRUE(eager::run_into(OpKind::matmul, second, {}, out).ok());
  EXPECT_TRUE(all_close(out, {2, 3, 4, 5}));
}

TEST(LinalgRunInto, LinearWithBias) {
  Tensor out = Tensor::empty({1, 2}, DType::Float32).value();
  const Tensor inputs[] = {T({{1.0, 2.0, 3.0}}), T({{1.0, 0.0, 0.0}, {1.0, 1.0, 1.0}}),
                           T({10.0, 20.0})};
  ASSERT_TRUE(eager::run_into(OpKind::linear, inputs, {}, out).ok());
  EXPECT_TRUE(all_close(out, {11, 26}));
}

TEST(LinalgRunInto, StridedBuffer) {
  // torch.matmul(a, b, out=buffer.t()) fills the view in its logical order (the GEMM writes
  // contiguous rows, so the runner must not hand it a strided buffer).
  Tensor buffer = Tensor::empty({2, 2}, DType::Float32).value();
  Tensor view = transposed(buffer);
  const Tensor inputs[] = {T({{1.0, 2.0}, {3.0, 4.0}}), T({{5.0, 6.0}, {7.0, 8.0}})};
  ASSERT_TRUE(eager::run_into(OpKind::matmul, inputs, {}, view).ok());
  EXPECT_TRUE(all_close(view, {19, 22, 43, 50}));
  EXPECT_TRUE(all_close(buffer, {19, 43, 22, 50}));
}

TEST(LinalgRunInto, RejectsAMismatchedBuffer) {
  const Tensor inputs[] = {pattern({2, 3}), pattern({3, 4})};
  Tensor wrong_shape = Tensor::empty({4, 2}, DType::Float32).value();
  EXPECT_TRUE(fails_with(eager::run_into(OpKind::matmul, inputs, {}, wrong_shape),
                         ErrorKind::ValueError,
                         "output buffer is float32 [4, 2] but the result "
                         "is float32 [2, 4]"));
  Tensor wrong_dtype = Tensor::empty({2, 4}, DType::Float64).value();
  EXPECT_TRUE(fails_with(eager::run_into(OpKind::matmul, inputs, {}, wrong_dtype),
                         ErrorKind::ValueError, "output buffer"));
  Tensor undefined;
  EXPECT_TRUE(fails_with(eager::run_into(OpKind::matmul, inputs, {}, undefined),
                         ErrorKind::ValueError, "undefined"));
}

}  // namespace
}  // namespace gyro
