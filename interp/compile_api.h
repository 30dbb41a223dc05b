// What the compile API's pieces share: a cache entry, explain()'s summary of a compiled
// function, `config` attribute access, disable(fn)'s wrapper, and the marks allow_in_graph(fn)
// and assume_constant_result(fn) set.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "backends/backend.h"
#include "interp/capture.h"
#include "interp/interpreter.h"

namespace gyro {

// One cache entry: a capture, the str keys its source loads use, and the backend's executable.
struct CompileEntry {
  std::shared_ptr<const Capture> capture;
  std::vector<Value> keys;
  Executable executable;
  // The persistent cache's pool item this entry was loaded from (null: traced here), so a
  // saved entry is installed once per compiled function.
  const void* loaded_from = nullptr;
};

// What compile(fn, backend=, fullgraph=, options=, dynamic=) was given.
struct CompileSettings {
  Value backend;  // a registered backend's name (str) or a callable
  bool fullgraph = false;
  Value options;                // dict or None
  std::optional<bool> dynamic;  // None: automatic dynamic
};

// A compiled function of `function` (bound to `self` unless None) with these settings and no
// cache entries (compile() and loading a saved one make them here).
Value make_compiled(Interpreter& vm, const Value& function, const Value& self,
                    const CompileSettings& settings);

// explain()'s result for a compiled function: its entries' graphs, op counts and guards, and
// the reasons its traces stopped.
Value make_explanation(const CompiledFunctionObject& compiled);

// config.<name> and config.<name> = value for compile_config.def's knobs: AttributeError for
// other names, TypeError for a value of the wrong type, ValueError for a negative limit.
std::optional<Value> get_config_attribute(Interpreter& vm, const ConfigObject& config,
                                          std::string_view name);
std::optional<Value> set_config_attribute(Interpreter& vm, ConfigObject& config,
                                          std::string_view name, const Value& value);

// disable(fn)'s result: a builtin bound to fn whose calls run fn with compilation off. Inside
// a trace it is a builtin the evaluator does not model, so the trace stops there.
Value make_disabled(const Value& function);
bool is_disabled(const Value& value);

// allow_in_graph(fn) and assume_constant_result(fn) (Interpreter::mark_for_tracing with a
// TypeError for anything but a script function): fn itself, marked for every later trace.
// allow_in_graph: a call inside a trace is one opaque graph node (interp/allowed_call.h).
// Allowed functions must be pure tensor functions: tensors and constants in, a tensor or a
// tuple of tensors out, output dtypes and sizes that depend only on the inputs' (the trace
// runs the function once on zeros, print() silenced, to learn them), no other effects.
// assume_constant_result: a call inside a trace runs at trace time (its arguments must be
// constants, else a graph break) and its result is baked into the capture, unguarded.
std::optional<Value> mark_for_tracing(Interpreter& vm, const Value& fn, TraceMark mark);

}  // namespace gyro
