// Creation kernels: constant fills, ranges, identity matrices and the seeded random stream.
#include <cstring>

#include "backends/eager/kernel.h"
#include "ir/random.h"

namespace gyro::eager {

namespace {

// Fills call.out with value(i) for element i, converted to the output dtype.
template <typename ValueFn>
Status fill_with(KernelCall& call, ValueFn&& value) {
  Tensor& out = call.out;
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* data = out.data<T>();
    for (int64_t i = 0; i < out.numel(); ++i) data[i] = value.template operator()<T>(i);
  });
  return {};
}

Status fill_constant(KernelCall& call, const Attr& value) {
  Tensor& out = call.out;
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T filled = value.kind == AttrKind::kFloat ? convert<T>(value.f) : convert<T>(value.i);
    std::fill_n(out.data<T>(), out.numel(), filled);
  });
  return {};
}

}  // namespace

Status kernel_zeros(KernelCall& call) {
  std::memset(call.out.raw_data(), 0, call.out.numel() * call.out.itemsize());
  return {};
}

Status kernel_ones(KernelCall& call) {
  return fill_constant(call, Attr::integer(1));
}

Status kernel_full(KernelCall& call) {
  return fill_constant(call, attr(call, "fill_value"));
}

Status kernel_arange(KernelCall& call) {
  const Attr& first = attr(call, "start");
  const Attr& end = attr(call, "end");
  const Attr& step = attr(call, "step");
  const Attr& start = end.is_none() ? Attr::integer(0) : first;
  bool integral = start.kind != AttrKind::kFloat && step.kind != AttrKind::kFloat &&
                  call.out.dtype() == DType::Int64;
  if (integral) {
    int64_t begin = start.i, stride = step.i;
    return fill_with(call, [&]<typename T>(int64_t i) { return convert<T>(begin + i * stride); });
  }
  double begin = start.as_double(), stride = step.as_double();
  return fill_with(call, [&]<typename T>(int64_t i) { return convert<T>(begin + i * stride); });
}

Status kernel_linspace(KernelCall& call) {
  double start = attr(call, "start").as_double();
  double end = attr(call, "end").as_double();
  int64_t steps = call.out.numel();
  double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  // PyTorch fills the first half from the start and the second half from the end, so both
  // endpoints are exact.
  int64_t half = steps / 2;
  if (steps == 1) half = 1;  // a single step is the start, as in PyTorch
  return fill_with(call, [&]<typename T>(int64_t i) {
    return convert<T>(i < half ? start + step * i : end - step * (steps - 1 - i));
  });
}

Status kernel_eye(KernelCall& call) {
  std::memset(call.out.raw_data(), 0, call.out.numel() * call.out.itemsize());
  int64_t rows = call.out.size(0), cols = call.out.size(1);
  visit_dtype(call.out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* data = call.out.data<T>();
    for (int64_t i = 0; i < std::min(rows, cols); ++i) data[i * cols + i] = T(1);
  });
  return {};
}

// rand/randn reserve numel counters of the default generator; element i uses counter
// offset + i (see ir/random.h), so any backend can reproduce the values block by block.
Status kernel_rand(KernelCall& call) {
  Generator& generator = default_generator();
  uint64_t seed = generator.seed();
  uint64_t offset = generator.reserve(static_cast<uint64_t>(call.out.numel()));
  return fill_with(call, [&]<typename T>(int64_t i) {
    if constexpr (std::is_same_v<T, double>)
      return uniform_double(seed, offset + i);
    else
      return convert<T>(uniform_float(seed, offset + i));
  });
}

Status kernel_randn(KernelCall& call) {
  Generator& generator = default_generator();
  uint64_t seed = generator.seed();
  uint64_t offset = generator.reserve(static_cast<uint64_t>(call.out.numel()));
  return fill_with(
      call, [&]<typename T>(int64_t i) { return convert<T>(normal_double(seed, offset + i)); });
}

}  // namespace gyro::eager
