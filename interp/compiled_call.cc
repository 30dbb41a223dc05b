// Calling a compiled function: bind the arguments as the VM does, then run the first cache
// entry whose guards pass; on a miss trace the frame into a new entry, and when tracing stops
// (or a recompile limit is reached) run the frame in the VM, which is always correct. Also
// the compile logs (GYRO_LOGS), warnings and callbacks, and explain()'s summary.
#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <optional>

#include "interp/compile_api.h"
#include "interp/frame.h"
#include "interp/graph_dump.h"
#include "interp/guard_check.h"
#include "interp/persistent_cache.h"
#include "interp/python_ops.h"
#include "interp/tracer.h"
#include "ir/disassembler.h"

namespace gyro {

namespace {

// A graph break as the graph_breaks log shows it: the reason with its script line
// (TraceStop::describe, which starts with the reason's name), then what the user can do.
std::string with_hint(const std::string& described) {
  constexpr BreakReason kReasons[] = {
#define BREAK_REASON(name, explanation, hint) BreakReason::name,
#include "interp/break_reasons.def"
#undef BREAK_REASON
  };
  for (BreakReason reason : kReasons) {
    const std::string_view name = break_reason_name(reason);
    if (described.starts_with(name) && described.size() > name.size() &&
        described[name.size()] == ' ')
      return fmt::format("{}\n    hint: {}", described, break_reason_hint(reason));
  }
  return described;
}

// "name (file:line)" for logs.
std::string code_location(const Code& code) {
  return fmt::format("{} ({}:{})", code.name, code.filename, code.first_line);
}

using Clock = std::chrono::steady_clock;

double milliseconds(Clock::duration duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

// GYRO_LOGS=cache: "name (file:line) at pc N: <event>". Out of line: the hit path stays small.
__attribute__((noinline)) void log_cache(Interpreter& vm, const Code& code, std::size_t pc,
                                         std::string_view event) {
  if (vm.log_enabled(LogChannel::cache))
    vm.log(LogChannel::cache, fmt::format("{} at pc {}: {}", code_location(code), pc, event));
}

// The persistent cache's messages, on the cache channel.
std::function<void(std::string)> cache_logger(Interpreter& vm, const Code& code, std::size_t pc) {
  return [&vm, &code, pc](std::string message) { log_cache(vm, code, pc, message); };
}

std::string_view without_trailing_newline(std::string_view text) {
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  return text;
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

// A script backend (a callable such as CompileCounter()) sees the captured graph and, as
// Dynamo's example_inputs, the tensors this call feeds its placeholders; whatever it returns,
// the entry runs the graph on the default backend.
bool call_script_backend(Interpreter& vm, const Value& backend,
                         const std::shared_ptr<const Capture>& capture, std::span<const Value> keys,
                         const GuardSubject& subject) {
  Value graph = Value::object(new CapturedGraphObject(capture));
  SourceLoader examples(capture->sources, keys, subject);
  std::vector<Value> example_inputs;
  for (guards::SourceId source : capture->inputs) example_inputs.push_back(*examples.load(source));
  auto result = vm.call(backend, std::vector<Value>{graph, make_list(std::move(example_inputs))});
  return result.has_value();
}

// The backend's executable for a capture, with the frame's tensors as example inputs; nullopt
// with the exception raised if the options or the backend fail. A script backend's entries run
// on the default backend (call_script_backend).
std::optional<Executable> make_executable(Interpreter& vm, const CompiledFunctionObject& compiled,
                                          const Capture& capture, std::span<const Value> keys,
                                          const GuardSubject& subject) {
  std::string backend(kDefaultBackend);
  if (compiled.backend.is(ObjectKind::Str)) backend = compiled.backend.as<StrObject>().text;
  auto options = backend_options(vm, compiled.options);
  if (!options) return std::nullopt;
  SourceLoader examples(capture.sources, keys, subject);
  std::vector<Tensor> example_inputs;
  for (guards::SourceId source : capture.inputs)
    example_inputs.push_back(examples.load(source)->as<TensorBoxObject>().tensor);
  auto executable = compile_graph(backend, capture.graph, example_inputs, *options);
  if (!executable.ok()) return vm.raise(executable.error());
  return std::move(*executable);
}

// The common hit, without entering a frame: a call with exactly the positional parameters
// whose first passing entry starts at pc 0, runs to the return and replays no side effects.
// Its guards read the arguments (a fresh frame's locals are those, its stack is empty) and
// the function's globals, so they pass here exactly when they would in a frame; the entry
// then needs nothing from a frame (it runs no script code, and neither a traceback nor the
// recursion depth can see the frame it skips). nullopt: not such a hit (the caller takes the
// full path, which checks the guards again); otherwise the call's result, itself nullopt
// with an exception raised if the graph failed.
std::optional<std::optional<Value>> frameless_hit(Interpreter& vm,
                                                  const CompiledFunctionObject& compiled,
                                                  std::span<const Value> args,
                                                  std::span<const KeywordArg> kwargs,
                                                  bool depth_allows_frame) {
  const auto& function = compiled.function.as<FunctionObject>();
  const Code& code = *function.code;
  if (!kwargs.empty() || (code.flags & kVarargs) ||
      args.size() != static_cast<std::size_t>(code.arg_count) || !depth_allows_frame ||
      vm.log_enabled(LogChannel::cache))  // the full path logs each lookup
    return std::nullopt;
  GuardSubject subject{args,
                       {},
                       &function.globals.as<DictObject>().table,
                       &vm.builtins().as<DictObject>().table,
                       &function.closure};
  int64_t checked = 0;  // counted only on a hit: otherwise the full path checks them again
  for (const auto& entry : compiled.entries) {
    const Capture& capture = *entry->capture;
    if (capture.start_pc != 0) continue;
    SourceLoader loader(capture.sources, entry->keys, subject);
    ++checked;
    if (!guards_pass(capture.guards, loader)) continue;
    if (capture.resume_pc >= 0 || !capture.effects.empty()) return std::nullopt;
    ++vm.compile_stats().cache_hits;
    vm.compile_stats().guard_checks += checked;
    auto outputs = run_graph(vm, capture, entry->executable, loader);
    if (!outputs) return std::optional<Value>();
    return build_value(vm, capture.result, *outputs, loader);
  }
  return std::nullopt;
}

}  // namespace

// Runs a cache entry on a frame its guards accepted: the graph, then either the frame's result,
// or (at a graph break) the frame's locals and stack set from the graph and the VM running on.
std::optional<Value> Interpreter::run_entry(const CompileEntry& entry, Frame& frame,
                                            SourceLoader& loader, std::size_t& breaks_at) {
  const Capture& capture = *entry.capture;
  auto outputs = run_graph(*this, capture, entry.executable, loader);
  if (!outputs) return std::nullopt;
  if (!capture.effects.empty() &&
      !replay_effects(*this, capture, *outputs, loader, frame.globals()))
    return std::nullopt;
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
  // The live stack from the resume point on is the capture's: replaced, not added to.
  while (frame.top > frame.stack) *--frame.top = Value();
  for (Value& value : stack) *frame.top++ = std::move(value);
  breaks_at = static_cast<std::size_t>(capture.resume_pc);
  return Value();
}

void Interpreter::reset_compiled() {
  ++compile_epoch_;
  accumulated_entries_ = 0;
  persistent_cache_->clear_recorded();
  compile_start_callbacks_.clear();
  compile_end_callbacks_.clear();
}

std::optional<Value> Interpreter::call_uncompiled(const Value& callable,
                                                  std::span<const Value> args,
                                                  std::span<const KeywordArg> kwargs) {
  ++uncompiled_depth_;
  auto result = call(callable, args, kwargs);
  --uncompiled_depth_;
  return result;
}

std::optional<Value> Interpreter::run_quietly(const std::function<std::optional<Value>()>& run) {
  auto saved = std::move(write_);
  write_ = [](std::string_view) {};
  auto result = run();
  write_ = std::move(saved);
  return result;
}

void Interpreter::set_log_callback(LogCallback callback) {
  log_ = std::move(callback);
}

void Interpreter::set_logs(std::string_view spec) {
  std::string unknown;
  log_mask_ = parse_log_channels(spec, unknown);
  if (unknown.empty()) return;
  if (unknown != "help") warn(fmt::format("GYRO_LOGS: unknown channel(s) {}", unknown));
  warn(log_channels_help());
}

void Interpreter::log(LogChannel channel, std::string_view message) {
  if (!log_enabled(channel)) return;
  std::string line =
      fmt::format("[gyro {}] {}{}", log_channel_name(channel), compile_tag_, message);
  if (log_)
    log_(line);
  else
    std::fprintf(stderr, "%s\n", line.c_str());
}

void Interpreter::warn(std::string_view message) {
  std::string line = fmt::format("gyro warning: {}", message);
  if (log_)
    log_(line);
  else
    std::fprintf(stderr, "%s\n", line.c_str());
}

std::optional<Value> Interpreter::call_compiled(const Value& callable, std::span<const Value> args,
                                                std::span<const KeywordArg> kwargs) {
  auto& compiled = callable.as<CompiledFunctionObject>();
  // A code constant called without MAKE_FUNCTION has no globals to trace or guard against:
  // the plain call raises the VM's TypeError.
  if (compiled.function.is(ObjectKind::Function) &&
      !compiled.function.as<FunctionObject>().globals.is(ObjectKind::Dict))
    return call_function(compiled.function, args, kwargs, Value());
  if (compiled.epoch != compile_epoch_) {
    // reset() since the entries were made: start over.
    compiled.entries.clear();
    compiled.skipped_resume_points.clear();
    compiled.user_error_traces.clear();
    compiled.seen_sizes.clear();
    compiled.run_only = false;
    compiled.limit_hit = false;
    compiled.epoch = compile_epoch_;
  }
  if (!start_native_call()) return std::nullopt;
  // The call proper, on the arguments the function receives.
  auto call_with = [&](std::span<const Value> function_args) -> std::optional<Value> {
    if (auto hit =
            frameless_hit(*this, compiled, function_args, kwargs, depth_ < limits_.max_call_depth))
      return std::move(*hit);
    Frame* frame = enter_frame(compiled.function, function_args, kwargs, Value());
    if (!frame) return std::nullopt;
    struct Leave {
      Interpreter& vm;
      Frame& frame;
      ~Leave() { vm.leave_frame(frame); }
    } leave{*this, *frame};

    // The frame runs from its start: a cache entry (or a new trace) up to its return or a
    // graph break; at a break the VM runs the breaking instruction alone, and the cache is
    // consulted again at the resume point with the frame's live locals and stack.
    std::size_t pc = 0;
    while (true) {
      std::size_t breaks_at = kNoBreak;
      bool run_in_vm = false;
      auto result = compiled_step(compiled, *frame, pc, breaks_at, run_in_vm);
      if (run_in_vm) {
        if (!compiled.limit_hit) return run_frame(*frame, pc);
        // Run-only, as Dynamo's RUN_ONLY for a frame and what it calls: compiled functions this
        // frame calls still use their entries, but their misses run in the VM too.
        ++run_only_depth_;
        result = run_frame(*frame, pc);
        --run_only_depth_;
        return result;
      }
      if (!result || breaks_at == kNoBreak) return result;
      std::size_t paused_at = kNoBreak;
      result = run_frame(*frame, breaks_at, &paused_at);
      if (!result || paused_at == kNoBreak) return result;
      pc = paused_at;
      // Inside a try block the rest stays in the VM (traces do not model handlers).
      if (!frame->blocks.empty()) return run_frame(*frame, pc);
    }
  };
  if (compiled.self.is_none()) return call_with(args);
  // A compiled method gets its receiver first; a few arguments stay on the native stack, so a
  // cache hit allocates nothing for them (and a plain function's call constructs none).
  constexpr std::size_t kInlineArgs = 8;
  if (args.size() + 1 <= kInlineArgs) {
    std::array<Value, kInlineArgs> with_self;
    with_self[0] = compiled.self;
    std::copy(args.begin(), args.end(), with_self.begin() + 1);
    return call_with(std::span<const Value>(with_self.data(), args.size() + 1));
  }
  std::vector<Value> with_self;
  with_self.reserve(args.size() + 1);
  with_self.push_back(compiled.self);
  with_self.insert(with_self.end(), args.begin(), args.end());
  return call_with(with_self);
}

std::optional<Value> Interpreter::compiled_step(CompiledFunctionObject& compiled, Frame& frame_ref,
                                                std::size_t pc, std::size_t& breaks_at,
                                                bool& run_in_vm) {
  Frame* frame = &frame_ref;
  const Code& code = *frame->code;
  std::span<const Value> locals(frame->locals, code.local_names.size());
  std::span<const Value> stack(frame->stack, frame->top);
  GuardSubject subject{locals, stack, &frame->globals().as<DictObject>().table,
                       &builtins_.as<DictObject>().table,
                       &compiled.function.as<FunctionObject>().closure};
  const bool may_compile =
      !compiled.run_only && !compiling_ && !compiled.skipped_resume_points.contains(pc);
  // GYRO_LOGS=recompiles lists every entry's first failing guard; otherwise only the last is kept.
  const bool log_misses = may_compile && log_enabled(LogChannel::recompiles);
  std::vector<std::string> failures;
  int entries_here = 0;
  for (const auto& entry : compiled.entries) {
    const Capture& capture = *entry->capture;
    if (capture.start_pc != static_cast<int64_t>(pc)) continue;
    ++entries_here;
    SourceLoader loader(capture.sources, entry->keys, subject);
    ++compile_stats_.guard_checks;
    if (guards_pass(capture.guards, loader)) {
      ++compile_stats_.cache_hits;
      if (log_enabled(LogChannel::cache)) [[unlikely]]
        log_cache(*this, code, pc, fmt::format("hit entry {}", &entry - compiled.entries.data()));
      return run_entry(*entry, *frame, loader, breaks_at);
    }
    // A miss: only now is the first failure put in words.
    std::string failure = check_guards(capture.sources, capture.guards, loader);
    if (log_misses) failures.push_back(failure);
    compiled.last_failure = std::move(failure);
  }
  ++compile_stats_.cache_misses;
  if (!may_compile) {
    if (log_enabled(LogChannel::cache))
      log_cache(*this, code, pc,
                compiling_          ? "miss while tracing: runs in the VM"
                : compiled.run_only ? "miss, run-only: runs in the VM"
                                    : "miss where tracing stopped before: runs in the VM");
    run_in_vm = true;
    return Value();
  }
  return compile_at(compiled, *frame, subject, pc, breaks_at, run_in_vm, failures, entries_here);
}

// The miss path, kept out of compiled_step so a hit (and a recursion through compiled calls)
// has a small native frame.
__attribute__((noinline)) std::optional<Value> Interpreter::compile_at(
    CompiledFunctionObject& compiled, Frame& frame_ref, const GuardSubject& subject, std::size_t pc,
    std::size_t& breaks_at, bool& run_in_vm, const std::vector<std::string>& failures,
    int entries_here) {
  Frame* frame = &frame_ref;
  const Code& code = *frame->code;

  // Called from a run-only frame: no new entries (explain() asked for one, though).
  if (run_only_depth_ > 0 && !compiled.explaining) {
    log_cache(*this, code, pc, "miss, called from a run-only frame: runs in the VM");
    run_in_vm = true;
    return Value();
  }
  // This compile's [frame/compile] tag, on every line it logs (a compile callback may compile
  // another frame meanwhile: its tag is restored after).
  auto [ids, first_compile] = frame_ids_.try_emplace(&code, static_cast<int>(frame_ids_.size()), 0);
  const int frame_id = ids->second.first;
  const int compile_id = ids->second.second++;
  struct RestoreTag {
    std::string& tag;
    std::string saved;
    ~RestoreTag() { tag = std::move(saved); }
  } restore_tag{compile_tag_,
                std::exchange(compile_tag_, fmt::format("[{}/{}] ", frame_id, compile_id))};
  auto progress = [&](std::string_view phase) {
    if (progress_) progress_(phase, code.name);
  };
  // A miss. Tracing reads the frame and changes nothing, so the VM can still run it afterwards.
  if (!failures.empty()) {
    std::string message = fmt::format(
        "Recompiling function {} in {}:{}\n    triggered by the following guard "
        "failure(s):",
        code.name, code.filename, code.first_line);
    for (std::size_t i = 0; i < failures.size(); ++i)
      message += fmt::format("\n    - entry {}: {}", i, failures[i]);
    log(LogChannel::recompiles, message);
  }
  const bool own_limit = entries_here >= compile_config_.recompile_limit;
  if (own_limit ||
      (!compiled.implicit && accumulated_entries_ >= compile_config_.accumulated_recompile_limit)) {
    std::string message = fmt::format(
        "{}: hit config.{} ({})", code.name,
        own_limit ? "recompile_limit" : "accumulated_recompile_limit",
        own_limit ? compile_config_.recompile_limit : compile_config_.accumulated_recompile_limit);
    if (!compiled.last_failure.empty())
      message += fmt::format("; last reason: {}", compiled.last_failure);
    if (compile_config_.fail_on_recompile_limit_hit && !compiled.implicit)
      return raise_named("RuntimeError", "recompile limit reached: " + message);
    warn(fmt::format("{}. Later misses run in the VM.", message));
    compiled.run_only = true;
    compiled.limit_hit = true;
    log_cache(*this, code, pc, "miss past the recompile limit: runs in the VM (run-only)");
    {
      run_in_vm = true;
      return Value();
    }
  }

  // A saved entry (load_cache, GYRO_CACHE_DIR) that accepts the frame serves without a trace.
  if (auto found = persistent_cache_->find(compiled, subject, pc, cache_logger(*this, code, pc))) {
    auto entry = std::make_shared<CompileEntry>();
    entry->capture = std::move(found->capture);
    entry->keys = source_keys(entry->capture->sources);
    entry->loaded_from = found->pool_item;
    auto executable = make_executable(*this, compiled, *entry->capture, entry->keys, subject);
    if (!executable) return std::nullopt;
    entry->executable = std::move(*executable);
    compiled.entries.push_back(entry);
    ++compile_stats_.graphs;
    compile_stats_.guards += static_cast<int64_t>(entry->capture->guards.size());
    if (!compiled.implicit) ++accumulated_entries_;
    log_cache(*this, code, pc,
              fmt::format("entry {} loaded from the compile cache ({} guards)",
                          compiled.entries.size() - 1, entry->capture->guards.size()));
    if (entry->capture->resume_pc >= 0) {  // explain() and the logs see the break as traced
      compiled.break_reasons.push_back(entry->capture->break_reason);
      ++compile_stats_.graph_breaks;
      log(LogChannel::graph_breaks, with_hint(entry->capture->break_reason));
    }
    SourceLoader loader(entry->capture->sources, entry->keys, subject);
    return run_entry(*entry, *frame, loader, breaks_at);
  }

  // on_compile_start / on_compile_end, with the function's name (the program's own compiles
  // only: compile_all's must not change what a program prints).
  auto notify = [&](const std::vector<Value>& registered) {
    if (compiled.implicit) return true;
    std::vector<Value> callbacks = registered;  // a callback may register another
    Value name = make_str(code.name);
    for (const Value& callback : callbacks)
      if (!call_uncompiled(callback, std::span<const Value>(&name, 1))) return false;
    return true;
  };
  if (!notify(compile_start_callbacks_)) return std::nullopt;
  log_cache(*this, code, pc,
            fmt::format("miss: tracing a new entry ({} here already)", entries_here));
  if (log_enabled(LogChannel::bytecode))
    log(LogChannel::bytecode, fmt::format("{}, tracing from pc {}:\n{}", code_location(code), pc,
                                          without_trailing_newline(disassemble(code))));
  progress("trace");
  const auto trace_start = Clock::now();
  compiling_ = true;
  ShapePolicy policy;
  policy.dynamic = compiled.dynamic;
  if (!policy.dynamic && !compile_config_.assume_static_by_default) policy.dynamic = true;
  policy.automatic_dynamic = compile_config_.automatic_dynamic_shapes;
  policy.duck_shape = compile_config_.duck_shape;
  policy.seen = &compiled.seen_sizes[pc];
  policy.budget.use_z3 = compile_config_.z3_guard_pruning;
  policy.budget.rlimit_per_query = static_cast<uint64_t>(compile_config_.z3_rlimit_per_query);
  policy.budget.rlimit_total = static_cast<uint64_t>(compile_config_.z3_rlimit_per_compile);
  auto traced = trace_frame(*this, compiled.function, subject.locals, subject.stack, pc, policy);
  compiling_ = false;
  const auto trace_end = Clock::now();
  compile_stats_.trace_seconds += std::chrono::duration<double>(trace_end - trace_start).count();
  if (entries_here > 0) ++compile_stats_.recompiles;
  if (auto* capture = std::get_if<Capture>(&traced)) {
    // fullgraph: a capture that ends at a break is not the whole function.
    if (capture->resume_pc >= 0 && compiled.fullgraph) {
      if (!notify(compile_end_callbacks_)) return std::nullopt;
      return raise_named("GraphBreakError", capture->break_reason);
    }
    auto entry = std::make_shared<CompileEntry>();
    entry->capture = std::make_shared<const Capture>(std::move(*capture));
    entry->keys = source_keys(entry->capture->sources);
    if (!compiled.backend.is(ObjectKind::Str) &&
        entry->capture->graph.num_calls() > 0 &&  // as Dynamo: no backend for no ops
        !call_script_backend(*this, compiled.backend, entry->capture, entry->keys, subject))
      return std::nullopt;
    progress("backend");
    const auto backend_start = Clock::now();
    auto executable = make_executable(*this, compiled, *entry->capture, entry->keys, subject);
    if (!executable) return std::nullopt;
    compile_stats_.backend_seconds +=
        std::chrono::duration<double>(Clock::now() - backend_start).count();
    compile_stats_.z3_queries += entry->capture->z3_queries;
    compile_stats_.z3_seconds += entry->capture->z3_ms / 1000.0;
    if (log_enabled(LogChannel::perf))
      log(LogChannel::perf,
          fmt::format("{} at pc {}: trace {:.3f} ms, backend {} {:.3f} ms", code_location(code), pc,
                      milliseconds(trace_end - trace_start),
                      compiled.backend.is(ObjectKind::Str)
                          ? std::string_view(compiled.backend.as<StrObject>().text)
                          : kDefaultBackend,
                      milliseconds(Clock::now() - backend_start)));
    entry->executable = std::move(*executable);
    persistent_cache_->record(compiled, pc, entry, cache_logger(*this, code, pc));
    compiled.entries.push_back(entry);
    ++compile_stats_.graphs;
    compile_stats_.guards += static_cast<int64_t>(entry->capture->guards.size());
    if (!compiled.implicit) ++accumulated_entries_;
    const Capture& made = *entry->capture;
    log_cache(
        *this, code, pc,
        fmt::format("entry {} added ({} guards)", compiled.entries.size() - 1, made.guards.size()));
    if (log_enabled(LogChannel::graph))
      log(LogChannel::graph,
          fmt::format("{}, {} guards\n{}{}{}", code_location(code), made.guards.size(),
                      without_trailing_newline(made.describe()),
                      entry->executable.description().empty() ? "" : "\nkernels:\n",
                      without_trailing_newline(entry->executable.description())));
    if (log_enabled(LogChannel::guards)) {
      std::string message =
          fmt::format("{}, entry {}:", code_location(code), compiled.entries.size() - 1);
      for (const auto& guard : made.guards)
        message += "\n  " + guards::describe(made.sources, guard);
      log(LogChannel::guards, message);
    }
    if (!made.shape_guard_stats.empty())
      log(LogChannel::z3, fmt::format("{}, entry {}: {}", code_location(code),
                                      compiled.entries.size() - 1, made.shape_guard_stats));
    if (made.resume_pc >= 0) {
      compiled.break_reasons.push_back(made.break_reason);
      ++compile_stats_.graph_breaks;
      log(LogChannel::graph_breaks, with_hint(made.break_reason));
    }
    if (!dump_dir_.empty()) dump_graph(*this, dump_dir_, code, made, frame_id, compile_id);
    progress("done");
    if (!notify(compile_end_callbacks_)) return std::nullopt;
    SourceLoader loader(made.sources, entry->keys, subject);
    return run_entry(*entry, *frame, loader, breaks_at);
  }
  progress("done");
  const TraceStop& stop = std::get<TraceStop>(traced);
  if (log_enabled(LogChannel::perf))
    log(LogChannel::perf, fmt::format("{} at pc {}: trace {:.3f} ms, stopped", code_location(code),
                                      pc, milliseconds(trace_end - trace_start)));
  if (!notify(compile_end_callbacks_)) return std::nullopt;
  // mark_dynamic asked for more than the code allows: the user's error, as in Dynamo.
  if (stop.reason == BreakReason::ConstraintViolation)
    return raise_named("ConstraintViolationError", stop.detail);
  if (compiled.fullgraph && stop.reason != BreakReason::UserError)
    return raise_named("GraphBreakError", stop.describe());
  compiled.break_reasons.push_back(stop.describe());
  ++compile_stats_.graph_breaks;
  log(LogChannel::graph_breaks, with_hint(stop.describe()));
  run_in_vm = true;
  // A user error belongs to these inputs (f(None) raises where f(tensor) would not): the VM
  // raises it now, and a later call traces again, until recompile_limit traces here have
  // ended that way.
  if (stop.reason == BreakReason::UserError &&
      ++compiled.user_error_traces[pc] < compile_config_.recompile_limit)
    return Value();
  // Nothing worth capturing before the stop: from here on this frame runs in the VM.
  if (pc == 0)
    compiled.run_only = true;
  else
    compiled.skipped_resume_points.insert(pc);
  return Value();
}

Value make_explanation(const CompiledFunctionObject& compiled) {
  Value result = Value::object(new ExplanationObject());
  auto& explanation = result.as<ExplanationObject>();
  for (const auto& entry : compiled.entries) {
    const Capture& capture = *entry->capture;
    ++explanation.graph_count;
    explanation.op_count += capture.graph.num_calls();
    explanation.graphs.push_back(capture.describe());
    for (const auto& guard : capture.guards)
      explanation.guards.push_back(guards::describe(capture.sources, guard));
    if (!capture.shape_guard_stats.empty())
      explanation.shape_guard_stats.push_back(capture.shape_guard_stats);
    if (!capture.shape_region.empty()) explanation.shape_regions.push_back(capture.shape_region);
    if (!entry->executable.description().empty())
      explanation.kernels.push_back(entry->executable.description());
  }
  explanation.break_reasons = compiled.break_reasons;
  return result;
}

}  // namespace gyro
