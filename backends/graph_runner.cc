// The eager graph runner: a plan (what a run needs from the graph, not the graph itself)
// shared by every run.
#include "backends/graph_runner.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "backends/eager/eager.h"
#include "backends/inline_slots.h"
#include "ir/graph_printer.h"

namespace gyro {

namespace {

// One call node: its op and attributes, where its operands and outputs are among the values,
// and which values it is the last use of (dropped once it has run).
struct Step {
  OpKind op{};
  int32_t first_output = 0;
  int32_t num_outputs = 0;
  uint32_t operands_begin = 0, operands_end = 0;  // into Plan::operands
  uint32_t release_begin = 0, release_end = 0;    // into Plan::released
  Attrs attrs;
  // Symbolic attributes: element `element` (-1: an int attribute) of attrs[attr] is `expr`
  // evaluated on the run's sizes. Empty for a plain call.
  struct Patch {
    uint32_t attr = 0;
    int32_t element = -1;
    SymId expr;
  };
  std::vector<Patch> patches;
  // An opaque call (allow_in_graph): the function, and the metas its trace-time call gave.
  std::shared_ptr<const OpaqueFunction> opaque;
  std::vector<TensorMeta> traced;
  // A backend's kernel (operands are its inputs; it writes the values of `results`).
  std::shared_ptr<const KernelStep> kernel;
  uint32_t results_begin = 0, results_end = 0;  // into Plan::results
};

// The graph reduced to what running it reads: placeholders and constants bind values before
// the calls run, in node order. An executable keeps this, not a copy of the graph (a cache
// entry already holds the graph once).
struct Plan {
  int32_t num_values = 0;
  uint32_t max_operands = 0;          // the most operands one call has
  uint32_t max_results = 0;           // the most values one kernel step produces
  std::vector<int32_t> placeholders;  // the value of each input, in input order
  std::vector<std::pair<int32_t, Tensor>> constants;
  std::vector<Step> steps;
  std::vector<int32_t> operands;
  std::vector<int32_t> released;
  std::vector<int32_t> results;  // kernel steps' output values
  // Symbolic attributes: their context, and the input dim each symbol is read from.
  std::shared_ptr<const SymContext> sym_context;
  std::vector<SymbolSource> symbols;
  struct Output {
    int32_t value;
    bool is_constant;  // returned as a fresh copy: callers never mutate the graph's constants
  };
  std::vector<Output> outputs;
};

std::shared_ptr<const Plan> make_plan(const Graph& graph, std::vector<KernelStep> kernels) {
  auto plan = std::make_shared<Plan>();
  plan->num_values = graph.num_values();
  const auto num_nodes = static_cast<int32_t>(graph.nodes().size());
  // Which kernel replaces each node (-1: none); a kernel runs at its last node.
  std::vector<int32_t> kernel_of(num_nodes, -1);
  for (std::size_t k = 0; k < kernels.size(); ++k)
    for (int32_t node : kernels[k].nodes) kernel_of[node] = static_cast<int32_t>(k);
  auto runs_kernel_at = [&](int32_t i) {
    return kernel_of[i] >= 0 && kernels[kernel_of[i]].nodes.back() == i;
  };
  std::vector<int32_t> last_use(graph.num_values(), -1);
  for (int32_t i = 0; i < num_nodes; ++i) {
    if (kernel_of[i] < 0)
      for (ValueId v : graph.node(i).inputs) last_use[v.index] = i;
    else if (runs_kernel_at(i))
      for (ValueId v : kernels[kernel_of[i]].inputs) last_use[v.index] = i;
  }
  for (ValueId v : graph.outputs()) last_use[v.index] = num_nodes;  // kept to the end
  std::vector<std::vector<int32_t>> release_after(num_nodes);
  for (int32_t v = 0; v < graph.num_values(); ++v)
    if (last_use[v] >= 0 && last_use[v] < num_nodes) release_after[last_use[v]].push_back(v);

  // A step's operands (the values it reads) and the values to drop after it.
  auto add_operands_and_releases = [&](Step& step, std::span<const ValueId> operands,
                                       const std::vector<int32_t>& releases) {
    step.operands_begin = static_cast<uint32_t>(plan->operands.size());
    for (ValueId v : operands) plan->operands.push_back(v.index);
    step.operands_end = static_cast<uint32_t>(plan->operands.size());
    plan->max_operands = std::max(plan->max_operands, step.operands_end - step.operands_begin);
    step.release_begin = static_cast<uint32_t>(plan->released.size());
    plan->released.insert(plan->released.end(), releases.begin(), releases.end());
    step.release_end = static_cast<uint32_t>(plan->released.size());
  };
  for (ValueId v : graph.inputs()) plan->placeholders.push_back(v.index);
  for (int32_t i = 0; i < num_nodes; ++i) {
    const Node& node = graph.node(i);
    switch (node.kind) {
      case NodeKind::kPlaceholder:
        break;
      case NodeKind::kConstant:
        plan->constants.emplace_back(node.first_output.index, node.constant.get());
        break;
      case NodeKind::kCall:
      case NodeKind::kOpaqueCall: {
        if (kernel_of[i] >= 0) {
          if (!runs_kernel_at(i)) break;
          Step step;
          auto kernel = std::make_shared<const KernelStep>(std::move(kernels[kernel_of[i]]));
          add_operands_and_releases(step, kernel->inputs, release_after[i]);
          step.results_begin = static_cast<uint32_t>(plan->results.size());
          for (ValueId v : kernel->outputs) plan->results.push_back(v.index);
          step.results_end = static_cast<uint32_t>(plan->results.size());
          plan->max_results = std::max(plan->max_results, step.results_end - step.results_begin);
          step.kernel = std::move(kernel);
          plan->steps.push_back(std::move(step));
          break;
        }
        Step step;
        step.op = node.op;
        if (node.kind == NodeKind::kOpaqueCall) {
          step.opaque = node.opaque;
          for (int k = 0; k < node.num_outputs; ++k)
            step.traced.push_back(graph.meta(node.output(k)));
        }
        step.first_output = node.first_output.index;
        step.num_outputs = node.num_outputs;
        add_operands_and_releases(step, node.inputs, release_after[i]);
        step.attrs = node.attrs;
        for (std::size_t a = 0; a < step.attrs.size(); ++a) {
          Attr& attr = step.attrs[a];
          for (std::size_t k = 0; k < attr.syms.size(); ++k)
            if (attr.syms[k].index >= 0)
              step.patches.push_back({static_cast<uint32_t>(a),
                                      attr.kind == AttrKind::kInts ? static_cast<int32_t>(k) : -1,
                                      attr.syms[k]});
          attr.syms.clear();  // the values are patched in; eager::run sees plain ints
        }
        plan->steps.push_back(std::move(step));
        break;
      }
    }
  }
  for (ValueId v : graph.outputs())
    plan->outputs.push_back({v.index, graph.producer(v).kind == NodeKind::kConstant});
  if (graph.sym_context() != nullptr) {
    plan->sym_context = graph.shared_sym_context();
    plan->symbols.assign(graph.symbol_sources().begin(), graph.symbol_sources().end());
  }
  plan->placeholders.shrink_to_fit();
  plan->constants.shrink_to_fit();
  plan->steps.shrink_to_fit();
  plan->operands.shrink_to_fit();
  plan->released.shrink_to_fit();
  plan->results.shrink_to_fit();
  plan->outputs.shrink_to_fit();
  return plan;
}

// An opaque function's outputs against the metas its trace-time call gave: a function that is
// not pure in its shapes (allow_in_graph's contract) is a RuntimeError, not a wrong graph.
Status check_opaque_results(const Step& step, std::span<const Tensor> results) {
  if (results.size() != step.traced.size())
    return make_error(ErrorKind::RuntimeError,
                      "{}() (allow_in_graph) returned {} tensors; when traced it returned {}",
                      step.opaque->name(), results.size(), step.traced.size());
  for (std::size_t k = 0; k < results.size(); ++k) {
    const TensorMeta& traced = step.traced[k];
    if (results[k].dtype() != traced.dtype || results[k].sizes() != traced.sizes)
      return make_error(ErrorKind::RuntimeError,
                        "{}() (allow_in_graph) returned {} where its traced call returned {}",
                        step.opaque->name(), meta_to_string(TensorMeta::of(results[k])),
                        meta_to_string(traced));
  }
  return Status();
}

// The run's symbol values (bindings[i] is s<i>), read from the inputs' sizes; on the native
// stack for the usual few symbols.
class Bindings {
 public:
  Bindings(const Plan& plan, std::span<const Tensor> inputs) {
    const std::size_t count = plan.symbols.size();
    if (count > kInline) heap_.resize(count);
    int64_t* data = count > kInline ? heap_.data() : inline_.data();
    for (std::size_t k = 0; k < count; ++k) {
      const SymbolSource& source = plan.symbols[k];
      data[k] = 0;  // a symbol no attribute reads (an int argument's)
      if (source.input < 0) continue;
      const Tensor& input = inputs[source.input];
      GYRO_ASSERT(source.dim < input.dim(), "symbol s{} reads dim {} of a {}-dim input", k,
                  source.dim, input.dim());
      data[k] = input.size(source.dim);
    }
    values_ = std::span<const int64_t>(data, count);
  }
  std::span<const int64_t> values() const { return values_; }

 private:
  static constexpr std::size_t kInline = 8;
  std::array<int64_t, kInline> inline_;
  std::vector<int64_t> heap_;
  std::span<const int64_t> values_;
};

// A step's attributes with its symbolic elements evaluated for this run.
Expected<Attrs> patched_attrs(const Plan& plan, const Step& step, const Bindings& bindings) {
  Attrs attrs = step.attrs;
  for (const Step::Patch& patch : step.patches) {
    GYRO_ASSIGN_OR_RETURN(int64_t value, plan.sym_context->evaluate(patch.expr, bindings.values()));
    Attr& attr = attrs[patch.attr];
    if (patch.element < 0)
      attr.i = value;
    else
      attr.ints[static_cast<std::size_t>(patch.element)] = value;
  }
  return attrs;
}

Expected<std::vector<Tensor>> run_plan(const Plan& plan, std::span<const Tensor> inputs) {
  if (plan.steps.empty() && plan.outputs.empty()) return std::vector<Tensor>();
  std::optional<Bindings> bindings;
  if (plan.sym_context) bindings.emplace(plan, inputs);
  InlineSlots<Tensor, 8> env(plan.num_values);
  for (std::size_t i = 0; i < plan.placeholders.size(); ++i) env[plan.placeholders[i]] = inputs[i];
  for (const auto& [value, tensor] : plan.constants) env[value] = tensor;
  InlineSlots<Tensor, 4> operands(plan.max_operands);
  InlineSlots<Tensor, 1> results(plan.max_results);
  for (const Step& step : plan.steps) {
    const uint32_t count = step.operands_end - step.operands_begin;
    for (uint32_t k = 0; k < count; ++k) operands[k] = env[plan.operands[step.operands_begin + k]];
    std::span<const Tensor> args(operands.data(), count);
    std::optional<Attrs> patched;
    if (!step.patches.empty()) {
      GYRO_ASSIGN_OR_RETURN(patched, patched_attrs(plan, step, *bindings));
    }
    const Attrs& attrs = patched ? *patched : step.attrs;
    if (step.kernel) {
      const uint32_t produced = step.results_end - step.results_begin;
      for (uint32_t k = 0; k < produced; ++k) results[k] = Tensor();
      GYRO_TRY(step.kernel->run(args, std::span<Tensor>(results.data(), produced)));
      for (uint32_t k = 0; k < produced; ++k)
        env[plan.results[step.results_begin + k]] = std::move(results[k]);
    } else if (step.opaque) {
      GYRO_ASSIGN_OR_RETURN(std::vector<Tensor> results, step.opaque->call(args));
      GYRO_TRY(check_opaque_results(step, results));
      for (int k = 0; k < step.num_outputs; ++k) env[step.first_output + k] = std::move(results[k]);
    } else if (step.num_outputs == 1 && !op_info(step.op).has(kMultiOutput)) {
      GYRO_ASSIGN_OR_RETURN(env[step.first_output], eager::run1(step.op, args, attrs));
    } else {
      GYRO_ASSIGN_OR_RETURN(std::vector<Tensor> results, eager::run(step.op, args, attrs));
      GYRO_ASSERT(static_cast<int>(results.size()) == step.num_outputs,
                  "{} returned {} tensors; the graph expects {}", op_name(step.op), results.size(),
                  step.num_outputs);
      for (int k = 0; k < step.num_outputs; ++k) env[step.first_output + k] = std::move(results[k]);
    }
    for (uint32_t k = step.release_begin; k < step.release_end; ++k)
      env[plan.released[k]] = Tensor();
  }
  std::vector<Tensor> outputs;
  outputs.reserve(plan.outputs.size());
  for (const Plan::Output& output : plan.outputs) {
    if (output.is_constant) {
      const Tensor constant[] = {env[output.value]};
      GYRO_ASSIGN_OR_RETURN(Tensor copy, eager::run1(OpKind::clone, constant));
      outputs.push_back(std::move(copy));
    } else {
      outputs.push_back(env[output.value]);
    }
  }
  return outputs;
}

}  // namespace

Executable eager_executable(const Graph& graph) { return graph_executable(graph, {}); }

Executable graph_executable(const Graph& graph, std::vector<KernelStep> kernels) {
  std::shared_ptr<const Plan> plan = make_plan(graph, std::move(kernels));
  return Executable([plan](std::span<const Tensor> inputs) { return run_plan(*plan, inputs); });
}

ConstantFolder eager_constant_folder() {
  return [](OpKind op, std::span<const Tensor> inputs, const Attrs& attrs) {
    return eager::run(op, inputs, attrs);
  };
}

}  // namespace gyro
