// Meta inference: an op call's output dtype(s) and sizes from its inputs' metadata, without data.
#pragma once

#include <span>
#include <vector>

#include "ir/attr.h"
#include "ir/dims.h"
#include "ir/dtype.h"
#include "ir/op.h"
#include "ir/sym_dim.h"

namespace gyro {

class Tensor;

// What inference needs of an input: no data, so a graph can use it on traced values.
struct TensorMeta {
  DType dtype = kDefaultFloat;
  Dims sizes;
  bool wrapped_number = false;
  // Bit d set: sizes[d] is symbolic, and sizes[d] is only the traced example's value. Passes
  // and backends must not bake such a size into a graph (a reshape to it, a fixed buffer).
  uint8_t symbolic = 0;

  bool has_symbolic_sizes() const { return symbolic != 0; }

  static TensorMeta of(const Tensor& tensor);
};

struct OutputMeta {
  DType dtype;              // the output's dtype
  DType compute_dtype;      // the dtype kernels compute in (inputs are converted to it)
  std::vector<Dims> sizes;  // one entry per output (several for split/chunk)
};

// Validates an op call and infers its outputs. `attrs` are bound (see bind_attrs).
Expected<OutputMeta> infer_meta(OpKind op, std::span<const TensorMeta> inputs, const Attrs& attrs);

// The same shape rule over symbolic sizes (ir/sym_dim.h): one SymDims per output. On the
// hints it gives infer_meta's sizes and errors; conditions the rule tests on symbolic sizes
// are decided through their SymDecider, which records them as facts. Attribute elements that
// carry symbols (Attr::syms, only where attr_may_be_symbolic) are read as SymDims of `decider`.
Expected<std::vector<SymDims>> infer_sym_sizes(OpKind op, std::span<const SymDims> inputs,
                                               const Attrs& attrs, SymDecider* decider = nullptr);

// Whether bound attribute `slot` of `op` may carry symbols: the ones the shape rule reads as
// sizes (reshape/view's shape, expand's and the creation ops' size, slice's start and end, an
// int arange's start and end). Any other symbolic attribute is specialized to its hint.
bool attr_may_be_symbolic(OpKind op, const Attrs& attrs, std::size_t slot);

}  // namespace gyro
