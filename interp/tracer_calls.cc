// Calls: tensor and list methods, ops, builtins, marked functions (allow_in_graph,
// assume_constant_result), and script functions inlined with their cells.
#include <unordered_set>
#include <utility>
#include <vector>

#include "interp/tracer_impl.h"

namespace gyro::tracing {

std::optional<Sym> Tracer::call(const Sym& callable, std::vector<Sym> args,
                                std::vector<std::pair<std::string, Sym>> kwargs, int depth) {
  // The one place calls are dispatched: symbolic ints reach an op's attributes as they are
  // (the graph builder keeps or specializes them); every other callee sees their values.
  if (!takes_sym_ints(callable)) {
    for (Sym& arg : args)
      if (holds_sym_int(arg)) arg = specialized(arg);
    for (auto& keyword : kwargs)
      if (holds_sym_int(keyword.second)) keyword.second = specialized(keyword.second);
  }
  if (callable.kind == Sym::Kind::kTensorMethod && (*callable.items)[0].kind == Sym::Kind::kDict)
    return dict_method((*callable.items)[0], callable.name, args, !kwargs.empty());
  if (callable.kind == Sym::Kind::kTensorMethod && (*callable.items)[0].kind == Sym::Kind::kList) {
    // list.append on a list the trace sees: its symbolic items change, and a list that
    // existed before the call is changed again for real after the graph.
    const Sym& self = (*callable.items)[0];
    if (callable.name != "append" || args.size() != 1 || !kwargs.empty())
      return stop(BreakReason::UnsupportedBuiltin, "list." + callable.name + "()");
    if (self.source != kNoSource) {
      note_store(self);
      auto value = plan_state(args[0]);
      if (!value) return stop(BreakReason::SideEffect, "appending this value");
      SideEffect effect;
      effect.kind = SideEffect::Kind::kListAppend;
      effect.target = plan(self);
      effect.args.push_back(std::move(*value));
      capture_.effects.push_back(std::move(effect));
    }
    if (self.source == kNoSource && !may_change(self)) return std::nullopt;
    self.items->push_back(args[0]);
    changed_items_.push_back(self.items);
    if (self.source == kNoSource) made_writes_.push_back(self.items.get());
    return Sym::constant(Value());
  }
  if (callable.kind == Sym::Kind::kTensorMethod) {
    const Sym& self = (*callable.items)[0];
    const TensorMeta& meta = meta_of(self.tensor);
    if (callable.name == "size") {
      if (args.empty()) return attribute(self, "shape");
      if (args[0].kind != Sym::Kind::kConstant || !args[0].value.is_integral())
        return stop(BreakReason::UnsupportedBuiltin, "size() argument");
      int64_t rank = std::max<int64_t>(meta.sizes.size(), 1), dim = args[0].value.as_int();
      if (dim < -rank || dim >= rank)
        return stop(BreakReason::UserError, "size(): dim out of range");
      if (dim < 0) dim += rank;
      if (meta.sizes.size() == 0) return Sym::constant(Value::integer(1));
      return sym_int(builder_.sym_sizes(ValueId{vars_[self.tensor].value})[static_cast<int>(dim)]);
    }
    if (callable.name == "dim") return Sym::constant(Value::integer(meta.sizes.size()));
    if (callable.name == "numel") {
      SymDim count(1);
      for (const SymDim& size : builder_.sym_sizes(ValueId{vars_[self.tensor].value}))
        count = count * size;
      return sym_int(count);
    }
    if (callable.name == "item" || callable.name == "tolist")
      return stop(BreakReason::TensorToPython, callable.name + "()");
    // x.float(), x.double(), x.long(), x.bool(): x.to(dtype), as the VM runs them; their
    // argument errors are the VM's (the trace stops and the VM raises them).
    static constexpr std::pair<std::string_view, DType> kConversions[] = {
        {"float", DType::Float32}, {"double", DType::Float64},
        {"long", DType::Int64},    {"bool", DType::Bool}};
    for (const auto& [name, dtype] : kConversions) {
      if (callable.name != name) continue;
      if (!args.empty() || !kwargs.empty())
        return stop(BreakReason::UserError, fmt::format("{}() arguments", name));
      std::vector<Sym> to_args{self, Sym::constant(dtype_value(dtype))};
      return call_op(OpKind::to, to_args, {});
    }
    if (callable.name == "is_floating_point" && args.empty() && kwargs.empty())
      return Sym::constant(Value::boolean(is_floating(meta.dtype)));
    if (callable.name == "element_size" && args.empty() && kwargs.empty())
      return Sym::constant(Value::integer(static_cast<int64_t>(dtype_size(meta.dtype))));
    static constexpr std::string_view kInPlace[] = {"add_",  "sub_",  "mul_", "div_",
                                                    "fill_", "zero_", "copy_"};
    if (std::find(std::begin(kInPlace), std::end(kInPlace), callable.name) != std::end(kInPlace))
      return in_place_method(self, callable.name, args, !kwargs.empty());
    auto op = op_from_name(callable.name);
    if (!op)
      return stop(BreakReason::UnsupportedBuiltin,
                  fmt::format("tensor method '{}'", callable.name));
    args.insert(args.begin(), self);
    return call_op(*op, args, kwargs);
  }
  if (callable.kind == Sym::Kind::kClosure)
    return inline_call(callable.value, std::move(args), std::move(kwargs), depth,
                       callable.items.get());
  if (callable.kind == Sym::Kind::kMethod) {
    args.insert(args.begin(), (*callable.items)[0]);
    return inline_call(callable.value, std::move(args), std::move(kwargs), depth, nullptr,
                       callable.source);
  }
  if (callable.kind == Sym::Kind::kObject || callable.kind == Sym::Kind::kNewObject) {
    // A module's forward pass: the instance's __call__.
    auto method = attribute(callable, "__call__");
    if (!method) return std::nullopt;
    return call(*method, std::move(args), std::move(kwargs), depth);
  }
  if (callable.kind != Sym::Kind::kConstant)
    return stop(BreakReason::UnsupportedBuiltin, "calling this value");
  const Value& target = callable.value;
  if (target.is(ObjectKind::Function)) {
    if (TraceMark mark = vm_.trace_mark(target); mark != TraceMark::kNone)
      return call_marked(target, mark, args, kwargs);
    return inline_call(target, std::move(args), std::move(kwargs), depth, nullptr, callable.source);
  }
  if (target.is(ObjectKind::CompiledFunction)) {
    // Inside a trace a compiled function is just its function (one graph, not two).
    const auto& compiled = target.as<CompiledFunctionObject>();
    if (!compiled.self.is_none()) {
      auto self = realize(compiled.self, kNoSource);
      if (!self) return std::nullopt;
      args.insert(args.begin(), std::move(*self));
    }
    return inline_call(compiled.function, std::move(args), std::move(kwargs), depth);
  }
  if (target.is(ObjectKind::HostFunction))
    return stop(BreakReason::HostFunction, target.as<HostFunctionObject>().name + "()");
  if (target.is(ObjectKind::Builtin)) {
    const auto& builtin = target.as<BuiltinObject>();
    if (!builtin.self.is_none()) return stop(BreakReason::UnsupportedBuiltin, builtin.name);
    if (auto op = op_of_builtin(builtin.fn)) return call_op(*op, args, kwargs);
    // A native function the host added (not the interpreter's own builtin of that name) is
    // opaque to the trace.
    auto installed = vm_.builtins().as<DictObject>().table.get(make_str(builtin.name));
    if (!installed.ok() || !installed->has_value() || !identical(**installed, target))
      return stop(BreakReason::HostFunction, builtin.name + "()");
    return call_builtin(builtin.name, args, kwargs);
  }
  if (target.is(ObjectKind::Class) && target.as<ClassObject>().builtin_tag >= 0 &&
      !target.as<ClassObject>().is_exception) {
    const std::string& name = target.as<ClassObject>().name;
    if (name == "tuple" || name == "list") {
      // tuple(xs) / list(xs) of known items: a new container of the same items.
      if (args.size() == 1 && kwargs.empty() &&
          (args[0].kind == Sym::Kind::kTuple || args[0].kind == Sym::Kind::kList))
        return Sym::sequence(name == "tuple" ? Sym::Kind::kTuple : Sym::Kind::kList,
                             *args[0].items);
      return stop(BreakReason::UnsupportedBuiltin, name + "() of this value");
    }
    // range, int, float, bool, str of known values: pure, so computed now.
    std::vector<Value> values;
    for (const Sym& arg : args) {
      if (arg.kind != Sym::Kind::kConstant || !kwargs.empty())
        return stop(BreakReason::UnsupportedBuiltin, name + "() of a traced value");
      values.push_back(arg.value);
    }
    auto result = vm_.call(target, values);
    if (!result) return stop(BreakReason::UserError, str(vm_.exception()));
    return Sym::constant(*result);
  }
  if (target.is(ObjectKind::Class) && target.as<ClassObject>().builtin_tag < 0 &&
      !target.as<ClassObject>().is_exception)
    return instantiate(callable, std::move(args), std::move(kwargs), depth);
  return stop(BreakReason::UnsupportedBuiltin, fmt::format("calling '{}'", type_name(target)));
}

std::optional<Sym> Tracer::call_marked(const Value& function, TraceMark mark,
                                       std::span<const Sym> args,
                                       std::span<const std::pair<std::string, Sym>> kwargs) {
  const std::string& name = function.as<FunctionObject>().code->name;
  std::vector<AllowedArgument> arguments;
  std::vector<ValueId> inputs;
  std::vector<TensorMeta> input_metas;
  auto add = [&](const std::string& keyword, const Sym& arg) {
    if (arg.kind == Sym::Kind::kTensor && mark == TraceMark::kAllowInGraph) {
      arguments.push_back({keyword, static_cast<int>(inputs.size()), Value()});
      inputs.push_back(ValueId{current(arg.tensor)});
      static_sizes(arg.tensor);  // its outputs' sizes were learnt for these sizes only
      input_metas.push_back(meta_of(arg.tensor));
      return true;
    }
    auto constant = constant_index(arg);  // a constant, or a tuple of constants
    if (!constant) return false;
    arguments.push_back({keyword, -1, *constant});
    return true;
  };
  const BreakReason misuse = mark == TraceMark::kAllowInGraph
                                 ? BreakReason::AllowInGraphCall
                                 : BreakReason::ConstantResultArguments;
  for (const Sym& arg : args)
    if (!add("", arg)) return stop(misuse, name + "() argument");
  for (const auto& [keyword, arg] : kwargs)
    if (!add(keyword, arg)) return stop(misuse, name + "() argument " + keyword);
  if (mark == TraceMark::kAssumeConstantResult) {
    auto result = call_for_constant_result(vm_, function, arguments);
    if (!result) return stop(BreakReason::UserError, str(vm_.exception()));
    auto baked = constant_result(*result);
    if (!baked) return stop(misuse, name + "() returned " + std::string(type_name(*result)));
    return baked;
  }
  auto allowed = std::make_shared<const AllowedFunction>(vm_, function, std::move(arguments));
  std::string why;
  bool raised = false;
  auto traced = allowed->trace(input_metas, why, raised);
  if (!traced) return stop(raised ? BreakReason::UserError : misuse, why);
  std::vector<Sym> outputs;
  for (ValueId value : builder_.opaque_call(allowed, inputs, traced->metas))
    outputs.push_back(tensor_sym(new_var(value.index)));
  if (!traced->is_tuple) return outputs[0];
  return Sym::sequence(Sym::Kind::kTuple, std::move(outputs));
}

std::optional<Sym> Tracer::constant_result(const Value& value) {
  if (value.is_none() || value.is_bool() || value.is_int() || value.is_float() ||
      value.is(ObjectKind::Str) || value.is(ObjectKind::DTypeValue))
    return Sym::constant(value);
  if (value.is(ObjectKind::TensorBox))
    return tensor_sym(new_var(builder_.constant(value.as<TensorBoxObject>().tensor).index));
  if (!value.is(ObjectKind::Tuple)) return std::nullopt;
  std::vector<Sym> items;
  for (const Value& item : value.as<TupleObject>().items) {
    auto sym = constant_result(item);
    if (!sym) return std::nullopt;
    items.push_back(std::move(*sym));
  }
  return Sym::sequence(Sym::Kind::kTuple, std::move(items));
}

std::optional<OpKind> Tracer::op_of_builtin(BuiltinFn fn) {
  if (op_builtins_.empty())
    for (int i = 0; i < kNumOps; ++i)
      op_builtins_.emplace(tensor_op_builtin(static_cast<OpKind>(i)), static_cast<OpKind>(i));
  auto it = op_builtins_.find(fn);
  if (it == op_builtins_.end()) return std::nullopt;
  return it->second;
}

std::optional<Sym> Tracer::call_builtin(const std::string& name, std::span<const Sym> args,
                                        std::span<const std::pair<std::string, Sym>> kwargs) {
  if (name == "graph_break") return stop(BreakReason::GraphBreakCall);
  if (name == "print") {
    // Recorded, and replayed after the graph with the values it shows now (a tensor written
    // later is shown as it is at this print).
    SideEffect effect;
    struct AtThisPoint {
      bool& flag;
      ~AtThisPoint() { flag = false; }
    } at_this_point{planning_print_ = true};
    // A print shows a snapshot: the containers it shows are built apart from those the
    // result, stores and breaks rebuild (sharing their slots, the result reused the print's
    // snapshot, or the print showed final values). Its own slots still tie a list that holds
    // itself together.
    struct OwnSlots {
      Tracer& tracer;
      decltype(made_slots_) slots;
      decltype(fully_planned_) full;
      ~OwnSlots() {
        tracer.made_slots_ = std::move(slots);
        tracer.fully_planned_ = std::move(full);
      }
    } own_slots{*this, std::exchange(made_slots_, {}), std::exchange(fully_planned_, {})};
    for (const Sym& arg : args) {
      auto planned = plan_state(arg);
      if (!planned) return stop(BreakReason::SideEffect, "print() of this value");
      effect.args.push_back(std::move(*planned));
    }
    for (const auto& [keyword, value] : kwargs) {
      if (keyword != "sep" && keyword != "end")
        return stop(BreakReason::SideEffect, "print() with " + keyword + "=");
      auto planned = plan_state(value);
      if (!planned) return stop(BreakReason::SideEffect, "print() of this value");
      effect.kwargs.push_back({keyword, std::move(*planned)});
    }
    capture_.effects.push_back(std::move(effect));
    return Sym::constant(Value());
  }
  if (!kwargs.empty()) return stop(BreakReason::UnsupportedBuiltin, name + "() with keywords");
  if (name == "len" && args.size() == 1) {
    const Sym& arg = args[0];
    if (arg.kind == Sym::Kind::kDict)
      return Sym::constant(Value::integer(static_cast<int64_t>(arg.items->size() / 2)));
    if (arg.kind == Sym::Kind::kTuple || arg.kind == Sym::Kind::kList)
      return Sym::constant(Value::integer(static_cast<int64_t>(arg.items->size())));
    if (arg.kind == Sym::Kind::kTensor) {
      const TensorMeta& meta = meta_of(arg.tensor);
      if (meta.sizes.size() == 0) return stop(BreakReason::UserError, "len() of a 0-d tensor");
      return sym_int(builder_.sym_sizes(ValueId{vars_[arg.tensor].value})[0]);
    }
    if (arg.kind == Sym::Kind::kConstant && arg.value.is(ObjectKind::Str))
      return Sym::constant(Value::integer(arg.value.as<StrObject>().length()));
  }
  if (name == "range") {
    std::vector<Value> values;
    for (const Sym& arg : args) {
      if (arg.kind != Sym::Kind::kConstant)
        return stop(BreakReason::UnsupportedBuiltin, "range() of a non-constant");
      values.push_back(arg.value);
    }
    auto range = vm_.call(vm_.builtin_class("range"), values);
    if (!range) {
      std::string message = str(vm_.exception());
      return stop(BreakReason::UserError, message);
    }
    return Sym::constant(*range);
  }
  if (name == "is_compiling") return Sym::constant(Value::boolean(true));
  if (name == "isinstance" && args.size() == 2 && args[1].kind == Sym::Kind::kConstant) {
    // The type is known: tensors are Tensors, objects and containers have guarded types.
    const Value& cls = args[1].value;
    const Sym& subject = args[0];
    Value example;
    switch (subject.kind) {
      case Sym::Kind::kConstant:
      case Sym::Kind::kObject:
        example = subject.value;
        break;
      case Sym::Kind::kNewObject:
        example = make_instance(subject.value);
        break;
      case Sym::Kind::kDict:
        example = make_dict();
        break;
      case Sym::Kind::kTensor:
        example = make_tensor(Tensor::scalar(0, DType::Float32));
        break;
      case Sym::Kind::kTuple:
        example = make_tuple();
        break;
      case Sym::Kind::kList:
        example = make_list();
        break;
      default:
        return stop(BreakReason::UnsupportedBuiltin, "isinstance() of this value");
    }
    bool match = false;
    if (cls.is(ObjectKind::Tuple)) {
      for (const Value& each : cls.as<TupleObject>().items) match |= vm_.is_instance(example, each);
    } else if (cls.is(ObjectKind::Class)) {
      match = vm_.is_instance(example, cls);
    } else {
      return stop(BreakReason::UserError, "isinstance() arg 2 must be a type or tuple of types");
    }
    return Sym::constant(Value::boolean(match));
  }
  if ((name == "enumerate" || name == "zip") && !args.empty()) {
    // Iterators over known items: the loop unrolls over tuples of them.
    std::vector<const std::vector<Sym>*> sequences;
    for (const Sym& arg : args) {
      if (arg.kind != Sym::Kind::kTuple && arg.kind != Sym::Kind::kList)
        return stop(BreakReason::UnsupportedBuiltin, name + "() of this value");
      sequences.push_back(arg.items.get());
    }
    if (name == "enumerate" && args.size() != 1)
      return stop(BreakReason::UnsupportedBuiltin, "enumerate() with a start");
    std::size_t count = sequences[0]->size();
    for (const auto* sequence : sequences) count = std::min(count, sequence->size());
    std::vector<Sym> items;
    for (std::size_t i = 0; i < count; ++i) {
      std::vector<Sym> parts;
      if (name == "enumerate")
        parts.push_back(Sym::constant(Value::integer(static_cast<int64_t>(i))));
      for (const auto* sequence : sequences) parts.push_back((*sequence)[i]);
      items.push_back(Sym::sequence(Sym::Kind::kTuple, std::move(parts)));
    }
    Sym iterator = Sym::sequence(Sym::Kind::kIterator, std::move(items));
    return iterator;
  }
  return stop(BreakReason::UnsupportedBuiltin, name + "()");
}

std::optional<Sym> Tracer::inline_call(const Value& function, std::vector<Sym> args,
                                       std::vector<std::pair<std::string, Sym>> kwargs, int depth,
                                       const std::vector<Sym>* closure, SourceId function_source) {
  if (depth + 1 > kMaxInlineDepth) return stop(BreakReason::InlineDepth);
  const auto& fn = function.as<FunctionObject>();
  if (!fn.globals.is(ObjectKind::Dict))  // a code constant without MAKE_FUNCTION: the VM raises
    return stop(BreakReason::UserError, fmt::format("{}() is not a function", fn.code->name));
  const Code& code = *fn.code;
  std::vector<std::optional<Sym>> locals(code.local_names.size());
  const bool varargs = code.flags & kVarargs;
  const std::size_t positional = code.arg_count - (varargs ? 1 : 0);
  if (varargs) {
    // *args collects the extra positional arguments into a tuple.
    std::vector<Sym> extra;
    if (args.size() > positional) {
      extra.assign(args.begin() + positional, args.end());
      args.resize(positional);
    }
    locals[positional] = Sym::sequence(Sym::Kind::kTuple, std::move(extra));
  }
  if (args.size() > positional)
    return stop(BreakReason::UserError,
                fmt::format("{}() takes {} positional arguments", code.name, positional));
  for (std::size_t i = 0; i < args.size(); ++i) locals[i] = std::move(args[i]);
  for (auto& [name, value] : kwargs) {
    std::size_t index = 0;
    while (index < positional && code.local_names[index] != name) ++index;
    if (index == positional || locals[index])
      return stop(BreakReason::UserError, fmt::format("{}() keyword '{}'", code.name, name));
    locals[index] = std::move(value);
  }
  const std::vector<Value>* defaults =
      fn.defaults.is(ObjectKind::Tuple) ? &fn.defaults.as<TupleObject>().items : nullptr;
  std::size_t first_default = positional - (defaults ? defaults->size() : 0);
  for (std::size_t i = 0; i < positional; ++i) {
    if (locals[i]) continue;
    if (!defaults || i < first_default)
      return stop(BreakReason::UserError,
                  fmt::format("{}() missing argument '{}'", code.name, code.local_names[i]));
    auto value = realize((*defaults)[i - first_default], kNoSource);
    if (!value) return std::nullopt;
    locals[i] = std::move(*value);
  }
  auto cells = make_cells(fn, locals, closure, function_source, /*root=*/false);
  if (!cells) return std::nullopt;
  return run_code(fn, std::move(locals), depth + 1, /*root=*/false, 0, {}, std::move(*cells));
}

Sym Tracer::new_cell(std::optional<Sym> value, Value existing) {
  Sym cell = Sym::sequence(Sym::Kind::kCell, {});
  cell.value = std::move(existing);
  if (value) cell.items->push_back(std::move(*value));
  return cell;
}

std::optional<std::vector<Sym>> Tracer::make_cells(const FunctionObject& function,
                                                   const std::vector<std::optional<Sym>>& locals,
                                                   const std::vector<Sym>* closure,
                                                   SourceId function_source, bool root) {
  const Code& code = *function.code;
  std::vector<Sym> cells;
  for (const std::string& name : code.cell_names) {
    std::optional<Sym> initial;
    for (std::size_t i = 0; i < static_cast<std::size_t>(code.arg_count); ++i)
      if (code.local_names[i] == name) initial = locals[i];
    cells.push_back(new_cell(std::move(initial)));
  }
  if (code.free_names.empty()) return cells;
  if (closure) {
    cells.insert(cells.end(), closure->begin(), closure->end());
    return cells;
  }
  if (!function.closure.is(ObjectKind::Tuple) ||
      function.closure.as<TupleObject>().items.size() != code.free_names.size())
    return stop(BreakReason::UserError, code.name + "() without its closure");
  const auto& closure_cells = function.closure.as<TupleObject>().items;
  auto keep = [&](Sym cell, std::size_t i) {
    cells_by_object_.emplace(closure_cells[i].as_object(), cell);
    cells.push_back(std::move(cell));
  };
  for (std::size_t i = 0; i < closure_cells.size(); ++i) {
    if (auto known = cells_by_object_.find(closure_cells[i].as_object());
        known != cells_by_object_.end()) {
      cells.push_back(known->second);  // a sibling closure's cell: one symbolic cell
      continue;
    }
    const auto& object = closure_cells[i].as<CellObject>();
    if (!object.bound) {
      keep(new_cell(std::nullopt, closure_cells[i]), i);
      continue;
    }
    const Value& content = object.value;
    if (root || function_source != kNoSource) {
      auto value =
          realize(content, capture_.sources.cell(root ? kNoSource : function_source,
                                                 static_cast<int64_t>(i), code.free_names[i]));
      if (!value) return std::nullopt;
      keep(new_cell(std::move(*value), closure_cells[i]), i);
      continue;
    }
    if (!(content.is(ObjectKind::Function) || content.is(ObjectKind::Class) ||
          content.is(ObjectKind::Builtin) || content.is(ObjectKind::CompiledFunction)))
      return stop(
          BreakReason::UnsupportedOpcode,
          fmt::format("{}() reads a closure variable holding a {}", code.name, type_name(content)));
    keep(new_cell(Sym::constant(content), closure_cells[i]), i);
  }
  return cells;
}

bool Tracer::made_in_trace(const Sym& value) {
  // Each list or tuple once: a list may hold itself (a.append(a)), and shared ones
  // ([a, a] nested n deep) would otherwise be walked 2^n times. No recursion either, for
  // deep nesting.
  std::vector<const Sym*> pending{&value};
  std::unordered_set<const std::vector<Sym>*> seen;
  while (!pending.empty()) {
    const Sym& each = *pending.back();
    pending.pop_back();
    if (each.kind == Sym::Kind::kCell || each.kind == Sym::Kind::kClosure) return true;
    if ((each.kind == Sym::Kind::kTuple || each.kind == Sym::Kind::kList) &&
        seen.insert(each.items.get()).second)
      for (const Sym& item : *each.items) pending.push_back(&item);
  }
  return false;
}

}  // namespace gyro::tracing
