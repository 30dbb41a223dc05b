// The heap object types (one per object_kinds.def row) and their constructors.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "interp/dict.h"
#include "interp/shape_policy.h"
#include "interp/value.h"
#include "ir/code.h"
#include "ir/error.h"

namespace gyro {

struct StrObject : Object {
  explicit StrObject(std::string value) : Object(ObjectKind::Str), text(std::move(value)) {}
  std::string text;           // UTF-8; never changes after construction
  mutable uint64_t hash = 0;  // computed on first use (0: not yet)
  // len(): code points, not bytes (every byte but UTF-8's continuation bytes starts one).
  int64_t length() const {
    int64_t count = 0;
    for (unsigned char c : text) count += (c & 0xC0) != 0x80;
    return count;
  }
};

struct ListObject : ContainerObject {
  explicit ListObject(std::vector<Value> values)
      : ContainerObject(ObjectKind::List), items(std::move(values)) {}
  std::vector<Value> items;
};

struct TupleObject : ContainerObject {
  explicit TupleObject(std::vector<Value> values)
      : ContainerObject(ObjectKind::Tuple), items(std::move(values)) {}
  // Immutable to programs; only the cycle collector empties one (on a cycle nothing reaches).
  std::vector<Value> items;
};

struct DictObject : ContainerObject {
  DictObject() : ContainerObject(ObjectKind::Dict) {}
  Dict table;
};

// d.keys(), d.values(), d.items(): live views of a dict.
struct DictViewObject : ContainerObject {
  enum class Which : uint8_t { kKeys, kValues, kItems };
  DictViewObject(Value of, Which what)
      : ContainerObject(ObjectKind::DictView), dict(std::move(of)), which(what) {}
  Value dict;
  Which which;
  // The view's current items: keys, values or (key, value) tuples.
  std::vector<Value> items() const;
};

struct RangeObject : Object {
  RangeObject(int64_t first, int64_t last, int64_t stride)
      : Object(ObjectKind::Range), start(first), stop(last), step(stride) {}
  const int64_t start, stop, step;  // step != 0
  int64_t length() const;
};

struct SliceObject : Object {
  SliceObject(Value first, Value last, Value stride)
      : Object(ObjectKind::Slice),
        start(std::move(first)),
        stop(std::move(last)),
        step(std::move(stride)) {}
  const Value start, stop, step;  // None or int
};

// A closure cell: a variable shared between a function and the functions nested in it.
struct CellObject : ContainerObject {
  CellObject() : ContainerObject(ObjectKind::Cell) {}
  Value value;
  bool bound = false;
};

// What mark_dynamic / mark_static said about a tensor object's dims, for the next traces.
struct DimMarks {
  uint8_t dynamic = 0;  // bit d: symbolic from the first trace on, within [min[d], max[d]]
  uint8_t fixed = 0;    // bit d: static, whatever compile(dynamic=) says
  std::array<int64_t, kMaxRank> min{};
  std::array<int64_t, kMaxRank> max{};
};

struct TensorBoxObject : Object {
  explicit TensorBoxObject(Tensor value)
      : Object(ObjectKind::TensorBox), tensor(std::move(value)) {}
  Tensor tensor;
  std::unique_ptr<DimMarks> marks;  // only once marked
};

// x.to_sparse(): a COO sparse tensor, always coalesced (indices sorted in row-major order,
// no duplicates). The reference VM only: it never enters a graph.
struct SparseTensorObject : Object {
  SparseTensorObject(Tensor coordinates, Tensor nonzeros, Dims dense_sizes)
      : Object(ObjectKind::SparseTensor),
        indices(std::move(coordinates)),
        values(std::move(nonzeros)),
        sizes(dense_sizes) {}
  const Tensor indices;  // int64 [dim, nnz]
  const Tensor values;   // [nnz], the tensor's dtype
  const Dims sizes;      // the dense shape
  int64_t nnz() const { return values.size(0); }
};

// A dtype as a script value (torch.float32). Each dtype has one object, so `is` and == agree.
struct DTypeValueObject : Object {
  explicit DTypeValueObject(DType value) : Object(ObjectKind::DTypeValue), dtype(value) {}
  const DType dtype;
};

// Python's Ellipsis (`...`): a singleton.
struct EllipsisObject : Object {
  EllipsisObject() : Object(ObjectKind::Ellipsis) {}
};

struct CodeCache;  // code_cache.h

// A function made by MAKE_FUNCTION: code plus the globals, defaults and closure it captured.
struct FunctionObject : ContainerObject {
  FunctionObject() : ContainerObject(ObjectKind::Function) {}
  std::shared_ptr<const Code> code;
  Value globals;   // dict
  Value defaults;  // tuple of the last parameters' defaults, or None
  Value closure;   // tuple of cells (one per free name), or None
  // The VM's derived data for `code`, found once per function rather than once per call.
  mutable CodeCache* cache = nullptr;
  mutable const void* cache_owner = nullptr;  // the interpreter `cache` belongs to
};

struct Capture;       // capture.h
struct CompileEntry;  // compiled_call.cc

// compile(fn, ...): calls run the function's cached captures when their guards pass, trace a
// new one on a miss, and run in the VM when tracing stops (or past the recompile limit).
struct CompiledFunctionObject : ContainerObject {
  CompiledFunctionObject() : ContainerObject(ObjectKind::CompiledFunction) {}
  Value function;  // the Function compiled
  Value self;      // compile(obj.method): the receiver passed first, else None
  Value backend;   // a str (a registered backend) or a callable (a script backend)
  bool fullgraph = false;
  Value options;                                       // dict or None
  std::vector<std::shared_ptr<CompileEntry>> entries;  // first passing entry wins
  std::set<std::size_t> skipped_resume_points;         // resume points whose trace stopped at once
  std::map<std::size_t, int> user_error_traces;  // per resume point: traces a user error ended
  bool run_only = false;     // past the recompile limit, or tracing stopped: misses run in the VM
  bool limit_hit = false;    // run_only because of a recompile limit: callees do not compile either
  std::string last_failure;  // why the last miss missed (the first failing guard)
  std::vector<std::string> break_reasons;  // why traces stopped
  uint64_t epoch = 0;                      // the interpreter's reset() epoch the entries belong to
  // Made by compile_all, not by the program: no compile callbacks, not in the accumulated count.
  bool implicit = false;
  // explain(fn)'s fresh compile: it compiles even where a run-only frame's callees do not.
  bool explaining = false;
  std::optional<bool> dynamic;  // compile(dynamic=): true, false, or None (automatic)
  // Automatic dynamic: per resume point, what its traces saw of each tensor input.
  std::map<std::size_t, std::map<std::string, SeenSizes>> seen_sizes;
};

// What explain(fn)(*args) returns: the graphs, breaks and guards of one call compiled afresh.
struct ExplanationObject : Object {
  ExplanationObject() : Object(ObjectKind::Explanation) {}
  int64_t graph_count = 0;
  int64_t op_count = 0;                    // op calls over all graphs
  std::vector<std::string> break_reasons;  // TraceStop::describe(): reason (file:line): ...
  std::vector<std::string> guards;         // guards::describe() of every entry's guards
  std::vector<std::string> graphs;         // each graph as code
  std::vector<std::string> shape_guard_stats;  // per entry with symbolic sizes: pruning figures
  std::vector<std::string> shape_regions;      // per entry with symbolic sizes: what it accepts
  std::vector<std::string> kernels;  // per entry: how its backend split the graph (if it says)
  std::string describe() const;            // what print() shows
};

// `config`: reads and writes its interpreter's CompileConfig (compile_config.def's knobs).
struct CompileConfig;  // interpreter.h
struct ConfigObject : Object {
  explicit ConfigObject(CompileConfig* of) : Object(ObjectKind::Config), config(of) {}
  CompileConfig* config;  // the interpreter's, which holds this object in its builtins
};

// What a script backend is called with: one captured graph (`op_count`, `code`).
struct CapturedGraphObject : Object {
  explicit CapturedGraphObject(std::shared_ptr<const Capture> captured)
      : Object(ObjectKind::CapturedGraph), capture(std::move(captured)) {}
  std::shared_ptr<const Capture> capture;
};

class Interpreter;
struct KeywordArg {
  std::string_view name;
  Value value;
};
// A builtin's C++ body: positional args (self first for methods) and keyword args. It returns
// the result, or nullopt with an exception raised on the interpreter.
using BuiltinFn = std::optional<Value> (*)(Interpreter& vm, std::span<const Value> args,
                                           std::span<const KeywordArg> kwargs);

struct BuiltinObject : ContainerObject {
  BuiltinObject(std::string builtin_name, BuiltinFn body, Value bound_self)
      : ContainerObject(ObjectKind::Builtin),
        name(std::move(builtin_name)),
        fn(body),
        self(std::move(bound_self)) {}
  std::string name;
  BuiltinFn fn;
  Value self;  // the receiver of a bound builtin method (list.append), else None
};

// A host's function with state of its own (the C API's host functions): called like a
// builtin, opaque to the trace (a graph break).
using HostFunctionBody = std::function<std::optional<Value>(
    Interpreter& vm, std::span<const Value> args, std::span<const KeywordArg> kwargs)>;
struct HostFunctionObject : Object {
  HostFunctionObject(std::string function_name, HostFunctionBody function_body)
      : Object(ObjectKind::HostFunction),
        name(std::move(function_name)),
        body(std::move(function_body)) {}
  const std::string name;
  const HostFunctionBody body;
};

struct BoundMethodObject : ContainerObject {
  BoundMethodObject(Value receiver, Value method)
      : ContainerObject(ObjectKind::BoundMethod),
        self(std::move(receiver)),
        function(std::move(method)) {}
  Value self;
  Value function;
};

// Iterators over the built-in iterables: one object kind, with the state each needs.
struct IteratorObject : ContainerObject {
  enum class Source : uint8_t { kSequence, kRange, kDictKeys, kEnumerate, kZip, kTensorRows };
  explicit IteratorObject(Source from) : ContainerObject(ObjectKind::Iterator), source(from) {}
  Source source;
  Value target;                // what is iterated (list, tuple, str, dict, tensor...)
  std::vector<Value> parts;    // zip: the iterators; enumerate: the inner iterator
  int64_t index = 0;           // next position (or the next enumerate count)
  int64_t stop = 0, step = 1;  // ranges
};

// A class: a name, an optional base, and its attributes. Builtin types (int, list, ...) and
// the exception classes are Class objects too; `builtin_tag` says which values they describe.
struct ClassObject : ContainerObject {
  explicit ClassObject(std::string class_name)
      : ContainerObject(ObjectKind::Class), name(std::move(class_name)) {}
  std::string name;
  // The `__name__` of the globals whose code defined it ("__main__", the prelude's "gyro.nn");
  // "builtins" for the builtin types and exceptions. Saved objects refer to classes by it.
  std::string module = "builtins";
  Value base;            // a Class, or None
  Value attributes;      // dict
  int builtin_tag = -1;  // ValueTag or 100 + ObjectKind for builtin types; -1 for classes
  bool is_exception = false;
};

struct TracebackEntry {
  std::string filename;
  int line;
  std::string function;
  uint64_t frame_serial;  // which activation (an exception passes through each frame once)
};

// An instance of a Class; exception instances also carry their args and traceback.
struct InstanceObject : ContainerObject {
  explicit InstanceObject(Value instance_class)
      : ContainerObject(ObjectKind::Instance), cls(std::move(instance_class)) {}
  Value cls;
  Value attributes;                       // dict
  std::vector<TracebackEntry> traceback;  // innermost last
};

// super(cls, obj): attributes are looked up from `start` (the base of cls) up the chain, and
// functions found are bound to obj (when obj is an instance; super(cls, subclass) leaves them).
struct SuperObject : ContainerObject {
  SuperObject(Value of_class, Value bound_object, Value first_class)
      : ContainerObject(ObjectKind::Super),
        cls(std::move(of_class)),
        object(std::move(bound_object)),
        start(std::move(first_class)) {}
  Value cls;     // the Class given
  Value object;  // an instance of cls (or of a subclass), or a subclass of cls
  Value start;   // cls's base: where lookup begins (None: only object's attributes)
};

// Constructors returning a Value that holds the only reference.
Value make_str(std::string text);
Value make_list(std::vector<Value> items = {});
Value make_tuple(std::vector<Value> items = {});
Value make_dict();
Value make_range(int64_t start, int64_t stop, int64_t step);
Value make_slice(Value start, Value stop, Value step);
Value make_cell();
Value make_tensor(Tensor tensor);
Value make_sparse_tensor(Tensor indices, Tensor values, Dims sizes);
// The shared dtype and Ellipsis objects (process-wide, never freed).
Value dtype_value(DType dtype);
Value ellipsis_value();
Value make_class(std::string name, Value base);
Value make_instance(Value cls);
Value make_host_function(std::string name, HostFunctionBody body);

// The items of a list or tuple.
inline const std::vector<Value>& sequence_items(const Value& value) {
  return value.is(ObjectKind::List) ? value.as<ListObject>().items : value.as<TupleObject>().items;
}

}  // namespace gyro
