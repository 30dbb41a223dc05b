// In-place writes (functionalization): tensor objects get new graph values, writes through
// select/slice views scatter into their bases, and views of a written base are derived again.
#include "interp/tracer_impl.h"

namespace gyro::tracing {

int Tracer::new_var(int value) {
  TensorVar var;
  var.value = value;
  vars_.push_back(std::move(var));
  return static_cast<int>(vars_.size()) - 1;
}

int Tracer::current(int var) {
  if (vars_[var].base < 0) return vars_[var].value;
  const int base = vars_[var].base;
  const int base_value = current(base);
  if (vars_[base].version == vars_[var].base_version) return vars_[var].value;
  // write() refuses to change a tensor that has reshape-like views, so this is a true view.
  GYRO_ASSERT(!vars_[var].may_alias, "a may-alias view of a written tensor");
  const ValueId input{base_value};
  auto values =
      builder_.call(vars_[var].view_op, std::span<const ValueId>(&input, 1), vars_[var].view_attrs);
  GYRO_ASSERT(values.ok(), "deriving a view again failed");
  remember(var);
  vars_[var].value = (*values)[vars_[var].view_output].index;
  vars_[var].base_version = vars_[base].version;
  ++vars_[var].version;
  return vars_[var].value;
}

bool Tracer::write(int var, int value) {
  int root = var;  // checks first, so a refused write changes nothing
  for (int link = var; vars_[link].base >= 0; link = vars_[link].base) {
    const TensorVar& view = vars_[link];
    if (view.may_alias || !(view.view_op == OpKind::select || view.view_op == OpKind::slice ||
                            view.view_op == OpKind::unsqueeze)) {
      stop(BreakReason::InPlaceAliasing,
           fmt::format("an in-place write through a view made by {}", op_name(view.view_op)));
      return false;
    }
    root = view.base;
  }
  for (int other = 0; other < static_cast<int>(vars_.size()); ++other) {
    bool through_may_alias = false;
    int top = other;
    for (; vars_[top].base >= 0; top = vars_[top].base) through_may_alias |= vars_[top].may_alias;
    if (top == root && through_may_alias) {
      stop(BreakReason::InPlaceAliasing,
           "an in-place write to a tensor that a reshape-like view may share");
      return false;
    }
  }
  if (const TensorVar& input = vars_[root]; input.input != kNoSource) {
    for (const auto& [source, other] : placeholder_of_)
      if (other != root && vars_[other].storage == input.storage) {
        stop(BreakReason::InPlaceAliasing,
             "an in-place write to an input that shares storage with another input");
        return false;
      }
    for (const SideEffect& effect : capture_.effects)
      if (effect.kind == SideEffect::Kind::kPrint && shows_source(effect.args, input.input)) {
        stop(BreakReason::SideEffect, "an in-place write to an input a recorded print() shows");
        return false;
      }
  }
  store(var, value);
  return true;
}

void Tracer::store(int var, int value) {
  if (const int base = vars_[var].base; base >= 0) {
    store(base, scatter(var, current(base), value));
    remember(var);
    vars_[var].value = value;
    vars_[var].base_version = vars_[base].version;
    ++vars_[var].version;
    return;
  }
  remember(var);
  vars_[var].value = value;
  ++vars_[var].version;
  if (vars_[var].input != kNoSource &&
      std::find(written_inputs_.begin(), written_inputs_.end(), var) == written_inputs_.end())
    written_inputs_.push_back(var);
}

bool Tracer::same_sizes(const SymDims& a, const SymDims& b) {
  if (a.size() != b.size()) return false;
  for (int d = 0; d < a.size(); ++d)
    if (a[d] != b[d]) return false;  // decided by the shape env when symbolic
  return true;
}

int Tracer::scatter(int var, int base_value, int value) {
  const TensorVar& view = vars_[var];
  ValueId inputs[] = {ValueId{base_value}, ValueId{value}};
  Expected<std::vector<ValueId>> result = Error{};
  if (view.view_op == OpKind::unsqueeze) {
    // An unsqueezed view has the base's elements: the value reshaped back is the new base.
    // (A reshape bakes the sizes in: symbolic ones are specialized.)
    Dims base_sizes;
    for (const SymDim& size : builder_.sym_sizes(ValueId{base_value}))
      base_sizes.push_back(shapes_.specialize(size));
    Attr shape = Attr::list(std::vector<int64_t>(base_sizes.begin(), base_sizes.end()));
    result = builder_.call(OpKind::reshape, std::span<const ValueId>(&inputs[1], 1),
                           std::span<const Attr>(&shape, 1));
  } else {
    result = builder_.call(
        view.view_op == OpKind::select ? OpKind::select_scatter : OpKind::slice_scatter, inputs,
        view.view_attrs);
  }
  GYRO_ASSERT(result.ok(), "scattering a view's write into its base failed");
  return (*result)[0].index;
}

bool Tracer::shows_source(const std::vector<ResultPlan>& plans, SourceId source) {
  for (const ResultPlan& plan : plans)
    if ((plan.kind == ResultPlan::Kind::kSource && plan.source == source) ||
        shows_source(plan.items, source))
      return true;
  return false;
}

std::optional<int> Tracer::broadcast_to(int target, int value) {
  const TensorMeta meta = meta_of(target);  // a copy: adding nodes moves the graph's metas
  ValueId result{value};
  if (!same_sizes(builder_.sym_sizes(result), builder_.sym_sizes(ValueId{vars_[target].value}))) {
    // (An expand bakes the sizes in: symbolic ones are specialized.)
    const Dims sizes = static_sizes(target);
    Attr size = Attr::list(std::vector<int64_t>(sizes.begin(), sizes.end()));
    auto expanded = builder_.call1(OpKind::expand, {result}, {size});
    if (!expanded.ok()) return stop(BreakReason::UserError, expanded.error().message);
    result = *expanded;
  }
  if (builder_.meta(result).dtype != meta.dtype) {
    auto converted = builder_.call1(OpKind::to, {result}, {Attr::of_dtype(meta.dtype)});
    if (!converted.ok()) return stop(BreakReason::UserError, converted.error().message);
    result = *converted;
  }
  return result.index;
}

std::optional<Sym> Tracer::update_in_place(const Sym& target, Binop op, const Sym& operand) {
  auto kind = tensor_binop(base_op(op));
  auto left = as_tensor(target), right = as_tensor(operand);
  if (!kind || !left || !right)
    return stop(BreakReason::UnsupportedBuiltin, fmt::format("operator '{}'", binop_symbol(op)));
  auto result = emit(*kind, {*left, *right}, {}, {});
  if (!result) return std::nullopt;
  ValueId value{current((*result)[0].tensor)};
  const TensorMeta& out = meta_of(target.tensor);
  const TensorMeta& computed = builder_.meta(value);
  if (!same_sizes(builder_.sym_sizes(value), builder_.sym_sizes(ValueId{vars_[target.tensor].value})))
    return stop(BreakReason::UserError,
                fmt::format("output with shape {} doesn't match the broadcast shape {}",
                            to_string(out.sizes), to_string(computed.sizes)));
  if ((is_floating(computed.dtype) && !is_floating(out.dtype)) ||
      (computed.dtype != DType::Bool && out.dtype == DType::Bool))
    return stop(BreakReason::UserError,
                fmt::format("result type {} can't be cast to the desired output type {}",
                            torch_dtype_name(computed.dtype), torch_dtype_name(out.dtype)));
  auto converted = broadcast_to(target.tensor, value.index);
  if (!converted || !write(target.tensor, *converted)) return std::nullopt;
  return target;
}

std::optional<Sym> Tracer::in_place_method(const Sym& self, const std::string& name,
                                           std::span<const Sym> args, bool has_kwargs) {
  static const std::pair<std::string_view, Binop> kArithmetic[] = {
      {"add_", Binop::INPLACE_ADD},
      {"sub_", Binop::INPLACE_SUBTRACT},
      {"mul_", Binop::INPLACE_MULTIPLY},
      {"div_", Binop::INPLACE_TRUE_DIVIDE}};
  if (has_kwargs) return stop(BreakReason::UnsupportedBuiltin, name + "() with keywords");
  const std::size_t arity = name == "zero_" ? 0 : 1;
  if (args.size() != arity) return stop(BreakReason::UserError, name + "() arguments");
  for (const auto& [method, op] : kArithmetic)
    if (name == method) return update_in_place(self, op, args[0]);
  std::optional<int> value;
  if (name == "zero_" ||
      (name == "fill_" && args[0].kind == Sym::Kind::kConstant && args[0].value.is_number())) {
    // Every element set to the number, cast to x's dtype, as the VM's fill does.
    double fill = name == "zero_" ? 0.0 : args[0].value.to_double();
    auto filled = builder_.constant(Tensor::scalar(fill, DType::Float64));
    value = broadcast_to(self.tensor, filled.index);
  } else if (args[0].kind == Sym::Kind::kTensor &&
             (name == "copy_" || meta_of(args[0].tensor).sizes.size() == 0)) {
    value = broadcast_to(self.tensor, current(args[0].tensor));
  } else {
    return stop(BreakReason::UserError, name + "() of this value");
  }
  if (!value || !write(self.tensor, *value)) return std::nullopt;
  return self;
}

bool Tracer::store_tensor_item(const Sym& tensor, const Sym& index, const Sym& value) {
  auto view = index_tensor(tensor, index);
  if (!view) return false;
  std::optional<int> contents;
  if (value.kind == Sym::Kind::kTensor) {
    contents = broadcast_to(view->tensor, current(value.tensor));
  } else if (value.kind == Sym::Kind::kConstant && value.value.is_number()) {
    auto number =
        builder_.constant(Tensor::scalar(value.value.to_double(), meta_of(view->tensor).dtype));
    contents = broadcast_to(view->tensor, number.index);
  } else {
    stop(BreakReason::UserError, "assigning this value to a tensor item");
    return false;
  }
  return contents && write(view->tensor, *contents);
}

}  // namespace gyro::tracing
