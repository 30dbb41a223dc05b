// The reference VM's evaluation loop: one handler per opcode in opcodes.def order, frames with
// try blocks, calls with CPython's argument binding, and exceptions with tracebacks.
#include "interp/interpreter.h"

#include <algorithm>
#include <cstdio>

#include "interp/python_ops.h"
#include "ir/python_arith.h"

namespace gyro {

bool delete_list_items(Interpreter& vm, std::vector<Value>& items,
                       const Value& index);  // subscript.cc

struct Interpreter::Frame {
  const Code& code;
  CodeCache& cache;
  const FunctionObject* function;  // the module's top level runs as a function too
  Value globals;                   // dict
  Value namespace_dict;            // a class body's namespace, else None
  // All from the interpreter's ValueStack: locals, then cells, then the operand stack.
  Value* locals;
  Value* cells;  // cell objects: code.cell_names, then code.free_names
  Value* stack;  // the operand stack's bottom
  Value* top;    // one past its top (run_frame keeps it in a register, stores it when needed)
  struct Block {
    std::size_t handler;
    std::size_t depth;
  };
  std::vector<Block> blocks;
  std::vector<Value> handled;  // exceptions whose handlers are running (for a bare `raise`)
  uint64_t serial = 0;
  std::size_t resume = 0;  // where handle_exception sends execution
};

Interpreter::Interpreter(std::function<void(std::string_view)> write) : write_(std::move(write)) {
  if (!write_)
    write_ = [](std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); };
  no_self_ = make_cell();
  install_builtins();
}

Interpreter::~Interpreter() {
  for (Value& globals : modules_) globals.as<DictObject>().table.clear();
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

std::string Interpreter::format_exception(const Value& exception) const {
  std::string text;
  if (exception.is(ObjectKind::Instance)) {
    const auto& traceback = exception.as<InstanceObject>().traceback;
    if (!traceback.empty()) text += "Traceback (most recent call last):\n";
    for (auto it = traceback.rbegin(); it != traceback.rend(); ++it)
      text += fmt::format("  File \"{}\", line {}, in {}\n", it->filename, it->line, it->function);
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
  if (callable.is(ObjectKind::Function)) return call_function(callable, args, kwargs, Value());
  if (callable.is(ObjectKind::Builtin)) {
    const auto& builtin = callable.as<BuiltinObject>();
    if (builtin.self.is_none()) return builtin.fn(*this, args, kwargs);
    std::vector<Value> with_self;
    with_self.reserve(args.size() + 1);
    with_self.push_back(builtin.self);
    with_self.insert(with_self.end(), args.begin(), args.end());
    return builtin.fn(*this, with_self, kwargs);
  }
  if (callable.is(ObjectKind::BoundMethod)) {
    const auto& method = callable.as<BoundMethodObject>();
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

std::optional<Value> Interpreter::call_function(const Value& callable, std::span<const Value> args,
                                                std::span<const KeywordArg> kwargs,
                                                Value namespace_dict) {
  const auto& function = callable.as<FunctionObject>();
  char stack_probe;
  if (depth_ == 0) {
    // A new run: its own step budget, and an interrupt raised while nothing ran stops it at once.
    stack_base_ = &stack_probe;
    steps_ = 0;
    next_check_ = 0;
    stopping_ = false;
  }
  std::size_t stack_used = static_cast<std::size_t>(stack_base_ - &stack_probe);  // grows down
  if (depth_ >= limits_.max_call_depth || stack_used > limits_.max_stack_bytes)
    return raise_named("RecursionError", "maximum recursion depth exceeded");

  CodeCache& cache = function.cache_owner == this ? *function.cache : cache_of(function);
  const Code& code = *cache.code;
  Value* values = value_stack_.allocate(cache.frame_size);
  // Runs last (declared first): the frame's values are released however the call ends.
  struct Release {
    ValueStack& stack;
    Value* values;
    std::size_t count;
    ~Release() { stack.release(values, count); }
  } release{value_stack_, values, cache.frame_size};
  Value* cells = values + code.local_names.size();
  Value* stack = cells + code.cell_names.size() + code.free_names.size();
  Frame frame{code,  cache, &function, function.globals, std::move(namespace_dict),
              values, cells, stack,     stack,            {},
              {},     0,     0};
  frame.serial = ++frame_serial_;
  if (!bind_arguments(frame, args, kwargs)) return std::nullopt;
  ++depth_;
  auto result = run_frame(frame);
  --depth_;
  return result;
}

bool Interpreter::bind_arguments(Frame& frame, std::span<const Value> args,
                                 std::span<const KeywordArg> kwargs) {
  const Code& code = frame.code;
  const FunctionObject& function = *frame.function;
  const std::string& name = code.name;
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
      raise(ErrorKind::TypeError, "{}() needs a closure of {} cells", name,
            code.free_names.size());
      return false;
    }
    for (const Value& cell : function.closure.as<TupleObject>().items) *cell_slot++ = cell;
  }
  return true;
}

std::optional<Value> Interpreter::run_module(const Module& module) {
  if (!module.top) return raise(ErrorKind::ValueError, "module '{}' has no code", module.name);
  Value function = Value::object(new FunctionObject());
  auto& object = function.as<FunctionObject>();
  object.code = module.top;
  object.globals = make_dict();
  (void)object.globals.as<DictObject>().table.set(make_str("__name__"), make_str("__main__"));
  modules_.push_back(object.globals);
  auto result = call_function(function, {}, {}, Value());
  if (!result) return std::nullopt;
  return object.globals;
}

// A constant as a value. Code objects travel as a Function shell that MAKE_FUNCTION completes.
Value Interpreter::constant_value(const Constant& constant) {
  switch (constant.kind()) {
    case Constant::Kind::kNone:
      return Value();
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
    cache->frame_size = code.local_names.size() + code.cell_names.size() +
                        code.free_names.size() + static_cast<std::size_t>(code.max_stack);
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
          {frame.code.filename, frame.code.lines[pc], frame.code.name, frame.serial});
  }
  // An interrupt or an exhausted step budget ends the run: no handler may swallow it.
  if (stopping_) return false;
  if (frame.blocks.empty()) return false;
  Frame::Block block = frame.blocks.back();
  frame.blocks.pop_back();
  Value* depth = frame.stack + block.depth;
  while (frame.top > depth) *--frame.top = Value();
  *frame.top++ = exception_;
  frame.handled.push_back(exception_);
  frame.resume = block.handler;
  return true;
}

bool Interpreter::check_breaker(Frame& frame, std::size_t pc) {
  if (interrupted_.load(std::memory_order_relaxed)) {
    interrupted_.store(false, std::memory_order_relaxed);
    raise_named("KeyboardInterrupt", "");
    stopping_ = true;
    handle_exception(frame, pc);
    return false;
  }
  if (limits_.step_budget && steps_ > limits_.step_budget) {
    raise_named("RuntimeError",
                fmt::format("step budget of {} instructions exhausted", limits_.step_budget));
    stopping_ = true;  // no handler may catch it
    handle_exception(frame, pc);
    return false;
  }
  // The interrupt flag is polled every few thousand instructions (microseconds), and the
  // budget is checked exactly when it runs out.
  constexpr uint64_t kPollInterval = 4096;
  next_check_ = steps_ + kPollInterval;
  if (limits_.step_budget && limits_.step_budget + 1 < next_check_)
    next_check_ = std::max(steps_ + 1, limits_.step_budget + 1);
  return true;
}

// ---- the loop ----

namespace {

// Python's int and float arithmetic on two ints, when no error or overflow can occur; false
// leaves the operation to binary_op (which raises or handles it).
inline bool fast_int_op(Binop op, int64_t x, int64_t y, int64_t& result) {
  switch (op) {
    case Binop::ADD:
    case Binop::INPLACE_ADD:
      return !__builtin_add_overflow(x, y, &result);
    case Binop::SUBTRACT:
    case Binop::INPLACE_SUBTRACT:
      return !__builtin_sub_overflow(x, y, &result);
    case Binop::MULTIPLY:
    case Binop::INPLACE_MULTIPLY:
      return !__builtin_mul_overflow(x, y, &result);
    case Binop::REMAINDER:
    case Binop::INPLACE_REMAINDER:
      if (y == 0) return false;
      result = python_mod(x, y);
      return true;
    case Binop::FLOOR_DIVIDE:
    case Binop::INPLACE_FLOOR_DIVIDE:
      if (y == 0 || (y == -1 && x == std::numeric_limits<int64_t>::min())) return false;
      result = python_floor_divide(x, y);
      return true;
    default:
      return false;
  }
}

inline bool fast_float_op(Binop op, double x, double y, double& result) {
  switch (op) {
    case Binop::ADD:
    case Binop::INPLACE_ADD:
      result = x + y;
      return true;
    case Binop::SUBTRACT:
    case Binop::INPLACE_SUBTRACT:
      result = x - y;
      return true;
    case Binop::MULTIPLY:
    case Binop::INPLACE_MULTIPLY:
      result = x * y;
      return true;
    case Binop::TRUE_DIVIDE:
    case Binop::INPLACE_TRUE_DIVIDE:
      if (y == 0) return false;
      result = x / y;
      return true;
    default:
      return false;
  }
}

template <typename T>
inline bool compare_numbers(CompareOp op, T x, T y) {
  switch (op) {
    case CompareOp::LT:
      return x < y;
    case CompareOp::LE:
      return x <= y;
    case CompareOp::EQ:
      return x == y;
    case CompareOp::NE:
      return x != y;
    case CompareOp::GT:
      return x > y;
    case CompareOp::GE:
      return x >= y;
  }
  return false;
}

}  // namespace

std::optional<Value> Interpreter::run_frame(Frame& frame) {
  const Code& code = frame.code;
  const Instruction* instructions = code.instructions.data();
  Value* const locals = frame.locals;
  Value* sp = frame.top;
  Dict& globals = frame.globals.as<DictObject>().table;
  Dict& builtins = builtins_.as<DictObject>().table;
  const std::vector<Value>& names = frame.cache.names;
  const Value* constants = frame.cache.constants.data();
  GlobalSlot* global_slots = frame.cache.globals.data();
  std::size_t pc = 0;

  // The operand stack: slots at and above sp hold no object (None or a plain number), so a
  // push is an assignment and a pop a move.
  auto push = [&](auto&& value) __attribute__((always_inline)) {
    *sp++ = std::forward<decltype(value)>(value);
  };
  auto pop = [&]() __attribute__((always_inline)) { return std::move(*--sp); };
  auto drop = [&](std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) *--sp = Value();
  };
  // Pushes an operation's result, or raises its error; false when it failed.
  auto push_result = [&](Expected<Value> result) {
    if (!result.ok()) {
      raise(result.error());
      return false;
    }
    *sp++ = std::move(*result);
    return true;
  };
  // Pushes a VM call's result; false when it raised (the exception is already set).
  auto push_optional = [&](std::optional<Value> result) {
    if (!result) return false;
    *sp++ = std::move(*result);
    return true;
  };
  auto unbound_local = [&](uint32_t index) {
    raise_named("UnboundLocalError",
                fmt::format("cannot access local variable '{}' where it is not associated with "
                            "a value",
                            code.local_names[index]));
  };

  while (true) {
    const Instruction instruction = instructions[pc];
    std::size_t next_pc = pc + 1;
    if (++steps_ >= next_check_) {
      frame.top = sp;
      if (!check_breaker(frame, pc)) return std::nullopt;
    }
    const uint32_t arg = instruction.arg;
    bool ok = true;
    switch (instruction.opcode) {
      case Opcode::NOP:
        break;
      case Opcode::POP_TOP:
        *--sp = Value();
        break;
      case Opcode::COPY:
        push(sp[-static_cast<std::ptrdiff_t>(arg)]);
        break;
      case Opcode::SWAP:
        std::swap(sp[-1], sp[-static_cast<std::ptrdiff_t>(arg)]);
        break;
      case Opcode::LOAD_CONST:
        push(constants[arg]);
        break;
      case Opcode::LOAD_FAST: {
        const Value& value = locals[arg];
        if (identical(value, no_self_)) {
          ok = false;
          unbound_local(arg);
          break;
        }
        push(value);
        break;
      }
      case Opcode::STORE_FAST:
        locals[arg] = pop();
        break;
      case Opcode::DELETE_FAST:
        if (identical(locals[arg], no_self_)) {
          ok = false;
          unbound_local(arg);
          break;
        }
        locals[arg] = no_self_;
        break;
      case Opcode::DELETE_GLOBAL:
      case Opcode::DELETE_NAME: {
        Dict& target =
            instruction.opcode == Opcode::DELETE_NAME && frame.namespace_dict.is(ObjectKind::Dict)
                ? frame.namespace_dict.as<DictObject>().table
                : globals;
        auto erased = target.erase(names[arg]);
        if (!erased.ok() || !*erased) {
          ok = false;
          raise_named("NameError", fmt::format("name '{}' is not defined", code.names[arg]));
        }
        break;
      }
      case Opcode::LOAD_DEREF: {
        auto& cell = frame.cells[arg].as<CellObject>();
        if (!cell.bound) {
          ok = false;
          std::string_view variable = arg < code.cell_names.size()
                                          ? code.cell_names[arg]
                                          : code.free_names[arg - code.cell_names.size()];
          raise_named("NameError",
                      fmt::format("cannot access free variable '{}' where it is not associated "
                                  "with a value in enclosing scope",
                                  variable));
          break;
        }
        push(cell.value);
        break;
      }
      case Opcode::STORE_DEREF: {
        auto& cell = frame.cells[arg].as<CellObject>();
        cell.value = pop();
        cell.bound = true;
        break;
      }
      case Opcode::LOAD_CLOSURE:
        push(frame.cells[arg]);
        break;
      case Opcode::LOAD_GLOBAL: {
        GlobalSlot& slot = global_slots[arg];
        if (slot.globals_version == globals.keys_version()) {
          if (slot.builtins_version == 0) {
            push(globals.value_at(slot.position));
            break;
          }
          if (slot.builtins_version == builtins.keys_version()) {
            push(builtins.value_at(slot.position));
            break;
          }
        }
        // A miss: look the name up and remember where it was found.
        if (int64_t position = globals.find(names[arg]); position >= 0) {
          slot = {globals.keys_version(), 0, position};
          push(globals.value_at(position));
        } else if (position = builtins.find(names[arg]); position >= 0) {
          slot = {globals.keys_version(), builtins.keys_version(), position};
          push(builtins.value_at(position));
        } else {
          ok = false;
          raise_named("NameError", fmt::format("name '{}' is not defined", code.names[arg]));
        }
        break;
      }
      case Opcode::LOAD_NAME: {
        const Value& key = names[arg];
        int64_t position = -1;
        if (frame.namespace_dict.is(ObjectKind::Dict)) {
          Dict& local = frame.namespace_dict.as<DictObject>().table;
          if (position = local.find(key); position >= 0) {
            push(local.value_at(position));
            break;
          }
        }
        if (position = globals.find(key); position >= 0) {
          push(globals.value_at(position));
        } else if (position = builtins.find(key); position >= 0) {
          push(builtins.value_at(position));
        } else {
          ok = false;
          raise_named("NameError", fmt::format("name '{}' is not defined", code.names[arg]));
        }
        break;
      }
      case Opcode::STORE_GLOBAL: {
        GlobalSlot& slot = global_slots[arg];
        if (slot.globals_version == globals.keys_version() && slot.builtins_version == 0) {
          globals.value_at(slot.position) = pop();
          break;
        }
        (void)globals.set(names[arg], pop());
        break;
      }
      case Opcode::STORE_NAME: {
        Dict& target = frame.namespace_dict.is(ObjectKind::Dict)
                           ? frame.namespace_dict.as<DictObject>().table
                           : globals;
        (void)target.set(names[arg], pop());
        break;
      }
      case Opcode::LOAD_ATTR: {
        Value& object = sp[-1];
        if (object.is(ObjectKind::Instance)) {
          Dict& own = object.as<InstanceObject>().attributes.as<DictObject>().table;
          if (int64_t position = own.find(names[arg]); position >= 0) {
            object = own.value_at(position);
            break;
          }
        }
        Value target = pop();
        ok = push_optional(get_attribute(target, names[arg]));
        break;
      }
      case Opcode::STORE_ATTR: {
        Value object = pop();
        Value value = pop();
        ok = set_attribute(object, names[arg], std::move(value)).has_value();
        break;
      }
      case Opcode::LOAD_METHOD: {
        Value object = pop();
        bool wants_self = false;
        auto callable = get_method(object, names[arg], wants_self);
        if (!callable) {
          ok = false;
          break;
        }
        push(std::move(*callable));
        push(wants_self ? std::move(object) : no_self_);
        break;
      }
      case Opcode::UNARY_NEGATIVE:
      case Opcode::UNARY_POSITIVE:
      case Opcode::UNARY_INVERT: {
        Value operand = pop();
        ok = push_result(instruction.opcode == Opcode::UNARY_NEGATIVE   ? unary_negative(operand)
                         : instruction.opcode == Opcode::UNARY_POSITIVE ? unary_positive(operand)
                                                                        : unary_invert(operand));
        break;
      }
      case Opcode::UNARY_NOT: {
        Value operand = pop();
        auto truth = truthy(operand);
        if (!truth.ok()) {
          ok = false;
          raise(truth.error());
          break;
        }
        push(Value::boolean(!*truth));
        break;
      }
      case Opcode::BINARY_OP: {
        const Value& left = sp[-2];
        const Value& right = sp[-1];
        const Binop op = static_cast<Binop>(arg);
        if (left.is_int() && right.is_int()) {
          int64_t result;
          if (fast_int_op(op, left.as_int(), right.as_int(), result)) {
            --sp;
            sp[-1] = Value::integer(result);
            break;
          }
        } else if (left.is_float() && right.is_float()) {
          double result;
          if (fast_float_op(op, left.as_float(), right.as_float(), result)) {
            --sp;
            sp[-1] = Value::real(result);
            break;
          }
        }
        Value right_value = pop();
        Value left_value = pop();
        ok = push_result(binary_op(op, left_value, right_value));
        break;
      }
      case Opcode::COMPARE_OP: {
        const Value& left = sp[-2];
        const Value& right = sp[-1];
        const CompareOp op = static_cast<CompareOp>(arg);
        if (left.is_int() && right.is_int()) {
          bool result = compare_numbers(op, left.as_int(), right.as_int());
          --sp;
          sp[-1] = Value::boolean(result);
          break;
        }
        if (left.is_float() && right.is_float()) {
          bool result = compare_numbers(op, left.as_float(), right.as_float());
          --sp;
          sp[-1] = Value::boolean(result);
          break;
        }
        Value right_value = pop();
        Value left_value = pop();
        ok = push_result(compare_op(op, left_value, right_value));
        break;
      }
      case Opcode::IS_OP: {
        Value right = pop();
        Value left = pop();
        bool same = identical(left, right) ||
                    (left.is_bool() && right.is_bool() && left.as_bool() == right.as_bool());
        push(Value::boolean(arg ? !same : same));
        break;
      }
      case Opcode::CONTAINS_OP: {
        Value container = pop();
        Value item = pop();
        auto found = contains(container, item);
        if (!found.ok()) {
          ok = false;
          raise(found.error());
          break;
        }
        push(Value::boolean(arg ? !*found : *found));
        break;
      }
      case Opcode::BINARY_SUBSCR: {
        Value index = pop();
        Value container = pop();
        ok = push_optional(subscript(container, index));
        break;
      }
      case Opcode::STORE_SUBSCR: {
        Value index = pop();
        Value container = pop();
        Value value = pop();
        ok = store_subscript(container, index, std::move(value));
        break;
      }
      case Opcode::DELETE_SUBSCR: {
        Value index = pop();
        Value container = pop();
        if (container.is(ObjectKind::Dict)) {
          auto erased = container.as<DictObject>().table.erase(index);
          if (!erased.ok()) {
            ok = false;
            raise(erased.error());
          } else if (!*erased) {
            ok = false;
            raise_with_args("KeyError", {index});
          }
        } else if (container.is(ObjectKind::List)) {
          ok = delete_list_items(*this, container.as<ListObject>().items, index);
        } else {
          ok = false;
          raise(ErrorKind::TypeError, "'{}' object doesn't support item deletion",
                type_name(container));
        }
        break;
      }
      case Opcode::BUILD_SLICE: {
        Value step = arg == 3 ? pop() : Value();
        Value stop = pop();
        Value start = pop();
        push(make_slice(std::move(start), std::move(stop), std::move(step)));
        break;
      }
      case Opcode::BUILD_TUPLE:
      case Opcode::BUILD_LIST: {
        std::vector<Value> items(std::make_move_iterator(sp - arg), std::make_move_iterator(sp));
        sp -= arg;
        push(instruction.opcode == Opcode::BUILD_TUPLE ? make_tuple(std::move(items))
                                                       : make_list(std::move(items)));
        break;
      }
      case Opcode::BUILD_MAP: {
        Value dict = make_dict();
        Dict& table = dict.as<DictObject>().table;
        Value* base = sp - 2 * arg;
        for (std::size_t i = 0; i < arg && ok; ++i) {
          Status status = table.set(base[2 * i], base[2 * i + 1]);
          if (!status.ok()) {
            ok = false;
            raise(status.error());
          }
        }
        drop(2 * arg);
        if (ok) push(std::move(dict));
        break;
      }
      case Opcode::LIST_APPEND: {
        Value item = pop();
        sp[-static_cast<std::ptrdiff_t>(arg)].as<ListObject>().items.push_back(std::move(item));
        break;
      }
      case Opcode::LIST_EXTEND: {
        Value iterable = pop();
        auto items = collect(iterable);
        if (!items) {
          ok = false;
          break;
        }
        auto& target = sp[-static_cast<std::ptrdiff_t>(arg)].as<ListObject>().items;
        target.insert(target.end(), items->begin(), items->end());
        break;
      }
      case Opcode::UNPACK_SEQUENCE: {
        Value sequence = pop();
        auto items = collect(sequence);
        if (!items) {
          ok = false;
          break;
        }
        if (items->size() != arg) {
          ok = false;
          if (items->size() > arg)
            raise(ErrorKind::ValueError, "too many values to unpack (expected {})", arg);
          else
            raise(ErrorKind::ValueError, "not enough values to unpack (expected {}, got {})", arg,
                  items->size());
          break;
        }
        for (auto it = items->rbegin(); it != items->rend(); ++it) push(std::move(*it));
        break;
      }
      case Opcode::JUMP:
        next_pc = arg;
        break;
      case Opcode::POP_JUMP_IF_FALSE:
      case Opcode::POP_JUMP_IF_TRUE: {
        Value condition = pop();
        bool truth;
        if (condition.is_bool()) {
          truth = condition.as_bool();
        } else {
          auto result = truthy(condition);
          if (!result.ok()) {
            ok = false;
            raise(result.error());
            break;
          }
          truth = *result;
        }
        if (truth == (instruction.opcode == Opcode::POP_JUMP_IF_TRUE)) next_pc = arg;
        break;
      }
      case Opcode::JUMP_IF_FALSE_OR_POP:
      case Opcode::JUMP_IF_TRUE_OR_POP: {
        auto result = truthy(sp[-1]);
        if (!result.ok()) {
          ok = false;
          raise(result.error());
          break;
        }
        if (*result == (instruction.opcode == Opcode::JUMP_IF_TRUE_OR_POP))
          next_pc = arg;
        else
          *--sp = Value();
        break;
      }
      case Opcode::GET_ITER: {
        Value iterable = pop();
        ok = push_optional(iterate(iterable));
        break;
      }
      case Opcode::FOR_ITER: {
        auto& iterator = sp[-1].as<IteratorObject>();
        if (iterator.source == IteratorObject::Source::kRange) {
          // Ranges are the common loop: stepped here without the general protocol.
          if (iterator.step > 0 ? iterator.index >= iterator.stop
                                : iterator.index <= iterator.stop) {
            *--sp = Value();
            next_pc = arg;
          } else {
            push(Value::integer(iterator.index));
            if (__builtin_add_overflow(iterator.index, iterator.step, &iterator.index))
              iterator.index = iterator.stop;
          }
          break;
        }
        bool exhausted = false;
        auto item = next(sp[-1], exhausted);
        if (exhausted) {
          *--sp = Value();
          next_pc = arg;
        } else if (!item) {
          ok = false;
        } else {
          push(std::move(*item));
        }
        break;
      }
      case Opcode::RETURN_VALUE:
        return pop();
      case Opcode::CALL:
      case Opcode::CALL_METHOD: {
        // The arguments are passed in place: this frame's stack does not move during the call.
        std::optional<Value> result;
        std::size_t consumed = arg + 1;
        if (instruction.opcode == Opcode::CALL_METHOD) {
          ++consumed;
          Value* self = sp - arg - 1;
          if (identical(*self, no_self_))
            result = call(self[-1], std::span<const Value>(self + 1, arg));
          else  // self and the arguments are adjacent: the method's arguments as they stand
            result = call(self[-1], std::span<const Value>(self, arg + 1));
        } else {
          Value* args = sp - arg;
          result = call(args[-1], std::span<const Value>(args, arg));
        }
        drop(consumed);
        ok = push_optional(std::move(result));
        break;
      }
      case Opcode::CALL_KW: {
        const auto& keyword_names = sp[-1].as<TupleObject>().items;
        const std::size_t keyword_count = keyword_names.size();
        const std::size_t positional = arg - keyword_count;
        Value* args = sp - 1 - arg;
        std::vector<KeywordArg> kwargs;
        kwargs.reserve(keyword_count);
        // The names stay alive on the stack while the keyword views point at them.
        for (std::size_t i = 0; i < keyword_count; ++i)
          kwargs.push_back({keyword_names[i].as<StrObject>().text, args[positional + i]});
        auto result = call(args[-1], std::span<const Value>(args, positional), kwargs);
        kwargs.clear();
        drop(arg + 2);
        ok = push_optional(std::move(result));
        break;
      }
      case Opcode::CALL_EX: {
        Value kwargs_dict = arg ? pop() : Value();
        Value args_value = pop();
        Value callable = pop();
        auto args = collect(args_value);
        if (!args) {
          ok = false;
          break;
        }
        std::vector<KeywordArg> kwargs;
        if (arg) {
          if (!kwargs_dict.is(ObjectKind::Dict)) {
            ok = false;
            raise(ErrorKind::TypeError, "argument after ** must be a mapping, not {}",
                  type_name(kwargs_dict));
            break;
          }
          kwargs_dict.as<DictObject>().table.for_each([&](const Value& key, const Value& value) {
            if (key.is(ObjectKind::Str)) kwargs.push_back({key.as<StrObject>().text, value});
          });
        }
        ok = push_optional(call(callable, *args, kwargs));
        break;
      }
      case Opcode::MAKE_FUNCTION: {
        Value shell = pop();
        Value closure = (arg & 2) ? pop() : Value();
        Value defaults = (arg & 1) ? pop() : Value();
        Value function = Value::object(new FunctionObject());
        auto& object = function.as<FunctionObject>();
        object.code = shell.as<FunctionObject>().code;
        object.globals = frame.globals;
        object.defaults = std::move(defaults);
        object.closure = std::move(closure);
        push(std::move(function));
        break;
      }
      case Opcode::BUILD_CLASS: {
        Value bases = pop();
        Value name = pop();
        Value body = pop();
        ok = push_optional(build_class(body, name, bases));
        break;
      }
      case Opcode::SETUP_EXCEPT:
        frame.blocks.push_back({arg, static_cast<std::size_t>(sp - frame.stack)});
        break;
      case Opcode::POP_BLOCK:
        frame.blocks.pop_back();
        break;
      case Opcode::CHECK_EXC_MATCH: {
        Value type = pop();
        const Value& exception = sp[-1];
        bool match = false;
        if (type.is(ObjectKind::Tuple)) {
          for (const Value& each : type.as<TupleObject>().items)
            match |= is_instance(exception, each);
        } else if (type.is(ObjectKind::Class)) {
          match = is_instance(exception, type);
        } else {
          ok = false;
          raise(ErrorKind::TypeError,
                "catching classes that do not inherit from BaseException is not allowed");
          break;
        }
        push(Value::boolean(match));
        break;
      }
      case Opcode::POP_EXCEPT:
        *--sp = Value();
        if (!frame.handled.empty()) frame.handled.pop_back();
        break;
      case Opcode::RERAISE:
        ok = false;
        raise_value(pop());
        if (!frame.handled.empty()) frame.handled.pop_back();
        break;
      case Opcode::RAISE_VARARGS: {
        ok = false;
        if (arg == 0) {
          if (frame.handled.empty()) {
            raise(ErrorKind::RuntimeError, "No active exception to reraise");
          } else {
            raise_value(frame.handled.back());
          }
          break;
        }
        Value exception = pop();
        if (exception.is(ObjectKind::Class) && exception.as<ClassObject>().is_exception) {
          auto instance = call(exception, {});
          if (!instance) break;
          exception = std::move(*instance);
        }
        if (!(exception.is(ObjectKind::Instance) &&
              exception.as<InstanceObject>().cls.as<ClassObject>().is_exception)) {
          raise(ErrorKind::TypeError, "exceptions must derive from BaseException");
          break;
        }
        raise_value(std::move(exception));
        break;
      }
      case Opcode::LOAD_ASSERTION_ERROR:
        push(builtin_class("AssertionError"));
        break;
    }
    if (!ok) {
      frame.top = sp;
      if (!handle_exception(frame, pc)) return std::nullopt;
      sp = frame.top;
      next_pc = frame.resume;
    }
    pc = next_pc;
  }
}

}  // namespace gyro
