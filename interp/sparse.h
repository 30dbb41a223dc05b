// COO sparse tensors in the reference VM: x.to_sparse(), to_dense(), and the sparse tensor's
// attributes and methods. They never enter a graph; tensor ops do not accept them.
#pragma once

#include <optional>
#include <string_view>

#include "interp/objects.h"

namespace gyro {

// x.to_sparse(): every element that is not zero (NaN included, -0.0 excluded, as PyTorch's
// `x != 0`), coalesced: indices in row-major order.
Expected<Value> to_sparse(const Tensor& dense);
// The dense tensor a sparse one stands for (a new contiguous tensor).
Expected<Tensor> sparse_to_dense(const SparseTensorObject& sparse);

// A sparse tensor's attribute: shape, ndim, dtype, is_sparse, and the bound methods to_dense,
// values, indices, _nnz, size, dim, coalesce, is_coalesced, is_floating_point. nullopt when it
// has no such attribute (nothing is raised).
std::optional<Value> sparse_attribute(const Value& sparse, std::string_view name);

// The TypeError for a tensor op or operator applied to a sparse tensor: "`what` does not support
// sparse tensors in gyro (call to_dense() first)".
Error sparse_unsupported(std::string_view what);

}  // namespace gyro
