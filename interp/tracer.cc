// The symbolic evaluator's handlers: sources realized into symbolic values (and guards) when
// first read, Python values folded at trace time, tensor operators and op calls recorded into
// the capture, script calls inlined; anything else stops the trace with a reason.
#include "interp/tracer.h"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>

#include "backends/graph_runner.h"
#include "interp/allowed_call.h"
#include "interp/guard_check.h"
#include "interp/objects.h"
#include "interp/op_arguments.h"
#include "interp/python_ops.h"
#include "interp/tensor_calls.h"
#include "ir/graph_builder.h"
#include "ir/passes.h"
#include "ir/python_arith.h"

namespace gyro {

BuiltinFn tensor_op_builtin(OpKind op);  // attributes.cc

namespace {

struct ReasonText {
  std::string_view name, explanation, hint;
};
constexpr ReasonText kReasonTexts[] = {
#define BREAK_REASON(name, explanation, hint) {#name, explanation, hint},
#include "interp/break_reasons.def"
#undef BREAK_REASON
};

}  // namespace

std::string_view break_reason_name(BreakReason reason) {
  return kReasonTexts[static_cast<int>(reason)].name;
}
std::string_view break_reason_explanation(BreakReason reason) {
  return kReasonTexts[static_cast<int>(reason)].explanation;
}
std::string_view break_reason_hint(BreakReason reason) {
  return kReasonTexts[static_cast<int>(reason)].hint;
}

std::string TraceStop::describe() const {
  return fmt::format("{} ({}:{}): {}{}{}", break_reason_name(reason), filename, line,
                     break_reason_explanation(reason), detail.empty() ? "" : "; ", detail);
}

namespace {

using guards::Guard;
using guards::GuardKind;
using guards::kNoSource;
using guards::SourceId;

// A value as the tracer sees it.
struct Sym {
  enum class Kind : uint8_t {
    kConstant,      // known at trace time: numbers, str, None, functions, classes, builtins
    kTensor,        // a value of the captured program
    kTuple,         // items symbolic
    kList,          // items symbolic (shared, so aliases see appends)
    kObject,        // an existing instance, read through its source
    kMethod,        // a script function bound to a self (LOAD_METHOD on an instance)
    kTensorMethod,  // tensor.name bound to a tensor
    kIterator,      // over items, for unrolled loops
    kNoSelf,        // LOAD_METHOD's marker: the callable takes no self
    kCell,          // a closure cell: items holds its value (empty while unbound); value is
                    // the VM's cell when it existed before the trace
    kClosure,       // a function made in the trace (value) over cells made in it (items)
    kNewObject,     // an instance of class `value` made in the trace, with `fields`
    kDict,          // a dict made in the trace: items holds key, value, key, value, ...
    kVmIterator,    // the VM's own loop iterator on a resume point's stack, passed through
  };
  Kind kind = Kind::kConstant;
  Value value;       // kConstant, kObject, kMethod (the function)
  int tensor = -1;   // kTensor: the tensor object, an index into the tracer's TensorVars
  std::string name;  // kTensorMethod
  std::shared_ptr<std::vector<Sym>>
      items;                 // kTuple, kList, kIterator; kMethod/kTensorMethod: {self}
  std::size_t position = 0;  // kIterator
  SourceId source = kNoSource;
  // kNewObject: its attributes (shared, so every reference sees a store), and the class's
  // source (class attributes read through it are guarded).
  struct Fields {
    std::vector<std::pair<std::string, Sym>> values;
    SourceId class_source = kNoSource;
  };
  std::shared_ptr<Fields> fields;

  static Sym constant(Value v, SourceId from = kNoSource) {
    Sym s;
    s.value = std::move(v);
    s.source = from;
    return s;
  }
  static Sym sequence(Kind kind, std::vector<Sym> items) {
    Sym s;
    s.kind = kind;
    s.items = std::make_shared<std::vector<Sym>>(std::move(items));
    return s;
  }
};

struct Stop {
  BreakReason reason;
  std::string detail;
};

// A tensor object as the trace sees it. Graph values never change, so an in-place write gives
// the object a new value (functionalization). A view remembers how it was made from its base:
// a write through it is scattered into the base, and a write to the base is seen in it.
struct TensorVar {
  int value = -1;    // its current value in the graph
  int version = 0;   // bumped by every write and every re-derivation
  int base = -1;     // a view: the tensor object it views, made by view_op(base, view_attrs)
  OpKind view_op{};  //   (output view_output of a multi-output op)
  Attrs view_attrs;
  int view_output = 0;
  bool may_alias = false;  // reshape, flatten, contiguous, to: view or copy decided at run time
  int base_version = 0;    // the base's version `value` was derived from
  // A graph input: where it is loaded from, its placeholder and its storage (to see inputs
  // that alias). Written back after the graph when its value changed.
  SourceId input = kNoSource;
  int placeholder = -1;
  const void* storage = nullptr;
};

constexpr int kMaxInlineDepth = 16;
constexpr std::size_t kMaxTraceSteps = 200000;  // unrolled loops end here, not in a hang

class Tracer {
 public:
  Tracer(Interpreter& vm, const Value& function) : vm_(vm), root_(function) {}

  std::variant<Capture, TraceStop> run(std::span<const Value> locals, std::span<const Value> stack,
                                       std::size_t start_pc) {
    const auto& function = root_.as<FunctionObject>();
    const Code& code = *function.code;
    std::vector<std::optional<Sym>> symbolic(code.local_names.size());
    std::vector<Value> concrete(locals.begin(), locals.end());
    // Bound locals are realized when first read; unbound ones stay unbound.
    for (std::size_t i = 0; i < concrete.size(); ++i)
      if (!identical(concrete[i], vm_.no_self_marker())) lazy_locals_.push_back(i);
    root_locals_ = std::move(concrete);
    // A resume point's live stack is read at once (its values are the next operands).
    std::vector<Sym> initial_stack;
    line_ = code.lines[start_pc];
    for (std::size_t i = 0; i < stack.size(); ++i) {
      SourceId slot = capture_.sources.stack_slot(static_cast<int64_t>(i));
      if (stack[i].is(ObjectKind::Iterator)) {
        // A loop the break happened in: its iterator stays the VM's (the bytecode puts an
        // iterator in this slot at this pc, so nothing needs guarding); the trace runs the
        // rest of this pass and stops at the loop's next FOR_ITER.
        Sym iterator;
        iterator.kind = Sym::Kind::kVmIterator;
        iterator.source = slot;
        initial_stack.push_back(std::move(iterator));
        continue;
      }
      auto value = realize(stack[i], slot);
      if (!value) {
        TraceStop stop{stop_->reason, code.filename, line_, stop_->detail};
        return stop;
      }
      initial_stack.push_back(std::move(*value));
    }
    capture_.start_pc = static_cast<int64_t>(start_pc);
    std::vector<Sym> cells;
    if (!code.cell_names.empty() || !code.free_names.empty()) {
      // The frame's cells at a resume point are the VM's; only a fresh frame's are known.
      if (start_pc != 0) {
        TraceStop stop{BreakReason::UnsupportedOpcode, code.filename, line_,
                       "resuming a frame that has closure cells"};
        return stop;
      }
      for (std::size_t i = 0; i < static_cast<std::size_t>(code.arg_count); ++i)
        for (const std::string& name : code.cell_names)
          if (code.local_names[i] == name && !symbolic[i]) {
            auto value = realize(root_locals_[i], capture_.sources.local(i, code.local_names[i]));
            if (value) symbolic[i] = std::move(*value);
          }
      auto made =
          stop_ ? std::nullopt : make_cells(function, symbolic, nullptr, kNoSource, /*root=*/true);
      if (!made) {
        TraceStop stop{stop_->reason, code.filename, line_, stop_->detail};
        return stop;
      }
      cells = std::move(*made);
    }
    auto result = run_code(function, std::move(symbolic), /*depth=*/0, /*root=*/true, start_pc,
                           std::move(initial_stack), std::move(cells));
    if (result && made_in_trace(*result)) {
      TraceStop stop{BreakReason::UnsupportedBuiltin, code.filename, line_,
                     "returning a function or cell made in the trace"};
      return stop;
    }
    if (!result) {
      TraceStop stop{stop_->reason, code.filename, line_, stop_->detail};
      // A graph break: the graph so far, then the VM from the breaking instruction (at the
      // outermost call site when the break is inside an inlined call). A user error, or a
      // break before any tensor work, leaves the whole frame to the VM.
      // (At a loop's FOR_ITER even an empty graph is worth an entry: the VM then runs one
      // instruction, and the next pass of the loop finds its own entries again.)
      const bool worth_a_graph =
          snapshot_ && (snapshot_->call_count > 0 || stop.reason == BreakReason::LoopResume);
      if (stop.reason == BreakReason::UserError || !worth_a_graph || !plan_break(*snapshot_))
        return stop;
      capture_.break_reason = stop.describe();
    } else {
      auto planned = plan_state(*result);
      if (!planned) {
        TraceStop stop{BreakReason::UnsupportedBuiltin, code.filename, line_,
                       "returning a value the trace cannot rebuild"};
        return stop;
      }
      capture_.result = std::move(*planned);
    }
    plan_write_backs();
    capture_.guards = guards::order_guards(std::move(capture_.guards));
    builder_.set_outputs(std::move(outputs_));
    auto graph = run_passes(builder_.finish(), {"dce"});
    if (!graph.ok()) {
      TraceStop stop{BreakReason::UnsupportedOpcode, code.filename, line_, graph.error().message};
      return stop;
    }
    capture_.graph = std::move(*graph);
    capture_.sources.freeze();
    return std::move(capture_);
  }

 private:
  // ---- stopping ----
  std::nullopt_t stop(BreakReason reason, std::string detail = {}) {
    if (!stop_) stop_ = Stop{reason, std::move(detail)};
    return std::nullopt;
  }

  // ---- guards and realization ----
  void guard(Guard guard) { capture_.guards.push_back(std::move(guard)); }

  void guard_identity(SourceId source, const Value& value) {
    if (source == kNoSource) return;
    Guard g(GuardKind::ID_MATCH, source);
    g.identity = value.as_object();
    g.type_name = std::string(type_name(value));
    capture_.keep_alive.push_back(value);
    guard(std::move(g));
  }

  void guard_type(SourceId source, const Value& value) {
    if (source == kNoSource) return;
    Guard g(GuardKind::TYPE_MATCH, source);
    g.identity = type_identity(value);
    g.type_name = std::string(type_name(value));
    if (value.is(ObjectKind::Instance))
      capture_.keep_alive.push_back(value.as<InstanceObject>().cls);
    guard(std::move(g));
  }

  // A tensor object's dtype and sizes (in-place writes never change them).
  const TensorMeta& meta_of(int var) const { return builder_.meta(ValueId{vars_[var].value}); }

  // A concrete value read from `source` as a symbolic one, with the guards that keep it valid.
  std::optional<Sym> realize(const Value& value, SourceId source) {
    if (value.is_none() || value.is_bool() || value.is_int() || value.is_float() ||
        value.is(ObjectKind::Str)) {
      if (source != kNoSource) {
        Guard g(GuardKind::CONSTANT_MATCH, source);
        if (value.is_none())
          g.constant = Constant();
        else if (value.is_bool())
          g.constant = Constant::boolean(value.as_bool());
        else if (value.is_int())
          g.constant = Constant::integer(value.as_int());
        else if (value.is_float())
          g.constant = Constant::real(value.as_float());
        else
          g.constant = Constant::string(value.as<StrObject>().text);
        guard(std::move(g));
      }
      return Sym::constant(value, source);
    }
    if (value.is(ObjectKind::TensorBox)) {
      if (source == kNoSource) return stop(BreakReason::UnsupportedBuiltin, "an unnamed tensor");
      // One placeholder per source: reading x twice is one input.
      auto it = placeholder_of_.find(source);
      if (it != placeholder_of_.end()) return tensor_sym(it->second, source);
      const Tensor& tensor = value.as<TensorBoxObject>().tensor;
      // The graph reads inputs before it runs: one that shares storage with an input already
      // written in place must be read by the VM, after the write.
      for (int written : written_inputs_)
        if (vars_[written].storage == tensor.storage().get())
          return stop(BreakReason::InPlaceAliasing,
                      "reading an input that shares storage with one written in place");
      Guard g(GuardKind::TENSOR_MATCH, source);
      g.tensor.dtype = tensor.dtype();
      for (int d = 0; d < tensor.dim(); ++d) {
        g.tensor.sizes.push_back(tensor.size(d));
        g.tensor.strides.push_back(tensor.stride(d));
      }
      guard(std::move(g));
      int index =
          builder_.placeholder(capture_.sources.describe(source), TensorMeta::of(tensor)).index;
      capture_.inputs.push_back(source);
      int var = new_var(index);
      vars_[var].input = source;
      vars_[var].placeholder = index;
      vars_[var].storage = tensor.storage().get();
      placeholder_of_.emplace(source, var);
      return tensor_sym(var, source);
    }
    if (value.is(ObjectKind::SparseTensor)) return stop(BreakReason::SparseTensor);
    if (value.is(ObjectKind::List) || value.is(ObjectKind::Tuple)) {
      if (source == kNoSource) return stop(BreakReason::UnsupportedBuiltin, "an unnamed list");
      guard_type(source, value);
      const auto& items = sequence_items(value);
      Guard length(GuardKind::LENGTH, capture_.sources.length(source));
      length.length = static_cast<int64_t>(items.size());
      guard(std::move(length));
      std::vector<Sym> symbolic;
      for (std::size_t i = 0; i < items.size(); ++i) {
        auto item = realize(items[i], capture_.sources.item(source, static_cast<int64_t>(i)));
        if (!item) return std::nullopt;
        symbolic.push_back(std::move(*item));
      }
      Sym s = Sym::sequence(value.is(ObjectKind::List) ? Sym::Kind::kList : Sym::Kind::kTuple,
                            std::move(symbolic));
      s.source = source;
      s.value = value;
      return s;
    }
    if (value.is(ObjectKind::Instance)) {
      if (source == kNoSource) return stop(BreakReason::UnsupportedBuiltin, "an unnamed object");
      guard_type(source, value);
      Sym s;
      s.kind = Sym::Kind::kObject;
      s.value = value;
      s.source = source;
      return s;
    }
    if (value.is(ObjectKind::Function) || value.is(ObjectKind::Builtin) ||
        value.is(ObjectKind::Class) || value.is(ObjectKind::DTypeValue) ||
        value.is(ObjectKind::CompiledFunction)) {
      guard_identity(source, value);
      return Sym::constant(value, source);
    }
    return stop(BreakReason::UnsupportedBuiltin,
                fmt::format("a value of type '{}'", type_name(value)));
  }

  Sym tensor_sym(int var, SourceId source = kNoSource) {
    Sym s;
    s.kind = Sym::Kind::kTensor;
    s.tensor = var;
    s.source = source;
    return s;
  }

  // ---- tensor objects and in-place writes ----
  int new_var(int value) {
    TensorVar var;
    var.value = value;
    vars_.push_back(std::move(var));
    return static_cast<int>(vars_.size()) - 1;
  }

  // A var's state before a change, so a graph break can return to the state at its snapshot.
  void remember(int var) { journal_.push_back({var, vars_[var]}); }

  // The var's current value; a view whose base changed since is derived from it again.
  int current(int var) {
    if (vars_[var].base < 0) return vars_[var].value;
    const int base = vars_[var].base;
    const int base_value = current(base);
    if (vars_[base].version == vars_[var].base_version) return vars_[var].value;
    // write() refuses to change a tensor that has reshape-like views, so this is a true view.
    GYRO_ASSERT(!vars_[var].may_alias, "a may-alias view of a written tensor");
    const ValueId input{base_value};
    auto values = builder_.call(vars_[var].view_op, std::span<const ValueId>(&input, 1),
                                vars_[var].view_attrs);
    GYRO_ASSERT(values.ok(), "deriving a view again failed");
    remember(var);
    vars_[var].value = (*values)[vars_[var].view_output].index;
    vars_[var].base_version = vars_[base].version;
    ++vars_[var].version;
    return vars_[var].value;
  }

  // Writes `value` (with the var's dtype and sizes) into tensor object `var`, as an in-place op
  // does. False (a graph break, the VM does the write) where the VM's aliasing cannot be
  // followed: a write through a view other than select/slice/unsqueeze, to a tensor that a
  // reshape-like op may share, to an input sharing storage with another input, or to an input
  // that a recorded print() shows.
  bool write(int var, int value) {
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

  void store(int var, int value) {
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

  // The base with `value` written where view `var` looks: the functional form of the write.
  int scatter(int var, int base_value, int value) {
    const TensorVar& view = vars_[var];
    ValueId inputs[] = {ValueId{base_value}, ValueId{value}};
    Expected<std::vector<ValueId>> result = Error{};
    if (view.view_op == OpKind::unsqueeze) {
      // An unsqueezed view has the base's elements: the value reshaped back is the new base.
      const TensorMeta& base_meta = builder_.meta(ValueId{base_value});
      Attr shape = Attr::list(std::vector<int64_t>(base_meta.sizes.begin(), base_meta.sizes.end()));
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

  static bool shows_source(const std::vector<ResultPlan>& plans, SourceId source) {
    for (const ResultPlan& plan : plans)
      if ((plan.kind == ResultPlan::Kind::kSource && plan.source == source) ||
          shows_source(plan.items, source))
        return true;
    return false;
  }

  // `value` as the new contents of `target`, as PyTorch's copy_ does: broadcast to its sizes
  // and converted to its dtype.
  std::optional<int> broadcast_to(int target, int value) {
    const TensorMeta meta = meta_of(target);  // a copy: adding nodes moves the graph's metas
    ValueId result{value};
    if (builder_.meta(result).sizes != meta.sizes) {
      Attr size = Attr::list(std::vector<int64_t>(meta.sizes.begin(), meta.sizes.end()));
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

  // x += y, x.add_(y), ...: x op y computed, then written into x with the VM's checks
  // (write_in_place): the result keeps x's sizes and may only be cast where PyTorch allows.
  std::optional<Sym> update_in_place(const Sym& target, Binop op, const Sym& operand) {
    auto kind = tensor_binop(base_op(op));
    auto left = as_tensor(target), right = as_tensor(operand);
    if (!kind || !left || !right)
      return stop(BreakReason::UnsupportedBuiltin, fmt::format("operator '{}'", binop_symbol(op)));
    auto result = emit(*kind, {*left, *right}, {}, {});
    if (!result) return std::nullopt;
    ValueId value{current((*result)[0].tensor)};
    const TensorMeta& out = meta_of(target.tensor);
    const TensorMeta& computed = builder_.meta(value);
    if (computed.sizes != out.sizes)
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

  // The in-place tensor methods: add_, sub_, mul_, div_, fill_, zero_, copy_.
  std::optional<Sym> in_place_method(const Sym& self, const std::string& name,
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

  // xs[i] = value on a list: its symbolic items change, and a list that existed before the call
  // is changed again for real after the graph.
  bool store_list_item(const Sym& list, int64_t index, const Sym& value) {
    const auto size = static_cast<int64_t>(list.items->size());
    if (index < 0) index += size;
    if (index < 0 || index >= size) {
      stop(BreakReason::UserError, "list assignment index out of range");
      return false;
    }
    if (list.source != kNoSource) {
      auto planned = plan_state(value);
      if (!planned) {
        stop(BreakReason::SideEffect, "storing this value in a list");
        return false;
      }
      SideEffect effect;
      effect.kind = SideEffect::Kind::kListSetItem;
      effect.target = plan(list);
      ResultPlan position;
      position.constant = Value::integer(index);
      effect.args.push_back(std::move(position));
      effect.args.push_back(std::move(*planned));
      capture_.effects.push_back(std::move(effect));
    }
    if (list.source == kNoSource && !may_change(list)) return false;
    (*list.items)[index] = value;
    return true;
  }

  // tensor[index] = value: the value (a tensor, or a number cast to the tensor's dtype) written
  // through the view the index selects.
  bool store_tensor_item(const Sym& tensor, const Sym& index, const Sym& value) {
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

  // ---- the captured program ----
  std::optional<int> as_tensor(const Sym& operand) {
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

  // op(inputs) as new tensor objects. `viewed` is the tensor object the first input is the
  // current value of: a view op's outputs are its views.
  std::optional<std::vector<Sym>> emit(OpKind op, std::vector<int> inputs,
                                       std::span<const Attr> positional,
                                       std::span<const NamedAttr> named, int viewed = -1) {
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
      if (is_view) {
        TensorVar& view = vars_[var];
        view.base = viewed;
        view.view_op = op;
        view.view_attrs = bound;
        view.view_output = static_cast<int>(k);
        view.may_alias = op_info(op).has(kMayAlias);
        view.base_version = vars_[viewed].version;
      }
      outputs.push_back(tensor_sym(var));
    }
    return outputs;
  }

  std::optional<Sym> emit_one(OpKind op, std::vector<int> inputs,
                              std::span<const Attr> positional = {},
                              std::span<const NamedAttr> named = {}, int viewed = -1) {
    auto outputs = emit(op, std::move(inputs), positional, named, viewed);
    if (!outputs) return std::nullopt;
    if (op_info(op).has(kMultiOutput)) return Sym::sequence(Sym::Kind::kTuple, std::move(*outputs));
    return (*outputs)[0];
  }

  // A Python argument as an op attribute (constants only).
  std::optional<Attr> to_attr(const Sym& arg) {
    if (arg.kind == Sym::Kind::kTuple || arg.kind == Sym::Kind::kList) {
      std::vector<int64_t> ints;
      for (const Sym& item : *arg.items) {
        if (item.kind != Sym::Kind::kConstant || !item.value.is_integral()) return std::nullopt;
        ints.push_back(item.value.as_int());
      }
      return Attr::list(std::move(ints));
    }
    if (arg.kind != Sym::Kind::kConstant) return std::nullopt;
    return value_to_attr(arg.value);
  }

  // op(args...) with the VM's own argument mapping (op_arguments.h); an argument the trace
  // cannot map (a traced value where an attribute goes) leaves the call to the VM.
  struct SymArguments {
    using Input = int;
    Tracer& tracer;
    bool is_tensor(const Sym& s) const { return s.kind == Sym::Kind::kTensor; }
    std::optional<int> input(const Sym& s) const {
      if (s.kind != Sym::Kind::kTensor && !(s.kind == Sym::Kind::kConstant && s.value.is_number()))
        return std::nullopt;
      return tracer.as_tensor(s);
    }
    const std::vector<Sym>* items(const Sym& s) const {
      return s.kind == Sym::Kind::kTuple || s.kind == Sym::Kind::kList ? s.items.get() : nullptr;
    }
    std::optional<int64_t> integral(const Sym& s) const {
      if (s.kind != Sym::Kind::kConstant || !s.value.is_integral()) return std::nullopt;
      return s.value.as_int();
    }
    std::optional<Attr> attr(const Sym& s) const { return tracer.to_attr(s); }
    std::string type_of(const Sym& s) const {
      return s.kind == Sym::Kind::kConstant ? std::string(type_name(s.value)) : "traced value";
    }
    std::string_view keyword_name(const std::pair<std::string, Sym>& k) const { return k.first; }
    const Sym& keyword_value(const std::pair<std::string, Sym>& k) const { return k.second; }
  };

  std::optional<Sym> call_op(OpKind op, std::span<const Sym> args,
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
    return emit_one(mapped->op, std::move(mapped->inputs), mapped->attrs, mapped->named, viewed);
  }

  // ---- Python operators ----
  std::optional<Sym> binary(Binop op, const Sym& a, const Sym& b) {
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

  std::optional<Sym> compare(CompareOp op, const Sym& a, const Sym& b) {
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

  std::optional<bool> truth(const Sym& condition) {
    if (condition.kind == Sym::Kind::kTensor) return stop(BreakReason::DataDependentBranch);
    if (condition.kind == Sym::Kind::kConstant) {
      auto result = truthy(condition.value);
      if (!result.ok()) return stop(BreakReason::UserError, result.error().message);
      return *result;
    }
    if (condition.kind == Sym::Kind::kDict) return !condition.items->empty();
    if (condition.kind == Sym::Kind::kTuple || condition.kind == Sym::Kind::kList)
      return !condition.items->empty();
    if (condition.kind == Sym::Kind::kNewObject && (class_attribute(condition.value, "__bool__") ||
                                                    class_attribute(condition.value, "__len__")))
      return stop(BreakReason::UnsupportedBuiltin,
                  "the truth of an object with __bool__ or __len__");
    return true;  // objects, functions and methods are true
  }

  // ---- attributes ----
  std::optional<Sym> attribute(const Sym& object, const std::string& name) {
    if (object.kind == Sym::Kind::kTensor) {
      const TensorMeta& meta = meta_of(object.tensor);
      if (name == "shape") {
        std::vector<Sym> sizes;
        for (int d = 0; d < meta.sizes.size(); ++d)
          sizes.push_back(Sym::constant(Value::integer(meta.sizes[d])));
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
    return stop(BreakReason::UnsupportedBuiltin, fmt::format("attribute '{}'", name));
  }

  // A constant index (ints, slices, `...`, tuples of those) as the value the VM would see.
  std::optional<Value> constant_index(const Sym& index) {
    if (index.kind == Sym::Kind::kConstant) return index.value;
    if (index.kind != Sym::Kind::kTuple) return std::nullopt;
    std::vector<Value> parts;
    for (const Sym& part : *index.items) {
      if (part.kind != Sym::Kind::kConstant) return std::nullopt;
      parts.push_back(part.value);
    }
    return make_tuple(std::move(parts));
  }

  // tensor[index]: the VM's own indexing steps (select, slice), recorded.
  std::optional<Sym> index_tensor(const Sym& tensor, const Sym& index) {
    auto value = constant_index(index);
    if (!value) return stop(BreakReason::UnsupportedOpcode, "indexing a tensor with a tensor");
    auto steps = tensor_index_steps(meta_of(tensor.tensor).sizes.size(), *value);
    if (!steps.ok()) return stop(BreakReason::UserError, steps.error().message);
    Sym current = tensor;
    for (const IndexStep& step : *steps) {
      auto next =
          emit_one(step.op, {this->current(current.tensor)}, step.attrs, {}, current.tensor);
      if (!next) return std::nullopt;
      current = std::move(*next);
    }
    return current;
  }

  // ---- calls ----
  std::optional<Sym> call(const Sym& callable, std::vector<Sym> args,
                          std::vector<std::pair<std::string, Sym>> kwargs, int depth) {
    if (callable.kind == Sym::Kind::kTensorMethod && (*callable.items)[0].kind == Sym::Kind::kDict)
      return dict_method((*callable.items)[0], callable.name, args, !kwargs.empty());
    if (callable.kind == Sym::Kind::kTensorMethod &&
        (*callable.items)[0].kind == Sym::Kind::kList) {
      // list.append on a list the trace sees: its symbolic items change, and a list that
      // existed before the call is changed again for real after the graph.
      const Sym& self = (*callable.items)[0];
      if (callable.name != "append" || args.size() != 1 || !kwargs.empty())
        return stop(BreakReason::UnsupportedBuiltin, "list." + callable.name + "()");
      if (self.source != kNoSource) {
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
        return Sym::constant(Value::integer(meta.sizes.size() == 0 ? 1 : meta.sizes[dim]));
      }
      if (callable.name == "dim") return Sym::constant(Value::integer(meta.sizes.size()));
      if (callable.name == "numel") {
        int64_t count = 1;
        for (int d = 0; d < meta.sizes.size(); ++d) count *= meta.sizes[d];
        return Sym::constant(Value::integer(count));
      }
      if (callable.name == "item" || callable.name == "tolist")
        return stop(BreakReason::TensorToPython, callable.name + "()");
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
      return inline_call(target, std::move(args), std::move(kwargs), depth, nullptr,
                         callable.source);
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
    if (target.is(ObjectKind::Builtin)) {
      const auto& builtin = target.as<BuiltinObject>();
      if (!builtin.self.is_none()) return stop(BreakReason::UnsupportedBuiltin, builtin.name);
      if (auto op = op_of_builtin(builtin.fn)) return call_op(*op, args, kwargs);
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

  // ---- dicts made in the trace ----
  // The position of `key` among a dict's keys (items holds key, value pairs), or -1.
  static int64_t dict_find(const Sym& dict, const Value& key) {
    for (std::size_t i = 0; i < dict.items->size(); i += 2)
      if (keys_equal((*dict.items)[i].value, key)) return static_cast<int64_t>(i);
    return -1;
  }

  // A key the trace knows: a constant that hashes (None, numbers, str, tuples of those).
  std::optional<Value> dict_key(const Sym& key) {
    auto value = constant_index(key);
    if (!value) return stop(BreakReason::UnsupportedBuiltin, "a dict key the trace does not know");
    if (!(value->is_none() || value->is_number() || value->is(ObjectKind::Str) ||
          value->is(ObjectKind::Tuple)))
      return stop(BreakReason::UserError, fmt::format("unhashable type: '{}'", type_name(*value)));
    return value;
  }

  bool dict_store(const Sym& dict, const Sym& key, Sym value) {
    auto constant = dict_key(key);
    if (!constant || !may_change(dict)) return false;
    if (int64_t at = dict_find(dict, *constant); at >= 0) {
      (*dict.items)[at + 1] = std::move(value);
    } else {
      dict.items->push_back(Sym::constant(*constant));
      dict.items->push_back(std::move(value));
    }
    return true;
  }

  std::optional<Sym> dict_load(const Sym& dict, const Sym& key) {
    auto constant = dict_key(key);
    if (!constant) return std::nullopt;
    if (int64_t at = dict_find(dict, *constant); at >= 0) return (*dict.items)[at + 1];
    return stop(BreakReason::UserError, "KeyError: " + repr(*constant));
  }

  // keys(), values() or items() in order; the loop that iterates them unrolls.
  static std::vector<Sym> dict_view(const Sym& dict, std::string_view which) {
    std::vector<Sym> out;
    for (std::size_t i = 0; i < dict.items->size(); i += 2) {
      const Sym& key = (*dict.items)[i];
      const Sym& value = (*dict.items)[i + 1];
      if (which == "keys") out.push_back(key);
      if (which == "values") out.push_back(value);
      if (which == "items") out.push_back(Sym::sequence(Sym::Kind::kTuple, {key, value}));
    }
    return out;
  }

  std::optional<Sym> dict_method(const Sym& dict, const std::string& name,
                                 std::span<const Sym> args, bool has_kwargs) {
    if (has_kwargs)
      return stop(BreakReason::UnsupportedBuiltin, "dict." + name + "() with keywords");
    if ((name == "keys" || name == "values" || name == "items") && args.empty())
      return Sym::sequence(Sym::Kind::kIterator, dict_view(dict, name));
    if (name == "get" && (args.size() == 1 || args.size() == 2)) {
      auto key = dict_key(args[0]);
      if (!key) return std::nullopt;
      if (int64_t at = dict_find(dict, *key); at >= 0) return (*dict.items)[at + 1];
      return args.size() == 2 ? args[1] : Sym::constant(Value());
    }
    return stop(BreakReason::UnsupportedBuiltin, "dict." + name + "()");
  }

  // ---- objects made in the trace ----
  // A list or object made in the trace is rebuilt from a plan made when it was stored or
  // printed; a later change would not reach the rebuilt copy, so it is left to the VM.
  bool may_change(const Sym& made) {
    const void* identity = made.kind == Sym::Kind::kNewObject
                               ? static_cast<const void*>(made.fields.get())
                               : made.items.get();
    if (!planned_.count(identity)) return true;
    stop(BreakReason::SideEffect,
         "changing a list or object made in the trace after it was stored");
    return false;
  }

  // A class's attribute as the VM finds it (the class chain), or nullptr.
  static const Value* class_attribute(const Value& cls, const std::string& name) {
    Value key = make_str(name);
    for (const Value* each = &cls; each->is(ObjectKind::Class);
         each = &each->as<ClassObject>().base) {
      const Dict& attributes = each->as<ClassObject>().attributes.as<DictObject>().table;
      if (int64_t position = attributes.find(key); position >= 0)
        return &attributes.value_at(position);
    }
    return nullptr;
  }

  // Cls(args): a new symbolic instance, its __init__ inlined; rebuilt after the graph if it
  // outlives the trace.
  std::optional<Sym> instantiate(const Sym& cls, std::vector<Sym> args,
                                 std::vector<std::pair<std::string, Sym>> kwargs, int depth) {
    Sym object;
    object.kind = Sym::Kind::kNewObject;
    object.value = cls.value;
    object.fields = std::make_shared<Sym::Fields>();
    object.fields->class_source = cls.source;
    const Value* init = class_attribute(cls.value, "__init__");
    if (!init) {
      if (!args.empty() || !kwargs.empty())
        return stop(BreakReason::UserError,
                    fmt::format("{}() takes no arguments", cls.value.as<ClassObject>().name));
      return object;
    }
    if (!init->is(ObjectKind::Function))
      return stop(BreakReason::UnsupportedBuiltin, "an __init__ that is not a script function");
    args.insert(args.begin(), object);
    auto result = inline_call(*init, std::move(args), std::move(kwargs), depth);
    if (!result) return std::nullopt;
    if (result->kind != Sym::Kind::kConstant || !result->value.is_none())
      return stop(BreakReason::UserError, "__init__() should return None");
    return object;
  }

  std::optional<Sym> new_object_attribute(const Sym& object, const std::string& name) {
    for (auto it = object.fields->values.rbegin(); it != object.fields->values.rend(); ++it)
      if (it->first == name) return it->second;
    const Value* found = class_attribute(object.value, name);
    if (!found)
      return stop(BreakReason::UserError, fmt::format("'{}' object has no attribute '{}'",
                                                      object.value.as<ClassObject>().name, name));
    if (found->is(ObjectKind::Function)) {
      Sym method;
      method.kind = Sym::Kind::kMethod;
      if (object.fields->class_source != kNoSource)
        method.source = capture_.sources.attribute(object.fields->class_source, name);
      method.value = *found;
      method.name = name;
      method.items = std::make_shared<std::vector<Sym>>(std::vector<Sym>{object});
      return method;
    }
    SourceId source = object.fields->class_source == kNoSource
                          ? kNoSource
                          : capture_.sources.attribute(object.fields->class_source, name);
    return realize(*found, source);
  }

  bool store_new_object_field(const Sym& object, const std::string& name, Sym value) {
    if (!may_change(object)) return false;
    for (auto& [field, stored] : object.fields->values)
      if (field == name) {
        stored = std::move(value);
        return true;
      }
    object.fields->values.push_back({name, std::move(value)});
    return true;
  }

  // A function marked by allow_in_graph (one opaque node: tensors are its inputs, constants
  // part of its binding, output metas from a trace-time call on zeros) or by
  // assume_constant_result (called now on constants; its result is a constant, unguarded).
  std::optional<Sym> call_marked(const Value& function, TraceMark mark, std::span<const Sym> args,
                                 std::span<const std::pair<std::string, Sym>> kwargs) {
    const std::string& name = function.as<FunctionObject>().code->name;
    std::vector<AllowedArgument> arguments;
    std::vector<ValueId> inputs;
    std::vector<TensorMeta> input_metas;
    auto add = [&](const std::string& keyword, const Sym& arg) {
      if (arg.kind == Sym::Kind::kTensor && mark == TraceMark::kAllowInGraph) {
        arguments.push_back({keyword, static_cast<int>(inputs.size()), Value()});
        inputs.push_back(ValueId{current(arg.tensor)});
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

  // assume_constant_result's value as a symbolic constant (a tensor becomes a graph constant).
  std::optional<Sym> constant_result(const Value& value) {
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

  std::optional<OpKind> op_of_builtin(BuiltinFn fn) {
    if (op_builtins_.empty())
      for (int i = 0; i < kNumOps; ++i)
        op_builtins_.emplace(tensor_op_builtin(static_cast<OpKind>(i)), static_cast<OpKind>(i));
    auto it = op_builtins_.find(fn);
    if (it == op_builtins_.end()) return std::nullopt;
    return it->second;
  }

  std::optional<Sym> call_builtin(const std::string& name, std::span<const Sym> args,
                                  std::span<const std::pair<std::string, Sym>> kwargs) {
    if (name == "graph_break") return stop(BreakReason::GraphBreakCall);
    if (name == "print") {
      // Recorded, and replayed after the graph with the values it shows.
      SideEffect effect;
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
        return Sym::constant(Value::integer(meta.sizes[0]));
      }
      if (arg.kind == Sym::Kind::kConstant && arg.value.is(ObjectKind::Str))
        return Sym::constant(
            Value::integer(static_cast<int64_t>(arg.value.as<StrObject>().text.size())));
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
        for (const Value& each : cls.as<TupleObject>().items)
          match |= vm_.is_instance(example, each);
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

  // `closure`: the cells of a function made in the trace (kClosure), else the function's own.
  std::optional<Sym> inline_call(const Value& function, std::vector<Sym> args,
                                 std::vector<std::pair<std::string, Sym>> kwargs, int depth,
                                 const std::vector<Sym>* closure = nullptr,
                                 SourceId function_source = kNoSource) {
    if (depth + 1 > kMaxInlineDepth) return stop(BreakReason::InlineDepth);
    const auto& fn = function.as<FunctionObject>();
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

  // ---- closures ----
  static Sym new_cell(std::optional<Sym> value = std::nullopt, Value existing = Value()) {
    Sym cell = Sym::sequence(Sym::Kind::kCell, {});
    cell.value = std::move(existing);
    if (value) cell.items->push_back(std::move(*value));
    return cell;
  }

  // A frame's cells, as the VM makes them (enter_frame): its own cells start from the argument
  // of the same name; free variables are the closure's cells. The contents of a closure that
  // existed before the trace are sources (`function_source.__closure__[i].cell_contents`, or
  // the root frame's own free variables by name), guarded when read; a function without a
  // source (found some other way) may only close over functions and classes.
  std::optional<std::vector<Sym>> make_cells(const FunctionObject& function,
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
    for (std::size_t i = 0; i < closure_cells.size(); ++i) {
      const auto& object = closure_cells[i].as<CellObject>();
      if (!object.bound) {
        cells.push_back(new_cell(std::nullopt, closure_cells[i]));
        continue;
      }
      const Value& content = object.value;
      if (root || function_source != kNoSource) {
        auto value =
            realize(content, capture_.sources.cell(root ? kNoSource : function_source,
                                                   static_cast<int64_t>(i), code.free_names[i]));
        if (!value) return std::nullopt;
        cells.push_back(new_cell(std::move(*value), closure_cells[i]));
        continue;
      }
      if (!(content.is(ObjectKind::Function) || content.is(ObjectKind::Class) ||
            content.is(ObjectKind::Builtin) || content.is(ObjectKind::CompiledFunction)))
        return stop(BreakReason::UnsupportedOpcode,
                    fmt::format("{}() reads a closure variable holding a {}", code.name,
                                type_name(content)));
      cells.push_back(new_cell(Sym::constant(content), closure_cells[i]));
    }
    return cells;
  }

  // A function or cell made in the trace cannot be rebuilt after the graph.
  static bool made_in_trace(const Sym& value) {
    if (value.kind == Sym::Kind::kCell || value.kind == Sym::Kind::kClosure) return true;
    if (value.kind == Sym::Kind::kTuple || value.kind == Sym::Kind::kList)
      for (const Sym& item : *value.items)
        if (made_in_trace(item)) return true;
    return false;
  }

  // ---- globals ----
  std::optional<Sym> global(const FunctionObject& function, const std::string& name) {
    SourceId source = capture_.sources.global(name);
    if (auto it = globals_.find(source); it != globals_.end()) return it->second;
    Value key = make_str(name);
    const Value* found = nullptr;
    for (const Value* dict : {&function.globals, &vm_.builtins()}) {
      const Dict& table = dict->as<DictObject>().table;
      if (int64_t position = table.find(key); position >= 0) {
        found = &table.value_at(position);
        break;
      }
    }
    if (!found) return stop(BreakReason::UserError, fmt::format("name '{}' is not defined", name));
    auto value = realize(*found, source);
    if (value) globals_.emplace(source, *value);
    return value;
  }

  // ---- the loop ----
  std::optional<Sym> run_code(const FunctionObject& function,
                              std::vector<std::optional<Sym>> locals, int depth, bool root,
                              std::size_t start_pc = 0, std::vector<Sym> stack = {},
                              std::vector<Sym> cells = {}) {
    const Code& code = *function.code;
    std::size_t pc = start_pc;
    auto pop = [&] {
      Sym top = std::move(stack.back());
      stack.pop_back();
      return top;
    };
    while (true) {
      if (++steps_ > kMaxTraceSteps)
        return stop(BreakReason::UnsupportedOpcode, "the trace is too long");
      const Instruction instruction = code.instructions[pc];
      const uint32_t arg = instruction.arg;
      if (depth == 0) {
        line_ = code.lines[pc];
        // The state a graph break hands to the VM: the frame before this instruction.
        snapshot_ = Snapshot{pc,
                             locals,
                             stack,
                             journal_.size(),
                             capture_.effects.size(),
                             builder_.graph().num_calls()};
      }
      std::size_t next = pc + 1;
      switch (instruction.opcode) {
        case Opcode::NOP:
          break;
        case Opcode::POP_TOP:
          stack.pop_back();
          break;
        case Opcode::COPY:
          stack.push_back(stack[stack.size() - arg]);
          break;
        case Opcode::SWAP:
          std::swap(stack.back(), stack[stack.size() - arg]);
          break;
        case Opcode::LOAD_CONST: {
          // A code constant is a function shell, made into a function by MAKE_FUNCTION.
          Value value = vm_.constant_value(code.constants[arg]);
          stack.push_back(Sym::constant(value));
          break;
        }
        case Opcode::LOAD_FAST: {
          if (!locals[arg] && root && is_lazy(arg)) {
            auto value =
                realize(root_locals_[arg], capture_.sources.local(arg, code.local_names[arg]));
            if (!value) return std::nullopt;
            locals[arg] = std::move(*value);
          }
          if (!locals[arg])
            return stop(BreakReason::UserError,
                        fmt::format("local variable '{}' is unbound", code.local_names[arg]));
          stack.push_back(*locals[arg]);
          break;
        }
        case Opcode::STORE_FAST:
          locals[arg] = pop();
          if (root) {
            forget_lazy(arg);
            dirty_locals_.insert(arg);
          }
          break;
        case Opcode::LOAD_DEREF: {
          const Sym& cell = cells[arg];
          if (cell.items->empty()) {
            const std::string& name = arg < code.cell_names.size()
                                          ? code.cell_names[arg]
                                          : code.free_names[arg - code.cell_names.size()];
            return stop(BreakReason::UserError,
                        fmt::format("free variable '{}' referenced before assignment", name));
          }
          stack.push_back(cell.items->front());
          break;
        }
        case Opcode::STORE_DEREF: {
          // The VM's frame keeps its own cells at a break: a root cell stored here has no plan.
          if (root && arg < code.cell_names.size()) root_cells_stored_ = true;
          Sym& cell = cells[arg];
          Sym value = pop();
          if (cell.value.is(ObjectKind::Cell)) {
            // A cell from before the call (nonlocal): the store is replayed on it.
            auto planned = plan_state(value);
            if (!planned) return stop(BreakReason::SideEffect, "storing this value in a cell");
            SideEffect effect;
            effect.kind = SideEffect::Kind::kSetCell;
            effect.target.constant = cell.value;
            effect.args.push_back(std::move(*planned));
            capture_.effects.push_back(std::move(effect));
          }
          cell.items->assign(1, std::move(value));
          break;
        }
        case Opcode::LOAD_CLOSURE:
          stack.push_back(cells[arg]);
          break;
        case Opcode::MAKE_FUNCTION: {
          Sym shell = pop();
          std::optional<Sym> closure, defaults;
          if (arg & 2) closure = pop();
          if (arg & 1) defaults = pop();
          Value made = Value::object(new FunctionObject());
          auto& object = made.as<FunctionObject>();
          object.code = shell.value.as<FunctionObject>().code;
          object.globals = function.globals;
          if (defaults) {
            auto values = constant_index(*defaults);  // a tuple of constants
            if (!values) return stop(BreakReason::UnsupportedOpcode, "non-constant defaults");
            object.defaults = std::move(*values);
          }
          if (!closure) {
            stack.push_back(Sym::constant(std::move(made)));
            break;
          }
          Sym function_sym;
          function_sym.kind = Sym::Kind::kClosure;
          function_sym.value = std::move(made);
          function_sym.items = std::make_shared<std::vector<Sym>>(*closure->items);
          stack.push_back(std::move(function_sym));
          break;
        }
        case Opcode::LOAD_GLOBAL: {
          auto value = global(function, code.names[arg]);
          if (!value) return std::nullopt;
          stack.push_back(std::move(*value));
          break;
        }
        case Opcode::LOAD_ATTR: {
          Sym object = pop();
          auto value = attribute(object, code.names[arg]);
          if (!value) return std::nullopt;
          stack.push_back(std::move(*value));
          break;
        }
        case Opcode::STORE_ATTR: {
          // obj.name = value on an object from before the call: later reads in the trace see
          // the new value; the store itself is replayed after the graph.
          Sym object = pop(), value = pop();
          if (object.kind == Sym::Kind::kNewObject) {
            if (!store_new_object_field(object, code.names[arg], std::move(value)))
              return std::nullopt;
            break;
          }
          if (object.kind != Sym::Kind::kObject)
            return stop(BreakReason::SideEffect, "storing an attribute of this value");
          auto planned = plan_state(value);
          if (!planned) return stop(BreakReason::SideEffect, "storing this value");
          SideEffect effect;
          effect.kind = SideEffect::Kind::kSetAttribute;
          effect.target = plan(object);
          effect.name = code.names[arg];
          effect.args.push_back(std::move(*planned));
          capture_.effects.push_back(std::move(effect));
          stored_attributes_[{object.source, code.names[arg]}] = std::move(value);
          break;
        }
        case Opcode::STORE_GLOBAL: {
          Sym value = pop();
          auto planned = plan_state(value);
          if (!planned) return stop(BreakReason::SideEffect, "storing this global");
          SideEffect effect;
          effect.kind = SideEffect::Kind::kSetGlobal;
          effect.name = code.names[arg];
          effect.args.push_back(std::move(*planned));
          capture_.effects.push_back(std::move(effect));
          globals_[capture_.sources.global(code.names[arg])] = std::move(value);
          break;
        }
        case Opcode::LOAD_METHOD: {
          Sym object = pop();
          if (object.kind == Sym::Kind::kTensor || object.kind == Sym::Kind::kList ||
              object.kind == Sym::Kind::kDict) {
            Sym method;
            method.kind = Sym::Kind::kTensorMethod;
            method.name = code.names[arg];
            method.items = std::make_shared<std::vector<Sym>>(std::vector<Sym>{object});
            stack.push_back(std::move(method));
          } else {
            auto value = attribute(object, code.names[arg]);
            if (!value) return std::nullopt;
            stack.push_back(std::move(*value));
          }
          Sym no_self;
          no_self.kind = Sym::Kind::kNoSelf;
          stack.push_back(std::move(no_self));
          break;
        }
        case Opcode::UNARY_NEGATIVE: {
          Sym operand = pop();
          if (operand.kind == Sym::Kind::kTensor) {
            auto result = emit_one(OpKind::neg, {current(operand.tensor)});
            if (!result) return std::nullopt;
            stack.push_back(std::move(*result));
          } else if (operand.kind == Sym::Kind::kConstant) {
            auto result = unary_negative(operand.value);
            if (!result.ok()) return stop(BreakReason::UserError, result.error().message);
            stack.push_back(Sym::constant(*result));
          } else {
            return stop(BreakReason::UnsupportedBuiltin, "unary '-'");
          }
          break;
        }
        case Opcode::UNARY_NOT: {
          auto value = truth(pop());
          if (!value) return std::nullopt;
          stack.push_back(Sym::constant(Value::boolean(!*value)));
          break;
        }
        case Opcode::BINARY_OP: {
          Sym right = pop(), left = pop();
          auto result = binary(static_cast<Binop>(arg), left, right);
          if (!result) return std::nullopt;
          stack.push_back(std::move(*result));
          break;
        }
        case Opcode::COMPARE_OP: {
          Sym right = pop(), left = pop();
          auto result = compare(static_cast<CompareOp>(arg), left, right);
          if (!result) return std::nullopt;
          stack.push_back(std::move(*result));
          break;
        }
        case Opcode::BUILD_MAP: {
          Sym dict = Sym::sequence(Sym::Kind::kDict, {});
          std::vector<Sym> pairs(stack.end() - 2 * arg, stack.end());
          stack.resize(stack.size() - 2 * arg);
          for (std::size_t i = 0; i < pairs.size(); i += 2)
            if (!dict_store(dict, pairs[i], pairs[i + 1])) return std::nullopt;
          stack.push_back(std::move(dict));
          break;
        }
        case Opcode::CONTAINS_OP: {
          Sym container = pop(), item = pop();
          bool found = false;
          if (container.kind == Sym::Kind::kDict) {
            auto key = dict_key(item);
            if (!key) return std::nullopt;
            found = dict_find(container, *key) >= 0;
          } else if (auto values = constant_index(container),
                     needle = item.kind == Sym::Kind::kConstant ? std::optional<Value>(item.value)
                                                                : std::nullopt;
                     values && needle) {
            auto result = contains(*values, *needle);
            if (!result.ok()) return stop(BreakReason::UserError, result.error().message);
            found = *result;
          } else {
            return stop(BreakReason::UnsupportedBuiltin, "'in' on this value");
          }
          stack.push_back(Sym::constant(Value::boolean(arg ? !found : found)));
          break;
        }
        case Opcode::UNARY_POSITIVE: {
          Sym operand = pop();
          if (operand.kind == Sym::Kind::kTensor) {
            stack.push_back(std::move(operand));  // +x is x itself, as in the VM
          } else if (operand.kind == Sym::Kind::kConstant) {
            auto result = unary_positive(operand.value);
            if (!result.ok()) return stop(BreakReason::UserError, result.error().message);
            stack.push_back(Sym::constant(*result));
          } else {
            return stop(BreakReason::UnsupportedBuiltin, "unary '+'");
          }
          break;
        }
        case Opcode::UNARY_INVERT: {
          Sym operand = pop();
          if (operand.kind == Sym::Kind::kTensor) {
            if (meta_of(operand.tensor).dtype != DType::Bool)
              return stop(BreakReason::UserError, "'~' of a non-bool tensor");
            auto result = emit_one(OpKind::logical_not, {current(operand.tensor)});
            if (!result) return std::nullopt;
            stack.push_back(std::move(*result));
          } else if (operand.kind == Sym::Kind::kConstant) {
            auto result = unary_invert(operand.value);
            if (!result.ok()) return stop(BreakReason::UserError, result.error().message);
            stack.push_back(Sym::constant(*result));
          } else {
            return stop(BreakReason::UnsupportedBuiltin, "unary '~'");
          }
          break;
        }
        // Deleting names, class bodies, exception handling and raising: the VM's.
        case Opcode::DELETE_FAST:
        case Opcode::LOAD_NAME:
        case Opcode::STORE_NAME:
        case Opcode::DELETE_GLOBAL:
        case Opcode::DELETE_NAME:
        case Opcode::DELETE_SUBSCR:
        case Opcode::BUILD_CLASS:
        case Opcode::SETUP_EXCEPT:
        case Opcode::POP_BLOCK:
        case Opcode::CHECK_EXC_MATCH:
        case Opcode::POP_EXCEPT:
        case Opcode::RERAISE:
          return stop(BreakReason::UnsupportedOpcode, std::string(opcode_name(instruction.opcode)));
        case Opcode::RAISE_VARARGS:
        case Opcode::LOAD_ASSERTION_ERROR:
          // The code raises: the VM runs the frame and raises the user's own exception.
          return stop(BreakReason::UserError, std::string(opcode_name(instruction.opcode)));
        case Opcode::IS_OP: {
          Sym right = pop(), left = pop();
          bool same;
          auto inline_constant = [](const Sym& s) {
            return s.kind == Sym::Kind::kConstant && !s.value.is_object();
          };
          if (left.kind == Sym::Kind::kConstant && right.kind == Sym::Kind::kConstant) {
            same = identical(left.value, right.value);
          } else if (inline_constant(left) || inline_constant(right)) {
            same = false;  // `x is None` where x is a tensor, an object or a list
          } else if (left.kind == Sym::Kind::kTensor && right.kind == Sym::Kind::kTensor &&
                     left.tensor == right.tensor) {
            same = true;
          } else {
            return stop(BreakReason::UnsupportedBuiltin, "'is' between two objects");
          }
          stack.push_back(Sym::constant(Value::boolean(arg ? !same : same)));
          break;
        }
        case Opcode::BINARY_SUBSCR: {
          Sym index = pop(), container = pop();
          if ((container.kind == Sym::Kind::kTuple || container.kind == Sym::Kind::kList) &&
              index.kind == Sym::Kind::kConstant && index.value.is_integral()) {
            int64_t size = static_cast<int64_t>(container.items->size());
            int64_t i = index.value.as_int();
            if (i < 0) i += size;
            if (i < 0 || i >= size) return stop(BreakReason::UserError, "index out of range");
            stack.push_back((*container.items)[i]);
            break;
          }
          if ((container.kind == Sym::Kind::kTuple || container.kind == Sym::Kind::kList) &&
              index.kind == Sym::Kind::kConstant && index.value.is(ObjectKind::Slice)) {
            // xs[a:b:c]: the VM's own slicing, applied to the items' positions.
            std::vector<Value> positions;
            for (std::size_t i = 0; i < container.items->size(); ++i)
              positions.push_back(Value::integer(static_cast<int64_t>(i)));
            auto picked = vm_.subscript(make_tuple(std::move(positions)), index.value);
            if (!picked) return stop(BreakReason::UserError, str(vm_.exception()));
            std::vector<Sym> items;
            for (const Value& position : picked->as<TupleObject>().items)
              items.push_back((*container.items)[position.as_int()]);
            stack.push_back(Sym::sequence(container.kind, std::move(items)));
            break;
          }
          if (container.kind == Sym::Kind::kDict) {
            auto result = dict_load(container, index);
            if (!result) return std::nullopt;
            stack.push_back(std::move(*result));
            break;
          }
          if (container.kind == Sym::Kind::kTensor) {
            auto result = index_tensor(container, index);
            if (!result) return std::nullopt;
            stack.push_back(std::move(*result));
            break;
          }
          return stop(BreakReason::UnsupportedOpcode, "subscript");
        }
        case Opcode::STORE_SUBSCR: {
          Sym index = pop(), container = pop(), value = pop();
          if (container.kind == Sym::Kind::kTensor) {
            if (!store_tensor_item(container, index, value)) return std::nullopt;
            break;
          }
          if (container.kind == Sym::Kind::kDict) {
            if (!dict_store(container, index, std::move(value))) return std::nullopt;
            break;
          }
          if (container.kind == Sym::Kind::kList && index.kind == Sym::Kind::kConstant &&
              index.value.is_integral()) {
            if (!store_list_item(container, index.value.as_int(), value)) return std::nullopt;
            break;
          }
          return stop(BreakReason::UnsupportedOpcode, "item assignment to this value");
        }
        case Opcode::BUILD_SLICE: {
          Sym step = arg == 3 ? pop() : Sym::constant(Value());
          Sym stop_bound = pop(), start = pop();
          for (const Sym* part : {&start, &stop_bound, &step})
            if (part->kind != Sym::Kind::kConstant)
              return stop(BreakReason::UnsupportedOpcode, "a slice of non-constant bounds");
          stack.push_back(Sym::constant(make_slice(start.value, stop_bound.value, step.value)));
          break;
        }
        case Opcode::BUILD_TUPLE:
        case Opcode::BUILD_LIST: {
          std::vector<Sym> items(stack.end() - arg, stack.end());
          stack.resize(stack.size() - arg);
          stack.push_back(Sym::sequence(
              instruction.opcode == Opcode::BUILD_TUPLE ? Sym::Kind::kTuple : Sym::Kind::kList,
              std::move(items)));
          break;
        }
        case Opcode::UNPACK_SEQUENCE: {
          Sym sequence = pop();
          if (sequence.kind != Sym::Kind::kTuple && sequence.kind != Sym::Kind::kList)
            return stop(BreakReason::UnsupportedOpcode, "unpacking");
          if (sequence.items->size() != arg) return stop(BreakReason::UserError, "unpack count");
          for (auto it = sequence.items->rbegin(); it != sequence.items->rend(); ++it)
            stack.push_back(*it);
          break;
        }
        case Opcode::JUMP:
          next = arg;
          break;
        case Opcode::POP_JUMP_IF_FALSE:
        case Opcode::POP_JUMP_IF_TRUE: {
          auto value = truth(pop());
          if (!value) return std::nullopt;
          if (*value == (instruction.opcode == Opcode::POP_JUMP_IF_TRUE)) next = arg;
          break;
        }
        case Opcode::JUMP_IF_FALSE_OR_POP:
        case Opcode::JUMP_IF_TRUE_OR_POP: {
          auto value = truth(stack.back());
          if (!value) return std::nullopt;
          if (*value == (instruction.opcode == Opcode::JUMP_IF_TRUE_OR_POP))
            next = arg;
          else
            stack.pop_back();
          break;
        }
        case Opcode::GET_ITER: {
          Sym iterable = pop();
          Sym iterator;
          iterator.kind = Sym::Kind::kIterator;
          if (iterable.kind == Sym::Kind::kIterator) {
            stack.push_back(std::move(iterable));
            break;
          }
          if (iterable.kind == Sym::Kind::kTuple || iterable.kind == Sym::Kind::kList) {
            iterator.items = std::make_shared<std::vector<Sym>>(*iterable.items);
          } else if (iterable.kind == Sym::Kind::kDict) {
            iterator.items = std::make_shared<std::vector<Sym>>(dict_view(iterable, "keys"));
          } else if (iterable.kind == Sym::Kind::kConstant &&
                     iterable.value.is(ObjectKind::Range)) {
            const auto& range = iterable.value.as<RangeObject>();
            std::vector<Sym> items;
            for (int64_t i = 0, n = range.length(); i < n; ++i)
              items.push_back(Sym::constant(Value::integer(range.start + i * range.step)));
            iterator.items = std::make_shared<std::vector<Sym>>(std::move(items));
          } else {
            return stop(BreakReason::UnsupportedOpcode, "iteration over this value");
          }
          stack.push_back(std::move(iterator));
          break;
        }
        case Opcode::FOR_ITER: {
          if (stack.back().kind == Sym::Kind::kVmIterator) return stop(BreakReason::LoopResume);
          Sym& iterator = stack.back();
          if (iterator.position >= iterator.items->size()) {
            stack.pop_back();
            next = arg;
          } else {
            Sym item = (*iterator.items)[iterator.position++];
            stack.push_back(std::move(item));
          }
          break;
        }
        case Opcode::RETURN_VALUE:
          return pop();
        case Opcode::CALL:
        case Opcode::CALL_METHOD:
        case Opcode::CALL_KW: {
          std::vector<std::pair<std::string, Sym>> kwargs;
          std::size_t count = arg;
          if (instruction.opcode == Opcode::CALL_KW) {
            Sym names = pop();
            const auto& keyword_names = names.value.as<TupleObject>().items;
            std::size_t first = stack.size() - keyword_names.size();
            for (std::size_t i = 0; i < keyword_names.size(); ++i)
              kwargs.push_back({keyword_names[i].as<StrObject>().text, stack[first + i]});
            stack.resize(first);
            count -= keyword_names.size();
          }
          std::vector<Sym> args(stack.end() - count, stack.end());
          stack.resize(stack.size() - count);
          if (instruction.opcode == Opcode::CALL_METHOD) {
            Sym self = pop();
            if (self.kind != Sym::Kind::kNoSelf) args.insert(args.begin(), std::move(self));
          }
          Sym callable = pop();
          auto result = call(callable, std::move(args), std::move(kwargs), depth);
          if (!result) return std::nullopt;
          stack.push_back(std::move(*result));
          break;
        }
        case Opcode::LIST_APPEND:
        case Opcode::LIST_EXTEND: {
          // Only lists the trace built itself (comprehensions, f(*args)) are extended.
          Sym item = pop();
          Sym& target = stack[stack.size() - arg];
          if (target.kind != Sym::Kind::kList || target.source != kNoSource)
            return stop(BreakReason::SideEffect, "extending an existing list");
          if (instruction.opcode == Opcode::LIST_APPEND) {
            target.items->push_back(std::move(item));
          } else {
            if (item.kind != Sym::Kind::kTuple && item.kind != Sym::Kind::kList)
              return stop(BreakReason::UnsupportedOpcode, "extending with this value");
            target.items->insert(target.items->end(), item.items->begin(), item.items->end());
          }
          break;
        }
        case Opcode::CALL_EX: {
          if (arg) return stop(BreakReason::UnsupportedOpcode, "**kwargs at a call");
          Sym sequence = pop();
          Sym callable = pop();
          if (sequence.kind != Sym::Kind::kTuple && sequence.kind != Sym::Kind::kList)
            return stop(BreakReason::UnsupportedOpcode, "*args of this value");
          auto result = call(callable, *sequence.items, {}, depth);
          if (!result) return std::nullopt;
          stack.push_back(std::move(*result));
          break;
        }
      }
      pc = next;
    }
  }

  bool is_lazy(std::size_t local) const {
    for (std::size_t index : lazy_locals_)
      if (index == local) return true;
    return false;
  }
  void forget_lazy(std::size_t local) {
    for (auto& index : lazy_locals_)
      if (index == local) index = static_cast<std::size_t>(-1);
  }

  // ---- graph breaks ----
  struct Snapshot {
    std::size_t pc;
    std::vector<std::optional<Sym>> locals;
    std::vector<Sym> stack;
    // What the breaking instruction itself changed is undone: the VM runs it again.
    std::size_t journal_size;
    std::size_t effect_count;
    int64_t call_count;  // tensor work before the breaking instruction
  };

  // The plans that rebuild the frame's locals and stack at the break; false when a value has
  // no plan (the frame then runs in the VM).
  bool plan_break(const Snapshot& snapshot) {
    if (root_cells_stored_) return false;
    while (journal_.size() > snapshot.journal_size) {
      vars_[journal_.back().first] = std::move(journal_.back().second);
      journal_.pop_back();
    }
    capture_.effects.resize(snapshot.effect_count);
    capture_.resume_pc = static_cast<int64_t>(snapshot.pc);
    capture_.locals.resize(snapshot.locals.size());
    for (std::size_t i : dirty_locals_) {
      if (!snapshot.locals[i]) continue;  // stored after the snapshot: the frame has the old one
      auto value = plan_state(*snapshot.locals[i]);
      if (!value) return false;
      capture_.locals[i] = std::move(*value);
    }
    for (const Sym& item : snapshot.stack) {
      auto value = plan_state(item);
      if (!value) return false;
      capture_.stack.push_back(std::move(*value));
    }
    return true;
  }

  // A value the VM will see again at a break, including the ones only a frame in progress has
  // (iterators, bound methods).
  std::optional<ResultPlan> plan_state(const Sym& value) {
    auto planned = plan_made(value);
    if (planned && planned->made >= 0) {
      // Made in the trace: one slot per object, so all its plans build one instance.
      const void* identity = value.kind == Sym::Kind::kNewObject
                                 ? static_cast<const void*>(value.fields.get())
                                 : value.items.get();
      planned_.insert(identity);
    }
    return planned;
  }

  std::optional<ResultPlan> plan_made(const Sym& value) {
    const bool made = (value.kind == Sym::Kind::kList && value.source == kNoSource) ||
                      value.kind == Sym::Kind::kDict || value.kind == Sym::Kind::kNewObject;
    if (!made) return plan_value(value);
    const void* identity = value.kind == Sym::Kind::kNewObject
                               ? static_cast<const void*>(value.fields.get())
                               : value.items.get();
    auto slot = made_slots_.emplace(identity, static_cast<int32_t>(made_slots_.size())).first;
    auto planned = plan_value(value);
    if (planned) planned->made = slot->second;
    return planned;
  }

  std::optional<ResultPlan> plan_value(const Sym& value) {
    ResultPlan out;
    switch (value.kind) {
      case Sym::Kind::kCell:
      case Sym::Kind::kClosure:
        return std::nullopt;
      case Sym::Kind::kDict: {
        out.kind = ResultPlan::Kind::kDict;
        for (const Sym& item : *value.items) {
          auto planned = plan_state(item);
          if (!planned) return std::nullopt;
          out.items.push_back(std::move(*planned));
        }
        return out;
      }
      case Sym::Kind::kNewObject: {
        // The instance is made again after the graph: its class, then its fields in order.
        out.kind = ResultPlan::Kind::kNewObject;
        out.constant = value.value;
        for (const auto& [name, field] : value.fields->values) {
          auto planned = plan_state(field);
          if (!planned) return std::nullopt;
          ResultPlan key;
          key.constant = make_str(name);
          out.items.push_back(std::move(key));
          out.items.push_back(std::move(*planned));
        }
        return out;
      }
      case Sym::Kind::kIterator: {
        out.kind = ResultPlan::Kind::kIterator;
        for (std::size_t i = value.position; i < value.items->size(); ++i) {
          auto item = plan_state((*value.items)[i]);
          if (!item) return std::nullopt;
          out.items.push_back(std::move(*item));
        }
        return out;
      }
      case Sym::Kind::kNoSelf:
        out.kind = ResultPlan::Kind::kNoSelf;
        return out;
      case Sym::Kind::kTensorMethod: {
        auto self = plan_state((*value.items)[0]);
        if (!self) return std::nullopt;
        out.kind = ResultPlan::Kind::kAttribute;
        out.name = value.name;
        out.items.push_back(std::move(*self));
        return out;
      }
      case Sym::Kind::kMethod: {
        // The VM's own bound method: the function looked up on the object again.
        auto self = plan_state((*value.items)[0]);
        if (!self) return std::nullopt;
        out.kind = ResultPlan::Kind::kAttribute;
        out.name = value.name;
        out.items.push_back(std::move(*self));
        return out;
      }
      case Sym::Kind::kTuple:
      case Sym::Kind::kList:
        if (value.source == kNoSource) {
          out.kind =
              value.kind == Sym::Kind::kTuple ? ResultPlan::Kind::kTuple : ResultPlan::Kind::kList;
          for (const Sym& item : *value.items) {
            auto planned = plan_state(item);
            if (!planned) return std::nullopt;
            out.items.push_back(std::move(*planned));
          }
          return out;
        }
        return plan(value);
      default:
        return plan(value);
    }
  }

  // Inputs written in place get their new values after the graph; NO_ALIASING guards that no
  // other input shares their storage (the graph computed them as if none did).
  void plan_write_backs() {
    for (int var : written_inputs_) {
      const int value = current(var);
      if (value == vars_[var].placeholder) continue;  // the write was undone at a break
      capture_.write_backs.push_back({vars_[var].input, static_cast<int>(outputs_.size())});
      outputs_.push_back(ValueId{value});
      Guard guard(GuardKind::NO_ALIASING, vars_[var].input);
      for (SourceId other : capture_.inputs)
        if (other != vars_[var].input) guard.unaliased.push_back(other);
      if (!guard.unaliased.empty()) this->guard(std::move(guard));
    }
  }

  // ---- the result ----
  ResultPlan plan(const Sym& value) {
    ResultPlan plan;
    switch (value.kind) {
      case Sym::Kind::kTensor:
        if (const TensorVar& var = vars_[value.tensor]; var.input != kNoSource) {
          // The caller's own tensor object comes back (written back first if it changed).
          plan.kind = ResultPlan::Kind::kSource;
          plan.source = var.input;
        } else {
          plan.kind = ResultPlan::Kind::kTensor;
          plan.output = static_cast<int>(outputs_.size());
          outputs_.push_back(ValueId{current(value.tensor)});
        }
        break;
      case Sym::Kind::kTuple:
      case Sym::Kind::kList:
        if (value.source != kNoSource) {
          plan.kind = ResultPlan::Kind::kSource;
          plan.source = value.source;
          break;
        }
        plan.kind =
            value.kind == Sym::Kind::kTuple ? ResultPlan::Kind::kTuple : ResultPlan::Kind::kList;
        for (const Sym& item : *value.items) plan.items.push_back(this->plan(item));
        break;
      case Sym::Kind::kObject:
      case Sym::Kind::kVmIterator:
        plan.kind = ResultPlan::Kind::kSource;
        plan.source = value.source;
        break;
      default:
        plan.kind = ResultPlan::Kind::kConstant;
        plan.constant = value.value;
        if (value.source != kNoSource && value.value.is_object() &&
            !value.value.is(ObjectKind::Str)) {
          plan.kind = ResultPlan::Kind::kSource;
          plan.source = value.source;
        }
        break;
    }
    return plan;
  }

  Interpreter& vm_;
  Value root_;
  std::vector<Value> root_locals_;
  std::vector<std::size_t> lazy_locals_;
  Capture capture_;
  GraphBuilder builder_{GraphBuilderOptions{.cse = true, .fold = eager_constant_folder()}};
  std::vector<ValueId> outputs_;
  std::unordered_map<SourceId, int> placeholder_of_;  // source -> its tensor object
  std::vector<TensorVar> vars_;
  std::vector<std::pair<int, TensorVar>> journal_;  // (var, state before a change)
  std::vector<int> written_inputs_;                 // in order of their first write
  bool root_cells_stored_ = false;  // STORE_DEREF on one of the root frame's own cells
  std::unordered_map<SourceId, Sym> globals_;
  std::unordered_map<BuiltinFn, OpKind> op_builtins_;
  std::optional<Stop> stop_;
  std::optional<Snapshot> snapshot_;
  std::map<std::pair<SourceId, std::string>, Sym> stored_attributes_;
  std::set<std::size_t> dirty_locals_;
  std::set<const void*> planned_;  // made lists and objects some plan has captured
  std::unordered_map<const void*, int32_t> made_slots_;  // only looked up: slots in plan order
  std::size_t steps_ = 0;
  int line_ = 0;
};

}  // namespace

std::variant<Capture, TraceStop> trace_frame(Interpreter& vm, const Value& function,
                                             std::span<const Value> locals,
                                             std::span<const Value> stack, std::size_t start_pc) {
  Tracer tracer(vm, function);
  return tracer.run(locals, stack, start_pc);
}

}  // namespace gyro
