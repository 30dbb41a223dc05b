// Dead-code elimination: keep what the outputs need, every placeholder, and every random call.
#include <vector>

#include "ir/graph_builder.h"
#include "ir/passes.h"

namespace gyro {

std::optional<Graph> eliminate_dead_code(const Graph& graph) {
  const auto num_nodes = static_cast<int32_t>(graph.nodes().size());
  std::vector<bool> live(num_nodes, false);
  for (ValueId v : graph.outputs()) live[graph.producer_index(v)] = true;
  // Placeholders keep the input positions; a random call advances the generator even when its
  // result is unused, and later draws depend on that.
  for (int32_t i = 0; i < num_nodes; ++i) {
    const Node& node = graph.node(i);
    if (node.kind == NodeKind::kPlaceholder ||
        (node.kind == NodeKind::kCall && op_info(node.op).fusion == FusionClass::kRandom))
      live[i] = true;
  }
  // Nodes are in topological order, so one backward sweep finds everything live.
  for (int32_t i = num_nodes - 1; i >= 0; --i)
    if (live[i])
      for (ValueId v : graph.node(i).inputs) live[graph.producer_index(v)] = true;
  bool all_live = true;
  for (bool l : live) all_live = all_live && l;
  if (all_live) return std::nullopt;

  GraphBuilder builder(GraphBuilderOptions{.cse = false, .fold = {}});
  std::vector<ValueId> mapped(graph.num_values());
  for (int32_t i = 0; i < num_nodes; ++i) {
    if (!live[i]) continue;
    const Node& node = graph.node(i);
    std::vector<ValueId> inputs;
    for (ValueId v : node.inputs) inputs.push_back(mapped[v.index]);
    std::vector<ValueId> outputs = builder.copy(graph, node, inputs);
    for (int k = 0; k < node.num_outputs; ++k) mapped[node.output(k).index] = outputs[k];
  }
  std::vector<ValueId> outputs;
  for (ValueId v : graph.outputs()) outputs.push_back(mapped[v.index]);
  builder.set_outputs(std::move(outputs));
  return builder.finish();
}

}  // namespace gyro
