// The eager backend's public entry: run one op on concrete tensors, one kernel per call.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ir/attr.h"
#include "ir/op.h"
#include "ir/tensor.h"

namespace gyro::eager {

// Runs `op` on `inputs`. Attributes bind as in bind_attrs (positional, then named, then
// defaults). Every invalid call returns an Error naming the op and the shapes involved.
Expected<std::vector<Tensor>> run(OpKind op, std::span<const Tensor> inputs,
                                  std::span<const Attr> attrs = {},
                                  std::span<const NamedAttr> named = {});

// The same for ops with one output (all but split, split_with_sizes and chunk).
Expected<Tensor> run1(OpKind op, std::span<const Tensor> inputs, std::span<const Attr> attrs = {},
                      std::span<const NamedAttr> named = {});

// Runs a single-output op writing into `out`, which must already have the output's sizes and
// dtype; reusing one buffer across calls avoids fresh-page costs on large tensors.
Status run_into(OpKind op, std::span<const Tensor> inputs, std::span<const Attr> attrs,
                Tensor& out);

// Copies `src` into `dst` (broadcasting src, converting dtype); dst may be a strided view.
Status copy_into(const Tensor& dst, const Tensor& src);

// Seeds the default generator that rand and randn draw from.
void manual_seed(uint64_t seed);

}  // namespace gyro::eager
