// Values and operators: op calls recorded into the graph, Python operators, comparisons and
// truth, attributes, and tensor indexing.
#include "interp/tracer_impl.h"

namespace gyro::tracing {

std::optional<int> Tracer::as_tensor(const Sym& operand) {
  if (operand.kind == Sym::Kind::kTensor) return current(operand.tensor);
  if (operand.kind != Sym::Kind::kConstant) return std::nullopt;
  const Value& v = operand.value;
  std::optional<Tensor> scalar;
  if (v.is_bool())
    scalar = Tensor::scalar(v.as_bool(), DType::Bool, /*wrapped=*/true);
  else if (v.is_int())
    scalar = Tensor::integer(v.as_int(), /*wrapped=*/true);
  else if (v.is_float())
    scalar = Tensor::scalar(v.as_float(), DType::Float64, true);
  if (!scalar) return std::nullopt;
  return builder_.constant(*scalar).index;
}

std::optional<std::vector<Sym>> Tracer::emit(OpKind op, std::vector<int> inputs,
                                             std::span<const Attr> positional,
                                             std::span<const NamedAttr> named, int viewed) {
  std::vector<ValueId> ids;
  for (int input : inputs) ids.push_back(ValueId{input});
  // An invalid call (a shape mismatch) is the user's error: the VM will raise it.
  auto values = builder_.call(op, ids, positional, named);
  if (!values.ok()) return stop(BreakReason::UserError, values.error().message);
  const bool is_view = viewed >= 0 && (op_info(op).has(kView) || op_info(op).has(kMayAlias));
  Attrs bound;
  if (is_view) {
    auto attrs = bind_attrs(op, static_cast<int>(ids.size()), positional, named);
    GYRO_ASSERT(attrs.ok(), "attributes the builder accepted do not bind");
    bound = std::move(*attrs);
  }
  std::vector<Sym> outputs;
  for (std::size_t k = 0; k < values->size(); ++k) {
    int var = new_var((*values)[k].index);
    // to() gives its very input for the same dtype, whatever the layout (an alias, not a
    // may-alias), and a copy for another dtype.
    const bool same_dtype_to =
        is_view && op == OpKind::to && meta_of(var).dtype == meta_of(viewed).dtype;
    if (is_view && (op != OpKind::to || same_dtype_to)) {
      TensorVar& view = vars_[var];
      view.base = viewed;
      view.view_op = op;
      view.view_attrs = bound;
      view.view_output = static_cast<int>(k);
      view.may_alias = op_info(op).has(kMayAlias) && !same_dtype_to;
      view.base_version = vars_[viewed].version;
    } else {
      vars_[var].contiguous = true;
    }
    outputs.push_back(tensor_sym(var));
  }
  return outputs;
}

std::optional<Sym> Tracer::emit_one(OpKind op, std::vector<int> inputs,
                                    std::span<const Attr> positional,
                                    std::span<const NamedAttr> named, int viewed) {
  auto outputs = emit(op, std::move(inputs), positional, named, viewed);
  if (!outputs) return std::nullopt;
  if (op_info(op).has(kMultiOutput)) return Sym::sequence(Sym::Kind::kTuple, std::move(*outputs));
  return (*outputs)[0];
}

std::optional<Attr> Tracer::to_attr(const Sym& arg) {
  if (arg.kind == Sym::Kind::kTuple || arg.kind == Sym::Kind::kList) {
    std::vector<int64_t> ints;
    std::vector<SymId> syms;
    bool symbolic = false;
    for (const Sym& item : *arg.items) {
      const bool sym_int = item.kind == Sym::Kind::kSymInt;
      if (!sym_int && (item.kind != Sym::Kind::kConstant || !item.value.is_integral()))
        return std::nullopt;
      ints.push_back(item.value.as_int());
      syms.push_back(sym_int ? item.expr : SymId{});
      symbolic = symbolic || sym_int;
    }
    Attr list = Attr::list(std::move(ints));
    if (symbolic) list.syms = std::move(syms);
    return list;
  }
  if (arg.kind == Sym::Kind::kSymInt) {
    Attr value = Attr::integer(arg.value.as_int());
    value.syms = {arg.expr};
    return value;
  }
  if (arg.kind != Sym::Kind::kConstant) return std::nullopt;
  return value_to_attr(arg.value);
}

std::optional<Sym> Tracer::call_op(OpKind op, std::span<const Sym> args,
                                   std::span<const std::pair<std::string, Sym>> kwargs) {
  SymArguments traits{*this};
  auto mapped = map_op_arguments(op, args, kwargs, traits);
  if (!mapped.ok()) return stop(BreakReason::UnsupportedBuiltin, mapped.error().message);
  int viewed = -1;  // the tensor object whose value is the first input (a view's base)
  if (!mapped->inputs.empty())
    for (const Sym& arg : args)
      if (arg.kind == Sym::Kind::kTensor && vars_[arg.tensor].value == mapped->inputs[0]) {
        viewed = arg.tensor;
        break;
      }
  // view() needs strides that suit the new shape (the VM raises for a view of a strided
  // slice, say); the trace follows strides only as far as knowing a tensor is contiguous.
  if (mapped->op == OpKind::view && viewed >= 0 && !known_contiguous(viewed))
    return stop(BreakReason::UnsupportedBuiltin,
                "view() of a tensor the trace does not know to be contiguous");
  return emit_one(mapped->op, std::move(mapped->inputs), mapped->attrs, mapped->named, viewed);
}

std::optional<Sym> Tracer::binary(Binop op, const Sym& a, const Sym& b) {
  if (auto symbolic = sym_int_binary(op, a, b)) return *symbolic;
  if (a.kind == Sym::Kind::kConstant && b.kind == Sym::Kind::kConstant) {
    auto result = binary_op(op, a.value, b.value);
    if (!result.ok()) return stop(BreakReason::UserError, result.error().message);
    return Sym::constant(*result);
  }
  if (a.kind == Sym::Kind::kTensor || b.kind == Sym::Kind::kTensor) {
    // x += y on a tensor x writes into x (and its views), as the VM does.
    if (base_op(op) != op && a.kind == Sym::Kind::kTensor) return update_in_place(a, op, b);
    std::string_view symbol = binop_symbol(op);
    auto kind = tensor_binop(base_op(op));
    auto left = as_tensor(a), right = as_tensor(b);
    if (!kind || !left || !right)
      return stop(BreakReason::UnsupportedBuiltin, fmt::format("operator '{}'", symbol));
    if ((*kind == OpKind::logical_and || *kind == OpKind::logical_or) &&
        (builder_.meta(ValueId{*left}).dtype != DType::Bool ||
         builder_.meta(ValueId{*right}).dtype != DType::Bool))
      return stop(BreakReason::UserError, fmt::format("'{}' of non-bool tensors", symbol));
    return emit_one(*kind, {*left, *right});
  }
  if ((a.kind == Sym::Kind::kTuple || a.kind == Sym::Kind::kList) && a.kind == b.kind &&
      op == Binop::ADD) {
    std::vector<Sym> items(*a.items);
    items.insert(items.end(), b.items->begin(), b.items->end());
    return Sym::sequence(a.kind, std::move(items));
  }
  return stop(BreakReason::UnsupportedBuiltin, fmt::format("operator '{}'", binop_symbol(op)));
}

std::optional<Sym> Tracer::compare(CompareOp op, const Sym& a, const Sym& b) {
  if (auto symbolic = sym_int_compare(op, a, b)) return *symbolic;
  if (a.kind == Sym::Kind::kConstant && b.kind == Sym::Kind::kConstant) {
    auto result = compare_op(op, a.value, b.value);
    if (!result.ok()) return stop(BreakReason::UserError, result.error().message);
    return Sym::constant(*result);
  }
  if (a.kind == Sym::Kind::kTensor || b.kind == Sym::Kind::kTensor) {
    static constexpr OpKind kOps[] = {OpKind::lt, OpKind::le, OpKind::eq,
                                      OpKind::ne, OpKind::gt, OpKind::ge};
    auto left = as_tensor(a), right = as_tensor(b);
    if (!left || !right) return stop(BreakReason::UnsupportedBuiltin, "comparison");
    return emit_one(kOps[static_cast<int>(op)], {*left, *right});
  }
  return stop(BreakReason::UnsupportedBuiltin, "comparison of containers");
}

std::optional<bool> Tracer::truth(const Sym& condition) {
  if (condition.kind == Sym::Kind::kTensor) return stop(BreakReason::DataDependentBranch);
  if (condition.kind == Sym::Kind::kSymInt) {
    SymContext& context = shapes_.context();
    return shapes_.decide(context.ne(condition.expr, context.constant(0)));
  }
  if (condition.kind == Sym::Kind::kConstant) {
    auto result = truthy(condition.value);
    if (!result.ok()) return stop(BreakReason::UserError, result.error().message);
    return *result;
  }
  if (condition.kind == Sym::Kind::kDict) return !condition.items->empty();
  if (condition.kind == Sym::Kind::kTuple || condition.kind == Sym::Kind::kList)
    return !condition.items->empty();
  // An object whose class defines __bool__ or __len__: the VM calls it (not traced yet).
  if (condition.kind == Sym::Kind::kNewObject || condition.kind == Sym::Kind::kObject) {
    const Value& cls = condition.kind == Sym::Kind::kNewObject
                           ? condition.value
                           : condition.value.as<InstanceObject>().cls;
    if (class_attribute(cls, "__bool__") || class_attribute(cls, "__len__"))
      return stop(BreakReason::UnsupportedBuiltin,
                  "the truth of an object with __bool__ or __len__");
  }
  return true;  // objects, functions and methods are true
}

std::optional<Sym> Tracer::attribute(const Sym& object, const std::string& name) {
  if (object.kind == Sym::Kind::kTensor) {
    const TensorMeta& meta = meta_of(object.tensor);
    if (name == "shape") {
      std::vector<Sym> sizes;
      for (const SymDim& size : builder_.sym_sizes(ValueId{vars_[object.tensor].value}))
        sizes.push_back(sym_int(size));
      return Sym::sequence(Sym::Kind::kTuple, std::move(sizes));
    }
    if (name == "ndim") return Sym::constant(Value::integer(meta.sizes.size()));
    if (name == "dtype") return Sym::constant(dtype_value(meta.dtype));
    if (name == "T") {
      std::vector<int64_t> order;
      for (int d = meta.sizes.size() - 1; d >= 0; --d) order.push_back(d);
      Attr dims = Attr::list(std::move(order));
      return emit_one(OpKind::permute, {current(object.tensor)}, std::span<const Attr>(&dims, 1),
                      {}, object.tensor);
    }
    // A method read as an attribute (a call with keywords: x.sum(dim=1) loads it with
    // LOAD_ATTR), bound as LOAD_METHOD binds it.
    if (is_tensor_method(name)) {
      Sym method;
      method.kind = Sym::Kind::kTensorMethod;
      method.name = name;
      method.items = std::make_shared<std::vector<Sym>>(std::vector<Sym>{object});
      return method;
    }
    return stop(BreakReason::UnsupportedBuiltin, fmt::format("tensor attribute '{}'", name));
  }
  if (object.kind == Sym::Kind::kNewObject) return new_object_attribute(object, name);
  if (object.kind == Sym::Kind::kObject) {
    if (auto stored = stored_attributes_.find({object.source, name});
        stored != stored_attributes_.end())
      return stored->second;
    const Value& instance = object.value;
    SourceId source = capture_.sources.attribute(object.source, name);
    // What the VM finds: the instance's own attribute, else its class chain's.
    Value key = make_str(name);
    const Value* found = nullptr;
    const Dict& own = instance.as<InstanceObject>().attributes.as<DictObject>().table;
    if (int64_t position = own.find(key); position >= 0) {
      found = &own.value_at(position);
    } else {
      for (const Value* cls = &instance.as<InstanceObject>().cls; cls->is(ObjectKind::Class);
           cls = &cls->as<ClassObject>().base) {
        const Dict& attributes = cls->as<ClassObject>().attributes.as<DictObject>().table;
        if (int64_t position = attributes.find(key); position >= 0) {
          found = &attributes.value_at(position);
          break;
        }
      }
      if (found && found->is(ObjectKind::Function)) {
        // A method: bound to the instance. Its identity is guarded through the class.
        guard_identity(source, *found);
        Sym method;
        method.kind = Sym::Kind::kMethod;
        method.source = source;
        method.value = *found;
        method.name = name;
        method.items = std::make_shared<std::vector<Sym>>(std::vector<Sym>{object});
        return method;
      }
    }
    if (!found)
      return stop(BreakReason::UserError,
                  fmt::format("'{}' object has no attribute '{}'", type_name(instance), name));
    return realize(*found, source);
  }
  // None and numbers have few attributes and run no script code to find them: a missing one
  // is the user's error (None.size), which the VM then raises.
  if (object.kind == Sym::Kind::kConstant &&
      (object.value.is_none() || object.value.is_bool() || object.value.is_number()) &&
      !vm_.get_attribute(object.value, name))
    return stop(BreakReason::UserError, str(vm_.exception()));
  return stop(BreakReason::UnsupportedBuiltin, fmt::format("attribute '{}'", name));
}

std::optional<Value> Tracer::constant_index(const Sym& index) {
  if (index.kind == Sym::Kind::kConstant) return index.value;
  if (index.kind != Sym::Kind::kTuple) return std::nullopt;
  std::vector<Value> parts;
  for (const Sym& part : *index.items) {
    if (part.kind != Sym::Kind::kConstant) return std::nullopt;
    parts.push_back(part.value);
  }
  return make_tuple(std::move(parts));
}

std::optional<Sym> Tracer::index_tensor(const Sym& tensor, const Sym& index) {
  auto value = constant_index(index);
  if (!value) return stop(BreakReason::UnsupportedOpcode, "indexing a tensor with a tensor");
  auto steps = tensor_index_steps(meta_of(tensor.tensor).sizes.size(), *value);
  if (!steps.ok()) return stop(BreakReason::UserError, steps.error().message);
  if (is_symbolic_slice(index)) {
    // x[a:b] with symbolic bounds: one slice of dim 0 whose start and end keep them (a
    // symbolic step is specialized).
    GYRO_ASSERT(steps->size() == 1 && (*steps)[0].op == OpKind::slice, "x[a:b] is one slice");
    Attrs& attrs = (*steps)[0].attrs;  // dim, start, end, step
    const std::vector<Sym>& bounds = *index.items;
    for (int k = 0; k < 2; ++k)
      if (bounds[k].kind == Sym::Kind::kSymInt) attrs[1 + k].syms = {bounds[k].expr};
    if (bounds[2].kind == Sym::Kind::kSymInt) specialized(bounds[2]);
  }
  Sym current = tensor;
  for (const IndexStep& step : *steps) {
    auto next = emit_one(step.op, {this->current(current.tensor)}, step.attrs, {}, current.tensor);
    if (!next) return std::nullopt;
    current = std::move(*next);
  }
  return current;
}

}  // namespace gyro::tracing
