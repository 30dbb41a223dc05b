// Calling a compiled function: bind the arguments as the VM does, then run the first cache
// entry whose guards pass; on a miss trace the frame into a new entry, and when tracing stops
// (or the recompile limit is reached) run the frame in the VM, which is always correct.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#include "interp/capture.h"
#include "interp/frame.h"
#include "interp/guard_check.h"
#include "interp/python_ops.h"
#include "interp/tracer.h"

namespace gyro {

// One cache entry: a capture and the str keys its source loads use.
struct CompileEntry {
  std::shared_ptr<const Capture> capture;
  std::vector<Value> keys;
  Executable executable;  // the backend's compiled graph
};

namespace {

// GYRO_LOGS=graph_breaks,recompiles,...: which log channels print (to stderr).
bool log_enabled(std::string_view channel) {
  const char* logs = std::getenv("GYRO_LOGS");
  return logs && std::string_view(logs).find(channel) != std::string_view::npos;
}

// compile(options={...}) as backend options (str keys; bool, int, float or str values).
std::optional<BackendOptions> backend_options(Interpreter& vm, const Value& options) {
  BackendOptions out;
  if (!options.is(ObjectKind::Dict)) return out;
  bool ok = true;
  options.as<DictObject>().table.for_each([&](const Value& key, const Value& value) {
    if (!ok) return;
    if (!key.is(ObjectKind::Str)) {
      ok = false;
      vm.raise(ErrorKind::TypeError, "compile() option names must be str, not {}", type_name(key));
      return;
    }
    const std::string& name = key.as<StrObject>().text;
    if (value.is_bool())
      out[name] = value.as_bool();
    else if (value.is_int())
      out[name] = value.as_int();
    else if (value.is_float())
      out[name] = value.as_float();
    else if (value.is(ObjectKind::Str))
      out[name] = value.as<StrObject>().text;
    else {
      ok = false;
      vm.raise(ErrorKind::TypeError, "compile() option '{}' must be a bool, int, float or str",
               name);
    }
  });
  if (!ok) return std::nullopt;
  return out;
}

// A script backend (a callable such as CompileCounter()) sees the captured graph; whatever it
// returns, the entry runs the graph on the eager backend.
bool call_script_backend(Interpreter& vm, const Value& backend,
                         const std::shared_ptr<const Capture>& capture) {
  Value graph = Value::object(new CapturedGraphObject(capture));
  std::vector<Value> example_inputs;
  auto result = vm.call(backend, std::vector<Value>{graph, make_list(std::move(example_inputs))});
  return result.has_value();
}

}  // namespace

// Runs a cache entry on a frame its guards accepted: the graph, then either the frame's result,
// or (at a graph break) the frame's locals and stack set from the graph and the VM running on.
std::optional<Value> Interpreter::run_entry(const CompileEntry& entry, Frame& frame,
                                            const GuardSubject& subject) {
  const Capture& capture = *entry.capture;
  SourceLoader loader(capture.sources, entry.keys, subject);
  auto outputs = run_graph(*this, capture, entry.executable, loader);
  if (!outputs) return std::nullopt;
  if (!replay_effects(*this, capture, *outputs, loader, frame.globals())) return std::nullopt;
  if (capture.resume_pc < 0) return build_value(*this, capture.result, *outputs, loader);
  // Every value first (the loader reads the frame's locals), then the frame is changed.
  std::vector<std::optional<Value>> locals(capture.locals.size());
  for (std::size_t i = 0; i < capture.locals.size(); ++i) {
    if (!capture.locals[i]) continue;
    locals[i] = build_value(*this, *capture.locals[i], *outputs, loader);
    if (!locals[i]) return std::nullopt;
  }
  std::vector<Value> stack;
  for (const ResultPlan& plan : capture.stack) {
    auto value = build_value(*this, plan, *outputs, loader);
    if (!value) return std::nullopt;
    stack.push_back(std::move(*value));
  }
  for (std::size_t i = 0; i < locals.size(); ++i)
    if (locals[i]) frame.locals[i] = std::move(*locals[i]);
  for (Value& value : stack) *frame.top++ = std::move(value);
  return run_frame(frame, static_cast<std::size_t>(capture.resume_pc));
}

std::optional<Value> Interpreter::call_compiled(const Value& callable, std::span<const Value> args,
                                                std::span<const KeywordArg> kwargs) {
  auto& compiled = callable.as<CompiledFunctionObject>();
  if (compiled.epoch != compile_epoch_) {
    // reset() since the entries were made: start over.
    compiled.entries.clear();
    compiled.run_only = false;
    compiled.epoch = compile_epoch_;
  }
  if (!start_native_call()) return std::nullopt;
  std::vector<Value> with_self;
  if (!compiled.self.is_none()) {
    with_self.reserve(args.size() + 1);
    with_self.push_back(compiled.self);
    with_self.insert(with_self.end(), args.begin(), args.end());
    args = with_self;
  }
  Frame* frame = enter_frame(compiled.function, args, kwargs, Value());
  if (!frame) return std::nullopt;
  struct Leave {
    Interpreter& vm;
    Frame& frame;
    ~Leave() { vm.leave_frame(frame); }
  } leave{*this, *frame};

  const Code& code = *frame->code;
  std::span<const Value> locals(frame->locals, code.local_names.size());
  GuardSubject subject{
      locals, {}, &frame->globals().as<DictObject>().table, &builtins_.as<DictObject>().table};
  for (const auto& entry : compiled.entries) {
    const Capture& capture = *entry->capture;
    std::string failure = check_guards(capture.sources, entry->keys, capture.guards, subject);
    if (failure.empty()) {
      return run_entry(*entry, *frame, subject);
    }
    compiled.last_failure = std::move(failure);
  }

  // A miss. Tracing reads the frame and changes nothing, so the VM can still run it afterwards.
  if (!compiled.run_only && !compiling_) {
    if (static_cast<int>(compiled.entries.size()) >= compile_config_.recompile_limit) {
      std::string message =
          fmt::format("{}: hit config.recompile_limit ({}); last reason: {}", code.name,
                      compile_config_.recompile_limit, compiled.last_failure);
      if (compile_config_.fail_on_recompile_limit_hit)
        return raise_named("RuntimeError", "recompile limit reached: " + message);
      std::fprintf(stderr, "gyro warning: %s. Later misses run in the VM.\n", message.c_str());
      compiled.run_only = true;
    } else {
      compiling_ = true;
      auto traced = trace_frame(*this, compiled.function, locals);
      compiling_ = false;
      if (auto* capture = std::get_if<Capture>(&traced)) {
        // fullgraph: a capture that ends at a break is not the whole function.
        if (capture->resume_pc >= 0 && compiled.fullgraph)
          return raise_named("GraphBreakError", capture->break_reason);
        auto entry = std::make_shared<CompileEntry>();
        entry->capture = std::make_shared<const Capture>(std::move(*capture));
        entry->keys = source_keys(entry->capture->sources);
        std::string backend = "eager";
        if (compiled.backend.is(ObjectKind::Str))
          backend = compiled.backend.as<StrObject>().text;
        else if (!call_script_backend(*this, compiled.backend, entry->capture))
          return std::nullopt;
        auto options = backend_options(*this, compiled.options);
        if (!options) return std::nullopt;
        SourceLoader examples(entry->capture->sources, entry->keys, subject);
        std::vector<Tensor> example_inputs;
        for (guards::SourceId source : entry->capture->inputs)
          example_inputs.push_back(examples.load(source)->as<TensorBoxObject>().tensor);
        auto executable = compile_graph(backend, entry->capture->graph, example_inputs, *options);
        if (!executable.ok()) return raise(executable.error());
        entry->executable = std::move(*executable);
        compiled.entries.push_back(entry);
        if (log_enabled("graph"))
          std::fprintf(stderr, "[gyro graph] %s (%s:%d), %zu guards\n%s", code.name.c_str(),
                       code.filename.c_str(), code.lines.empty() ? 0 : code.lines[0],
                       entry->capture->guards.size(), entry->capture->describe().c_str());
        if (entry->capture->resume_pc >= 0) {
          compiled.break_reasons.push_back(entry->capture->break_reason);
          if (log_enabled("graph_breaks"))
            std::fprintf(stderr, "[gyro graph_breaks] %s\n", entry->capture->break_reason.c_str());
        }
        return run_entry(*entry, *frame, subject);
      }
      const TraceStop& stop = std::get<TraceStop>(traced);
      if (compiled.fullgraph && stop.reason != BreakReason::UserError)
        return raise_named("GraphBreakError", stop.describe());
      compiled.break_reasons.push_back(stop.describe());
      if (log_enabled("graph_breaks"))
        std::fprintf(stderr, "[gyro graph_breaks] %s\n", stop.describe().c_str());
      // Without graph breaks yet, a frame that cannot be captured runs in the VM from now on.
      compiled.run_only = true;
    }
  }
  return run_frame(*frame);
}

}  // namespace gyro
