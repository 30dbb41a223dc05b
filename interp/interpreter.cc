// The reference VM's evaluation loop: one handler per opcode in opcodes.def order, frames with
// try blocks, calls with CPython's argument binding, and exceptions with tracebacks.
#include "interp/interpreter.h"

#include <algorithm>
#include <cstdio>

#include "interp/python_ops.h"
#include "interp/special_methods.h"

namespace gyro {

bool delete_list_items(Interpreter& vm, std::vector<Value>& items,
                       const Value& index);  // subscript.cc

struct Interpreter::Frame {
  const Code& code;
  const FunctionObject* function;  // null at a module's top level
  Value globals;                   // dict
  Value namespace_dict;            // a class body's namespace, else None
  std::vector<Value> locals;
  std::vector<Value> cells;  // cell objects: code.cell_names, then code.free_names
  std::vector<Value> stack;
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
  for (Value& globals : modules_) {
    // A class whose methods use super() holds itself through their __class__ cell.
    globals.as<DictObject>().table.for_each([](const Value&, const Value& value) {
      if (value.is(ObjectKind::Class) && value.as<ClassObject>().builtin_tag < 0)
        value.as<ClassObject>().attributes.as<DictObject>().table.clear();
    });
    globals.as<DictObject>().table.clear();
  }
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
  const Code& code = *function.code;
  const std::string& name = code.name;
  char stack_probe;
  if (depth_ == 0) stack_base_ = &stack_probe;
  std::size_t stack_used = static_cast<std::size_t>(stack_base_ - &stack_probe);  // grows down
  if (depth_ >= limits_.max_call_depth || stack_used > limits_.max_stack_bytes)
    return raise_named("RecursionError", "maximum recursion depth exceeded");

  Frame frame{code, &function, function.globals, std::move(namespace_dict), {}, {}, {}, {}, {}};
  frame.serial = ++frame_serial_;
  Value unbound = no_self_;
  frame.locals.assign(code.local_names.size(), unbound);
  const bool varargs = code.flags & kVarargs;
  const std::size_t positional = code.arg_count - (varargs ? 1 : 0);

  // Bind positional arguments, *args, keywords, then defaults (CPython's rules and messages).
  std::size_t given = std::min(args.size(), positional);
  for (std::size_t i = 0; i < given; ++i) frame.locals[i] = args[i];
  if (args.size() > positional) {
    if (!varargs) {
      std::size_t optional = function.defaults.is(ObjectKind::Tuple)
                                 ? function.defaults.as<TupleObject>().items.size()
                                 : 0;
      std::string takes = optional > 0
                              ? fmt::format("from {} to {}", positional - optional, positional)
                              : fmt::format("{}", positional);
      return raise(ErrorKind::TypeError, "{}() takes {} positional argument{} but {} {} given",
                   name, takes, positional == 1 && optional == 0 ? "" : "s", args.size(),
                   args.size() == 1 ? "was" : "were");
    }
    frame.locals[positional] =
        make_tuple(std::vector<Value>(args.begin() + positional, args.end()));
  } else if (varargs) {
    frame.locals[positional] = make_tuple();
  }
  for (const KeywordArg& keyword : kwargs) {
    std::size_t index = 0;
    while (index < positional && code.local_names[index] != keyword.name) ++index;
    if (index == positional)
      return raise(ErrorKind::TypeError, "{}() got an unexpected keyword argument '{}'", name,
                   keyword.name);
    if (!identical(frame.locals[index], unbound))
      return raise(ErrorKind::TypeError, "{}() got multiple values for argument '{}'", name,
                   keyword.name);
    frame.locals[index] = keyword.value;
  }
  const std::vector<Value>* defaults = function.defaults.is(ObjectKind::Tuple)
                                           ? &function.defaults.as<TupleObject>().items
                                           : nullptr;
  std::size_t first_default = positional - (defaults ? defaults->size() : 0);
  std::vector<std::string_view> missing;
  for (std::size_t i = 0; i < positional; ++i) {
    if (!identical(frame.locals[i], unbound)) continue;
    if (defaults && i >= first_default)
      frame.locals[i] = (*defaults)[i - first_default];
    else
      missing.push_back(code.local_names[i]);
  }
  if (!missing.empty()) {
    std::string names;
    for (std::size_t i = 0; i < missing.size(); ++i) {
      if (i) names += i + 1 == missing.size() ? (missing.size() > 2 ? ", and " : " and ") : ", ";
      names += fmt::format("'{}'", missing[i]);
    }
    return raise(ErrorKind::TypeError, "{}() missing {} required positional argument{}: {}", name,
                 missing.size(), missing.size() == 1 ? "" : "s", names);
  }

  // Cells: captured locals start from the argument of the same name, if any.
  for (const std::string& cell_name : code.cell_names) {
    Value cell = make_cell();
    for (std::size_t i = 0; i < static_cast<std::size_t>(code.arg_count); ++i)
      if (code.local_names[i] == cell_name) {
        cell.as<CellObject>().value = frame.locals[i];
        cell.as<CellObject>().bound = true;
      }
    frame.cells.push_back(std::move(cell));
  }
  if (!code.free_names.empty()) {
    if (!function.closure.is(ObjectKind::Tuple) ||
        function.closure.as<TupleObject>().items.size() != code.free_names.size())
      return raise(ErrorKind::TypeError, "{}() needs a closure of {} cells", name,
                   code.free_names.size());
    for (const Value& cell : function.closure.as<TupleObject>().items) frame.cells.push_back(cell);
  }
  frame.stack.reserve(code.max_stack);
  ++depth_;
  auto result = run_frame(frame);
  --depth_;
  return result;
}

std::optional<Value> Interpreter::run_module(const Module& module) {
  if (!module.top) return raise(ErrorKind::ValueError, "module '{}' has no code", module.name);
  Value function = Value::object(new FunctionObject());
  auto& object = function.as<FunctionObject>();
  object.code = module.top;
  object.globals = make_dict();
  (void)object.globals.as<DictObject>().table.set(make_str("__name__"), make_str("__main__"));
  modules_.push_back(object.globals);
  steps_ = 0;
  stopping_ = false;
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
      return make_str(constant.as_string());
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

const std::vector<Value>& Interpreter::constants_of(const std::shared_ptr<const Code>& code) {
  auto it = constant_cache_.find(code.get());
  if (it != constant_cache_.end()) return it->second.second;
  std::vector<Value> values;
  for (const Constant& constant : code->constants) values.push_back(constant_value(constant));
  return constant_cache_.emplace(code.get(), std::pair{code, std::move(values)})
      .first->second.second;
}

const std::vector<Value>& Interpreter::names_of(const std::shared_ptr<const Code>& code) {
  auto it = name_cache_.find(code.get());
  if (it != name_cache_.end()) return it->second.second;
  std::vector<Value> names;
  for (const std::string& name : code->names) names.push_back(make_str(name));
  return name_cache_.emplace(code.get(), std::pair{code, std::move(names)}).first->second.second;
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
  frame.stack.resize(block.depth);
  frame.stack.push_back(exception_);
  frame.handled.push_back(exception_);
  frame.resume = block.handler;
  return true;
}

// ---- the loop ----

std::optional<Value> Interpreter::run_frame(Frame& frame) {
  const Code& code = frame.code;
  const Instruction* instructions = code.instructions.data();
  std::vector<Value>& stack = frame.stack;
  Dict& globals = frame.globals.as<DictObject>().table;
  Dict& builtins = builtins_.as<DictObject>().table;
  std::size_t pc = 0;

  auto pop = [&]() {
    Value top = std::move(stack.back());
    stack.pop_back();
    return top;
  };
  const std::vector<Value>& names = names_of(frame.function->code);
  const std::vector<Value>& constants = constants_of(frame.function->code);
  auto name_of = [&](uint32_t index) -> const Value& { return names[index]; };
  // Pushes an operation's result, or raises its error; false when it failed.
  auto push_result = [&](Expected<Value> result) {
    if (!result.ok()) {
      raise(result.error());
      return false;
    }
    stack.push_back(std::move(*result));
    return true;
  };
  // Pushes a VM call's result; false when it raised (the exception is already set).
  auto push_optional = [&](std::optional<Value> result) {
    if (!result) return false;
    stack.push_back(std::move(*result));
    return true;
  };

  while (true) {
    const Instruction instruction = instructions[pc];
    std::size_t next_pc = pc + 1;
    if (limits_.step_budget && ++steps_ > limits_.step_budget) {
      raise_named("RuntimeError",
                  fmt::format("step budget of {} instructions exhausted", limits_.step_budget));
      // The budget ends the run: no handler may catch it, so unwind without handlers.
      frame.blocks.clear();
      handle_exception(frame, pc);
      return std::nullopt;
    }
    if (interrupted_.load(std::memory_order_relaxed)) {
      interrupted_.store(false, std::memory_order_relaxed);
      raise_named("KeyboardInterrupt", "");
      stopping_ = true;
      handle_exception(frame, pc);
      return std::nullopt;
    }
    const uint32_t arg = instruction.arg;
    bool ok = true;
    switch (instruction.opcode) {
      case Opcode::NOP:
        break;
      case Opcode::POP_TOP:
        stack.pop_back();
        break;
      case Opcode::COPY:
        stack.push_back(stack[stack.size() - arg]);
        break;
      case Opcode::SWAP:
        std::swap(stack.back(), stack[stack.size() - arg]);
        break;
      case Opcode::LOAD_CONST:
        stack.push_back(constants[arg]);
        break;
      case Opcode::LOAD_FAST: {
        const Value& value = frame.locals[arg];
        if (identical(value, no_self_)) {
          ok = false;
          raise_named("UnboundLocalError",
                      fmt::format("cannot access local variable '{}' where it is not associated "
                                  "with a value",
                                  code.local_names[arg]));
          break;
        }
        stack.push_back(value);
        break;
      }
      case Opcode::STORE_FAST:
        frame.locals[arg] = pop();
        break;
      case Opcode::DELETE_FAST:
        if (identical(frame.locals[arg], no_self_)) {
          ok = false;
          raise_named("UnboundLocalError",
                      fmt::format("cannot access local variable '{}' where it is not associated "
                                  "with a value",
                                  code.local_names[arg]));
          break;
        }
        frame.locals[arg] = no_self_;
        break;
      case Opcode::DELETE_GLOBAL:
      case Opcode::DELETE_NAME: {
        Dict& target =
            instruction.opcode == Opcode::DELETE_NAME && frame.namespace_dict.is(ObjectKind::Dict)
                ? frame.namespace_dict.as<DictObject>().table
                : globals;
        auto erased = target.erase(name_of(arg));
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
        stack.push_back(cell.value);
        break;
      }
      case Opcode::STORE_DEREF: {
        auto& cell = frame.cells[arg].as<CellObject>();
        cell.value = pop();
        cell.bound = true;
        break;
      }
      case Opcode::LOAD_CLOSURE:
        stack.push_back(frame.cells[arg]);
        break;
      case Opcode::LOAD_GLOBAL:
      case Opcode::LOAD_NAME: {
        Value key = name_of(arg);
        std::optional<Value> found;
        if (instruction.opcode == Opcode::LOAD_NAME && frame.namespace_dict.is(ObjectKind::Dict)) {
          auto local = frame.namespace_dict.as<DictObject>().table.get(key);
          if (local.ok() && local->has_value()) found = **local;
        }
        if (!found) {
          auto global = globals.get(key);
          if (global.ok() && global->has_value()) found = **global;
        }
        if (!found) {
          auto builtin = builtins.get(key);
          if (builtin.ok() && builtin->has_value()) found = **builtin;
        }
        if (!found) {
          ok = false;
          raise_named("NameError", fmt::format("name '{}' is not defined", code.names[arg]));
          break;
        }
        stack.push_back(std::move(*found));
        break;
      }
      case Opcode::STORE_GLOBAL:
      case Opcode::STORE_NAME: {
        Dict& target =
            instruction.opcode == Opcode::STORE_NAME && frame.namespace_dict.is(ObjectKind::Dict)
                ? frame.namespace_dict.as<DictObject>().table
                : globals;
        (void)target.set(name_of(arg), pop());
        break;
      }
      case Opcode::LOAD_ATTR: {
        Value object = pop();
        ok = push_optional(get_attribute(object, name_of(arg)));
        break;
      }
      case Opcode::STORE_ATTR: {
        Value object = pop();
        Value value = pop();
        ok = set_attribute(object, name_of(arg), std::move(value)).has_value();
        break;
      }
      case Opcode::LOAD_METHOD: {
        Value object = pop();
        auto value = get_attribute(object, name_of(arg));
        if (!value) {
          ok = false;
          break;
        }
        // A bound method splits into its function and self, so the call needs no allocation.
        if (value->is(ObjectKind::BoundMethod)) {
          Value function = value->as<BoundMethodObject>().function;
          Value self = value->as<BoundMethodObject>().self;
          stack.push_back(std::move(function));
          stack.push_back(std::move(self));
        } else {
          stack.push_back(std::move(*value));
          stack.push_back(no_self_);
        }
        break;
      }
      case Opcode::UNARY_NEGATIVE:
      case Opcode::UNARY_POSITIVE:
      case Opcode::UNARY_INVERT: {
        Value operand = pop();
        Expected<Value> result =
            instruction.opcode == Opcode::UNARY_NEGATIVE   ? unary_negative(operand)
            : instruction.opcode == Opcode::UNARY_POSITIVE ? unary_positive(operand)
                                                           : unary_invert(operand);
        if (!result.ok()) {
          ok = false;
          raise(result.error());
          break;
        }
        stack.push_back(std::move(*result));
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
        stack.push_back(Value::boolean(!*truth));
        break;
      }
      case Opcode::BINARY_OP: {
        Value right = pop();
        Value left = pop();
        ok = push_result(binary_op(static_cast<Binop>(arg), left, right));
        break;
      }
      case Opcode::COMPARE_OP: {
        Value right = pop();
        Value left = pop();
        ok = push_result(compare_op(static_cast<CompareOp>(arg), left, right));
        break;
      }
      case Opcode::IS_OP: {
        Value right = pop();
        Value left = pop();
        bool same = identical(left, right) ||
                    (left.is_bool() && right.is_bool() && left.as_bool() == right.as_bool());
        stack.push_back(Value::boolean(arg ? !same : same));
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
        stack.push_back(Value::boolean(arg ? !*found : *found));
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
        stack.push_back(make_slice(std::move(start), std::move(stop), std::move(step)));
        break;
      }
      case Opcode::BUILD_TUPLE:
      case Opcode::BUILD_LIST: {
        std::vector<Value> items(std::make_move_iterator(stack.end() - arg),
                                 std::make_move_iterator(stack.end()));
        stack.resize(stack.size() - arg);
        stack.push_back(instruction.opcode == Opcode::BUILD_TUPLE ? make_tuple(std::move(items))
                                                                  : make_list(std::move(items)));
        break;
      }
      case Opcode::BUILD_MAP: {
        Value dict = make_dict();
        Dict& table = dict.as<DictObject>().table;
        std::size_t base = stack.size() - 2 * arg;
        for (std::size_t i = 0; i < arg && ok; ++i) {
          Status status = table.set(stack[base + 2 * i], stack[base + 2 * i + 1]);
          if (!status.ok()) {
            ok = false;
            raise(status.error());
          }
        }
        stack.resize(base);
        if (ok) stack.push_back(std::move(dict));
        break;
      }
      case Opcode::LIST_APPEND: {
        Value item = pop();
        stack[stack.size() - arg].as<ListObject>().items.push_back(std::move(item));
        break;
      }
      case Opcode::LIST_EXTEND: {
        Value iterable = pop();
        auto items = collect(iterable);
        if (!items) {
          ok = false;
          break;
        }
        auto& target = stack[stack.size() - arg].as<ListObject>().items;
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
        for (auto it = items->rbegin(); it != items->rend(); ++it) stack.push_back(std::move(*it));
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
        auto result = truthy(stack.back());
        if (!result.ok()) {
          ok = false;
          raise(result.error());
          break;
        }
        if (*result == (instruction.opcode == Opcode::JUMP_IF_TRUE_OR_POP))
          next_pc = arg;
        else
          stack.pop_back();
        break;
      }
      case Opcode::GET_ITER: {
        Value iterable = pop();
        ok = push_optional(iterate(iterable));
        break;
      }
      case Opcode::FOR_ITER: {
        bool exhausted = false;
        auto item = next(stack.back(), exhausted);
        if (exhausted) {
          stack.pop_back();
          next_pc = arg;
        } else if (!item) {
          ok = false;
        } else {
          stack.push_back(std::move(*item));
        }
        break;
      }
      case Opcode::RETURN_VALUE:
        return pop();
      case Opcode::CALL:
      case Opcode::CALL_KW:
      case Opcode::CALL_METHOD: {
        std::vector<KeywordArg> kwargs;
        std::size_t count = arg;
        if (instruction.opcode == Opcode::CALL_KW) {
          Value names = pop();
          const auto& items = names.as<TupleObject>().items;
          std::size_t first = stack.size() - items.size();
          for (std::size_t i = 0; i < items.size(); ++i)
            kwargs.push_back({items[i].as<StrObject>().text, stack[first + i]});
          count -= items.size();
          // Keep the name strings alive while the keyword views point at them.
          std::size_t base = stack.size() - arg;
          std::vector<Value> positional(stack.begin() + base, stack.begin() + base + count);
          Value callable = stack[base - 1];
          auto result = call(callable, positional, kwargs);
          stack.resize(base - 1);
          if (!result) {
            ok = false;
            break;
          }
          stack.push_back(std::move(*result));
          break;
        }
        std::size_t base = stack.size() - count;
        std::optional<Value> result;
        if (instruction.opcode == Opcode::CALL_METHOD) {
          Value& self = stack[base - 1];
          Value& method = stack[base - 2];
          if (identical(self, no_self_)) {
            result = call(method, std::span<const Value>(stack.data() + base, count));
          } else {
            std::vector<Value> with_self;
            with_self.reserve(count + 1);
            with_self.push_back(self);
            with_self.insert(with_self.end(), stack.begin() + base, stack.end());
            result = call(method, with_self);
          }
          stack.resize(base - 2);
        } else {
          // The arguments are passed in place: this frame's stack does not move during the
          // call (it was reserved at max_stack), so no copy or allocation is needed.
          Value callable = stack[base - 1];
          result = call(callable, std::span<const Value>(stack.data() + base, count));
          stack.resize(base - 1);
        }
        if (!result) {
          ok = false;
          break;
        }
        stack.push_back(std::move(*result));
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
        std::vector<Value> keep_alive;
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
        auto result = call(callable, *args, kwargs);
        if (!result) {
          ok = false;
          break;
        }
        stack.push_back(std::move(*result));
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
        stack.push_back(std::move(function));
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
        frame.blocks.push_back({arg, stack.size()});
        break;
      case Opcode::POP_BLOCK:
        frame.blocks.pop_back();
        break;
      case Opcode::CHECK_EXC_MATCH: {
        Value type = pop();
        const Value& exception = stack.back();
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
        stack.push_back(Value::boolean(match));
        break;
      }
      case Opcode::POP_EXCEPT:
        stack.pop_back();
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
        stack.push_back(builtin_class("AssertionError"));
        break;
    }
    if (!ok) {
      if (!handle_exception(frame, pc)) return std::nullopt;
      next_pc = frame.resume;
    }
    pc = next_pc;
  }
}

}  // namespace gyro
