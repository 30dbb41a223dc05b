// The eager graph runner: a plan (graph copy + release points) shared by every run.
#include "backends/graph_runner.h"

#include <memory>
#include <utility>
#include <vector>

#include "backends/eager/eager.h"
#include "ir/graph_printer.h"

namespace gyro {

namespace {

struct Plan {
  Graph graph;
  // For each node, the values whose last use it is (dropped once it has run).
  std::vector<std::vector<int32_t>> release_after;
};

std::shared_ptr<const Plan> make_plan(const Graph& graph) {
  auto plan = std::make_shared<Plan>();
  plan->graph = graph;
  const auto num_nodes = static_cast<int32_t>(graph.nodes().size());
  std::vector<int32_t> last_use(graph.num_values(), -1);
  for (int32_t i = 0; i < num_nodes; ++i)
    for (ValueId v : graph.node(i).inputs) last_use[v.index] = i;
  for (ValueId v : graph.outputs()) last_use[v.index] = num_nodes;  // kept to the end
  plan->release_after.resize(num_nodes);
  for (int32_t v = 0; v < graph.num_values(); ++v)
    if (last_use[v] >= 0 && last_use[v] < num_nodes) plan->release_after[last_use[v]].push_back(v);
  return plan;
}

// An opaque function's outputs against the metas its trace-time call gave: a function that is
// not pure in its shapes (allow_in_graph's contract) is a RuntimeError, not a wrong graph.
Status check_opaque_results(const Graph& graph, const Node& node, std::span<const Tensor> results) {
  if (static_cast<int>(results.size()) != node.num_outputs)
    return make_error(ErrorKind::RuntimeError,
                      "{}() (allow_in_graph) returned {} tensors; when traced it returned {}",
                      node.opaque->name(), results.size(), node.num_outputs);
  for (int k = 0; k < node.num_outputs; ++k) {
    const TensorMeta& traced = graph.meta(node.output(k));
    if (results[k].dtype() != traced.dtype || results[k].sizes() != traced.sizes)
      return make_error(ErrorKind::RuntimeError,
                        "{}() (allow_in_graph) returned {} where its traced call returned {}",
                        node.opaque->name(), meta_to_string(TensorMeta::of(results[k])),
                        meta_to_string(traced));
  }
  return Status();
}

Expected<std::vector<Tensor>> run_plan(const Plan& plan, std::span<const Tensor> inputs) {
  const Graph& graph = plan.graph;
  std::vector<Tensor> env(graph.num_values());
  std::vector<Tensor> args;
  for (std::size_t i = 0; i < graph.nodes().size(); ++i) {
    const Node& node = graph.node(static_cast<int32_t>(i));
    switch (node.kind) {
      case NodeKind::kPlaceholder:
        env[node.first_output.index] = inputs[node.input_index];
        break;
      case NodeKind::kConstant:
        env[node.first_output.index] = node.constant;
        break;
      case NodeKind::kCall: {
        args.clear();
        for (ValueId v : node.inputs) args.push_back(env[v.index]);
        GYRO_ASSIGN_OR_RETURN(std::vector<Tensor> results, eager::run(node.op, args, node.attrs));
        GYRO_ASSERT(static_cast<int>(results.size()) == node.num_outputs,
                    "{} returned {} tensors; the graph expects {}", op_name(node.op),
                    results.size(), node.num_outputs);
        for (int k = 0; k < node.num_outputs; ++k)
          env[node.output(k).index] = std::move(results[k]);
        break;
      }
      case NodeKind::kOpaqueCall: {
        args.clear();
        for (ValueId v : node.inputs) args.push_back(env[v.index]);
        GYRO_ASSIGN_OR_RETURN(std::vector<Tensor> results, node.opaque->call(args));
        GYRO_TRY(check_opaque_results(graph, node, results));
        for (int k = 0; k < node.num_outputs; ++k)
          env[node.output(k).index] = std::move(results[k]);
        break;
      }
    }
    for (int32_t v : plan.release_after[i]) env[v] = Tensor();
  }
  std::vector<Tensor> outputs;
  outputs.reserve(graph.outputs().size());
  for (ValueId v : graph.outputs()) {
    if (graph.producer(v).kind == NodeKind::kConstant) {
      const Tensor constant[] = {env[v.index]};
      GYRO_ASSIGN_OR_RETURN(Tensor copy, eager::run1(OpKind::clone, constant));
      outputs.push_back(std::move(copy));
    } else {
      outputs.push_back(env[v.index]);
    }
  }
  return outputs;
}

}  // namespace

Executable eager_executable(const Graph& graph) {
  std::shared_ptr<const Plan> plan = make_plan(graph);
  return Executable([plan](std::span<const Tensor> inputs) { return run_plan(*plan, inputs); });
}

ConstantFolder eager_constant_folder() {
  return [](OpKind op, std::span<const Tensor> inputs, const Attrs& attrs) {
    return eager::run(op, inputs, attrs);
  };
}

}  // namespace gyro
