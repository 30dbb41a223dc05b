// Running a capture's compiled graph and rebuilding the frame's result.
#include "interp/capture.h"

#include "interp/guard_check.h"
#include "interp/interpreter.h"
#include "interp/objects.h"
#include "ir/graph_printer.h"

namespace gyro {

namespace {

Value build_result(const ResultPlan& plan, std::span<const Tensor> outputs, SourceLoader& loader) {
  switch (plan.kind) {
    case ResultPlan::Kind::kTensor:
      return make_tensor(outputs[plan.output]);
    case ResultPlan::Kind::kConstant:
      return plan.constant;
    case ResultPlan::Kind::kSource: {
      const Value* value = loader.load(plan.source);
      return value ? *value : Value();
    }
    case ResultPlan::Kind::kTuple:
    case ResultPlan::Kind::kList: {
      std::vector<Value> items;
      for (const ResultPlan& item : plan.items)
        items.push_back(build_result(item, outputs, loader));
      return plan.kind == ResultPlan::Kind::kTuple ? make_tuple(std::move(items))
                                                   : make_list(std::move(items));
    }
  }
  return Value();
}

}  // namespace

std::optional<Value> run_capture(Interpreter& vm, const Capture& capture,
                                 const Executable& executable, SourceLoader& loader) {
  std::vector<Tensor> inputs;
  inputs.reserve(capture.inputs.size());
  for (guards::SourceId source : capture.inputs) {
    const Value* input = loader.load(source);
    if (!input || !input->is(ObjectKind::TensorBox))
      return vm.raise(ErrorKind::RuntimeError, "a captured input is no longer a tensor");
    inputs.push_back(input->as<TensorBoxObject>().tensor);
  }
  auto outputs = executable.run(inputs);
  if (!outputs.ok()) return vm.raise(outputs.error());
  return build_result(capture.result, *outputs, loader);
}

std::string Capture::describe() const {
  return print_graph(graph);
}

}  // namespace gyro
