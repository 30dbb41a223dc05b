// repr(tensor) exactly as PyTorch prints it (torch/_tensor_str.py with default print options:
// precision 4, linewidth 80, threshold 1000, edgeitems 3).
#pragma once

#include <string>

#include "ir/tensor.h"

namespace gyro {

// "tensor([ 1.5000,  2.2500, -3.0000])", "tensor([1., 2.], dtype=torch.float64)",
// "tensor([], size=(2, 0))"; summarized with "..." beyond 1000 elements.
std::string tensor_repr(const Tensor& tensor);

// A COO sparse tensor as PyTorch prints it: "tensor(indices=tensor([[0, 1]]),\n
// values=tensor([1., 2.]),\n       size=(3,), nnz=2, layout=torch.sparse_coo)".
std::string sparse_tensor_repr(const Tensor& indices, const Tensor& values, const Dims& sizes);

}  // namespace gyro
