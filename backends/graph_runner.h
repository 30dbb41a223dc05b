// Runs a graph on the eager kernels, one eager::run per call node (an opaque call runs its
// function); also folds constants.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "backends/backend.h"
#include "ir/graph_builder.h"

namespace gyro {

// An executable that runs `graph` node by node through eager::run, so its results are bit for
// bit those of running the same ops one by one (and random ops draw in node order). Tensors are
// released after their last use; an output that is a graph constant is returned as a fresh
// copy, so callers never mutate the graph's constants. An opaque call (allow_in_graph) runs its
// function and must return the dtypes and sizes its traced call did (else a RuntimeError).
// Inputs are not checked here (compile_graph does that).
Executable eager_executable(const Graph& graph);

// A step a backend runs in place of some call nodes (the vectorized backend's fused kernels):
// it reads the values `inputs` and produces every value in `outputs`, and runs where the last
// of its nodes stood. The nodes' other values are never materialized.
struct KernelStep {
  std::vector<int32_t> nodes;  // the call nodes it replaces, in ascending order
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
  std::function<Status(std::span<const Tensor> inputs, std::span<Tensor> outputs)> run;
};

// eager_executable with `kernels` replacing their nodes; the other calls run through eager::run
// as above. A kernel's inputs must be produced before its last node (the partitioner's job).
Executable graph_executable(const Graph& graph, std::vector<KernelStep> kernels);

// The ConstantFolder GraphBuilder needs: eager::run with the bound attributes.
ConstantFolder eager_constant_folder();

}  // namespace gyro
