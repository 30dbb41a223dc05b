// A compiled fused kernel: elementwise members evaluated over cache-sized blocks of one
// broadcast shape, optionally feeding a reduction over trailing dims, on the thread pool.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backends/vectorized/block_ops.h"
#include "backends/vectorized/partition.h"
#include "ir/graph.h"

namespace gyro::vectorized {

// Elements per block: a float32 block is 4 KiB, so a kernel's live registers stay in L1/L2.
inline constexpr int64_t kBlock = 1024;

class FusedKernel {
 public:
  // Compiles the members (and reduction) of `group` reading the values `inputs` and producing
  // `outputs`, in that order at run time. For a kFused group they are the group's own; for a
  // kRows group's epilogue, the head's output and the group's inputs, and the member outputs.
  // Inputs no member reads are accepted and ignored.
  static FusedKernel compile(const Graph& graph, const KernelGroup& group,
                             std::span<const ValueId> inputs, std::span<const ValueId> outputs);

  // Runs over `inputs` (the group's inputs, broadcast together to the kernel's shape) and
  // fills `outputs` with fresh tensors for the group's outputs.
  Status run(std::span<const Tensor> inputs, std::span<Tensor> outputs, int threads) const;
  // The same over `shape` into `outputs` the caller allocated (contiguous, of that shape); for
  // row panels, so it runs on the calling thread. No reduction.
  Status run_into(std::span<const Tensor> inputs, std::span<const Tensor> outputs,
                  const Dims& shape) const;

  int rank() const { return rank_; }

 private:
  // One step of a block: an op on registers, or a store of a register into output `output`.
  struct Instr {
    BlockFn fn = nullptr;  // null: a store
    const void* state = nullptr;
    int out = -1;
    int in[3] = {-1, -1, -1};
    int output = -1;
  };
  enum class Reduce : unsigned char { kNone, kSum, kMean, kMax, kMin, kVar, kStd };
  struct Plan;  // a run's shape and input access, made per call

  void plan_inputs(std::span<const Tensor> inputs, Plan& plan) const;
  Status execute(const Plan& plan, int threads) const;

  int rank_ = 0;
  std::vector<BlockOp> ops_;       // owns the functor states the instructions point to
  std::vector<Instr> instrs_;
  int num_registers_ = 0;          // the inputs' registers come first
  std::vector<bool> input_used_;
  std::vector<DType> output_dtypes_;  // of the member outputs (the reduction's is last)
  // The reduction: which register it reads, the first reduced dim, its kind and attributes.
  Reduce reduce_ = Reduce::kNone;
  int reduce_register_ = -1;
  int reduce_from_dim_ = 0;
  bool keepdim_ = false;
  int64_t correction_ = 1;
};

}  // namespace gyro::vectorized
