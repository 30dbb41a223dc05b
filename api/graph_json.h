// A graph as JSON: the documented form host backends receive (docs/backends.md).
#pragma once

#include <string>

#include "ir/graph.h"

namespace gyro::api {

// {"version": 1, "values": [{"dtype", "sizes"}...], "nodes": [...], "inputs": [...],
// "outputs": [...]}: every node with its kind ("input", "constant", "call", "opaque"), its
// input and output value numbers, and its op and named attributes (calls), input position
// and source (inputs) or row-major values (constants).
std::string graph_json(const Graph& graph);

}  // namespace gyro::api
