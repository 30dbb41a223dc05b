// allow_in_graph's opaque node: calling the script function with the node's tensors, at run
// time and once at trace time on stand-in zeros.
#include "interp/allowed_call.h"

#include <cstring>

#include <fmt/format.h>

#include "backends/eager/eager.h"
#include "interp/python_ops.h"

namespace gyro {

AllowedFunction::AllowedFunction(Interpreter& vm, Value function,
                                 std::vector<AllowedArgument> arguments)
    : vm_(vm), function_(std::move(function)), arguments_(std::move(arguments)) {
  name_ = function_.as<FunctionObject>().code->name;
}

std::string AllowedFunction::format_arguments(std::span<const std::string> input_names) const {
  std::string text;
  for (const AllowedArgument& argument : arguments_) {
    if (!text.empty()) text += ", ";
    if (!argument.keyword.empty()) text += argument.keyword + "=";
    text += argument.input >= 0 ? input_names[argument.input] : repr(argument.constant);
  }
  return text;
}

namespace {

// Calls `function` with each argument in its place (a tensor of `inputs`, or a constant).
std::optional<Value> call_with(Interpreter& vm, const Value& function,
                               std::span<const AllowedArgument> arguments,
                               std::span<const Tensor> inputs) {
  std::vector<Value> args;
  std::vector<KeywordArg> kwargs;
  for (const AllowedArgument& argument : arguments) {
    Value value = argument.input >= 0 ? make_tensor(inputs[argument.input]) : argument.constant;
    if (argument.keyword.empty())
      args.push_back(std::move(value));
    else
      kwargs.push_back({argument.keyword, std::move(value)});
  }
  return vm.call_uncompiled(function, args, kwargs);
}

// The tensors of a result: one tensor, or a tuple or list of them; nullopt for anything else.
std::optional<std::vector<Tensor>> result_tensors(const Value& result) {
  if (result.is(ObjectKind::TensorBox))
    return std::vector<Tensor>{result.as<TensorBoxObject>().tensor};
  if (!result.is(ObjectKind::Tuple) && !result.is(ObjectKind::List)) return std::nullopt;
  std::vector<Tensor> tensors;
  for (const Value& item : sequence_items(result)) {
    if (!item.is(ObjectKind::TensorBox)) return std::nullopt;
    tensors.push_back(item.as<TensorBoxObject>().tensor);
  }
  if (tensors.empty()) return std::nullopt;
  return tensors;
}

// A copy of `value` whose tensors (alone or in tuples) are fresh copies.
std::optional<Value> with_copied_tensors(Interpreter& vm, const Value& value) {
  if (value.is(ObjectKind::TensorBox)) {
    const Tensor source[] = {value.as<TensorBoxObject>().tensor};
    auto copy = eager::run1(OpKind::clone, source);
    if (!copy.ok()) return vm.raise(copy.error());
    return make_tensor(std::move(*copy));
  }
  if (!value.is(ObjectKind::Tuple)) return value;
  std::vector<Value> items;
  for (const Value& item : value.as<TupleObject>().items) {
    auto copy = with_copied_tensors(vm, item);
    if (!copy) return std::nullopt;
    items.push_back(std::move(*copy));
  }
  return make_tuple(std::move(items));
}

}  // namespace

std::optional<Value> AllowedFunction::call_value(std::span<const Tensor> inputs) const {
  return call_with(vm_, function_, arguments_, inputs);
}

std::optional<Value> call_for_constant_result(Interpreter& vm, const Value& function,
                                              std::span<const AllowedArgument> arguments) {
  auto result = call_with(vm, function, arguments, {});
  if (!result) return std::nullopt;
  return with_copied_tensors(vm, *result);
}

Expected<std::vector<Tensor>> AllowedFunction::call(std::span<const Tensor> inputs) const {
  auto result = call_value(inputs);
  if (!result) return vm_.exception_as_error();
  auto tensors = result_tensors(*result);
  if (!tensors)
    return make_error(ErrorKind::RuntimeError,
                      "{}() (allow_in_graph) returned {}, not a tensor or a tuple of tensors",
                      name_, type_name(*result));
  return std::move(*tensors);
}

std::optional<AllowedResult> AllowedFunction::trace(std::span<const TensorMeta> inputs,
                                                    std::string& why, bool& raised) const {
  raised = false;
  std::vector<Tensor> stand_ins;
  for (const TensorMeta& meta : inputs) {
    auto zeros = Tensor::empty(meta.sizes, meta.dtype);
    if (!zeros.ok()) {
      why = zeros.error().message;
      return std::nullopt;
    }
    // Every dtype's zero is all zero bits.
    std::memset(zeros->raw_data(), 0, zeros->numel() * zeros->itemsize());
    stand_ins.push_back(std::move(*zeros));
  }
  auto result = vm_.run_quietly([&] { return call_value(stand_ins); });
  if (!result) {
    raised = true;
    why = str(vm_.exception());
    return std::nullopt;
  }
  auto tensors = result_tensors(*result);
  if (!tensors) {
    why = fmt::format("{}() returned {}, not a tensor or a tuple of tensors", name_,
                      type_name(*result));
    return std::nullopt;
  }
  AllowedResult traced;
  traced.is_tuple = !result->is(ObjectKind::TensorBox);
  for (const Tensor& tensor : *tensors) traced.metas.push_back(TensorMeta::of(tensor));
  return traced;
}

}  // namespace gyro
