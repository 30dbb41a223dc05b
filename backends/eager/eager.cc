// The eager runner: bind attributes, infer the output meta, allocate, and call the op's kernel.
#include "backends/eager/eager.h"

#include <array>

#include "backends/eager/kernel.h"
#include "ir/random.h"
#include "ir/shape_rules.h"

namespace gyro::eager {

namespace {

constexpr Kernel kKernels[] = {
#define OP(name, min_in, max_in, fusion, dtype_rule, shape_rule, props, attrs) &kernel_##name,
#include "ir/ops.def"
#undef OP
};

bool produces_own_outputs(const OpInfo& info) {
  return info.has(kView) || info.has(kMultiOutput) || info.has(kMayAlias);
}

// Infers and runs; `into` (optional) is the caller's output buffer. Returns the single output;
// a multi-output op's results go to `many` (the single-output path allocates no vector).
Expected<Tensor> dispatch(OpKind op, std::span<const Tensor> inputs,
                          std::span<const Attr> positional, std::span<const NamedAttr> named,
                          const Tensor* into, std::vector<Tensor>* many) {
  for (std::size_t i = 0; i < inputs.size(); ++i)
    GYRO_CHECK_ARG(inputs[i].defined(), ValueError, "{}(): tensor argument {} is undefined",
                   op_name(op), i);
  GYRO_ASSIGN_OR_RETURN(Attrs attrs,
                        bind_attrs(op, static_cast<int>(inputs.size()), positional, named));
  // Metas live on the stack for the common arities; cat/stack may take many inputs.
  std::array<TensorMeta, 3> small;
  std::vector<TensorMeta> large;
  std::span<TensorMeta> metas;
  if (inputs.size() <= small.size()) {
    metas = std::span<TensorMeta>(small.data(), inputs.size());
  } else {
    large.resize(inputs.size());
    metas = large;
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) metas[i] = TensorMeta::of(inputs[i]);
  GYRO_ASSIGN_OR_RETURN(OutputMeta meta, infer_meta(op, metas, attrs));

  const OpInfo& info = op_info(op);
  if (into) {
    GYRO_CHECK_ARG(into->sizes() == meta.sizes[0] && into->dtype() == meta.dtype, ValueError,
                   "{}(): output buffer is {} {} but the result is {} {}", info.name, into->dtype(),
                   to_string(into->sizes()), meta.dtype, to_string(meta.sizes[0]));
  }
  KernelCall call{op, inputs, attrs, meta, {}, {}};
  if (produces_own_outputs(info)) {
    GYRO_TRY(kKernels[static_cast<int>(op)](call));
    if (info.has(kMultiOutput)) {
      GYRO_ASSERT(many != nullptr, "multi-output op {} without a result list", info.name);
      *many = std::move(call.results);
      return Tensor();
    }
    GYRO_ASSERT(call.results.size() == 1, "{} produced {} results", info.name, call.results.size());
    if (into) {
      GYRO_TRY(copy_kernel(*into, call.results[0]));
      return *into;
    }
    return std::move(call.results[0]);
  }
  if (into && into->is_contiguous()) {
    call.out = *into;
  } else {
    GYRO_ASSIGN_OR_RETURN(call.out, Tensor::empty(meta.sizes[0], meta.dtype));
  }
  GYRO_TRY(kKernels[static_cast<int>(op)](call));
  if (into && !into->is_contiguous()) {
    // Kernels write contiguous outputs; a strided destination gets a copy of the result.
    GYRO_TRY(copy_kernel(*into, call.out));
    return *into;
  }
  return std::move(call.out);
}

}  // namespace

const Attr& attr(const KernelCall& call, std::string_view name) {
  const auto& specs = op_info(call.op).attrs;
  for (std::size_t i = 0; i < specs.size(); ++i)
    if (specs[i].name == name) return call.attrs[i];
  GYRO_UNREACHABLE("op {} has no attribute {}", op_name(call.op), name);
}

Expected<std::vector<Tensor>> run(OpKind op, std::span<const Tensor> inputs,
                                  std::span<const Attr> attrs, std::span<const NamedAttr> named) {
  std::vector<Tensor> many;
  GYRO_ASSIGN_OR_RETURN(Tensor single, dispatch(op, inputs, attrs, named, nullptr, &many));
  if (!op_info(op).has(kMultiOutput)) many.push_back(std::move(single));
  return many;
}

Expected<Tensor> run1(OpKind op, std::span<const Tensor> inputs, std::span<const Attr> attrs,
                      std::span<const NamedAttr> named) {
  GYRO_CHECK_ARG(!op_info(op).has(kMultiOutput), TypeError,
                 "{}() returns several tensors; call run()", op_name(op));
  return dispatch(op, inputs, attrs, named, nullptr, nullptr);
}

Status run_into(OpKind op, std::span<const Tensor> inputs, std::span<const Attr> attrs,
                Tensor& out) {
  GYRO_CHECK_ARG(out.defined(), ValueError, "{}(): the output buffer is undefined", op_name(op));
  GYRO_CHECK_ARG(!op_info(op).has(kMultiOutput), TypeError,
                 "{}() returns several tensors and cannot write into one", op_name(op));
  GYRO_TRY(dispatch(op, inputs, attrs, {}, &out, nullptr));
  return {};
}

Status copy_into(const Tensor& dst, const Tensor& src) {
  GYRO_CHECK_ARG(dst.defined() && src.defined(), ValueError, "copy_into: undefined tensor");
  const Dims shapes[] = {src.sizes(), dst.sizes()};
  GYRO_ASSIGN_OR_RETURN(Dims both, shape_rules::broadcast<int64_t>(shapes));
  GYRO_CHECK_ARG(both == dst.sizes(), RuntimeError,
                 "copy_into: source of size {} does not broadcast to destination of size {}",
                 to_string(src.sizes()), to_string(dst.sizes()));
  return copy_kernel(dst, src);
}

void manual_seed(uint64_t seed) {
  default_generator().manual_seed(seed);
}

}  // namespace gyro::eager
