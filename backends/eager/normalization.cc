// Normalization kernels (softmax, log_softmax, layer_norm): per-row statistics, then one
// vectorized Eigen pass that writes the row.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "backends/eager/array_util.h"
#include "backends/eager/kernel.h"
#include "ir/shape_rules.h"

namespace gyro::eager {

namespace {

inline constexpr int64_t kChunk = kSumChunk;

// Runs body(out) on call.out when it is contiguous (the runner's own allocation always is),
// else on a contiguous temporary copied into the caller's strided buffer afterwards.
template <typename Body>
Status with_contiguous_out(KernelCall& call, Body&& body) {
  if (call.out.is_contiguous()) {
    body(call.out);
    return {};
  }
  GYRO_ASSIGN_OR_RETURN(Tensor out, Tensor::empty(call.out.sizes(), call.out.dtype()));
  body(out);
  return copy_kernel(call.out, out);
}

// Softmax over a contiguous row. A NaN anywhere makes the whole row NaN, and a row of -inf
// gives NaN (exp(-inf - -inf)), both as in PyTorch.
template <bool kLog, typename T>
void softmax_row(const T* x, T* y, int64_t n) {
  ConstArrayMap<T> in(x, n);
  ArrayMap<T> out(y, n);
  const T max = in.maxCoeff();
  if constexpr (kLog) {
    const T log_sum = static_cast<T>(
        std::log(sum_chunks(x, n, [&](const auto& c) { return (c - max).exp().sum(); })));
    out = (in - max) - log_sum;
  } else {
    out = (in - max).exp();
    const T sum = static_cast<T>(sum_chunks(y, n, [](const auto& c) { return c.sum(); }));
    out *= T(1) / sum;
  }
}

// Softmax over the middle dim of a contiguous [n, inner] slab, vectorized along inner with
// per-column max and sum buffers (allocated once per call by the caller).
template <bool kLog, typename T>
void softmax_columns(const T* x, T* y, int64_t n, int64_t inner, T* max_data, T* sum_data) {
  ArrayMap<T> max(max_data, inner), sum(sum_data, inner);
  auto row_in = [&](int64_t r) { return ConstArrayMap<T>(x + r * inner, inner); };
  auto row_out = [&](int64_t r) { return ArrayMap<T>(y + r * inner, inner); };
  max = row_in(0);
  for (int64_t r = 1; r < n; ++r) max = max.max(row_in(r));
  sum.setZero();
  if constexpr (kLog) {
    for (int64_t r = 0; r < n; ++r) sum += (row_in(r) - max).exp();
    sum = sum.log();
    for (int64_t r = 0; r < n; ++r) row_out(r) = (row_in(r) - max) - sum;
  } else {
    for (int64_t r = 0; r < n; ++r) {
      row_out(r) = (row_in(r) - max).exp();
      sum += row_out(r);
    }
    sum = sum.inverse();
    for (int64_t r = 0; r < n; ++r) row_out(r) *= sum;
  }
}

template <bool kLog>
Status softmax(KernelCall& call) {
  const Tensor& in = call.inputs[0];
  GYRO_ASSIGN_OR_RETURN(int dim, shape_rules::normalize_dim(attr(call, "dim").i, in.dim()));
  if (call.out.numel() == 0) return {};
  // A strided input is copied once; the kernels below then see [outer, n, inner].
  GYRO_ASSIGN_OR_RETURN(Tensor x, contiguous_as(in, call.meta.compute_dtype));
  const int64_t n = in.dim() == 0 ? 1 : in.size(dim);
  int64_t inner = 1;
  for (int d = dim + 1; d < in.dim(); ++d) inner *= in.size(d);
  const int64_t outer = in.numel() / (n * inner);
  return with_contiguous_out(call, [&](const Tensor& out) {
    visit_dtype(x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_floating_point_v<T>) {
        const T* src = x.data<T>();
        T* dst = out.data<T>();
        if (inner == 1) {
          for (int64_t o = 0; o < outer; ++o) softmax_row<kLog>(src + o * n, dst + o * n, n);
        } else {
          std::vector<T> scratch(2 * inner);
          for (int64_t o = 0; o < outer; ++o)
            softmax_columns<kLog>(src + o * n * inner, dst + o * n * inner, n, inner,
                                  scratch.data(), scratch.data() + inner);
        }
      } else {
        GYRO_UNREACHABLE("{} reached with dtype {}", op_name(call.op), x.dtype());
      }
    });
  });
}

// Mean and biased variance of a row, accumulated in double over float chunks with the
// corrected two-pass algorithm (accurate even when the mean dwarfs the spread).
template <typename T>
std::pair<double, double> moments(const T* x, int64_t n) {
  const double rough = sum_chunks(x, n, [](const auto& c) { return c.sum(); }) / n;
  const T shift = static_cast<T>(rough);
  double squares = 0, deviations = 0;
  for (int64_t start = 0; start < n; start += kChunk) {
    auto deviation = ConstArrayMap<T>(x + start, std::min(kChunk, n - start)) - shift;
    squares += deviation.square().sum();
    deviations += deviation.sum();
  }
  const double mean = static_cast<double>(shift) + deviations / n;
  const double var = (squares - deviations * deviations / n) / n;
  return {mean, var < 0 ? 0.0 : var};  // NaN stays NaN
}

}  // namespace

Status kernel_softmax(KernelCall& call) {
  return softmax<false>(call);
}
Status kernel_log_softmax(KernelCall& call) {
  return softmax<true>(call);
}

Status kernel_layer_norm(KernelCall& call) {
  const Tensor& in = call.inputs[0];
  const DType dtype = call.meta.compute_dtype;
  // PyTorch's CPU kernel reads weight and bias as the input's type and rejects anything else.
  for (std::size_t k = 1; k < call.inputs.size(); ++k)
    GYRO_CHECK_ARG(call.inputs[k].dtype() == dtype, RuntimeError,
                   "layer_norm: expected {} to have dtype {} like the input, but got {}",
                   k == 1 ? "weight" : "bias", dtype, call.inputs[k].dtype());
  if (call.out.numel() == 0) return {};
  int64_t width = 1;
  for (int64_t size : attr(call, "normalized_shape").ints) width *= size;
  const int64_t rows = in.numel() / width;
  const double eps = attr(call, "eps").as_double();
  GYRO_ASSIGN_OR_RETURN(Tensor x, contiguous_as(in, dtype));
  Tensor weight, bias;
  if (call.inputs.size() > 1) {
    GYRO_ASSIGN_OR_RETURN(weight, contiguous_as(call.inputs[1], dtype));
  }
  if (call.inputs.size() > 2) {
    GYRO_ASSIGN_OR_RETURN(bias, contiguous_as(call.inputs[2], dtype));
  }
  return with_contiguous_out(call, [&](const Tensor& out) {
    visit_dtype(dtype, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_floating_point_v<T>) {
        for (int64_t r = 0; r < rows; ++r) {
          const T* row = x.data<T>() + r * width;
          auto [mean, var] = moments(row, width);
          const double rstd = 1.0 / std::sqrt(var + eps);
          // x - mean in two steps, a float head then the tiny remainder: PyTorch's
          // x * rstd - mean * rstd cancels catastrophically when the mean dwarfs the spread.
          const T mean_head = static_cast<T>(mean);
          const T mean_tail = static_cast<T>(mean - static_cast<double>(mean_head));
          const T scale = static_cast<T>(rstd);
          ConstArrayMap<T> values(row, width);
          ArrayMap<T> result(out.data<T>() + r * width, width);
          auto normalized = ((values - mean_head) - mean_tail) * scale;
          if (bias.defined()) {
            result = normalized * ConstArrayMap<T>(weight.data<T>(), width) +
                     ConstArrayMap<T>(bias.data<T>(), width);
          } else if (weight.defined()) {
            result = normalized * ConstArrayMap<T>(weight.data<T>(), width);
          } else {
            result = normalized;
          }
        }
      } else {
        GYRO_UNREACHABLE("layer_norm reached with dtype {}", dtype);
      }
    });
  });
}

}  // namespace gyro::eager
