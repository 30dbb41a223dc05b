// The instructions of a fused kernel: one elementwise op (or a dtype conversion) over a block of
// contiguous operands, made from the same functors as eager's kernels.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "ir/attr.h"
#include "ir/infer.h"
#include "ir/op.h"

namespace gyro::vectorized {

// Computes n elements of `out` from operand blocks already in the op's compute dtype. Returns
// false only for a failure eager would report, which no fused op has (integer division stays
// with eager, which reports its ZeroDivisionError).
using BlockFn = bool (*)(const void* state, int64_t n, void* out, const void* const* in);

struct BlockOp {
  BlockFn fn = nullptr;
  std::shared_ptr<const void> state;  // the functor: clamp's bounds, gelu's form
  DType compute = DType::Float32;     // the dtype operands are presented in
  DType output = DType::Float32;      // the dtype `out` is written in
  int arity = 0;
};

// The block op computing call `op` on operands with metas `inputs`, or nullopt when the op is
// not one the fuser takes (not elementwise; integer floordiv/remainder/pow, whose errors and
// checks stay with eager; a `to` that returns its input itself).
std::optional<BlockOp> elementwise_block_op(OpKind op, const Attrs& attrs,
                                            std::span<const TensorMeta> inputs);

// Converts n elements from `from` to `to` as eager's copies do.
BlockOp convert_block_op(DType from, DType to);

}  // namespace gyro::vectorized
