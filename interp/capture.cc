// Running a capture (the eager way: one kernel per call, the VM's own kernels, so results are
// bit-identical to the interpreter's) and describing it.
#include "interp/capture.h"

#include <fmt/format.h>

#include "backends/eager/eager.h"
#include "interp/guard_check.h"
#include "interp/interpreter.h"
#include "interp/objects.h"

namespace gyro {

namespace {

Value build_result(const ResultPlan& plan, std::span<const Tensor> values, SourceLoader& loader) {
  switch (plan.kind) {
    case ResultPlan::Kind::kTensor:
      return make_tensor(values[plan.value]);
    case ResultPlan::Kind::kConstant:
      return plan.constant;
    case ResultPlan::Kind::kSource: {
      const Value* value = loader.load(plan.source);
      return value ? *value : Value();
    }
    case ResultPlan::Kind::kTuple:
    case ResultPlan::Kind::kList: {
      std::vector<Value> items;
      for (const ResultPlan& item : plan.items) items.push_back(build_result(item, values, loader));
      return plan.kind == ResultPlan::Kind::kTuple ? make_tuple(std::move(items))
                                                   : make_list(std::move(items));
    }
  }
  return Value();
}

}  // namespace

std::optional<Value> run_capture(Interpreter& vm, const Capture& capture, SourceLoader& loader) {
  std::vector<Tensor> values(capture.values.size());
  for (std::size_t i = 0; i < capture.values.size(); ++i) {
    const CapturedValue& value = capture.values[i];
    if (value.kind == CapturedValue::Kind::kConstant) values[i] = value.constant;
    if (value.kind == CapturedValue::Kind::kPlaceholder) {
      const Value* input = loader.load(value.source);
      if (!input || !input->is(ObjectKind::TensorBox))
        return vm.raise(ErrorKind::RuntimeError, "a captured input is no longer a tensor");
      values[i] = input->as<TensorBoxObject>().tensor;
    }
  }
  // Call outputs follow their call in `values`, so one pass in order fills everything.
  std::vector<Tensor> inputs;
  for (std::size_t c = 0; c < capture.calls.size(); ++c) {
    const CapturedCall& call = capture.calls[c];
    inputs.clear();
    for (int input : call.inputs) inputs.push_back(values[input]);
    auto outputs = eager::run(call.op, inputs, call.attrs);
    if (!outputs.ok()) return vm.raise(outputs.error());
    for (std::size_t i = 0; i < capture.values.size(); ++i) {
      const CapturedValue& value = capture.values[i];
      if (value.kind == CapturedValue::Kind::kCallOutput && value.call == static_cast<int>(c))
        values[i] = (*outputs)[value.output];
    }
  }
  return build_result(capture.result, values, loader);
}

std::string Capture::describe() const {
  std::string text;
  auto name = [&](int index) {
    const CapturedValue& value = values[index];
    switch (value.kind) {
      case CapturedValue::Kind::kPlaceholder:
        return sources.describe(value.source);
      case CapturedValue::Kind::kConstant:
        return fmt::format("const{}", index);
      case CapturedValue::Kind::kCallOutput:
        return fmt::format("v{}", index);
    }
    return std::string("?");
  };
  for (std::size_t i = 0; i < values.size(); ++i) {
    const CapturedValue& value = values[i];
    if (value.kind != CapturedValue::Kind::kCallOutput || value.output != 0) continue;
    const CapturedCall& call = calls[value.call];
    std::string arguments;
    for (int input : call.inputs)
      arguments += fmt::format("{}{}", arguments.empty() ? "" : ", ", name(input));
    text += fmt::format("{} = {}({})\n", name(static_cast<int>(i)), op_name(call.op), arguments);
  }
  return text;
}

}  // namespace gyro
