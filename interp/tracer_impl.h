// The symbolic evaluator's shared state (internal to interp/): symbolic values (Sym), tensor
// objects (TensorVar) and the Tracer, whose handlers are spread over the tracer_*.cc files by
// role: realizing sources, values and operators, in-place writes, calls, objects made in the
// trace, the opcode loop, and the plans that rebuild values after the graph.
#pragma once

#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>

#include "backends/graph_runner.h"
#include "interp/allowed_call.h"
#include "guards/shape_env.h"
#include "interp/guard_check.h"
#include "interp/objects.h"
#include "interp/op_arguments.h"
#include "interp/python_ops.h"
#include "interp/tensor_calls.h"
#include "interp/tracer.h"
#include "ir/graph_builder.h"
#include "ir/passes.h"
#include "ir/python_arith.h"

namespace gyro {

BuiltinFn tensor_op_builtin(OpKind op);  // attributes.cc
bool is_tensor_method(std::string_view name);  // attributes.cc: what tensor.name binds

namespace tracing {

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
    kSymInt,        // an int over symbolic sizes (x.shape[0] + 1): `expr`, with its hint in
                    // value. Only locals, the stack, the tuples of .shape, the arguments of
                    // an op call and the bounds of a slice that indexes a tensor hold one;
                    // any other use specializes it to its hint (a guard) first.
  };
  Kind kind = Kind::kConstant;
  Value value;       // kConstant, kObject, kMethod (the function)
  int tensor = -1;   // kTensor: the tensor object, an index into the tracer's TensorVars
  std::string name;  // kTensorMethod
  std::shared_ptr<std::vector<Sym>>
      items;                 // kTuple, kList, kIterator; kMethod/kTensorMethod: {self}
  std::size_t position = 0;  // kIterator
  SourceId source = kNoSource;
  SymId expr;  // kSymInt
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
  // Known contiguous in the VM: an input that is (its guards keep it so), or what an op made
  // (the eager kernels write fresh contiguous tensors).
  bool contiguous = false;
};

constexpr int kMaxInlineDepth = 16;
constexpr std::size_t kMaxTraceSteps = 200000;  // unrolled loops end here, not in a hang

class Tracer {
 public:
  Tracer(Interpreter& vm, const Value& function, ShapePolicy policy)
      : vm_(vm), root_(function), policy_(std::move(policy)), shapes_(policy_.budget) {}
  // Symbolic containers share their contents, so one that was made to hold itself (o.me = o,
  // a recursive nested function in its cell) is a reference cycle: emptied here.
  ~Tracer() {
    for (auto& items : changed_items_) items->clear();
    for (auto& fields : changed_fields_) fields->values.clear();
  }
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;
  std::variant<Capture, TraceStop> run(std::span<const Value> locals, std::span<const Value> stack,
                                       std::size_t start_pc);

 private:
  // ---- stopping ----
  std::nullopt_t stop(BreakReason reason, std::string detail = {}) {
    if (!stop_) stop_ = Stop{reason, std::move(detail)};
    return std::nullopt;
  }

  // ---- guards and realization ----
  void guard(Guard guard) { capture_.guards.push_back(std::move(guard)); }
  void guard_identity(SourceId source, const Value& value);
  void guard_type(SourceId source, const Value& value);
  // A tensor object's dtype and sizes (in-place writes never change them).
  const TensorMeta& meta_of(int var) const { return builder_.meta(ValueId{vars_[var].value}); }
  // A concrete value read from `source` as a symbolic one, with the guards that keep it valid.
  std::optional<Sym> realize(const Value& value, SourceId source);
  // An input tensor's sizes, symbolic where the policy says so (recording what it saw).
  SymDims input_sizes(const Tensor& tensor, SourceId source, const DimMarks* marks);
  // A tensor object's sizes as plain ints: symbolic ones are specialized to their hints.
  Dims static_sizes(int var);
  // A size as a script int: kSymInt when symbolic, else a constant.
  Sym sym_int(const SymDim& size);
  SymDim sym_dim(const Sym& value) { return SymDim(value.value.as_int(), value.expr, &shapes_); }
  // `value` with every symbolic int in it (itself, or a tuple's items) specialized to its hint.
  Sym specialized(const Sym& value);
  Sym specialized(const Sym& value, std::unordered_map<const std::vector<Sym>*, Sym>& done);
  static bool holds_sym_int(const Sym& value);
  // Whether `callable` is an op (a gyro builtin or a tensor method that is one): it receives
  // symbolic ints as they are, for the op's attributes. Every other callee sees their values.
  bool takes_sym_ints(const Sym& callable);
  // A slice with symbolic bounds: a constant slice of their hints whose `items` hold the
  // bounds (start, stop, step) as they are.
  static bool is_symbolic_slice(const Sym& value);
  // Whether `instruction` works on symbolic ints itself (arithmetic, comparisons, branches,
  // locals, stack moves); before any other, its operands are specialized.
  static bool keeps_sym_ints(const Instruction& instruction, const std::vector<Sym>& stack,
                             int depth);
  // Arithmetic, comparisons and truth on symbolic ints (nullopt result: not such a case).
  std::optional<std::optional<Sym>> sym_int_binary(Binop op, const Sym& a, const Sym& b);
  std::optional<std::optional<Sym>> sym_int_compare(CompareOp op, const Sym& a, const Sym& b);
  // Equal sizes, deciding symbolic ones through the shape env.
  static bool same_sizes(const SymDims& a, const SymDims& b);
  // Whether an int argument read from `source` becomes a symbol (the policy, and what earlier
  // traces saw of it).
  bool int_is_symbolic(int64_t value, SourceId source);
  // The shape env's relations as SHAPE guards (false: one is too complex to check; detail in
  // stop_).
  bool guard_shapes();
  Sym tensor_sym(int var, SourceId source = kNoSource) {
    Sym s;
    s.kind = Sym::Kind::kTensor;
    s.tensor = var;
    s.source = source;
    return s;
  }

  // ---- tensor objects and in-place writes ----
  int new_var(int value);
  // A var's state before a change, so a graph break can return to the state at its snapshot.
  void remember(int var) { journal_.push_back({var, vars_[var]}); }
  // The var's current value; a view whose base changed since is derived from it again.
  int current(int var);
  // Writes `value` (with the var's dtype and sizes) into tensor object `var`, as an in-place op
  // does. False (a graph break, the VM does the write) where the VM's aliasing cannot be
  // followed: a write through a view other than select/slice/unsqueeze, to a tensor that a
  // reshape-like op may share, to an input sharing storage with another input, or to an input
  // that a recorded print() shows.
  bool write(int var, int value);
  void store(int var, int value);
  // The base with `value` written where view `var` looks: the functional form of the write.
  int scatter(int var, int base_value, int value);
  static bool shows_source(const std::vector<ResultPlan>& plans, SourceId source);
  // `value` as the new contents of `target`, as PyTorch's copy_ does: broadcast to its sizes
  // and converted to its dtype.
  std::optional<int> broadcast_to(int target, int value);
  // x += y, x.add_(y), ...: x op y computed, then written into x with the VM's checks
  // (write_in_place): the result keeps x's sizes and may only be cast where PyTorch allows.
  std::optional<Sym> update_in_place(const Sym& target, Binop op, const Sym& operand);
  // The in-place tensor methods: add_, sub_, mul_, div_, fill_, zero_, copy_.
  std::optional<Sym> in_place_method(const Sym& self, const std::string& name,
                                     std::span<const Sym> args, bool has_kwargs);
  // xs[i] = value on a list: its symbolic items change, and a list that existed before the call
  // is changed again for real after the graph.
  bool store_list_item(const Sym& list, int64_t index, const Sym& value);
  bool record_set_item(const Sym& container, Value key, const Sym& value);
  // tensor[index] = value: the value (a tensor, or a number cast to the tensor's dtype) written
  // through the view the index selects.
  bool store_tensor_item(const Sym& tensor, const Sym& index, const Sym& value);

  // ---- the captured program ----
  std::optional<int> as_tensor(const Sym& operand);
  // op(inputs) as new tensor objects. `viewed` is the tensor object the first input is the
  // current value of: a view op's outputs are its views.
  std::optional<std::vector<Sym>> emit(OpKind op, std::vector<int> inputs,
                                       std::span<const Attr> positional,
                                       std::span<const NamedAttr> named, int viewed = -1);
  std::optional<Sym> emit_one(OpKind op, std::vector<int> inputs,
                              std::span<const Attr> positional = {},
                              std::span<const NamedAttr> named = {}, int viewed = -1);
  // A Python argument as an op attribute (constants; a symbolic int, or a tuple or list of
  // ints some of which are symbolic, keeps its expressions in Attr::syms: the graph builder
  // keeps or specializes them).
  std::optional<Attr> to_attr(const Sym& arg);
  // op(args...) with the VM's own argument mapping (op_arguments.h); an argument the trace
  // cannot map (a traced value where an attribute goes) leaves the call to the VM.
  struct SymArguments {
    using Input = int;
    Tracer& tracer;
    bool is_tensor(const Sym& s) const { return s.kind == Sym::Kind::kTensor; }
    std::optional<int> input(const Sym& s) const {
      // A symbolic int as a tensor operand (a wrapped number) is its value.
      if (s.kind == Sym::Kind::kSymInt) return tracer.as_tensor(tracer.specialized(s));
      if (s.kind != Sym::Kind::kTensor && !(s.kind == Sym::Kind::kConstant && s.value.is_number()))
        return std::nullopt;
      return tracer.as_tensor(s);
    }
    const std::vector<Sym>* items(const Sym& s) const {
      return s.kind == Sym::Kind::kTuple || s.kind == Sym::Kind::kList ? s.items.get() : nullptr;
    }
    std::optional<int64_t> integral(const Sym& s) const {
      if (s.kind == Sym::Kind::kSymInt) return s.value.as_int();
      if (s.kind != Sym::Kind::kConstant || !s.value.is_integral()) return std::nullopt;
      return s.value.as_int();
    }
    SymId sym_of(const Sym& s) const {
      return s.kind == Sym::Kind::kSymInt ? s.expr : SymId{};
    }
    std::optional<Attr> attr(const Sym& s) const { return tracer.to_attr(s); }
    std::string type_of(const Sym& s) const {
      return s.kind == Sym::Kind::kConstant ? std::string(type_name(s.value)) : "traced value";
    }
    std::string_view keyword_name(const std::pair<std::string, Sym>& k) const { return k.first; }
    const Sym& keyword_value(const std::pair<std::string, Sym>& k) const { return k.second; }
  };
  std::optional<Sym> call_op(OpKind op, std::span<const Sym> args,
                             std::span<const std::pair<std::string, Sym>> kwargs);

  // ---- Python operators ----
  std::optional<Sym> binary(Binop op, const Sym& a, const Sym& b);
  std::optional<Sym> compare(CompareOp op, const Sym& a, const Sym& b);
  std::optional<bool> truth(const Sym& condition);

  // ---- attributes ----
  std::optional<Sym> attribute(const Sym& object, const std::string& name);
  // A constant index (ints, slices, `...`, tuples of those) as the value the VM would see.
  std::optional<Value> constant_index(const Sym& index);
  // tensor[index]: the VM's own indexing steps (select, slice), recorded.
  std::optional<Sym> index_tensor(const Sym& tensor, const Sym& index);

  // ---- calls ----
  std::optional<Sym> call(const Sym& callable, std::vector<Sym> args,
                          std::vector<std::pair<std::string, Sym>> kwargs, int depth);

  // ---- dicts made in the trace ----
  // The position of `key` among a dict's keys (items holds key, value pairs), or -1.
  static int64_t dict_find(const Sym& dict, const Value& key);
  // A key the trace knows: a constant that hashes (None, numbers, str, tuples of those).
  std::optional<Value> dict_key(const Sym& key);
  bool dict_store(const Sym& dict, const Sym& key, Sym value);
  std::optional<Sym> dict_load(const Sym& dict, const Sym& key);
  // keys(), values() or items() in order; the loop that iterates them unrolls.
  static std::vector<Sym> dict_view(const Sym& dict, std::string_view which);
  std::optional<Sym> dict_method(const Sym& dict, const std::string& name,
                                 std::span<const Sym> args, bool has_kwargs);

  // ---- objects made in the trace ----
  // A list or object made in the trace is rebuilt from a plan made when it was stored or
  // printed; a later change would not reach the rebuilt copy, so it is left to the VM.
  bool may_change(const Sym& made);
  // A class's attribute as the VM finds it (the class chain), or nullptr.
  static const Value* class_attribute(const Value& cls, const std::string& name);
  // Cls(args): a new symbolic instance, its __init__ inlined; rebuilt after the graph if it
  // outlives the trace.
  std::optional<Sym> instantiate(const Sym& cls, std::vector<Sym> args,
                                 std::vector<std::pair<std::string, Sym>> kwargs, int depth);
  std::optional<Sym> new_object_attribute(const Sym& object, const std::string& name);
  bool store_new_object_field(const Sym& object, const std::string& name, Sym value);
  // A function marked by allow_in_graph (one opaque node: tensors are its inputs, constants
  // part of its binding, output metas from a trace-time call on zeros) or by
  // assume_constant_result (called now on constants; its result is a constant, unguarded).
  std::optional<Sym> call_marked(const Value& function, TraceMark mark, std::span<const Sym> args,
                                 std::span<const std::pair<std::string, Sym>> kwargs);
  // assume_constant_result's value as a symbolic constant (a tensor becomes a graph constant).
  std::optional<Sym> constant_result(const Value& value);
  std::optional<OpKind> op_of_builtin(BuiltinFn fn);
  std::optional<Sym> call_builtin(const std::string& name, std::span<const Sym> args,
                                  std::span<const std::pair<std::string, Sym>> kwargs);
  // `closure`: the cells of a function made in the trace (kClosure), else the function's own.
  std::optional<Sym> inline_call(const Value& function, std::vector<Sym> args,
                                 std::vector<std::pair<std::string, Sym>> kwargs, int depth,
                                 const std::vector<Sym>* closure = nullptr,
                                 SourceId function_source = kNoSource);

  // ---- closures ----
  static Sym new_cell(std::optional<Sym> value = std::nullopt, Value existing = Value());
  // A frame's cells, as the VM makes them (enter_frame): its own cells start from the argument
  // of the same name; free variables are the closure's cells. The contents of a closure that
  // existed before the trace are sources (`function_source.__closure__[i].cell_contents`, or
  // the root frame's own free variables by name), guarded when read; a function without a
  // source (found some other way) may only close over functions and classes.
  std::optional<std::vector<Sym>> make_cells(const FunctionObject& function,
                                             const std::vector<std::optional<Sym>>& locals,
                                             const std::vector<Sym>* closure,
                                             SourceId function_source, bool root);
  // A function or cell made in the trace cannot be rebuilt after the graph.
  static bool made_in_trace(const Sym& value);

  // ---- globals ----
  std::optional<Sym> global(const FunctionObject& function, const std::string& name);

  // ---- the loop ----
  std::optional<Sym> run_code(const FunctionObject& function,
                              std::vector<std::optional<Sym>> locals, int depth, bool root,
                              std::size_t start_pc = 0, std::vector<Sym> stack = {},
                              std::vector<Sym> cells = {});
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
    // Lists, dicts, objects and cells made in the trace have no undo: a break whose
    // instruction changed one the frame holds (in an inlined call, which the VM runs again
    // whole) cannot be planned.
    std::size_t made_writes;
  };
  // The plans that rebuild the frame's locals and stack at the break; false when a value has
  // no plan (the frame then runs in the VM).
  bool plan_break(const Snapshot& snapshot);
  // A value the VM will see again at a break, including the ones only a frame in progress has
  // (iterators, bound methods).
  std::optional<ResultPlan> plan_state(const Sym& value);
  std::optional<ResultPlan> plan_made(const Sym& value);
  std::optional<ResultPlan> plan_value(const Sym& value);
  // Inputs written in place get their new values after the graph; NO_ALIASING guards that no
  // other input shares their storage (the graph computed them as if none did).
  void plan_write_backs();
  // The outputs of the tensor objects plans refer to, bound to their values at the end.
  // (False: a tensor that must alias an input cannot be rebuilt as its view; stop_ says why.)
  bool bind_tensor_outputs();
  // Objects the trace stored into must not also be reached through another input.
  void guard_stored_objects();
  void note_store(const Sym& object);
  // Plans of tensors that are views of inputs or of other tensors handed out, swapped for
  // those views made again.
  void patch_late_views(ResultPlan& plan);

  // ---- the result ----
  ResultPlan plan(const Sym& value);
  std::optional<ResultPlan> plan_view_of_input(int var);
  std::optional<ResultPlan> plan_view_of_handed_out(int var);
  std::vector<std::pair<int, bool>> view_links(int var) const;
  bool contiguous_after(const TensorVar& view, bool contiguous_base) const;
  bool known_contiguous(int var) const;  // in the VM, whatever the sizes
  // `base` with var's chain of view ops up to (not including) `anchor` applied again.
  ResultPlan plan_view_chain(int var, int anchor, ResultPlan base);
  bool reshapes_a_written_input(int var) const;
  // A view whose root tensor object holds a graph value another tensor object holds too.
  bool views_a_shared_value(int var) const;

  Interpreter& vm_;
  Value root_;
  std::vector<Value> root_locals_;
  std::vector<std::size_t> lazy_locals_;
  Capture capture_;
  ShapePolicy policy_;
  guards::ShapeEnv shapes_;
  GraphBuilder builder_{
      GraphBuilderOptions{.cse = true, .fold = eager_constant_folder(), .shapes = &shapes_}};
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
  std::vector<std::shared_ptr<const void>> made_owners_;  // what made_slots_'s keys point into
  std::set<const void*> planning_;                       // made values whose plan is being made
  // Tensor object -> (its graph output, its made slot): one tensor per object, however often
  // it is planned.
  std::unordered_map<int, std::pair<int, int32_t>> tensor_slots_;
  int32_t next_made_slot_ = 0;
  bool planning_print_ = false;  // plans made now show values as they are (print)
  // Containers, cells and objects the trace stored into (the only way to make a cycle).
  std::vector<std::shared_ptr<std::vector<Sym>>> changed_items_;
  std::vector<std::shared_ptr<Sym::Fields>> changed_fields_;
  // Each change to a container made in the trace: its identity, as planned_ keys it.
  std::vector<const void*> made_writes_;
  // Lists, tuples, dicts and instances read from sources, by identity (only looked up), and
  // the sources of the ones the trace stored into (NO_ALIASING at the end).
  std::unordered_map<const Object*, Sym> realized_objects_;
  std::vector<SourceId> stored_into_;
  // The symbolic cell of each VM cell met in closures (sibling closures share their cells).
  std::unordered_map<const Object*, Sym> cells_by_object_;
  // Tensor objects' made slots whose value is made again after the graph as a view.
  std::unordered_map<int32_t, ResultPlan> late_views_;
  std::set<const void*> fully_planned_;  // made values one kept plan describes in full
  std::size_t steps_ = 0;
  int line_ = 0;
};

}  // namespace tracing
}  // namespace gyro
