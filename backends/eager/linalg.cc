// matmul and linear on Eigen's GEMM: strided operands map without copies when one of their
// strides is 1, and a batch that broadcasts the right operand folds into one large GEMM.
#include <Eigen/Core>

#include "backends/eager/eager.h"
#include "backends/eager/kernel.h"

namespace gyro::eager {

namespace {

// A 2-D operand: element (r, c) at data[r * row_stride + c * col_stride].
template <typename T>
struct Matrix2D {
  const T* data;
  int64_t rows, cols, row_stride, col_stride;
};

template <typename T>
using RowMajorMap =
    Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0,
               Eigen::OuterStride<>>;
template <typename T>
using ColMajorMap =
    Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>, 0,
               Eigen::OuterStride<>>;
template <typename T>
using OutMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0,
                          Eigen::OuterStride<>>;

// Calls fn(map) with an Eigen view of m, copying only when neither stride is unit.
template <typename T, typename Fn>
void with_eigen_view(const Matrix2D<T>& m, std::vector<T>& scratch, Fn&& fn) {
  if (m.col_stride == 1 || m.cols == 1) {
    fn(RowMajorMap<T>(m.data, m.rows, m.cols, Eigen::OuterStride<>(m.row_stride)));
  } else if (m.row_stride == 1 || m.rows == 1) {
    fn(ColMajorMap<T>(m.data, m.rows, m.cols, Eigen::OuterStride<>(m.col_stride)));
  } else {
    scratch.resize(static_cast<std::size_t>(m.rows * m.cols));
    for (int64_t r = 0; r < m.rows; ++r)
      for (int64_t c = 0; c < m.cols; ++c)
        scratch[r * m.cols + c] = m.data[r * m.row_stride + c * m.col_stride];
    fn(RowMajorMap<T>(scratch.data(), m.rows, m.cols, Eigen::OuterStride<>(m.cols)));
  }
}

template <typename T>
void gemm(const Matrix2D<T>& a, const Matrix2D<T>& b, T* out, int64_t out_row_stride) {
  OutMap<T> result(out, a.rows, b.cols, Eigen::OuterStride<>(out_row_stride));
  if (a.cols == 0) {
    result.setZero();
    return;
  }
  thread_local std::vector<T> scratch_a, scratch_b;
  with_eigen_view(a, scratch_a, [&](const auto& left) {
    with_eigen_view(b, scratch_b, [&](const auto& right) { result.noalias() = left * right; });
  });
}

// A tensor seen as [batch..., rows, cols] with batch dims broadcast to `batch`.
struct BatchedOperand {
  Dims batch_strides;  // per output batch dim; 0 where broadcast
  int64_t rows, cols, row_stride, col_stride;
};

BatchedOperand as_batched(const Tensor& t, bool is_left, const Dims& batch) {
  Dims sizes = t.sizes(), strides = t.strides();
  if (t.dim() == 1) {  // a vector is a 1 x k row on the left, a k x 1 column on the right
    if (is_left) {
      sizes.insert(0, 1);
      strides.insert(0, 0);
    } else {
      sizes.push_back(1);
      strides.push_back(0);
    }
  }
  int rank = sizes.size();
  BatchedOperand op;
  op.rows = sizes[rank - 2];
  op.cols = sizes[rank - 1];
  op.row_stride = strides[rank - 2];
  op.col_stride = strides[rank - 1];
  int own_batch = rank - 2;
  op.batch_strides = Dims::filled(batch.size(), 0);
  for (int d = 0; d < own_batch; ++d) {
    int out_d = batch.size() - own_batch + d;
    op.batch_strides[out_d] = sizes[d] == 1 ? 0 : strides[d];
  }
  return op;
}

template <typename T>
void batched_matmul(const Tensor& a_tensor, const Tensor& b_tensor, Tensor& out) {
  // Batch dims of the output: all but the last two of [batch..., m, n] before vector squeezes.
  Dims batch;
  {
    int a_batch = std::max(a_tensor.dim() - 2, 0), b_batch = std::max(b_tensor.dim() - 2, 0);
    int rank = std::max(a_batch, b_batch);
    batch = Dims::filled(rank, 1);
    for (int d = 0; d < a_batch; ++d) batch[rank - a_batch + d] = a_tensor.size(d);
    for (int d = 0; d < b_batch; ++d)
      if (b_tensor.size(d) != 1) batch[rank - b_batch + d] = b_tensor.size(d);
  }
  BatchedOperand a = as_batched(a_tensor, true, batch);
  BatchedOperand b = as_batched(b_tensor, false, batch);
  const T* a_base = a_tensor.data<T>();
  const T* b_base = b_tensor.data<T>();
  T* out_base = out.data<T>();
  int64_t m = a.rows, n = b.cols;
  if (m == 0 || n == 0) return;

  // Fold the batch into the rows when b is shared by every batch entry and a's rows are evenly
  // spaced across batch entries: one large GEMM instead of many small ones.
  bool b_shared = true;
  for (int64_t s : b.batch_strides) b_shared &= s == 0;
  bool a_rows_even = a.col_stride == 1 || a.cols == 1;
  int64_t expected = a.row_stride * m;
  for (int d = batch.size() - 1; d >= 0 && a_rows_even; --d) {
    if (batch[d] == 1) continue;
    a_rows_even = a.batch_strides[d] == expected;
    expected *= batch[d];
  }
  if (b_shared && a_rows_even) {
    int64_t rows = m * product(batch);
    gemm<T>({a_base, rows, a.cols, a.row_stride, 1},
            {b_base, b.rows, b.cols, b.row_stride, b.col_stride}, out_base, n);
    return;
  }
  // Walk the batch with an odometer, tracking each operand's offset.
  int64_t out_matrix = m * n;
  std::array<int64_t, kMaxRank> counter{};
  int64_t total = product(batch);
  int64_t a_offset = 0, b_offset = 0;
  for (int64_t index = 0; index < total; ++index) {
    gemm<T>({a_base + a_offset, m, a.cols, a.row_stride, a.col_stride},
            {b_base + b_offset, b.rows, n, b.row_stride, b.col_stride},
            out_base + index * out_matrix, n);
    for (int d = batch.size() - 1; d >= 0; --d) {
      a_offset += a.batch_strides[d];
      b_offset += b.batch_strides[d];
      if (++counter[d] < batch[d]) break;
      a_offset -= a.batch_strides[d] * batch[d];
      b_offset -= b.batch_strides[d] * batch[d];
      counter[d] = 0;
    }
  }
}

Status matmul_into(const Tensor& a, const Tensor& b, Tensor& out) {
  if (out.numel() == 0) return {};
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      GYRO_UNREACHABLE("matmul on bool passed inference");
    } else {
      batched_matmul<T>(a, b, out);
    }
  });
  return {};
}

}  // namespace

Status kernel_matmul(KernelCall& call) {
  return matmul_into(call.inputs[0], call.inputs[1], call.out);
}

Status kernel_linear(KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& weight = call.inputs[1];
  // x @ weight.T: the transpose is a free view, which the GEMM reads column-major.
  Tensor weight_t = weight.as_strided({weight.size(1), weight.size(0)},
                                      {weight.stride(1), weight.stride(0)}, weight.offset());
  GYRO_TRY(matmul_into(x, weight_t, call.out));
  if (call.inputs.size() == 3) {
    const Tensor operands[] = {call.out, call.inputs[2]};
    GYRO_TRY(run_into(OpKind::add, operands, {}, call.out));
  }
  return {};
}

}  // namespace gyro::eager
