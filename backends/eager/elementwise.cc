// Elementwise kernels: one functor per op over contiguous blocks (Eigen packet math for floats,
// wrapping integer arithmetic as PyTorch does), run by the strided loop in loop.h.
#include <cmath>
#include <limits>
#include <type_traits>

#include "backends/eager/elementwise_functors.h"
#include "backends/eager/kernel.h"
#include "backends/eager/loop.h"

namespace gyro::eager {

namespace {

// ---- Dispatch: choose T from the compute dtype, O from the functor. ----
template <int N, typename Fn>
Status run_functor(const KernelCall& call, const Tensor& out, std::span<const Tensor> inputs,
                   DType compute, const Fn& fn) {
  if (out.numel() == 0) return {};
  LoopPlan plan = plan_loop(out, inputs);
  bool ok = true;
  visit_dtype(compute, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (in_set<T>(Fn::kTypes)) {
      ok = run_loop<T, OutputOf<Fn, T>, N>(plan, fn);
    } else {
      GYRO_UNREACHABLE("{}: compute dtype {} reached a kernel without it", op_name(call.op),
                       compute);
    }
  });
  if (ok) return {};
  if constexpr (requires { Fn::kIntegerZero; })
    return make_error(ErrorKind::ZeroDivisionError, "{}: integer division by zero",
                      op_name(call.op));
  GYRO_UNREACHABLE("{}: a functor without an error reported one", op_name(call.op));
}

template <int N, typename Fn>
Status elementwise(KernelCall& call, const Fn& fn = Fn{}) {
  return run_functor<N>(call, call.out, call.inputs, call.meta.compute_dtype, fn);
}

}  // namespace

Status copy_kernel(const Tensor& dst, const Tensor& src) {
  if (dst.numel() == 0) return {};
  LoopPlan plan = plan_loop(dst, std::span<const Tensor>(&src, 1));
  visit_dtype(dst.dtype(), [&](auto tag) {
    using T = decltype(tag);
    run_loop<T, T, 1>(plan, IdentityFn{});
  });
  return {};
}

Expected<Tensor> contiguous_as(const Tensor& t, DType dtype) {
  if (t.is_contiguous() && t.dtype() == dtype) return t;
  GYRO_ASSIGN_OR_RETURN(Tensor out, Tensor::empty(t.sizes(), dtype));
  GYRO_TRY(copy_kernel(out, t));
  return out;
}

#define ELEMENTWISE(op, arity, Functor) \
  Status kernel_##op(KernelCall& call) { return elementwise<arity, Functor>(call); }
#include "backends/eager/elementwise_ops.def"
#undef ELEMENTWISE

Status kernel_clamp(KernelCall& call) {
  const Attr& low = attr(call, "min");
  const Attr& high = attr(call, "max");
  GYRO_CHECK_ARG(!low.is_none() || !high.is_none(), RuntimeError,
                 "torch.clamp: At least one of 'min' or 'max' must not be None");
  return elementwise<1>(call, ClampFn::from_attrs(low, high));
}

Status kernel_pow(KernelCall& call) {
  const Tensor& exponent = call.inputs[1];
  GYRO_CHECK_ARG(!(is_integral(call.meta.compute_dtype, false) && exponent.is_wrapped_number() &&
                   exponent.item() < 0),
                 RuntimeError, "Integers to negative integer powers are not allowed.");
  return elementwise<2, PowFn>(call);
}

Status kernel_gelu(KernelCall& call) {
  return elementwise<1>(call, GeluFn{.tanh_form = attr(call, "approximate").text == "tanh"});
}

Status kernel_to(KernelCall& call) {
  const Tensor& in = call.inputs[0];
  if (in.dtype() == call.meta.dtype) {
    call.results = {in};  // like torch's .to(), the same dtype returns the tensor itself
    return {};
  }
  GYRO_ASSIGN_OR_RETURN(Tensor out, Tensor::empty(in.sizes(), call.meta.dtype));
  GYRO_TRY(copy_kernel(out, in));
  call.results = {std::move(out)};
  return {};
}

}  // namespace gyro::eager
