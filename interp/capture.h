// Capture: what tracing one frame produces, and what a cache entry runs: the guards, the graph
// (its placeholders loaded from sources), and the plan that rebuilds the frame's result from
// the graph's outputs.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "guards/guard_program.h"
#include "interp/value.h"
#include "ir/graph.h"

namespace gyro {

// How a value of the frame (its result, or at a graph break its locals and stack) is rebuilt
// after the graph ran.
struct ResultPlan {
  enum class Kind : uint8_t {
    kTensor,     // one of the graph's outputs
    kConstant,   // a value known when tracing
    kSource,     // reloaded from the frame (the caller's own objects come back)
    kTuple,      // built from `items`
    kList,       // built from `items`
    kIterator,   // a loop's iterator over the remaining `items`
    kNoSelf,     // LOAD_METHOD's marker for a callable without self
    kAttribute,  // items[0].name (a tensor's method, bound)
    kNewObject,  // an instance of class `constant` made in the trace; items: name, value, ...
    kDict,       // a dict made in the trace; items: key, value, ...
    kView,       // view_op(items[0], view_attrs), its output `output`: a view made again
    kSymInt,     // an int over symbolic sizes and ints: `expression` evaluated on the values
                 // the symbols are read from (`symbols`: source and dim, -1 for an int)
  };
  Kind kind = Kind::kConstant;
  int output = -1;  // kTensor: which of the graph's outputs; kView: which of the view op's
  Value constant;                               // kConstant
  guards::SourceId source = guards::kNoSource;  // kSource
  // kList, kDict, kTuple, kNewObject made in the trace: its slot, so that every plan of one object
  // (a result returned twice, an object stored and returned) builds a single instance per run.
  int32_t made = -1;
  std::vector<ResultPlan> items;  // kTuple, kList, kIterator, kAttribute
  std::string name;               // kAttribute
  OpKind view_op{};               // kView
  Attrs view_attrs;               // kView
  std::vector<guards::ShapeOp> expression;                   // kSymInt
  std::vector<std::pair<guards::SourceId, int>> symbols;     // kSymInt
};

// A side effect the trace saw, replayed after the graph runs, in program order.
struct SideEffect {
  enum class Kind : uint8_t {
    kPrint,         // print(*args, **kwargs)
    kSetAttribute,  // target.name = args[0]
    kSetGlobal,     // global name = args[0]
    kListAppend,    // target.append(args[0])
    kSetItem,       // target[args[0]] = args[1] (a list or a dict)
    kSetCell,       // the closure cell target.constant holds args[0] (nonlocal)
  };
  Kind kind = Kind::kPrint;
  ResultPlan target;  // the object changed (kSetAttribute, kListAppend)
  std::string name;   // kSetAttribute, kSetGlobal
  std::vector<ResultPlan> args;
  std::vector<std::pair<std::string, ResultPlan>> kwargs;  // print's sep= and end=
};

struct Capture {
  guards::SourceTable sources;
  guards::GuardProgram guards;           // in order_guards order once finished
  std::vector<Value> keep_alive;         // what ID_MATCH and TYPE_MATCH guards point at
  Graph graph;                           // the tensor work, in SSA form
  std::vector<guards::SourceId> inputs;  // where each placeholder's tensor is loaded from
  int64_t start_pc = 0;                  // where the trace began: 0, or a resume point
  std::vector<SideEffect> effects;       // replayed after the graph, before the rest
  ResultPlan result;                     // when the capture runs to the frame's return
  // Inputs the graph wrote in place (functionally): after it runs, each source's tensor gets
  // the graph's output `output` copied into it, before the side effects replay.
  struct WriteBack {
    guards::SourceId source;
    int output;
  };
  std::vector<WriteBack> write_backs;
  // A capture that ends at a graph break: the VM runs the frame on from `resume_pc` (the
  // breaking instruction) after its locals and operand stack are set from these plans.
  int64_t resume_pc = -1;                         // -1: the capture runs to the return
  std::vector<std::optional<ResultPlan>> locals;  // nullopt: the frame's own value stays
  std::vector<ResultPlan> stack;
  std::string break_reason;      // why the trace broke (TraceStop::describe)
  std::string shape_guard_stats;  // what deciding and pruning shape guards took (if symbolic)
  std::string shape_region;       // the sizes the entry accepts, in words (if symbolic)
  std::vector<int64_t> symbol_hints;  // each symbol's example value (s0, s1, ...)
  int64_t z3_queries = 0;             // Z3's questions while deciding and pruning shape guards
  double z3_ms = 0;                   // and their time
  std::string describe() const;  // the graph as code, for explain() and logs
};

class Interpreter;
class SourceLoader;

// Runs a capture's compiled graph on the values its guards just accepted (placeholders loaded
// from their sources). nullopt with the exception raised on `vm` if the graph fails.
std::optional<std::vector<Tensor>> run_graph(Interpreter& vm, const Capture& capture,
                                             const Executable& executable, SourceLoader& loader);
// Replays the capture's side effects (prints) in order. False if one raised.
bool replay_effects(Interpreter& vm, const Capture& capture, std::span<const Tensor> outputs,
                    SourceLoader& loader, const Value& globals);
// A planned value, from the graph's outputs and the frame's sources. nullopt if it raised.
std::optional<Value> build_value(Interpreter& vm, const ResultPlan& plan,
                                 std::span<const Tensor> outputs, SourceLoader& loader);

// Calls `visit` on every value a capture holds (for the cycle collector).
template <typename Visit>
void for_each_value(const ResultPlan& plan, Visit&& visit) {
  visit(plan.constant);
  for (const ResultPlan& item : plan.items) for_each_value(item, visit);
}
template <typename Visit>
void for_each_value(const Capture& capture, Visit&& visit) {
  for (const Value& value : capture.keep_alive) visit(value);
  for (const SideEffect& effect : capture.effects) {
    for_each_value(effect.target, visit);
    for (const ResultPlan& arg : effect.args) for_each_value(arg, visit);
    for (const auto& [name, arg] : effect.kwargs) for_each_value(arg, visit);
  }
  for_each_value(capture.result, visit);
  for (const auto& local : capture.locals) {
    if (local) for_each_value(*local, visit);
  }
  for (const ResultPlan& item : capture.stack) for_each_value(item, visit);
}

}  // namespace gyro
