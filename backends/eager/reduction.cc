// Reduction kernels (sum, mean, prod, max, min, argmax, argmin, var, std, all, any, logsumexp):
// Eigen reductions over contiguous runs, or whole-row folds when leading dims are reduced.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "backends/eager/array_util.h"
#include "backends/eager/kernel.h"
#include "ir/shape_rules.h"

namespace gyro::eager {

namespace {

inline constexpr int64_t kChunk = kSumChunk;
// Column folds (reducing leading dims) work on tiles of this many columns so the accumulators
// stay in L1 while the rows stream past.
inline constexpr int64_t kTile = 2048;
// Float column sums restart a fresh partial every kRowBlock rows, a two-level cascade that
// bounds the rounding error of long sums like PyTorch's cascade_sum.
inline constexpr int64_t kRowBlock = 128;

// Integer arithmetic wraps on overflow as in PyTorch; signed overflow is UB in C++, so integer
// sums and products run on the same bits as uint64_t.
inline ConstArrayMap<uint64_t> as_unsigned(const int64_t* data, int64_t n) {
  return ConstArrayMap<uint64_t>(reinterpret_cast<const uint64_t*>(data), n);
}
inline ArrayMap<uint64_t> as_unsigned(int64_t* data, int64_t n) {
  return ArrayMap<uint64_t>(reinterpret_cast<uint64_t*>(data), n);
}

template <typename T>
T sum_run(const T* data, int64_t n) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(as_unsigned(data, n).sum());
  } else {
    return static_cast<T>(sum_chunks(data, n, [](const auto& chunk) { return chunk.sum(); }));
  }
}

// Column sums of `rows` rows of m elements into out (which may not alias data).
template <typename T>
void sum_columns(const T* data, int64_t rows, int64_t m, T* out) {
  for (int64_t c0 = 0; c0 < m; c0 += kTile) {
    const int64_t width = std::min(kTile, m - c0);
    if constexpr (std::is_integral_v<T>) {
      auto total = as_unsigned(out + c0, width);
      total = as_unsigned(data + c0, width);
      for (int64_t r = 1; r < rows; ++r) total += as_unsigned(data + r * m + c0, width);
    } else {
      alignas(64) T partial_data[kTile];
      ArrayMap<T> total(out + c0, width), partial(partial_data, width);
      for (int64_t start = 0; start < rows; start += kRowBlock) {
        const int64_t end = std::min(rows, start + kRowBlock);
        partial = ConstArrayMap<T>(data + start * m + c0, width);
        for (int64_t r = start + 1; r < end; ++r)
          partial += ConstArrayMap<T>(data + r * m + c0, width);
        if (start == 0)
          total = partial;
        else
          total += partial;
      }
    }
  }
}

// out[j] = rows' column j folded: first(out, row 0) then fold(out, row r) for each later row.
template <typename T, typename O, typename First, typename Fold>
void fold_columns(const T* data, int64_t rows, int64_t m, O* out, First&& first, Fold&& fold) {
  for (int64_t c0 = 0; c0 < m; c0 += kTile) {
    const int64_t width = std::min(kTile, m - c0);
    first(out + c0, data + c0, width);
    for (int64_t r = 1; r < rows; ++r) fold(out + c0, data + r * m + c0, width);
  }
}

template <typename T>
void copy_row(T* out, const T* row, int64_t n) {
  std::copy_n(row, n, out);
}

// ---- One struct per op: row() reduces a contiguous run; columns() (when kColumns) reduces
// rows of m contiguous elements column-wise; empty_value() is the result over no elements. ----

struct SumOp {
  static constexpr unsigned kTypes = kNumeric;  // bool inputs arrive converted to int64
  static constexpr bool kColumns = true;
  template <typename T>
  using Out = T;
  template <typename T>
  T empty_value() const {
    return T(0);
  }
  template <typename T>
  T row(const T* data, int64_t n) const {
    return sum_run(data, n);
  }
  template <typename T>
  void columns(const T* data, int64_t rows, int64_t m, T* out) const {
    sum_columns(data, rows, m, out);
  }
};

struct MeanOp {
  static constexpr unsigned kTypes = kFloats;
  static constexpr bool kColumns = true;
  template <typename T>
  using Out = T;
  template <typename T>
  T empty_value() const {
    return std::numeric_limits<T>::quiet_NaN();
  }  // 0 / 0
  template <typename T>
  T row(const T* data, int64_t n) const {
    return static_cast<T>(sum_chunks(data, n, [](const auto& c) { return c.sum(); }) / n);
  }
  template <typename T>
  void columns(const T* data, int64_t rows, int64_t m, T* out) const {
    sum_columns(data, rows, m, out);
    ArrayMap<T>(out, m) /= T(rows);
  }
};

struct ProdOp {
  static constexpr unsigned kTypes = kNumeric;
  static constexpr bool kColumns = true;
  template <typename T>
  using Out = T;
  template <typename T>
  T empty_value() const {
    return T(1);
  }
  template <typename T>
  T row(const T* data, int64_t n) const {
    if constexpr (std::is_integral_v<T>)
      return static_cast<T>(as_unsigned(data, n).prod());
    else
      return ConstArrayMap<T>(data, n).prod();
  }
  template <typename T>
  void columns(const T* data, int64_t rows, int64_t m, T* out) const {
    fold_columns(data, rows, m, out, copy_row<T>, [](T* acc, const T* row, int64_t n) {
      if constexpr (std::is_integral_v<T>)
        as_unsigned(acc, n) *= as_unsigned(row, n);
      else
        ArrayMap<T>(acc, n) *= ConstArrayMap<T>(row, n);
    });
  }
};

// max/min values; NaN wins, as in PyTorch. On bool they are any/all.
template <bool kMax>
struct ExtremumOp {
  static constexpr unsigned kTypes = kAll;
  static constexpr bool kColumns = true;
  template <typename T>
  using Out = T;
  template <typename T>
  T empty_value() const {
    GYRO_UNREACHABLE("empty max/min is rejected before the kernel runs");
  }
  template <typename T>
  T row(const T* data, int64_t n) const {
    if constexpr (std::is_same_v<T, bool>) {
      for (int64_t i = 0; i < n; ++i)
        if (data[i] == kMax) return kMax;
      return !kMax;
    } else if constexpr (std::is_integral_v<T>) {
      auto values = ConstArrayMap<T>(data, n);
      return kMax ? values.maxCoeff() : values.minCoeff();
    } else {
      auto values = ConstArrayMap<T>(data, n);
      return kMax ? values.template maxCoeff<Eigen::PropagateNaN>()
                  : values.template minCoeff<Eigen::PropagateNaN>();
    }
  }
  template <typename T>
  void columns(const T* data, int64_t rows, int64_t m, T* out) const {
    fold_columns(data, rows, m, out, copy_row<T>, [](T* acc, const T* row, int64_t n) {
      if constexpr (std::is_same_v<T, bool>) {
        for (int64_t i = 0; i < n; ++i) acc[i] = kMax ? (acc[i] || row[i]) : (acc[i] && row[i]);
      } else if constexpr (std::is_integral_v<T>) {
        for (int64_t i = 0; i < n; ++i)
          acc[i] = kMax ? std::max(acc[i], row[i]) : std::min(acc[i], row[i]);
      } else {
        using Op =
            std::conditional_t<kMax, Eigen::internal::scalar_max_op<T, T, Eigen::PropagateNaN>,
                               Eigen::internal::scalar_min_op<T, T, Eigen::PropagateNaN>>;
        ArrayMap<T> total(acc, n);
        total = total.binaryExpr(ConstArrayMap<T>(row, n), Op());
      }
    });
  }
};

// argmax/argmin: the first index of the extreme value; a NaN counts as both the maximum and the
// minimum (PyTorch's rule), so the first NaN wins.
template <bool kMax>
struct ArgExtremumOp {
  static constexpr unsigned kTypes = kNumeric;
  static constexpr bool kColumns = false;
  template <typename T>
  using Out = int64_t;
  template <typename T>
  int64_t empty_value() const {
    GYRO_UNREACHABLE("empty argmax/argmin is rejected before the kernel runs");
  }
  template <typename T>
  int64_t row(const T* data, int64_t n) const {
    // Two vectorizable passes (the extreme value, then its first position) beat one branchy one.
    T best = ExtremumOp<kMax>{}.row(data, n);
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(best)) {
        for (int64_t i = 0; i < n; ++i)
          if (std::isnan(data[i])) return i;
      }
    }
    for (int64_t i = 0; i < n; ++i)
      if (data[i] == best) return i;
    GYRO_UNREACHABLE("argmax: extreme value not found");
  }
};

// var/std with Bessel's correction generalised: divisor max(0, N - correction).
template <bool kStd>
struct VarianceOp {
  static constexpr unsigned kTypes = kFloats;
  static constexpr bool kColumns = false;
  int64_t correction = 1;
  template <typename T>
  using Out = T;

  template <typename T>
  T finish(double m2, int64_t n) const {
    double divisor = static_cast<double>(std::max<int64_t>(0, n - correction));
    double var = m2 / divisor;  // a zero divisor gives inf or NaN, as in PyTorch
    return static_cast<T>(kStd ? std::sqrt(var) : var);
  }
  template <typename T>
  T empty_value() const {
    return finish<T>(0.0, 0);
  }
  template <typename T>
  T row(const T* data, int64_t n) const {
    double mean = sum_chunks(data, n, [](const auto& c) { return c.sum(); }) / n;
    // The corrected two-pass algorithm: squared deviations from the rounded mean, minus the
    // term their plain sum reveals, is accurate even when the mean dwarfs the spread.
    const T shift = static_cast<T>(mean);
    double squares = 0, deviations = 0;
    for (int64_t start = 0; start < n; start += kChunk) {
      auto deviation = ConstArrayMap<T>(data + start, std::min(kChunk, n - start)) - shift;
      squares += deviation.square().sum();
      deviations += deviation.sum();
    }
    double m2 = squares - deviations * deviations / n;
    return finish<T>(m2 < 0 ? 0.0 : m2, n);  // NaN stays NaN
  }
};

// all/any: nonzero is true (NaN included); the result is bool whatever the input dtype.
template <bool kAllOf>
struct TruthOp {
  static constexpr unsigned kTypes = kAll;
  static constexpr bool kColumns = true;
  template <typename T>
  using Out = bool;
  template <typename T>
  bool empty_value() const {
    return kAllOf;
  }
  template <typename T>
  bool row(const T* data, int64_t n) const {
    for (int64_t i = 0; i < n; ++i)
      if ((data[i] != T(0)) != kAllOf) return !kAllOf;
    return kAllOf;
  }
  template <typename T>
  void columns(const T* data, int64_t rows, int64_t m, bool* out) const {
    fold_columns(
        data, rows, m, out,
        [](bool* acc, const T* row, int64_t n) {
          for (int64_t i = 0; i < n; ++i) acc[i] = row[i] != T(0);
        },
        [](bool* acc, const T* row, int64_t n) {
          for (int64_t i = 0; i < n; ++i)
            acc[i] = kAllOf ? (acc[i] && row[i] != T(0)) : (acc[i] || row[i] != T(0));
        });
  }
};

// logsumexp, shifted by the maximum; an infinite maximum shifts by 0 instead, so all -inf
// gives -inf (not NaN) and any +inf gives +inf.
struct LogSumExpOp {
  static constexpr unsigned kTypes = kFloats;  // integral inputs arrive converted to float32
  static constexpr bool kColumns = false;
  template <typename T>
  using Out = T;
  template <typename T>
  T empty_value() const {
    return -std::numeric_limits<T>::infinity();
  }  // log(0)
  template <typename T>
  T row(const T* data, int64_t n) const {
    T max = ConstArrayMap<T>(data, n).template maxCoeff<Eigen::PropagateNaN>();
    const T shift = std::isinf(max) ? T(0) : max;
    double total = sum_chunks(data, n, [&](const auto& c) { return (c - shift).exp().sum(); });
    return static_cast<T>(std::log(total) + static_cast<double>(shift));
  }
};

// The input seen as [outer, count, inner] with `count` reduced elements per output: a
// contiguous tensor whose reduced dims form one run needs no copy (inner > 1 means the
// reduced run is followed by kept dims, reduced column-wise); anything else is first copied
// with the reduced dims moved last.
struct ReducePlan {
  Tensor source;  // contiguous, in the compute dtype
  int64_t outer = 1;
  int64_t count = 1;
  int64_t inner = 1;
};

Expected<ReducePlan> plan_reduction(const Tensor& in, const std::array<bool, kMaxRank>& reduced,
                                    DType compute, bool columns_supported) {
  ReducePlan plan;
  // Runs of adjacent (non size-1) dims that are all reduced or all kept.
  int runs = 0, reduced_runs = 0;
  std::array<bool, kMaxRank> run_reduced{};
  std::array<int64_t, kMaxRank> run_size{};
  for (int d = 0; d < in.dim(); ++d) {
    if (in.size(d) == 1) continue;
    if (runs > 0 && run_reduced[runs - 1] == reduced[d]) {
      run_size[runs - 1] *= in.size(d);
      continue;
    }
    run_reduced[runs] = reduced[d];
    run_size[runs] = in.size(d);
    reduced_runs += reduced[d];
    ++runs;
  }
  bool direct = in.is_contiguous() && reduced_runs <= 1;
  if (direct && reduced_runs == 1) {
    int at = 0;
    while (!run_reduced[at]) ++at;
    plan.outer = at > 0 ? run_size[0] : 1;
    plan.count = run_size[at];
    plan.inner = at + 1 < runs ? run_size[at + 1] : 1;
    direct = plan.inner == 1 || columns_supported;
  } else if (direct) {
    plan.outer = in.numel();  // nothing (or only size-1 dims) reduced: one element per output
  }
  if (direct) {
    GYRO_ASSIGN_OR_RETURN(plan.source, contiguous_as(in, compute));
    return plan;
  }
  Dims sizes, strides;
  for (bool want_reduced : {false, true})
    for (int d = 0; d < in.dim(); ++d)
      if (reduced[d] == want_reduced) {
        sizes.push_back(in.size(d));
        strides.push_back(in.stride(d));
      }
  GYRO_ASSIGN_OR_RETURN(plan.source,
                        contiguous_as(in.as_strided(sizes, strides, in.offset()), compute));
  plan.outer = plan.count = 1;
  plan.inner = 1;
  for (int d = 0; d < in.dim(); ++d) (reduced[d] ? plan.count : plan.outer) *= in.size(d);
  return plan;
}

template <typename Op>
void run_plan(const Op& op, const ReducePlan& plan, const Tensor& out) {
  visit_dtype(plan.source.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (in_set<T>(Op::kTypes)) {
      using O = typename Op::template Out<T>;
      const T* data = plan.source.data<T>();
      O* dst = out.data<O>();
      if (plan.inner == 1) {
        for (int64_t o = 0; o < plan.outer; ++o) dst[o] = op.row(data + o * plan.count, plan.count);
      } else if constexpr (Op::kColumns) {
        const int64_t slab = plan.count * plan.inner;
        for (int64_t o = 0; o < plan.outer; ++o)
          op.columns(data + o * slab, plan.count, plan.inner, dst + o * plan.inner);
      } else {
        GYRO_UNREACHABLE("column plan for an op without a column fold");
      }
    } else {
      GYRO_UNREACHABLE("reduction reached with compute dtype {}", plan.source.dtype());
    }
  });
}

template <typename Op>
void fill_empty(const Op& op, DType compute, const Tensor& out) {
  visit_dtype(compute, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (in_set<T>(Op::kTypes)) {
      using O = typename Op::template Out<T>;
      std::fill_n(out.data<O>(), out.numel(), op.template empty_value<T>());
    } else {
      GYRO_UNREACHABLE("reduction reached with compute dtype {}", compute);
    }
  });
}

template <typename Op>
Status reduce(KernelCall& call, const Op& op = Op{}) {
  const Tensor& in = call.inputs[0];
  GYRO_ASSIGN_OR_RETURN(auto reduced, shape_rules::reduced_dims(call.attrs[0], in.dim()));
  // (max/min/argmax/argmin over zero elements were rejected by infer_meta's shape rule.)
  if (call.out.numel() == 0) return {};
  // The kernels write a contiguous output; a caller's strided buffer gets a copy of one.
  Tensor out = call.out;
  if (!out.is_contiguous()) {
    GYRO_ASSIGN_OR_RETURN(out, Tensor::empty(out.sizes(), out.dtype()));
  }
  int64_t count = 1;
  for (int d = 0; d < in.dim(); ++d)
    if (reduced[d]) count *= in.size(d);
  const DType compute = call.meta.compute_dtype;
  if (count == 0) {
    fill_empty(op, compute, out);
  } else {
    GYRO_ASSIGN_OR_RETURN(ReducePlan plan, plan_reduction(in, reduced, compute, Op::kColumns));
    run_plan(op, plan, out);
  }
  if (!out.shares_storage(call.out)) GYRO_TRY(copy_kernel(call.out, out));
  return {};
}

}  // namespace

Status kernel_sum(KernelCall& call) {
  return reduce<SumOp>(call);
}
Status kernel_mean(KernelCall& call) {
  return reduce<MeanOp>(call);
}
Status kernel_prod(KernelCall& call) {
  return reduce<ProdOp>(call);
}
Status kernel_max(KernelCall& call) {
  return reduce<ExtremumOp<true>>(call);
}
Status kernel_min(KernelCall& call) {
  return reduce<ExtremumOp<false>>(call);
}
Status kernel_argmax(KernelCall& call) {
  return reduce<ArgExtremumOp<true>>(call);
}
Status kernel_argmin(KernelCall& call) {
  return reduce<ArgExtremumOp<false>>(call);
}
Status kernel_var(KernelCall& call) {
  return reduce(call, VarianceOp<false>{attr(call, "correction").i});
}
Status kernel_std(KernelCall& call) {
  return reduce(call, VarianceOp<true>{attr(call, "correction").i});
}
Status kernel_all(KernelCall& call) {
  return reduce<TruthOp<true>>(call);
}
Status kernel_any(KernelCall& call) {
  return reduce<TruthOp<false>>(call);
}
Status kernel_logsumexp(KernelCall& call) {
  return reduce<LogSumExpOp>(call);
}

}  // namespace gyro::eager
