// A row kernel: an op whose output rows depend only on the same rows of its first input
// (2-D matmul/linear, softmax, log_softmax, layer_norm), run by eager's kernel over row panels
// on the threads, each panel then passed through the elementwise epilogue while in cache.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "backends/vectorized/fused_kernel.h"
#include "backends/vectorized/partition.h"

namespace gyro::vectorized {

class RowKernel {
 public:
  static RowKernel compile(const Graph& graph, const KernelGroup& group);

  // `inputs` and `outputs` in the group's order; outputs are filled with fresh tensors.
  Status run(std::span<const Tensor> inputs, std::span<Tensor> outputs, int threads) const;

 private:
  OpKind op_{};
  Attrs attrs_;
  std::vector<int> head_inputs_;  // the head's operands, as positions in the group's inputs
  int head_output_ = -1;          // the head's output among the group's outputs, or -1
  std::optional<FusedKernel> epilogue_;  // reads the head's output, then the group's inputs
  std::vector<int> epilogue_outputs_;    // its outputs' positions among the group's outputs
  std::vector<DType> epilogue_dtypes_;
};

}  // namespace gyro::vectorized
