// Graph passes: each declared once in ir/passes.def and run as a named list.
#pragma once

#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>

#include "ir/graph.h"

namespace gyro {

// A pass builds a new graph from `graph`, or returns nullopt when it would change nothing.
using PassFn = std::optional<Graph> (*)(const Graph& graph);

struct PassInfo {
  std::string_view name;
  PassFn run;
  std::string_view help;
};

// Every pass, in ir/passes.def order.
std::span<const PassInfo> all_passes();
const PassInfo* find_pass(std::string_view name);

// Runs the named passes in order (`run_passes(g, {"decompose", "dce"})`). An unknown name is a
// ValueError listing the known ones, and no pass runs.
Expected<Graph> run_passes(Graph graph, std::span<const std::string_view> names);
inline Expected<Graph> run_passes(Graph graph, std::initializer_list<std::string_view> names) {
  return run_passes(std::move(graph),
                    std::span<const std::string_view>(names.begin(), names.size()));
}

// The passes (one .cc file each).
std::optional<Graph> eliminate_dead_code(const Graph& graph);   // ir/dce.cc
std::optional<Graph> decompose_composites(const Graph& graph);  // ir/decompose.cc

}  // namespace gyro
