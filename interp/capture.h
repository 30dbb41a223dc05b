// Capture: what tracing one frame produces, and what a cache entry runs: the guards, the tensor
// program (placeholders loaded from sources, op calls, constants), and the plan that rebuilds
// the frame's result from the program's outputs.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "guards/guard.h"
#include "interp/value.h"
#include "ir/attr.h"
#include "ir/infer.h"
#include "ir/op.h"

namespace gyro {

// One value of the tensor program: a placeholder (an input), a constant, or an output of a call.
struct CapturedValue {
  enum class Kind : uint8_t { kPlaceholder, kConstant, kCallOutput };
  Kind kind = Kind::kConstant;
  TensorMeta meta;
  guards::SourceId source = guards::kNoSource;  // placeholders
  Tensor constant;                              // constants
  int call = -1, output = 0;                    // call outputs: which call, which of its outputs
};

struct CapturedCall {
  OpKind op;
  std::vector<int> inputs;  // CapturedValue indices
  Attrs attrs;              // bound (bind_attrs): every attribute of the op's schema, in order
};

// How the frame's result is rebuilt after the program ran.
struct ResultPlan {
  enum class Kind : uint8_t { kTensor, kConstant, kSource, kTuple, kList };
  Kind kind = Kind::kConstant;
  int value = -1;                               // kTensor: a CapturedValue
  Value constant;                               // kConstant
  guards::SourceId source = guards::kNoSource;  // kSource: reloaded from the frame
  std::vector<ResultPlan> items;                // kTuple, kList
};

struct Capture {
  guards::SourceTable sources;
  std::vector<guards::Guard> guards;  // in order_guards order once finished
  std::vector<Value> keep_alive;      // what ID_MATCH and TYPE_MATCH guards point at
  std::vector<CapturedValue> values;
  std::vector<CapturedCall> calls;
  std::vector<int> placeholders;  // CapturedValue indices, in input order
  ResultPlan result;
  std::string describe() const;  // one line per call, for explain() and logs
};

class Interpreter;
class SourceLoader;

// Runs a capture on the values its guards just accepted: the placeholders loaded from their
// sources, each call on the eager kernels in order, then the result rebuilt. nullopt with the
// exception raised on `vm` if a kernel fails.
std::optional<Value> run_capture(Interpreter& vm, const Capture& capture, SourceLoader& loader);

}  // namespace gyro
