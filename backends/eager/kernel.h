// What every eager kernel receives, and the kernel registry's declarations (one per ops.def row).
#pragma once

#include <span>
#include <vector>

#include "ir/infer.h"
#include "ir/op.h"
#include "ir/tensor.h"

namespace gyro::eager {

struct KernelCall {
  OpKind op;
  std::span<const Tensor> inputs;
  const Attrs& attrs;      // bound: one per schema entry, defaults filled in
  const OutputMeta& meta;  // inferred output dtype(s) and sizes
  // Ops without kView/kMultiOutput/kMayAlias: the runner allocates `out` (or passes the caller's
  // buffer) and the kernel fills it. The others put their results in `results`.
  Tensor out;
  std::vector<Tensor> results;
};

using Kernel = Status (*)(KernelCall& call);

#define OP(name, min_in, max_in, fusion, dtype_rule, shape_rule, props, attrs) \
  Status kernel_##name(KernelCall& call);
#include "ir/ops.def"
#undef OP

// The attribute called `name` (the schema in ops.def guarantees it exists).
const Attr& attr(const KernelCall& call, std::string_view name);

// Internal helpers shared by kernel files.
// Copies src into dst, broadcasting src and converting its dtype (elementwise.cc).
Status copy_kernel(const Tensor& dst, const Tensor& src);
// A contiguous copy of `t` (t itself when already contiguous), optionally converted.
Expected<Tensor> contiguous_as(const Tensor& t, DType dtype);
// A view of `t` with `sizes`/`strides` checked to stay inside the storage (movement.cc).
Expected<Tensor> checked_view(const Tensor& t, const Dims& sizes, const Dims& strides,
                              int64_t offset);

}  // namespace gyro::eager
