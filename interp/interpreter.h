// The reference VM: runs verified bytecode with CPython's semantics. It defines what every
// compiled path must reproduce (values, exceptions and their messages, output, order).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "interp/code_cache.h"
#include "interp/compile_log.h"
#include "interp/cycle_collector.h"
#include "interp/objects.h"
#include "interp/value.h"
#include "interp/value_stack.h"
#include "ir/code.h"
#include "ir/error.h"

namespace gyro {

#if defined(__SANITIZE_ADDRESS__)
#define GYRO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GYRO_ASAN 1
#endif
#endif

// AddressSanitizer's redzones make each VM call's native frames about ten times larger; with
// 2 MiB a release build reaches CPython's default depth (1000) with room to spare.
#ifdef GYRO_ASAN
inline constexpr std::size_t kDefaultMaxStackBytes = std::size_t{6} << 20;
#else
inline constexpr std::size_t kDefaultMaxStackBytes = std::size_t{2} << 20;
#endif

struct InterpreterLimits {
  int max_call_depth = 1000;  // deeper recursion raises RecursionError
  // Native stack a run may use before RecursionError (the VM recurses on the C++ stack, so a
  // host thread with a small stack lowers this; sanitizer builds have much larger frames).
  std::size_t max_stack_bytes = kDefaultMaxStackBytes;
  uint64_t step_budget = 0;  // instructions per run_module/call; 0 = unlimited
  // false: the builtins that read or write files (save_file, load_file, save, load,
  // save_cache, load_cache) raise OSError instead, for hosts that run untrusted programs (the
  // fuzzers among them).
  bool file_access = true;
};

// The compile knobs (`config` in scripts), with Dynamo's defaults: one field per row of
// compile_config.def.
// What compiling did (compile_stats.def's rows), since the interpreter was made or reset.
struct CompileStats {
#define COMPILE_STAT(type, name, help) type name = 0;
#include "interp/compile_stats.def"
#undef COMPILE_STAT
};
// "graphs: 3  # cache entries made...", one line per statistic.
std::string describe_stats(const CompileStats& stats);

struct CompileConfig {
#define CONFIG_KNOB(type, name, default_value, help) type name = default_value;
#include "interp/compile_config.def"
#undef CONFIG_KNOB
};
// repr(config): "config.<knob> = <value>  # <help>", one line per knob.
std::string describe_config(const CompileConfig& config);

// How the symbolic evaluator treats calls of a script function the program marked (Dynamo's
// allow_in_graph and assume_constant_result); the VM calls marked functions as any other.
enum class TraceMark : uint8_t {
  kNone,
  kAllowInGraph,          // one opaque graph node, run through the VM (interp/allowed_call.h)
  kAssumeConstantResult,  // called when tracing (constant arguments only); its result is baked in
};

struct CompileEntry;
struct GuardSubject;
class PersistentCache;
class SourceLoader;

class Interpreter {
 public:
  // `write` receives everything print() writes (stdout by default).
  explicit Interpreter(std::function<void(std::string_view)> write = {});
  // Clears the globals of every module it ran: functions hold their module's globals, so a
  // module is a reference cycle that refcounting alone would never free.
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  InterpreterLimits& limits() { return limits_; }
  CompileStats& compile_stats() { return compile_stats_; }
  CompileConfig& compile_config() { return compile_config_; }
  // True while the symbolic evaluator traces a frame (is_compiling() in scripts).
  bool is_compiling() const { return compiling_; }
  // reset(): every compiled function forgets its captures (they recompile on their next call),
  // the accumulated entry count restarts and the compile callbacks are dropped, as in Dynamo.
  void reset_compiled();
  uint64_t compile_epoch() const { return compile_epoch_; }
  // The persistent compile cache (save_cache, load_cache, GYRO_CACHE_DIR).
  PersistentCache& persistent_cache() { return *persistent_cache_; }
  // Cache entries made since the last reset() by explicitly compiled functions (compile_all's
  // implicit ones do not count), checked against config.accumulated_recompile_limit.
  int accumulated_entries() const { return accumulated_entries_; }

  // on_compile_start / on_compile_end: callables called with the function's name once per
  // frame compile (a trace, whether it makes an entry or stops), never on cache hits.
  void on_compile_start(Value callback) { compile_start_callbacks_.push_back(std::move(callback)); }
  void on_compile_end(Value callback) { compile_end_callbacks_.push_back(std::move(callback)); }
  // Calls `callable` with compilation off for plain function calls inside it, compile_all
  // included (disable(fn) and the compile callbacks run this way).
  std::optional<Value> call_uncompiled(const Value& callable, std::span<const Value> args,
                                       std::span<const KeywordArg> kwargs = {});

  // Runs `run` (a call into the VM) with print() writing nothing: allow_in_graph's trace-time
  // call on stand-in tensors must not show its output.
  std::optional<Value> run_quietly(const std::function<std::optional<Value>()>& run);
  // allow_in_graph(fn) / assume_constant_result(fn): marks a script function for every later
  // trace (the mark stays across reset(), as in Dynamo, and keeps the function alive).
  void mark_for_tracing(const Value& function, TraceMark mark) {
    trace_marks_[function.as_object()] = {function, mark};
  }
  TraceMark trace_mark(const Value& function) const {
    if (trace_marks_.empty() || !function.is_object()) return TraceMark::kNone;
    auto it = trace_marks_.find(function.as_object());
    return it == trace_marks_.end() ? TraceMark::kNone : it->second.second;
  }

  // Compile logs (the GYRO_LOGS channels) and compile warnings go through `callback`, one
  // message per call without a trailing newline; an empty callback restores stderr.
  void set_log_callback(LogCallback callback);
  // Selects the channels that print, as GYRO_LOGS does ("graph,recompiles", "all", ""); the
  // constructor applies GYRO_LOGS. "help" logs the channel list; an unknown name is a warning.
  void set_logs(std::string_view spec);
  // Lines logged while a frame compiles carry Dynamo's [frame/compile] tag ("[0/1]": the
  // first code object compiled, its second compile).
  const std::string& compile_tag() const { return compile_tag_; }
  // Long compiles report their steps: (phase, function) with phase "trace" (symbolic
  // evaluation and guards), "backend" (the backend compiling the graph) and "done".
  using ProgressCallback = std::function<void(std::string_view phase, std::string_view function)>;
  void set_progress_callback(ProgressCallback callback) { progress_ = std::move(callback); }
  // Where each new graph is written as code (.txt, with its guards) and as Graphviz (.dot),
  // named <frame>_<compile>_<function>; empty for nowhere. The constructor reads GYRO_DUMP_DIR.
  void set_dump_dir(std::string directory) { dump_dir_ = std::move(directory); }
  bool log_enabled(LogChannel channel) const {
    return (log_mask_ >> static_cast<int>(channel)) & 1;
  }
  // "[gyro <channel>] message", when the channel is on.
  void log(LogChannel channel, std::string_view message);
  // "gyro warning: message", always.
  void warn(std::string_view message);
  // May be called from another thread: the running code (or, if none runs, the next run)
  // stops with KeyboardInterrupt, which no handler can catch.
  void interrupt() { interrupted_.store(true, std::memory_order_relaxed); }
  // Frees the reference cycles nothing reaches any more (the VM also does so on its own every
  // so many container allocations); returns how many objects were on them.
  int64_t collect_cycles();
  const CycleHeap& cycle_heap() const { return cycle_heap_; }

  // Host threads. One thread runs an interpreter at a time, as CPython's GIL has it: run_module
  // and call take the interpreter's lock unless the calling thread holds it already (a builtin
  // or a compiled graph calling back in), so several host threads may call the same compiled
  // function at once, each getting what a lone call gets, and a resume point is traced and
  // compiled once (the other threads wait, then hit its entry). Values are not thread-safe
  // (their refcounts are plain integers): a host that shares values between threads, or reads
  // exception() after a failed call while other threads call in, holds a HostLock around that
  // work; every other member function assumes the lock is held or only one thread calls.
  // That includes dropping a container the interpreter made (a list, dict, instance...) while
  // other threads may call in: the cycle collector keeps such objects on a list of its own.
  class HostLock {
   public:
    explicit HostLock(Interpreter& vm)
        : vm_(vm), acquired_(vm.acquire_host_lock()), heap_(&vm.cycle_heap_) {}
    ~HostLock() {
      if (acquired_) vm_.release_host_lock();
    }
    HostLock(const HostLock&) = delete;
    HostLock& operator=(const HostLock&) = delete;

   private:
    Interpreter& vm_;
    // False when this thread held the lock already (a nested entry).
    bool acquired_;
    // Containers made while it is held join the interpreter's cycle collector.
    CycleHeap::MakeCurrent heap_;
  };

  // Runs a module's top level in fresh globals (their `__name__` is `name`: "__main__" for a
  // program, "gyro.nn" for the prelude) and returns them (a dict).
  std::optional<Value> run_module(const Module& module, std::string_view name = "__main__");
  // The globals of the module whose `__name__` is `name`: the innermost running frame's if it
  // is that module's, else those of the last module run under that name; None if there is
  // none. Saved objects find their classes here.
  Value module_globals(std::string_view name) const;
  // Calls any callable with positional and keyword arguments.
  std::optional<Value> call(const Value& callable, std::span<const Value> args,
                            std::span<const KeywordArg> kwargs = {});

  // The exception raised by the last call that returned nullopt (an instance), and its
  // CPython-style traceback text ("Traceback (most recent call last):\n  File ...").
  const Value& exception() const { return exception_; }
  std::string format_exception(const Value& exception) const;
  // The pending exception as an Error (kind from its class when it is a builtin one).
  Error exception_as_error() const;

  // Raising, for builtins: an instance of the builtin class named by the error's kind.
  std::nullopt_t raise(const Error& error);
  template <typename... Args>
  std::nullopt_t raise(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
    return raise(make_error(kind, format, std::forward<Args>(args)...));
  }
  std::nullopt_t raise_named(std::string_view class_name, std::string message);
  std::nullopt_t raise_with_args(std::string_view class_name, std::vector<Value> args);
  std::nullopt_t raise_value(Value exception);

  // Iteration protocol used by builtins: iter(x) and next(it) (nullopt + no exception = end).
  std::optional<Value> iterate(const Value& iterable);
  std::optional<Value> next(const Value& iterator, bool& exhausted);
  // All items of an iterable.
  std::optional<std::vector<Value>> collect(const Value& iterable);

  // For the builtins that open files: false, with OSError raised, when limits().file_access
  // is off.
  bool check_file_access(std::string_view builtin);

  void write(std::string_view text) { write_(text); }
  const Value& builtins() const { return builtins_; }
  // LOAD_METHOD's marker for "the callable takes no self" (never visible to scripts).
  const Value& no_self_marker() const { return no_self_; }
  // The builtin class object called `name` (int, list, ValueError, ...).
  Value builtin_class(std::string_view name) const;
  // Python's type(value) and isinstance(value, cls).
  Value type_of(const Value& value) const;
  bool is_instance(const Value& value, const Value& cls) const;

  // Attribute access: instance/class attributes, bound methods of builtin types, tensor attrs.
  std::optional<Value> get_attribute(const Value& object, std::string_view name);
  std::optional<Value> set_attribute(const Value& object, std::string_view name, Value value);
  // The same with the name as a str value (the VM passes its cached names: no allocation).
  std::optional<Value> get_attribute(const Value& object, const Value& key);
  std::optional<Value> set_attribute(const Value& object, const Value& key, Value value);
  // A bytecode constant as a value (strings interned; code objects as MAKE_FUNCTION's shells).
  Value constant_value(const Constant& constant);
  // LOAD_METHOD's lookup: `object.name` as a callable that takes `object` as its first
  // argument (`wants_self` true: a function or builtin method, no bound method is made), or
  // the attribute's value itself (`wants_self` false).
  std::optional<Value> get_method(const Value& object, const Value& key, bool& wants_self);

  // container[index] with Python's semantics (lists, tuples, dicts, strs, tensors); nullopt
  // with the exception raised when it fails.
  std::optional<Value> subscript(const Value& container, const Value& index);

 private:
  struct Frame;
  // Runs a frame from `start_pc` (a graph break resumes mid-function) to its return. With
  // `paused_at`, runs one instruction of the frame (and whatever it calls) and stops at the
  // next, storing its pc there; a return or an exception ends the step as usual.
  std::optional<Value> run_frame(Frame& frame, std::size_t start_pc = 0,
                                 std::size_t* paused_at = nullptr);
  // One stretch of a compiled frame from `pc`: a cache entry (or a new trace) to the frame's
  // return, or to a graph break (`breaks_at` set, the frame's state restored for the VM).
  static constexpr std::size_t kNoBreak = static_cast<std::size_t>(-1);
  // `run_in_vm`: nothing to run from the cache; the VM runs the frame on from `pc`.
  std::optional<Value> compiled_step(CompiledFunctionObject& compiled, Frame& frame, std::size_t pc,
                                     std::size_t& breaks_at, bool& run_in_vm);
  std::optional<Value> compile_at(CompiledFunctionObject& compiled, Frame& frame,
                                  const GuardSubject& subject, std::size_t pc,
                                  std::size_t& breaks_at, bool& run_in_vm,
                                  const std::vector<std::string>& failures, int entries_here);
  std::optional<Value> run_entry(const CompileEntry& entry, Frame& frame, SourceLoader& loader,
                                 std::size_t& breaks_at);  // compiled_call.cc
  // A call of compile(fn)'s result: a cached capture, a new trace, or the VM (compiled_call.cc).
  std::optional<Value> call_compiled(const Value& compiled, std::span<const Value> args,
                                     std::span<const KeywordArg> kwargs);
  std::optional<Value> call_function(const Value& function, std::span<const Value> args,
                                     std::span<const KeywordArg> kwargs, Value namespace_dict);
  // The checks every call made from C++ starts with (a new run's budget, the native stack);
  // false if it raised RecursionError.
  bool start_native_call();
  Frame& push_frame(const Value& function, Value namespace_dict);  // frame.h
  // A frame for calling a function (arguments bound), or null if binding raised; every
  // entered frame is left, last first.
  Frame* enter_frame(const Value& function, std::span<const Value> args,
                     std::span<const KeywordArg> kwargs, Value namespace_dict);
  void leave_frame(Frame& frame);
  // Binds arguments to a new frame's locals and cells with CPython's rules; false if it raised.
  bool bind_arguments(Frame& frame, std::span<const Value> args,
                      std::span<const KeywordArg> kwargs);
  bool handle_exception(Frame& frame, std::size_t pc);
  // The periodic check run every few thousand instructions: the host's interrupt and the
  // step budget. False when the run must stop (the exception is raised).
  bool check_breaker();
  bool store_subscript(const Value& container, const Value& index, Value value);
  std::optional<Value> build_class(const Value& body, const Value& name, const Value& bases);
  void install_builtins();
  // What the VM derives once per code object (names, constants, inline caches).
  CodeCache& cache_of(const FunctionObject& function);
  Value unbound_builtin(BuiltinFn fn, std::string_view name);
  // One str object per distinct name used by code, so name lookups compare by identity.
  Value intern(const std::string& text);

  // The host lock: false (nothing to release) when this thread owns it already. Taking it is
  // one compare-and-swap of the owner's id (a cache hit is a few hundred instructions, so a
  // mutex's two locked calls showed in its profile); a thread that finds it taken yields
  // until it is free. Only the owner stores its own id, so a relaxed load that sees this
  // thread's id is exact.
  bool acquire_host_lock() {
    const std::thread::id self = std::this_thread::get_id();
    if (host_owner_.load(std::memory_order_relaxed) == self) return false;
    std::thread::id free;
    while (!host_owner_.compare_exchange_weak(free, self, std::memory_order_acquire,
                                              std::memory_order_relaxed)) {
      free = std::thread::id();
      std::this_thread::yield();
    }
    return true;
  }
  void release_host_lock() { host_owner_.store(std::thread::id(), std::memory_order_release); }

  std::atomic<std::thread::id> host_owner_{};
  // First, so that it outlives every member holding values (their objects unlink from it).
  CycleHeap cycle_heap_;
  static_assert(std::atomic<std::thread::id>::is_always_lock_free, "the host lock spins on it");
  std::function<void(std::string_view)> write_;
  InterpreterLimits limits_;
  std::atomic<bool> interrupted_{false};
  int depth_ = 0;
  const char* stack_base_ = nullptr;  // native stack address at the outermost call
  uint64_t steps_ = 0;
  uint64_t next_check_ = 0;  // steps_ at which check_breaker runs next
  uint64_t frame_serial_ = 0;
  bool stopping_ = false;
  bool compiling_ = false;
  Frame* pause_frame_ = nullptr;  // run_frame's single step: the frame that stops
  uint64_t compile_epoch_ = 0;
  int accumulated_entries_ = 0;
  int uncompiled_depth_ = 0;  // call_uncompiled calls running
  int run_only_depth_ = 0;    // frames past a recompile limit running in the VM: no compiles
  std::vector<Value> compile_start_callbacks_, compile_end_callbacks_;
  LogCallback log_;
  uint32_t log_mask_ = 0;
  ProgressCallback progress_;
  std::string dump_dir_;
  std::string compile_tag_;  // "[frame/compile] " while a frame compiles, else empty
  // Per code object compiled: its frame id and how many compiles it had.
  std::unordered_map<const Code*, std::pair<int, int>> frame_ids_;
  std::unique_ptr<PersistentCache> persistent_cache_;
  CompileStats compile_stats_;
  CompileConfig compile_config_;  // an interrupt or the step budget is unwinding the whole run
  Value exception_;
  Value builtins_;  // dict: name -> builtin function or class
  Value no_self_;   // LOAD_METHOD's marker for "the callable is not a method"
  ValueStack value_stack_;
  std::vector<std::unique_ptr<Frame>> frames_;  // by call depth
  // Each cache keeps its code alive, so a pointer key is never reused.
  std::unordered_map<const Code*, std::unique_ptr<CodeCache>> code_caches_;
  // Builtin methods without a receiver, one per method body (LOAD_METHOD pushes the receiver
  // separately, so calling list.append allocates nothing).
  std::unordered_map<BuiltinFn, Value> unbound_builtins_;
  std::unordered_map<std::string, Value> interned_;
  std::unordered_map<const Object*, Value> implicitly_compiled_;  // compile_all's wrappers
  std::unordered_map<const Object*, std::pair<Value, TraceMark>> trace_marks_;
  std::vector<Value> modules_;  // globals dicts of the modules run, cleared on destruction
  friend struct BuiltinsInstaller;
};

}  // namespace gyro
