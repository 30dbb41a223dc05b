// The vectorized backend's partitioner: groups a graph's call nodes into fused kernels.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "backends/vectorized/block_ops.h"
#include "ir/graph.h"

namespace gyro::vectorized {

// One kernel. kFused: elementwise members evaluated block by block over one shape (broadcasting
// their inputs), optionally ending in a reduction over trailing dims (or all) that consumes a
// member or an input. kRows: an op whose output rows depend only on the same rows of its first
// input (2-D matmul/linear, softmax/log_softmax/layer_norm off dim 0), run over row panels on
// the threads, with elementwise members applied to each panel while it is in cache.
struct KernelGroup {
  enum class Kind { kFused, kRows };
  Kind kind = Kind::kFused;
  int32_t head = -1;                // kRows: the row op's node
  std::vector<int32_t> members;     // elementwise nodes, in graph order
  std::vector<BlockOp> ops;         // members[i]'s block op
  int32_t reduction = -1;           // kFused: the terminal reduction's node, or -1
  // Copies fused into loads: a `contiguous` call whose value only members read is not run;
  // members read its input in place instead (first: the copy's value, second: its input).
  std::vector<int32_t> absorbed;
  std::vector<std::pair<ValueId, ValueId>> read_through;
  std::vector<ValueId> inputs;      // values read from outside (kRows: the head's inputs first)
  std::vector<ValueId> outputs;     // values needed outside: later nodes or graph outputs
  // Every node the group replaces, ascending (head, members, reduction and absorbed copies).
  std::vector<int32_t> nodes() const;
};

// Groups the graph's call nodes in one pass in node order; nodes left out of every group run
// on eager. A group runs where its last node stood, so a node outside it that reads one of its
// values closes it first.
std::vector<KernelGroup> partition(const Graph& graph);

// One line per group: "kernel 2: fused [mul, add, relu] -> sum (3 inputs, 1 output)".
std::string describe_partition(const Graph& graph, const std::vector<KernelGroup>& groups);

}  // namespace gyro::vectorized
