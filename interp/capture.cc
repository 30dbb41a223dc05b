// Running a capture's compiled graph and rebuilding the frame's result.
#include "interp/capture.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <new>

#include "backends/eager/eager.h"

#include "interp/guard_check.h"
#include "interp/interpreter.h"
#include "interp/objects.h"
#include "ir/graph_printer.h"

namespace gyro {

namespace {

// A graph run's input tensors: up to kInline on the native stack (constructed only as they
// are added), more on the heap, so a hit allocates nothing for them.
class RunInputs {
 public:
  explicit RunInputs(std::size_t count) : on_heap_(count > kInline) {
    if (on_heap_) heap_.reserve(count);
  }
  ~RunInputs() {
    for (std::size_t i = 0; i < inline_count_; ++i) inline_tensors()[i].~Tensor();
  }
  RunInputs(const RunInputs&) = delete;
  RunInputs& operator=(const RunInputs&) = delete;

  void push_back(const Tensor& tensor) {
    if (on_heap_)
      heap_.push_back(tensor);
    else
      new (inline_tensors() + inline_count_++) Tensor(tensor);
  }
  std::span<const Tensor> tensors() {
    if (on_heap_) return heap_;
    return {inline_tensors(), inline_count_};
  }

 private:
  static constexpr std::size_t kInline = 4;
  Tensor* inline_tensors() { return std::launder(reinterpret_cast<Tensor*>(storage_)); }

  bool on_heap_;
  std::size_t inline_count_ = 0;
  alignas(Tensor) std::byte storage_[kInline * sizeof(Tensor)];
  std::vector<Tensor> heap_;
};

std::optional<Value> reload(Interpreter& vm, guards::SourceId source, SourceLoader& loader) {
  const Value* value = loader.load(source);
  if (!value) return vm.raise(ErrorKind::RuntimeError, "a captured value is no longer there");
  return *value;
}

}  // namespace

namespace {

// The contents of a list, dict or object made in the trace, put into the instance already
// registered in its slot.
bool fill_made(Interpreter& vm, const ResultPlan& plan, const Value& made,
               std::span<const Tensor> outputs, SourceLoader& loader) {
  if (plan.kind == ResultPlan::Kind::kList) {
    for (const ResultPlan& item : plan.items) {
      auto value = build_value(vm, item, outputs, loader);
      if (!value) return false;
      made.as<ListObject>().items.push_back(std::move(*value));
    }
    return true;
  }
  Dict& table = plan.kind == ResultPlan::Kind::kDict
                    ? made.as<DictObject>().table
                    : made.as<InstanceObject>().attributes.as<DictObject>().table;
  for (std::size_t i = 0; i + 1 < plan.items.size(); i += 2) {
    auto key = build_value(vm, plan.items[i], outputs, loader);
    if (!key) return false;
    auto value = build_value(vm, plan.items[i + 1], outputs, loader);
    if (!value) return false;
    Status status = table.set(std::move(*key), std::move(*value));
    if (!status.ok()) {
      vm.raise(status.error());
      return false;
    }
  }
  return true;
}

}  // namespace

// A symbolic int's value on this call: its symbols read again from their sources (the guards
// just bound them to these values).
std::optional<Value> build_sym_int(Interpreter& vm, const ResultPlan& plan, SourceLoader& loader) {
  int64_t bindings[guards::kMaxShapeSymbols];
  std::fill_n(bindings, guards::kMaxShapeSymbols, guards::kUnbound);
  for (std::size_t i = 0; i < plan.symbols.size(); ++i) {
    const auto [source, dim] = plan.symbols[i];
    const Value* value = source == guards::kNoSource ? nullptr : loader.load(source);
    if (!value) continue;
    if (dim < 0 && value->is_int()) {
      bindings[i] = value->as_int();
    } else if (dim >= 0 && value->is(ObjectKind::TensorBox) &&
               dim < value->as<TensorBoxObject>().tensor.dim()) {
      bindings[i] = value->as<TensorBoxObject>().tensor.size(dim);
    }
  }
  auto result = guards::evaluate_expression(plan.expression, bindings);
  if (!result) return vm.raise(ErrorKind::OverflowError, "a size computation overflows int64");
  return Value::integer(*result);
}

namespace {
std::optional<Value> build_contents(Interpreter& vm, const ResultPlan& plan,
                                    std::span<const Tensor> outputs, SourceLoader& loader);
}  // namespace

std::optional<Value> build_value(Interpreter& vm, const ResultPlan& plan,
                                 std::span<const Tensor> outputs, SourceLoader& loader) {
  if (plan.made >= 0) {
    // A tensor, list, dict or object made in the trace: the first plan of it builds it (and
    // registers it before filling it, so a structure that contains itself finds itself).
    if (!loader.made(plan.made).is_none()) return loader.made(plan.made);
    switch (plan.kind) {
      case ResultPlan::Kind::kTensor:
        return loader.made(plan.made) = make_tensor(outputs[plan.output]);
      case ResultPlan::Kind::kView:
      case ResultPlan::Kind::kTuple: {
        // Built whole, then registered (a tuple cannot hold itself).
        auto built = build_contents(vm, plan, outputs, loader);
        if (built) loader.made(plan.made) = *built;
        return built;
      }
      case ResultPlan::Kind::kList:
        loader.made(plan.made) = make_list();
        break;
      case ResultPlan::Kind::kDict:
        loader.made(plan.made) = make_dict();
        break;
      case ResultPlan::Kind::kNewObject:
        loader.made(plan.made) = make_instance(plan.constant);
        break;
      default:
        GYRO_UNREACHABLE("a made plan of another kind");
    }
    Value made = loader.made(plan.made);
    if (!fill_made(vm, plan, made, outputs, loader)) return std::nullopt;
    return made;
  }
  return build_contents(vm, plan, outputs, loader);
}

namespace {

// What a plan builds, whatever its made slot says (the caller minds the slot).
std::optional<Value> build_contents(Interpreter& vm, const ResultPlan& plan,
                                    std::span<const Tensor> outputs, SourceLoader& loader) {
  switch (plan.kind) {
    case ResultPlan::Kind::kTensor:
      return make_tensor(outputs[plan.output]);
    case ResultPlan::Kind::kConstant:
      return plan.constant;
    case ResultPlan::Kind::kSource:
      return reload(vm, plan.source, loader);
    case ResultPlan::Kind::kNoSelf:
      return vm.no_self_marker();
    case ResultPlan::Kind::kTuple:
    case ResultPlan::Kind::kList:
    case ResultPlan::Kind::kIterator: {
      std::vector<Value> items;
      items.reserve(plan.items.size());
      for (const ResultPlan& item : plan.items) {
        // The inputs handed back (`return x, y`) are the common item: no recursion for them.
        if (item.kind == ResultPlan::Kind::kSource) {
          if (const Value* value = loader.load(item.source)) {
            items.push_back(*value);
            continue;
          }
        }
        auto value = build_value(vm, item, outputs, loader);
        if (!value) return std::nullopt;
        items.push_back(std::move(*value));
      }
      if (plan.kind == ResultPlan::Kind::kList) return make_list(std::move(items));
      Value tuple = make_tuple(std::move(items));
      if (plan.kind == ResultPlan::Kind::kTuple) return tuple;
      return vm.iterate(tuple);
    }
    case ResultPlan::Kind::kDict: {
      Value dict = make_dict();
      Dict& table = dict.as<DictObject>().table;
      for (std::size_t i = 0; i + 1 < plan.items.size(); i += 2) {
        auto key = build_value(vm, plan.items[i], outputs, loader);
        if (!key) return std::nullopt;
        auto value = build_value(vm, plan.items[i + 1], outputs, loader);
        if (!value) return std::nullopt;
        Status status = table.set(std::move(*key), std::move(*value));
        if (!status.ok()) return vm.raise(status.error());
      }
      return dict;
    }
    case ResultPlan::Kind::kNewObject: {
      Value instance = make_instance(plan.constant);
      Dict& fields = instance.as<InstanceObject>().attributes.as<DictObject>().table;
      for (std::size_t i = 0; i + 1 < plan.items.size(); i += 2) {
        auto value = build_value(vm, plan.items[i + 1], outputs, loader);
        if (!value) return std::nullopt;
        Status status = fields.set(plan.items[i].constant, std::move(*value));
        if (!status.ok()) return vm.raise(status.error());
      }
      return instance;
    }
    case ResultPlan::Kind::kView: {
      auto base = build_value(vm, plan.items[0], outputs, loader);
      if (!base) return std::nullopt;
      if (!base->is(ObjectKind::TensorBox))
        return vm.raise(ErrorKind::RuntimeError, "a captured input is no longer a tensor");
      const Tensor input[] = {base->as<TensorBoxObject>().tensor};
      auto views = eager::run(plan.view_op, input, plan.view_attrs);
      if (!views.ok()) return vm.raise(views.error());
      if (static_cast<std::size_t>(plan.output) >= views->size())  // a damaged saved entry
        return vm.raise(ErrorKind::RuntimeError, "a result view has no output {}", plan.output);
      return make_tensor(std::move((*views)[plan.output]));
    }
    case ResultPlan::Kind::kAttribute: {
      auto object = build_value(vm, plan.items[0], outputs, loader);
      if (!object) return std::nullopt;
      return vm.get_attribute(*object, plan.name);
    }
    case ResultPlan::Kind::kSymInt:
      return build_sym_int(vm, plan, loader);
  }
  return Value();
}

}  // namespace

bool replay_effects(Interpreter& vm, const Capture& capture, std::span<const Tensor> outputs,
                    SourceLoader& loader, const Value& globals) {
  for (const SideEffect& effect : capture.effects) {
    std::vector<Value> args;
    for (const ResultPlan& plan : effect.args) {
      auto value = build_value(vm, plan, outputs, loader);
      if (!value) return false;
      args.push_back(std::move(*value));
    }
    switch (effect.kind) {
      case SideEffect::Kind::kPrint: {
        std::vector<KeywordArg> kwargs;
        for (const auto& [name, plan] : effect.kwargs) {
          auto value = build_value(vm, plan, outputs, loader);
          if (!value) return false;
          kwargs.push_back({name, std::move(*value)});
        }
        auto print = vm.builtins().as<DictObject>().table.get(make_str("print"));
        if (!print.ok() || !print->has_value()) return false;
        if (!vm.call(**print, args, kwargs)) return false;
        break;
      }
      case SideEffect::Kind::kSetAttribute: {
        auto target = build_value(vm, effect.target, outputs, loader);
        if (!target || !vm.set_attribute(*target, effect.name, std::move(args[0]))) return false;
        break;
      }
      case SideEffect::Kind::kSetGlobal:
        (void)globals.as<DictObject>().table.set(make_str(effect.name), std::move(args[0]));
        break;
      case SideEffect::Kind::kSetCell: {
        auto& cell = effect.target.constant.as<CellObject>();
        cell.value = std::move(args[0]);
        cell.bound = true;
        break;
      }
      case SideEffect::Kind::kSetItem: {
        auto target = build_value(vm, effect.target, outputs, loader);
        if (target && target->is(ObjectKind::Dict)) {
          Status status = target->as<DictObject>().table.set(args[0], std::move(args[1]));
          if (!status.ok()) {
            vm.raise(status.error());
            return false;
          }
          break;
        }
        if (!target) return false;
        if (!target->is(ObjectKind::List) || !args[0].is_int()) {
          vm.raise(ErrorKind::RuntimeError, "a captured item store no longer targets a list");
          return false;
        }
        auto& items = target->as<ListObject>().items;
        int64_t index = args[0].as_int();
        if (index < 0) index += static_cast<int64_t>(items.size());
        if (index < 0 || index >= static_cast<int64_t>(items.size())) {
          vm.raise(ErrorKind::IndexError, "list assignment index out of range");
          return false;
        }
        items[index] = std::move(args[1]);
        break;
      }
      case SideEffect::Kind::kListAppend: {
        auto target = build_value(vm, effect.target, outputs, loader);
        if (!target) return false;
        if (!target->is(ObjectKind::List)) {
          vm.raise(ErrorKind::RuntimeError, "a captured append no longer targets a list");
          return false;
        }
        target->as<ListObject>().items.push_back(std::move(args[0]));
        break;
      }
    }
  }
  return true;
}

namespace {

// The new values of inputs the graph wrote in place, copied into them. An output that shares
// storage with one of those inputs (a view of its old value, say one a print shows) is copied
// first, so every output keeps the value the graph computed.
bool write_back_inputs(Interpreter& vm, const Capture& capture, std::vector<Tensor>& outputs,
                       SourceLoader& loader) {
  std::vector<const Tensor*> targets;
  for (const Capture::WriteBack& write : capture.write_backs) {
    const Value* input = loader.load(write.source);
    if (!input || !input->is(ObjectKind::TensorBox)) {
      vm.raise(ErrorKind::RuntimeError, "a captured input is no longer a tensor");
      return false;
    }
    targets.push_back(&input->as<TensorBoxObject>().tensor);
  }
  for (Tensor& output : outputs)
    for (const Tensor* target : targets)
      if (output.storage() == target->storage()) {
        auto copy = eager::run1(OpKind::clone, std::span<const Tensor>(&output, 1));
        if (!copy.ok()) {
          vm.raise(copy.error());
          return false;
        }
        output = std::move(*copy);
        break;
      }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    Status status = eager::copy_into(*targets[i], outputs[capture.write_backs[i].output]);
    if (!status.ok()) {
      vm.raise(status.error());
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::vector<Tensor>> run_graph(Interpreter& vm, const Capture& capture,
                                             const Executable& executable, SourceLoader& loader) {
  // A graph with nothing to compute (a function that hands back its inputs) is not run. (Only
  // placeholders: no need to count the calls.)
  const Graph& graph = capture.graph;
  if (graph.outputs().empty() &&
      (graph.nodes().size() == graph.inputs().size() || graph.num_calls() == 0))
    return std::vector<Tensor>();
  RunInputs inputs(capture.inputs.size());
  for (guards::SourceId source : capture.inputs) {
    const Value* input = loader.load(source);
    if (!input || !input->is(ObjectKind::TensorBox))
      return vm.raise(ErrorKind::RuntimeError, "a captured input is no longer a tensor");
    inputs.push_back(input->as<TensorBoxObject>().tensor);
  }
  // TENSOR_MATCH guards have just checked these inputs' dtypes and sizes.
  const bool timed = vm.compile_config().time_graph_runs;
  const auto start =
      timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
  auto outputs = executable.run_checked_elsewhere(inputs.tensors());
  if (timed)
    vm.compile_stats().run_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!outputs.ok()) return vm.raise(outputs.error());
  if (!capture.write_backs.empty() && !write_back_inputs(vm, capture, *outputs, loader))
    return std::nullopt;
  return std::move(*outputs);
}

std::string Capture::describe() const {
  return print_graph(graph);
}

}  // namespace gyro
