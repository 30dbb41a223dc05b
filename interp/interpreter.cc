// The reference VM's machinery around the evaluation loop: frames, calls with CPython's
// argument binding, exceptions with tracebacks, iteration, and the per-code caches.
#include "interp/persistent_cache.h"
#include "interp/interpreter.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "backends/backend.h"
#include "interp/frame.h"
#include "interp/python_ops.h"
#include "interp/special_methods.h"

namespace gyro {

Interpreter::Interpreter(std::function<void(std::string_view)> write)
    : write_(std::move(write)), persistent_cache_(std::make_unique<PersistentCache>()) {
  if (!write_)
    write_ = [](std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); };
  // Its own builtins are never tracked, by this interpreter or one whose host code made it.
  CycleHeap::MakeCurrent untracked(nullptr);
  no_self_ = make_cell();
  install_builtins();
  if (const char* logs = std::getenv("GYRO_LOGS")) set_logs(logs);
  if (const char* dump = std::getenv("GYRO_DUMP_DIR")) dump_dir_ = dump;
}

Interpreter::~Interpreter() {
  CycleHeap::MakeCurrent untracked(nullptr);  // nothing made while it goes joins any heap
  // Reference counting never frees a cycle (a module's functions hold its globals; a method
  // using super() holds its class; a module compiled in place holds itself through its
  // compiled forward). What the modules run reach is emptied first, so that their cycles fall
  // apart even where the host still holds a function; the collector then frees the rest.
  std::vector<Value> roots(modules_.begin(), modules_.end());
  for (auto& [function, compiled] : implicitly_compiled_) roots.push_back(compiled);
  CycleHeap::empty_reachable(std::move(roots));
  implicitly_compiled_.clear();
  cycle_heap_.collect();
  // The host's own values outlive the heap, untracked.
  cycle_heap_.untrack_all();
}

// ---- raising ----

std::nullopt_t Interpreter::raise_value(Value exception) {
  exception_ = std::move(exception);
  return std::nullopt;
}

std::nullopt_t Interpreter::raise_named(std::string_view class_name, std::string message) {
  std::vector<Value> args;
  args.push_back(make_str(std::move(message)));
  return raise_with_args(class_name, std::move(args));
}

std::nullopt_t Interpreter::raise_with_args(std::string_view class_name, std::vector<Value> args) {
  Value cls = builtin_class(class_name);
  if (!cls.is(ObjectKind::Class)) cls = builtin_class("RuntimeError");
  Value instance = make_instance(cls);
  (void)instance.as<InstanceObject>().attributes.as<DictObject>().table.set(
      make_str("args"), make_tuple(std::move(args)));
  return raise_value(std::move(instance));
}

bool Interpreter::check_file_access(std::string_view builtin) {
  if (limits_.file_access) return true;
  raise(ErrorKind::OSError, "{}(): file access is disabled (InterpreterLimits::file_access)",
        builtin);
  return false;
}

std::nullopt_t Interpreter::raise(const Error& error) {
  return raise_named(error_kind_name(error.kind), error.message);
}

Error Interpreter::exception_as_error() const {
  ErrorKind kind = ErrorKind::RuntimeError;
  std::string name = std::string(type_name(exception_));
#define ERROR_KIND(each) \
  if (name == #each) kind = ErrorKind::each;
#include "ir/error_kinds.def"
#undef ERROR_KIND
  std::string message = str(exception_);
  return Error{kind, kind == ErrorKind::RuntimeError && name != "RuntimeError"
                         ? fmt::format("{}: {}", name, message)
                         : message};
}

namespace {

// The lines of the source files a traceback names, read once per traceback (as CPython's
// linecache does); a file that cannot be read (a string compiled by a host) shows no lines.
class SourceLines {
 public:
  std::string_view line(const std::string& filename, int number) {
    auto it = files_.find(filename);
    if (it == files_.end()) {
      std::vector<std::string> lines;
      std::ifstream file(filename);
      for (std::string text; std::getline(file, text);) lines.push_back(std::move(text));
      it = files_.emplace(filename, std::move(lines)).first;
    }
    const auto& lines = it->second;
    if (number < 1 || static_cast<std::size_t>(number) > lines.size()) return {};
    std::string_view text = lines[number - 1];
    std::size_t first = text.find_first_not_of(" \t");
    std::size_t last = text.find_last_not_of(" \t\r");
    return first == std::string_view::npos ? std::string_view()
                                           : text.substr(first, last - first + 1);
  }

 private:
  std::unordered_map<std::string, std::vector<std::string>> files_;
};

}  // namespace

std::string Interpreter::format_exception(const Value& exception) const {
  std::string text;
  if (exception.is(ObjectKind::Instance)) {
    const auto& traceback = exception.as<InstanceObject>().traceback;
    if (!traceback.empty()) text += "Traceback (most recent call last):\n";
    SourceLines sources;
    // As CPython: each entry with its source line; a run of identical entries (recursion)
    // shows three times, then how many more there were.
    constexpr int kShownRepeats = 3;
    int repeats = 0;
    const TracebackEntry* previous = nullptr;
    auto flush_repeats = [&] {
      if (repeats > kShownRepeats)
        text += fmt::format("  [Previous line repeated {} more time{}]\n", repeats - kShownRepeats,
                            repeats - kShownRepeats == 1 ? "" : "s");
    };
    for (auto it = traceback.rbegin(); it != traceback.rend(); ++it) {
      bool same = previous && previous->filename == it->filename && previous->line == it->line &&
                  previous->function == it->function;
      if (!same) {
        flush_repeats();
        repeats = 0;
      }
      previous = &*it;
      if (++repeats > kShownRepeats) continue;
      text += fmt::format("  File \"{}\", line {}, in {}\n", it->filename, it->line, it->function);
      std::string_view source = sources.line(it->filename, it->line);
      if (!source.empty()) text += fmt::format("    {}\n", source);
    }
    flush_repeats();
  }
  std::string message = str(exception);
  text += message.empty() ? std::string(type_name(exception))
                          : fmt::format("{}: {}", type_name(exception), message);
  return text + "\n";
}

// ---- classes and types ----

Value Interpreter::builtin_class(std::string_view name) const {
  auto found = builtins_.as<DictObject>().table.get(make_str(std::string(name)));
  return found.ok() && found->has_value() ? **found : Value();
}

Value Interpreter::type_of(const Value& value) const {
  if (value.is(ObjectKind::Instance)) return value.as<InstanceObject>().cls;
  return builtin_class(type_name(value));
}

bool Interpreter::is_instance(const Value& value, const Value& cls) const {
  if (!cls.is(ObjectKind::Class)) return false;
  const auto& target = cls.as<ClassObject>();
  // bool is a subclass of int, as in Python.
  if (target.name == "int" && target.builtin_tag >= 0 && value.is_bool()) return true;
  if (target.name == "object" && target.builtin_tag >= 0) return true;
  Value type = type_of(value);
  while (type.is(ObjectKind::Class)) {
    if (type.as_object() == cls.as_object()) return true;
    type = type.as<ClassObject>().base;
  }
  return false;
}

// ---- iteration ----

std::optional<Value> Interpreter::iterate(const Value& iterable) {
  using Source = IteratorObject::Source;
  auto make = [&](Source source) {
    Value it = Value::object(new IteratorObject(source));
    it.as<IteratorObject>().target = iterable;
    return it;
  };
  if (iterable.is(ObjectKind::Iterator)) return iterable;
  if (iterable.is(ObjectKind::List) || iterable.is(ObjectKind::Tuple) ||
      iterable.is(ObjectKind::Str))
    return make(Source::kSequence);
  if (iterable.is(ObjectKind::Dict)) {
    // Iterate over a snapshot of the keys (CPython raises if the dict changes size instead).
    std::vector<Value> keys;
    iterable.as<DictObject>().table.for_each(
        [&](const Value& key, const Value&) { keys.push_back(key); });
    Value it = make(Source::kDictKeys);
    it.as<IteratorObject>().target = make_tuple(std::move(keys));
    return it;
  }
  if (iterable.is(ObjectKind::DictView)) {
    Value it = make(Source::kDictKeys);
    it.as<IteratorObject>().target = make_tuple(iterable.as<DictViewObject>().items());
    return it;
  }
  if (iterable.is(ObjectKind::Range)) {
    Value it = make(Source::kRange);
    auto& state = it.as<IteratorObject>();
    const auto& range = iterable.as<RangeObject>();
    state.index = range.start;
    state.stop = range.stop;
    state.step = range.step;
    return it;
  }
  if (iterable.is(ObjectKind::TensorBox)) {
    const Tensor& tensor = iterable.as<TensorBoxObject>().tensor;
    if (tensor.dim() == 0) return raise(ErrorKind::TypeError, "iteration over a 0-d tensor");
    return make(Source::kTensorRows);
  }
  if (auto method = special_method(iterable, "__iter__")) {  // a script class (Sequential)
    auto it = call(*method, {});
    if (it && !it->is(ObjectKind::Iterator))
      return raise(ErrorKind::TypeError, "iter() returned non-iterator of type '{}'",
                   type_name(*it));
    return it;
  }
  return raise(ErrorKind::TypeError, "'{}' object is not iterable", type_name(iterable));
}

std::optional<Value> Interpreter::next(const Value& iterator, bool& exhausted) {
  using Source = IteratorObject::Source;
  exhausted = false;
  auto& state = iterator.as<IteratorObject>();
  auto done = [&]() -> std::optional<Value> {
    exhausted = true;
    return std::nullopt;
  };
  switch (state.source) {
    case Source::kSequence:
    case Source::kDictKeys: {
      const Value& target = state.target;
      if (target.is(ObjectKind::Str)) {
        const std::string& text = target.as<StrObject>().text;
        if (state.index >= static_cast<int64_t>(text.size())) return done();
        // One UTF-8 character per step.
        std::size_t start = state.index, end = start + 1;
        while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
        state.index = static_cast<int64_t>(end);
        return make_str(text.substr(start, end - start));
      }
      const auto& items = sequence_items(target);
      if (state.index >= static_cast<int64_t>(items.size())) return done();
      return items[state.index++];
    }
    case Source::kRange: {
      if (state.step > 0 ? state.index >= state.stop : state.index <= state.stop) return done();
      int64_t value = state.index;
      if (__builtin_add_overflow(state.index, state.step, &state.index)) state.index = state.stop;
      return Value::integer(value);
    }
    case Source::kEnumerate: {
      bool inner_done = false;
      auto item = next(state.parts[0], inner_done);
      if (inner_done) return done();
      if (!item) return std::nullopt;
      return make_tuple({Value::integer(state.index++), std::move(*item)});
    }
    case Source::kZip: {
      if (state.parts.empty()) return done();  // zip() with no iterables is empty
      std::vector<Value> items;
      for (const Value& part : state.parts) {
        bool part_done = false;
        auto item = next(part, part_done);
        if (part_done) return done();
        if (!item) return std::nullopt;
        items.push_back(std::move(*item));
      }
      return make_tuple(std::move(items));
    }
    case Source::kTensorRows: {
      const Tensor& tensor = state.target.as<TensorBoxObject>().tensor;
      if (state.index >= tensor.size(0)) return done();
      Dims sizes, strides;
      for (int d = 1; d < tensor.dim(); ++d) {
        sizes.push_back(tensor.size(d));
        strides.push_back(tensor.stride(d));
      }
      int64_t row = state.index++;
      return make_tensor(
          tensor.as_strided(sizes, strides, tensor.offset() + row * tensor.stride(0)));
    }
  }
  GYRO_UNREACHABLE("bad iterator source");
}

std::optional<std::vector<Value>> Interpreter::collect(const Value& iterable) {
  if (iterable.is(ObjectKind::List) || iterable.is(ObjectKind::Tuple))
    return sequence_items(iterable);
  auto it = iterate(iterable);
  if (!it) return std::nullopt;
  std::vector<Value> items;
  while (true) {
    bool exhausted = false;
    auto item = next(*it, exhausted);
    if (exhausted) return items;
    if (!item) return std::nullopt;
    items.push_back(std::move(*item));
  }
}

// ---- calls ----

std::optional<Value> Interpreter::call(const Value& callable, std::span<const Value> args,
                                       std::span<const KeywordArg> kwargs) {
  HostLock lock(*this);  // a nested call (a builtin calling back) only checks the owner
  if (callable.is(ObjectKind::Function)) {
    if (compile_config_.compile_all && !compiling_ && uncompiled_depth_ == 0) {
      auto it = implicitly_compiled_.find(callable.as_object());
      if (it == implicitly_compiled_.end()) {
        Value compiled = Value::object(new CompiledFunctionObject());
        compiled.as<CompiledFunctionObject>().function = callable;
        compiled.as<CompiledFunctionObject>().backend = make_str(std::string(kDefaultBackend));
        compiled.as<CompiledFunctionObject>().epoch = compile_epoch_;
        compiled.as<CompiledFunctionObject>().implicit = true;
        it = implicitly_compiled_.emplace(callable.as_object(), std::move(compiled)).first;
      }
      return call_compiled(it->second, args, kwargs);
    }
    return call_function(callable, args, kwargs, Value());
  }
  if (callable.is(ObjectKind::CompiledFunction)) {
    // Alive for the whole call, whatever the call does to its other references.
    Value keep = callable;
    return call_compiled(keep, args, kwargs);
  }
  if (callable.is(ObjectKind::Builtin)) {
    const auto& builtin = callable.as<BuiltinObject>();
    if (builtin.self.is_none()) return builtin.fn(*this, args, kwargs);
    std::vector<Value> with_self;
    with_self.reserve(args.size() + 1);
    with_self.push_back(builtin.self);
    with_self.insert(with_self.end(), args.begin(), args.end());
    return builtin.fn(*this, with_self, kwargs);
  }
  if (callable.is(ObjectKind::HostFunction)) {
    // The object stays alive while its body runs, whatever the body does to its references.
    Value keep = callable;
    return callable.as<HostFunctionObject>().body(*this, args, kwargs);
  }
  if (callable.is(ObjectKind::BoundMethod)) {
    Value keep = callable;
    const auto& method = keep.as<BoundMethodObject>();
    std::vector<Value> with_self;
    with_self.reserve(args.size() + 1);
    with_self.push_back(method.self);
    with_self.insert(with_self.end(), args.begin(), args.end());
    return call(method.function, with_self, kwargs);
  }
  if (callable.is(ObjectKind::Class)) {
    const auto& cls = callable.as<ClassObject>();
    if (cls.builtin_tag >= 0) {
      // Builtin types construct through their builtin function (int("3"), list(x), ...).
      auto constructor = cls.attributes.as<DictObject>().table.get(make_str("__new__"));
      if (constructor.ok() && constructor->has_value()) return call(**constructor, args, kwargs);
      return raise(ErrorKind::TypeError, "cannot create '{}' instances", cls.name);
    }
    Value instance = make_instance(callable);
    if (cls.is_exception) {
      (void)instance.as<InstanceObject>().attributes.as<DictObject>().table.set(
          make_str("args"), make_tuple(std::vector<Value>(args.begin(), args.end())));
    }
    auto init = get_attribute(instance, "__init__");
    if (!init) {
      // No __init__: only arguments an exception keeps are allowed.
      exception_ = Value();
      if (!cls.is_exception && (!args.empty() || !kwargs.empty()))
        return raise(ErrorKind::TypeError, "{}() takes no arguments", cls.name);
      return instance;
    }
    auto result = call(*init, args, kwargs);
    if (!result) return std::nullopt;
    if (!result->is_none())
      return raise(ErrorKind::TypeError, "__init__() should return None, not '{}'",
                   type_name(*result));
    return instance;
  }
  if (callable.is(ObjectKind::Instance)) {
    // An instance with __call__ (a Module's forward pass) is callable.
    Value key = make_str("__call__");
    for (Value cls = callable.as<InstanceObject>().cls; cls.is(ObjectKind::Class);
         cls = cls.as<ClassObject>().base) {
      auto found = cls.as<ClassObject>().attributes.as<DictObject>().table.get(key);
      if (found.ok() && found->has_value()) {
        std::vector<Value> with_self;
        with_self.reserve(args.size() + 1);
        with_self.push_back(callable);
        with_self.insert(with_self.end(), args.begin(), args.end());
        return call(**found, with_self, kwargs);
      }
    }
  }
  return raise(ErrorKind::TypeError, "'{}' object is not callable", type_name(callable));
}

bool Interpreter::start_native_call() {
  char stack_probe;
  if (depth_ == 0) {
    // A new run: its own step budget, and an interrupt raised while nothing ran stops it at once.
    stack_base_ = &stack_probe;
    steps_ = 0;
    next_check_ = 0;
    stopping_ = false;
  }
  std::size_t stack_used = static_cast<std::size_t>(stack_base_ - &stack_probe);  // grows down
  if (stack_used > limits_.max_stack_bytes) {
    raise_named("RecursionError", "maximum recursion depth exceeded");
    return false;
  }
  return true;
}

std::optional<Value> Interpreter::call_function(const Value& callable, std::span<const Value> args,
                                                std::span<const KeywordArg> kwargs,
                                                Value namespace_dict) {
  if (!start_native_call()) return std::nullopt;
  Frame* frame = enter_frame(callable, args, kwargs, std::move(namespace_dict));
  if (!frame) return std::nullopt;
  auto result = run_frame(*frame);
  leave_frame(*frame);
  return result;
}

Interpreter::Frame* Interpreter::enter_frame(const Value& callable, std::span<const Value> args,
                                             std::span<const KeywordArg> kwargs,
                                             Value namespace_dict) {
  if (depth_ >= limits_.max_call_depth) {
    raise_named("RecursionError", "maximum recursion depth exceeded");
    return nullptr;
  }
  Frame& frame = push_frame(callable, std::move(namespace_dict));
  if (!bind_arguments(frame, args, kwargs)) {
    leave_frame(frame);
    return nullptr;
  }
  return &frame;
}

bool Interpreter::bind_arguments(Frame& frame, std::span<const Value> args,
                                 std::span<const KeywordArg> kwargs) {
  const Code& code = *frame.code;
  const FunctionObject& function = frame.function.as<FunctionObject>();
  const std::string& name = code.name;
  if (!function.globals.is(ObjectKind::Dict)) {
    // A code constant called without MAKE_FUNCTION (bytecode not from gyro script).
    raise(ErrorKind::TypeError, "{}() is a code constant that MAKE_FUNCTION did not make into "
          "a function", name);
    return false;
  }
  const std::size_t local_count = code.local_names.size();
  Value* locals = frame.locals;
  const Value& unbound = no_self_;
  const bool varargs = code.flags & kVarargs;
  const std::size_t positional = code.arg_count - (varargs ? 1 : 0);

  if (kwargs.empty() && !varargs && args.size() == positional) {
    // The common call: exactly the positional parameters.
    for (std::size_t i = 0; i < positional; ++i) locals[i] = args[i];
    for (std::size_t i = positional; i < local_count; ++i) locals[i] = unbound;
  } else {
    for (std::size_t i = 0; i < local_count; ++i) locals[i] = unbound;
    // Bind positional arguments, *args, keywords, then defaults (CPython's rules and messages).
    std::size_t given = std::min(args.size(), positional);
    for (std::size_t i = 0; i < given; ++i) locals[i] = args[i];
    if (args.size() > positional) {
      if (!varargs) {
        std::size_t optional = function.defaults.is(ObjectKind::Tuple)
                                   ? function.defaults.as<TupleObject>().items.size()
                                   : 0;
        std::string takes = optional > 0
                                ? fmt::format("from {} to {}", positional - optional, positional)
                                : fmt::format("{}", positional);
        raise(ErrorKind::TypeError, "{}() takes {} positional argument{} but {} {} given", name,
              takes, positional == 1 && optional == 0 ? "" : "s", args.size(),
              args.size() == 1 ? "was" : "were");
        return false;
      }
      locals[positional] = make_tuple(std::vector<Value>(args.begin() + positional, args.end()));
    } else if (varargs) {
      locals[positional] = make_tuple();
    }
    for (const KeywordArg& keyword : kwargs) {
      std::size_t index = 0;
      while (index < positional && code.local_names[index] != keyword.name) ++index;
      if (index == positional) {
        raise(ErrorKind::TypeError, "{}() got an unexpected keyword argument '{}'", name,
              keyword.name);
        return false;
      }
      if (!identical(locals[index], unbound)) {
        raise(ErrorKind::TypeError, "{}() got multiple values for argument '{}'", name,
              keyword.name);
        return false;
      }
      locals[index] = keyword.value;
    }
    const std::vector<Value>* defaults = function.defaults.is(ObjectKind::Tuple)
                                             ? &function.defaults.as<TupleObject>().items
                                             : nullptr;
    std::size_t first_default = positional - (defaults ? defaults->size() : 0);
    std::vector<std::string_view> missing;
    for (std::size_t i = 0; i < positional; ++i) {
      if (!identical(locals[i], unbound)) continue;
      if (defaults && i >= first_default)
        locals[i] = (*defaults)[i - first_default];
      else
        missing.push_back(code.local_names[i]);
    }
    if (!missing.empty()) {
      std::string names;
      for (std::size_t i = 0; i < missing.size(); ++i) {
        if (i) names += i + 1 == missing.size() ? (missing.size() > 2 ? ", and " : " and ") : ", ";
        names += fmt::format("'{}'", missing[i]);
      }
      raise(ErrorKind::TypeError, "{}() missing {} required positional argument{}: {}", name,
            missing.size(), missing.size() == 1 ? "" : "s", names);
      return false;
    }
  }

  // Cells: captured locals start from the argument of the same name, if any.
  Value* cell_slot = frame.cells;
  for (const std::string& cell_name : code.cell_names) {
    Value cell = make_cell();
    for (std::size_t i = 0; i < static_cast<std::size_t>(code.arg_count); ++i)
      if (code.local_names[i] == cell_name) {
        cell.as<CellObject>().value = locals[i];
        cell.as<CellObject>().bound = true;
      }
    *cell_slot++ = std::move(cell);
  }
  if (!code.free_names.empty()) {
    if (!function.closure.is(ObjectKind::Tuple) ||
        function.closure.as<TupleObject>().items.size() != code.free_names.size()) {
      raise(ErrorKind::TypeError, "{}() needs a closure of {} cells", name, code.free_names.size());
      return false;
    }
    for (const Value& cell : function.closure.as<TupleObject>().items) *cell_slot++ = cell;
  }
  return true;
}

std::optional<Value> Interpreter::run_module(const Module& module, std::string_view name) {
  HostLock lock(*this);
  if (!module.top) return raise(ErrorKind::ValueError, "module '{}' has no code", module.name);
  Value function = Value::object(new FunctionObject());
  auto& object = function.as<FunctionObject>();
  object.code = module.top;
  object.globals = make_dict();
  (void)object.globals.as<DictObject>().table.set(make_str("__name__"),
                                                  make_str(std::string(name)));
  modules_.push_back(object.globals);
  auto result = call_function(function, {}, {}, Value());
  if (!result) return std::nullopt;
  return object.globals;
}

Value Interpreter::module_globals(std::string_view name) const {
  const Value name_key = make_str("__name__");
  auto named = [&](const Value& globals) {
    if (!globals.is(ObjectKind::Dict)) return false;
    auto found = globals.as<DictObject>().table.get(name_key);
    return found.ok() && found->has_value() && (*found)->is(ObjectKind::Str) &&
           (*found)->as<StrObject>().text == name;
  };
  // Two programs run on one interpreter both call themselves __main__: the one running wins.
  for (int depth = depth_ - 1; depth >= 0; --depth) {
    const Frame& frame = *frames_[depth];
    if (frame.function.is(ObjectKind::Function) && named(frame.globals())) return frame.globals();
  }
  for (auto it = modules_.rbegin(); it != modules_.rend(); ++it)
    if (named(*it)) return *it;
  return Value();
}

// A constant as a value. Code objects travel as a Function shell that MAKE_FUNCTION completes.
Value Interpreter::constant_value(const Constant& constant) {
  switch (constant.kind()) {
    case Constant::Kind::kNone:
      return Value();
    case Constant::Kind::kEllipsis:
      return ellipsis_value();
    case Constant::Kind::kBool:
      return Value::boolean(constant.as_bool());
    case Constant::Kind::kInt:
      return Value::integer(constant.as_int());
    case Constant::Kind::kFloat:
      return Value::real(constant.as_float());
    case Constant::Kind::kString:
      return intern(constant.as_string());
    case Constant::Kind::kCode: {
      Value shell = Value::object(new FunctionObject());
      shell.as<FunctionObject>().code = constant.as_code();
      return shell;
    }
    case Constant::Kind::kTuple: {
      std::vector<Value> items;
      for (const Constant& item : constant.items()) items.push_back(constant_value(item));
      return make_tuple(std::move(items));
    }
  }
  GYRO_UNREACHABLE("bad constant kind");
}

CodeCache& Interpreter::cache_of(const FunctionObject& function) {
  if (function.cache_owner == this) return *function.cache;
  auto it = code_caches_.find(function.code.get());
  if (it == code_caches_.end()) {
    auto cache = std::make_unique<CodeCache>();
    const Code& code = *function.code;
    cache->code = function.code;
    for (const std::string& name : code.names) cache->names.push_back(intern(name));
    for (const Constant& constant : code.constants)
      cache->constants.push_back(constant_value(constant));
    cache->globals.resize(code.names.size());
    cache->attributes.resize(code.names.size());
    cache->methods.resize(code.names.size());
    cache->local_count = code.local_names.size();
    cache->stack_offset = code.local_names.size() + code.cell_names.size() + code.free_names.size();
    cache->frame_size = cache->stack_offset + static_cast<std::size_t>(code.max_stack);
    cache->plain_arguments =
        !(code.flags & kVarargs) && code.cell_names.empty() && code.free_names.empty();
    it = code_caches_.emplace(function.code.get(), std::move(cache)).first;
  }
  function.cache = it->second.get();
  function.cache_owner = this;
  return *function.cache;
}

Value Interpreter::intern(const std::string& text) {
  auto it = interned_.find(text);
  if (it == interned_.end()) it = interned_.emplace(text, make_str(text)).first;
  return it->second;
}

Value Interpreter::unbound_builtin(BuiltinFn fn, std::string_view name) {
  auto it = unbound_builtins_.find(fn);
  if (it == unbound_builtins_.end())
    it = unbound_builtins_
             .emplace(fn, Value::object(new BuiltinObject(std::string(name), fn, Value())))
             .first;
  return it->second;
}

// ---- exceptions inside a frame ----

bool Interpreter::handle_exception(Frame& frame, std::size_t pc) {
  if (exception_.is(ObjectKind::Instance)) {
    auto& traceback = exception_.as<InstanceObject>().traceback;
    if (traceback.empty() || traceback.back().frame_serial != frame.serial)
      traceback.push_back(
          {frame.code->filename, frame.code->lines[pc], frame.code->name, frame.serial});
  }
  // An interrupt or an exhausted step budget ends the run: no handler may swallow it.
  if (stopping_) return false;
  if (frame.blocks.empty()) return false;
  Frame::Block block = frame.blocks.back();
  frame.blocks.pop_back();
  Value* depth = frame.stack + block.depth;
  while (frame.top > depth) *--frame.top = Value();
  frame.handled.push_back(exception_);
  // The handler owns it now: the VM keeps no reference to an exception that was caught.
  *frame.top++ = std::move(exception_);
  exception_ = Value();
  frame.resume = block.handler;
  return true;
}

int64_t Interpreter::collect_cycles() {
  HostLock lock(*this);
  return cycle_heap_.collect();
}

bool Interpreter::check_breaker() {
  if (interrupted_.load(std::memory_order_relaxed)) {
    interrupted_.store(false, std::memory_order_relaxed);
    raise_named("KeyboardInterrupt", "");
    stopping_ = true;  // no handler may catch it
    return false;
  }
  // Between instructions every live object is held by a counted reference: a safe point.
  if (cycle_heap_.wants_collection()) cycle_heap_.collect();
  if (limits_.step_budget && steps_ > limits_.step_budget) {
    raise_named("RuntimeError",
                fmt::format("step budget of {} instructions exhausted", limits_.step_budget));
    stopping_ = true;
    return false;
  }
  // The interrupt flag is polled every few thousand instructions (microseconds), and the
  // budget is checked exactly when it runs out.
  constexpr uint64_t kPollInterval = 4096;
  next_check_ = steps_ + kPollInterval;
  if (limits_.step_budget && limits_.step_budget + 1 < next_check_)
    next_check_ = std::max(steps_ + 1, limits_.step_budget + 1);
  // A single step is pending (a graph break's instruction) and what runs now is called from
  // it (__bool__ from its truth test, say): the breaker must fire again at the next
  // instruction, so that the step ends where it should once control is back in its frame.
  if (pause_frame_ != nullptr) next_check_ = steps_ + 1;
  return true;
}

}  // namespace gyro
