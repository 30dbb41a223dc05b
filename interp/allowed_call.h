// allow_in_graph's opaque node: a script function that a graph calls through the VM, with the
// node's tensors and the call's constants in their argument positions; and
// assume_constant_result's trace-time call.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "interp/interpreter.h"
#include "ir/infer.h"
#include "ir/opaque_call.h"

namespace gyro {

// One argument of the call: the node's tensor input `input`, or (input < 0) a constant known
// when tracing; `keyword` empty for a positional argument.
struct AllowedArgument {
  std::string keyword;
  int input = -1;
  Value constant;
};

// What the trace-time call returned: one tensor, or a tuple (or list) of tensors.
struct AllowedResult {
  std::vector<TensorMeta> metas;
  bool is_tuple = false;
};

class AllowedFunction final : public OpaqueFunction {
 public:
  AllowedFunction(Interpreter& vm, Value function, std::vector<AllowedArgument> arguments);

  const std::string& name() const override { return name_; }
  std::string format_arguments(std::span<const std::string> input_names) const override;
  // Runs the function uncompiled (its calls are not compiled: the node is one graph op).
  Expected<std::vector<Tensor>> call(std::span<const Tensor> inputs) const override;

  // The trace-time call, as Dynamo propagates fake tensors: the function runs once on zeros of
  // the inputs' dtypes and sizes with print() silenced. nullopt with `why` set when it raised
  // (the exception stays pending on the VM: `raised` is set) or returned something other
  // than a tensor or a tuple of tensors.
  std::optional<AllowedResult> trace(std::span<const TensorMeta> inputs, std::string& why,
                                     bool& raised) const;

 private:
  std::optional<Value> call_value(std::span<const Tensor> inputs) const;

  Interpreter& vm_;
  Value function_;
  std::vector<AllowedArgument> arguments_;
  std::string name_;
};

// assume_constant_result's trace-time call: `function` with the call's constants (uncompiled).
// A tensor in the result (alone or in a tuple) is copied, so the capture's constant never
// changes when the program later writes to the tensor it returned. nullopt if it raised.
std::optional<Value> call_for_constant_result(Interpreter& vm, const Value& function,
                                              std::span<const AllowedArgument> arguments);

}  // namespace gyro
