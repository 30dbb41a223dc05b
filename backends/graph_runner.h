// Runs a graph on the eager kernels, one eager::run per call node (an opaque call runs its
// function); also folds constants.
#pragma once

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

// The ConstantFolder GraphBuilder needs: eager::run with the bound attributes.
ConstantFolder eager_constant_folder();

}  // namespace gyro
