// Graph dumps: torch.fx-style code (one line per node) and Graphviz dot, with shared names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"

namespace gyro {

// "f32[3, 4]", "i64[]", "b8[2]": a value's dtype and sizes as dumps show them.
std::string meta_to_string(const TensorMeta& meta);

// The name each value has in dumps, indexed by ValueId: placeholders after their source
// ("self.linear.weight" -> self_linear_weight), calls after their op (add, add_1, ...), outputs of
// multi-output calls getitem, getitem_1, ..., constants const, const_1, ...; wrapped Python
// numbers are their literal ("0.5", "2", "True"). Names are unique and depend only on the graph.
std::vector<std::string> value_names(const Graph& graph);

// The graph as code, in the style of torch.fx's generated code:
//   def forward(x: "f32[3, 4]", y: "f32[4]"):
//       add: "f32[3, 4]" = gyro.add(x, y)
//       sum_1: "f32[3]" = gyro.sum(add, dim=[1])
//       return (sum_1,)
// Placeholders are the parameters in input order; a call's attributes that differ from their
// defaults are keyword arguments; wrapped numbers are inlined as literals; a multi-output call
// is a line for the call and a `getitem = split[i]` line per output; constants of up to 16
// elements print as gyro.tensor(nested list), larger ones as self.<name>. An opaque call
// (allow_in_graph) prints as its function's name without `gyro.`: `scale: "f32[3]" =
// scale(x, 2.0)`.
std::string print_graph(const Graph& graph, std::string_view name = "forward");

// The graph as a Graphviz digraph: one box per node (name, op, attributes, meta), edges from
// producers to users (labelled [i] for output i of a multi-output call), and a "return" node.
std::string graph_to_dot(const Graph& graph, std::string_view name = "forward");

}  // namespace gyro
