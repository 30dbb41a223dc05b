// Capture: what tracing one frame produces, and what a cache entry runs: the guards, the graph
// (its placeholders loaded from sources), and the plan that rebuilds the frame's result from
// the graph's outputs.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "guards/guard.h"
#include "interp/value.h"
#include "ir/graph.h"

namespace gyro {

// How the frame's result is rebuilt after the program ran.
struct ResultPlan {
  enum class Kind : uint8_t { kTensor, kConstant, kSource, kTuple, kList };
  Kind kind = Kind::kConstant;
  int output = -1;                              // kTensor: which of the graph's outputs
  Value constant;                               // kConstant
  guards::SourceId source = guards::kNoSource;  // kSource: reloaded from the frame
  std::vector<ResultPlan> items;                // kTuple, kList
};

struct Capture {
  guards::SourceTable sources;
  std::vector<guards::Guard> guards;     // in order_guards order once finished
  std::vector<Value> keep_alive;         // what ID_MATCH and TYPE_MATCH guards point at
  Graph graph;                           // the tensor work, in SSA form
  std::vector<guards::SourceId> inputs;  // where each placeholder's tensor is loaded from
  ResultPlan result;
  std::string describe() const;  // the graph as code, for explain() and logs
};

class Interpreter;
class SourceLoader;

// Runs a capture's compiled graph on the values its guards just accepted: the placeholders
// loaded from their sources, then the result rebuilt. nullopt with the exception raised on
// `vm` if the graph fails.
std::optional<Value> run_capture(Interpreter& vm, const Capture& capture,
                                 const Executable& executable, SourceLoader& loader);

}  // namespace gyro
