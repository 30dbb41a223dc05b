// Block instructions from eager's functors: one adapter per (functor, compute type, arity).
#include "backends/vectorized/block_ops.h"

#include <type_traits>

#include "backends/eager/elementwise_functors.h"
#include "ir/convert.h"

namespace gyro::vectorized {

namespace {

using eager::in_set;
using eager::OutputOf;

template <typename Fn, typename T, int N>
bool apply(const void* state, int64_t n, void* out, const void* const* in) {
  const Fn& fn = *static_cast<const Fn*>(state);
  auto* o = static_cast<OutputOf<Fn, T>*>(out);
  if constexpr (N == 1)
    return fn(n, o, static_cast<const T*>(in[0]));
  else if constexpr (N == 2)
    return fn(n, o, static_cast<const T*>(in[0]), static_cast<const T*>(in[1]));
  else
    return fn(n, o, static_cast<const T*>(in[0]), static_cast<const T*>(in[1]),
              static_cast<const T*>(in[2]));
}

template <int N, typename Fn>
std::optional<BlockOp> make(const Fn& fn, DType compute) {
  BlockOp op;
  visit_dtype(compute, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (in_set<T>(Fn::kTypes)) {
      op.fn = &apply<Fn, T, N>;
      op.output = dtype_of<OutputOf<Fn, T>>();
    }
  });
  if (op.fn == nullptr) return std::nullopt;
  op.state = std::make_shared<const Fn>(fn);
  op.compute = compute;
  op.arity = N;
  return op;
}

// A stateless functor's op; integer division stays with eager, which raises ZeroDivisionError.
template <int N, typename Fn>
std::optional<BlockOp> make_plain(DType compute, bool integral) {
  if constexpr (requires { Fn::kIntegerZero; })
    if (integral) return std::nullopt;
  return make<N>(Fn{}, compute);
}

template <typename From, typename To>
bool convert_block(const void*, int64_t n, void* out, const void* const* in) {
  const From* src = static_cast<const From*>(in[0]);
  To* dst = static_cast<To*>(out);
  for (int64_t i = 0; i < n; ++i) dst[i] = convert<To>(src[i]);
  return true;
}

}  // namespace

std::optional<BlockOp> elementwise_block_op(OpKind op, const Attrs& attrs,
                                            std::span<const TensorMeta> inputs) {
  auto meta = infer_meta(op, inputs, attrs);
  if (!meta.ok()) return std::nullopt;
  const DType compute = meta->compute_dtype;
  const bool integral = is_integral(compute, /*include_bool=*/true);
  switch (op) {
#define ELEMENTWISE(name, arity, Functor) \
  case OpKind::name:                      \
    return make_plain<arity, eager::Functor>(compute, integral);
#include "backends/eager/elementwise_ops.def"
#undef ELEMENTWISE
    case OpKind::pow:
      if (integral) return std::nullopt;  // eager checks negative exponents first
      return make<2>(eager::PowFn{}, compute);
    case OpKind::gelu:
      return make<1>(eager::GeluFn{.tanh_form = attrs[0].text == "tanh"}, compute);
    case OpKind::clamp: {
      const Attr& low = attrs[0];
      const Attr& high = attrs[1];
      if (low.is_none() && high.is_none()) return std::nullopt;  // eager's error
      return make<1>(eager::ClampFn::from_attrs(low, high), compute);
    }
    case OpKind::to:
      if (inputs[0].dtype == meta->dtype) return std::nullopt;  // returns its input itself
      return convert_block_op(inputs[0].dtype, meta->dtype);
    default:
      return std::nullopt;
  }
}

BlockOp convert_block_op(DType from, DType to) {
  BlockOp op;
  visit_dtype(from, [&](auto from_tag) {
    visit_dtype(to, [&](auto to_tag) {
      op.fn = &convert_block<decltype(from_tag), decltype(to_tag)>;
    });
  });
  op.compute = from;
  op.output = to;
  op.arity = 1;
  return op;
}

}  // namespace gyro::vectorized
