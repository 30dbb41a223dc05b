// The compile API as script builtins: compile(fn, backend=, fullgraph=, dynamic=, options=)
// (also @compile and @compile(...)), disable(fn), allow_in_graph(fn),
// assume_constant_result(fn), explain(fn)(*args), @on_compile_start, @on_compile_end,
// graph_break(), is_compiling(), reset(), list_backends(); and `config`.
#include <limits>
#include <type_traits>

#include <fmt/format.h>

#include "backends/backend.h"
#include "interp/compile_api.h"
#include "interp/persistent_cache.h"
#include "interp/interpreter.h"
#include "interp/python_ops.h"

namespace gyro {

namespace {

using Args = std::span<const Value>;
using Kwargs = std::span<const KeywordArg>;

Value dynamic_value(std::optional<bool> dynamic) {
  return dynamic ? Value::boolean(*dynamic) : Value();
}

std::optional<Value> compile_function(Interpreter& vm, const Value& fn,
                                      const CompileSettings& settings) {
  // disable() wins over compile(). Compiling a compiled function again with the same settings
  // changes nothing; with others (another backend, say) it compiles the same function anew.
  if (is_disabled(fn)) return fn;
  if (fn.is(ObjectKind::CompiledFunction)) {
    const auto& compiled = fn.as<CompiledFunctionObject>();
    auto empty = [](const Value& options) {
      return options.is_none() ||
             (options.is(ObjectKind::Dict) && options.as<DictObject>().table.size() == 0);
    };
    const bool same_options = identical(compiled.options, settings.options) ||
                              (empty(compiled.options) && empty(settings.options));
    if (keys_equal(compiled.backend, settings.backend) &&
        compiled.fullgraph == settings.fullgraph && same_options &&
        compiled.dynamic == settings.dynamic)
      return fn;
    return make_compiled(vm, compiled.function, compiled.self, settings);
  }
  bool method = fn.is(ObjectKind::BoundMethod) &&
                fn.as<BoundMethodObject>().function.is(ObjectKind::Function);
  // compile(module): a callable object compiles through its class's __call__, bound to it
  // (torch.compile(mod) wraps the module the same way).
  Value call_method;
  if (fn.is(ObjectKind::Instance)) {
    auto found = vm.get_attribute(fn, "__call__");
    if (found && found->is(ObjectKind::BoundMethod) &&
        found->as<BoundMethodObject>().function.is(ObjectKind::Function)) {
      call_method = *found;
      method = true;
    }
  }
  const Value& target = call_method.is_none() ? fn : call_method;
  if (!target.is(ObjectKind::Function) && !method)
    return vm.raise(ErrorKind::TypeError, "compile() expects a function, not {}", type_name(fn));
  return make_compiled(vm, method ? target.as<BoundMethodObject>().function : target,
                       method ? target.as<BoundMethodObject>().self : Value(), settings);
}

// The decorator @compile(...) returns: a builtin bound to its settings (a tuple).
std::optional<Value> compile_with_settings(Interpreter& vm, Args args, Kwargs kwargs) {
  const auto& settings = args[0].as<TupleObject>().items;
  if (args.size() != 2 || !kwargs.empty())
    return vm.raise(ErrorKind::TypeError, "compile(...) decorates one function");
  std::optional<bool> dynamic;
  if (settings[3].is_bool()) dynamic = settings[3].as_bool();
  return compile_function(vm, args[1],
                          {settings[0], settings[1].as_bool(), settings[2], dynamic});
}

// The call disable(fn) returns: fn (bound as self) run with compilation off.
std::optional<Value> call_disabled(Interpreter& vm, Args args, Kwargs kwargs) {
  return vm.call_uncompiled(args[0], args.subspan(1), kwargs);
}

// The call explain(fn) returns: fn's call compiled afresh (eager backend, graph breaks
// allowed, fn's own cache untouched), then what that compile made.
std::optional<Value> call_explained(Interpreter& vm, Args args, Kwargs kwargs) {
  const Value& fn = args[0];
  Value fresh = Value::object(new CompiledFunctionObject());
  auto& object = fresh.as<CompiledFunctionObject>();
  if (fn.is(ObjectKind::CompiledFunction)) {
    const auto& compiled = fn.as<CompiledFunctionObject>();
    object.function = compiled.function;
    object.self = compiled.self;
    object.options = compiled.options;
    object.dynamic = compiled.dynamic;
  } else if (fn.is(ObjectKind::BoundMethod)) {
    object.function = fn.as<BoundMethodObject>().function;
    object.self = fn.as<BoundMethodObject>().self;
  } else {
    object.function = fn;
  }
  object.backend = make_str(std::string(kDefaultBackend));
  object.epoch = vm.compile_epoch();
  object.explaining = true;
  if (!vm.call(fresh, args.subspan(1), kwargs)) return std::nullopt;
  return make_explanation(object);
}

}  // namespace

Value make_compiled(Interpreter& vm, const Value& function, const Value& self,
                    const CompileSettings& settings) {
  Value compiled = Value::object(new CompiledFunctionObject());
  auto& object = compiled.as<CompiledFunctionObject>();
  object.function = function;
  object.self = self;
  object.backend = settings.backend;
  object.fullgraph = settings.fullgraph;
  object.options = settings.options;
  object.dynamic = settings.dynamic;
  object.epoch = vm.compile_epoch();
  return compiled;
}

Value make_disabled(const Value& function) {
  // The name is what a trace that meets the call reports: "disable(add_one)".
  const Value& plain =
      function.is(ObjectKind::BoundMethod) ? function.as<BoundMethodObject>().function : function;
  std::string name = plain.is(ObjectKind::Function) ? plain.as<FunctionObject>().code->name : "?";
  return Value::object(new BuiltinObject("disable(" + name + ")", call_disabled, function));
}

bool is_disabled(const Value& value) {
  return value.is(ObjectKind::Builtin) && value.as<BuiltinObject>().fn == call_disabled;
}

std::string ExplanationObject::describe() const {
  std::string text = fmt::format("Graph Count: {}\nGraph Break Count: {}\nOp Count: {}",
                                 graph_count, break_reasons.size(), op_count);
  text += "\nBreak Reasons:";
  for (std::size_t i = 0; i < break_reasons.size(); ++i)
    text += fmt::format("\n  {}. {}", i + 1, break_reasons[i]);
  text += "\nGuards:";
  for (std::size_t i = 0; i < guards.size(); ++i)
    text += fmt::format("\n  {}. {}", i + 1, guards[i]);
  if (!shape_regions.empty()) text += "\nSymbolic Shapes:";
  for (const std::string& region : shape_regions) text += fmt::format("\n  {}", region);
  if (!shape_guard_stats.empty()) text += "\nShape Guard Pruning:";
  for (const std::string& stats : shape_guard_stats) text += fmt::format("\n  {}", stats);
  if (!kernels.empty()) text += "\nKernels:";
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    text += fmt::format("\n  graph {}:", i + 1);
    std::string_view rest = kernels[i];
    while (!rest.empty()) {  // one indented line per kernel
      std::size_t end = rest.find('\n');
      text += fmt::format("\n    {}", rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
  }
  return text;
}

// ---- config: one row of compile_config.def per knob ----

namespace {

Value knob_value(int value) {
  return Value::integer(value);
}
Value knob_value(bool value) {
  return Value::boolean(value);
}

// Stores `value` into an int knob (a non-negative int) or a bool knob (a bool).
bool store_knob(Interpreter& vm, std::string_view name, int& knob, const Value& value) {
  if (!value.is_int() || value.is_bool()) {
    vm.raise(ErrorKind::TypeError, "config.{} must be an int, not {}", name, type_name(value));
    return false;
  }
  if (value.as_int() < 0 || value.as_int() > INT32_MAX) {
    vm.raise(ErrorKind::ValueError, "config.{} must be between 0 and {}, not {}", name, INT32_MAX,
             value.as_int());
    return false;
  }
  knob = static_cast<int>(value.as_int());
  return true;
}

bool store_knob(Interpreter& vm, std::string_view name, bool& knob, const Value& value) {
  if (!value.is_bool()) {
    vm.raise(ErrorKind::TypeError, "config.{} must be a bool, not {}", name, type_name(value));
    return false;
  }
  knob = value.as_bool();
  return true;
}

}  // namespace

std::string describe_config(const CompileConfig& config) {
  std::string text;
#define CONFIG_KNOB(type, name, default_value, help)                             \
  text += fmt::format("{}config.{} = {}  # {}", text.empty() ? "" : "\n", #name, \
                      repr(knob_value(config.name)), help);
#include "interp/compile_config.def"
#undef CONFIG_KNOB
  return text;
}

std::string describe_stats(const CompileStats& stats) {
  std::string text;
  auto figure = [](auto value) {
    if constexpr (std::is_floating_point_v<decltype(value)>)
      return fmt::format("{:.6f}", value);
    else
      return fmt::format("{}", value);
  };
#define COMPILE_STAT(type, name, help)                                                        \
  text += fmt::format("{}{}: {}  # {}", text.empty() ? "" : "\n", #name, figure(stats.name), \
                      help);
#include "interp/compile_stats.def"
#undef COMPILE_STAT
  return text;
}

std::optional<Value> get_config_attribute(Interpreter& vm, const ConfigObject& config,
                                          std::string_view name) {
#define CONFIG_KNOB(type, knob, default_value, help) \
  if (name == #knob) return knob_value(config.config->knob);
#include "interp/compile_config.def"
#undef CONFIG_KNOB
  return vm.raise(ErrorKind::AttributeError, "config has no knob '{}'", name);
}

std::optional<Value> set_config_attribute(Interpreter& vm, ConfigObject& config,
                                          std::string_view name, const Value& value) {
#define CONFIG_KNOB(type, knob, default_value, help)                            \
  if (name == #knob) {                                                          \
    if (!store_knob(vm, name, config.config->knob, value)) return std::nullopt; \
    return Value();                                                             \
  }
#include "interp/compile_config.def"
#undef CONFIG_KNOB
  return vm.raise(ErrorKind::AttributeError, "config has no knob '{}'", name);
}

std::optional<Value> builtin_compile(Interpreter& vm, Args args, Kwargs kwargs) {
  CompileSettings settings;
  settings.backend = make_str(std::string(kDefaultBackend));
  if (args.size() > 1)
    return vm.raise(ErrorKind::TypeError, "compile() takes 1 positional argument but {} were given",
                    args.size());
  for (const KeywordArg& keyword : kwargs) {
    if (keyword.name == "backend") {
      if (keyword.value.is_none()) continue;  // the default (Module.compile passes None)
      if (keyword.value.is(ObjectKind::Str)) {
        const std::string& name = keyword.value.as<StrObject>().text;
        if (!find_backend(name)) {
          std::string available;
          for (const std::string& each : list_backends())
            available += (available.empty() ? "" : ", ") + each;
          return vm.raise(ErrorKind::ValueError, "unknown backend '{}' (available: {})", name,
                          available);
        }
      } else if (!keyword.value.is_object()) {
        return vm.raise(ErrorKind::TypeError, "backend must be a name or a callable, not {}",
                        type_name(keyword.value));
      }
      settings.backend = keyword.value;
    } else if (keyword.name == "fullgraph") {
      auto truth = truthy(keyword.value);
      if (!truth.ok()) return vm.raise(truth.error());
      settings.fullgraph = *truth;
    } else if (keyword.name == "options") {
      if (!keyword.value.is_none() && !keyword.value.is(ObjectKind::Dict))
        return vm.raise(ErrorKind::TypeError, "options must be a dict, not {}",
                        type_name(keyword.value));
      settings.options = keyword.value;
    } else if (keyword.name == "dynamic") {
      if (!keyword.value.is_none() && !keyword.value.is_bool())
        return vm.raise(ErrorKind::TypeError, "dynamic must be True, False or None, not {}",
                        type_name(keyword.value));
      if (keyword.value.is_bool()) settings.dynamic = keyword.value.as_bool();
    } else {
      return vm.raise(ErrorKind::TypeError, "compile() got an unexpected keyword argument '{}'",
                      keyword.name);
    }
  }
  if (args.empty()) {
    Value bound = make_tuple({settings.backend, Value::boolean(settings.fullgraph),
                              settings.options, dynamic_value(settings.dynamic)});
    return Value::object(new BuiltinObject("compile", compile_with_settings, bound));
  }
  return compile_function(vm, args[0], settings);
}

std::optional<Value> builtin_list_backends(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!args.empty() || !kwargs.empty())
    return vm.raise(ErrorKind::TypeError, "list_backends() takes no arguments");
  std::vector<Value> names;
  for (const std::string& name : list_backends()) names.push_back(make_str(name));
  return make_list(std::move(names));
}

// save_cache(path) / load_cache(path): the persistent compile cache (interp/persistent_cache.h).
// The one argument is the artifact's path, a str.
std::optional<std::string> cache_path(Interpreter& vm, const char* name, Args args,
                                      Kwargs kwargs) {
  if (!vm.check_file_access(name)) return std::nullopt;
  if (args.size() != 1 || !kwargs.empty()) {
    vm.raise(ErrorKind::TypeError, "{}() takes exactly one argument (the file's path)", name);
    return std::nullopt;
  }
  if (!args[0].is(ObjectKind::Str)) {
    vm.raise(ErrorKind::TypeError, "{}() path must be str, not {}", name, type_name(args[0]));
    return std::nullopt;
  }
  return args[0].as<StrObject>().text;
}

// Returns how many entries the file holds; each entry that cannot be saved is a warning that
// says why (an identity guard on an object of this process, symbolic shapes...).
std::optional<Value> builtin_save_cache(Interpreter& vm, Args args, Kwargs kwargs) {
  auto path = cache_path(vm, "save_cache", args, kwargs);
  if (!path) return std::nullopt;
  auto report = vm.persistent_cache().save(*path);
  if (!report.ok()) return vm.raise(report.error());
  for (const std::string& reason : report->not_saved)
    vm.warn(fmt::format("save_cache: entry not saved: {}", reason));
  return Value::integer(report->saved);
}

// Returns how many saved entries the file adds (0 for another format or library version, a
// miss logged under GYRO_LOGS=cache); a damaged file is an error that loads nothing.
std::optional<Value> builtin_load_cache(Interpreter& vm, Args args, Kwargs kwargs) {
  auto path = cache_path(vm, "load_cache", args, kwargs);
  if (!path) return std::nullopt;
  auto loaded = vm.persistent_cache().load(
      *path, [&vm](std::string message) { vm.log(LogChannel::cache, message); });
  if (!loaded.ok()) return vm.raise(loaded.error());
  return Value::integer(*loaded);
}

// mark_dynamic(t, dim, min=None, max=None) / mark_static(t, dim): `dim` an int or a list of
// ints, checked against t's rank; the marks stay on the tensor object for every later trace.
std::optional<Value> mark_dims(Interpreter& vm, Args args, Kwargs kwargs, bool dynamic) {
  const char* name = dynamic ? "mark_dynamic" : "mark_static";
  Value min_value, max_value;
  std::vector<Value> positional(args.begin(), args.end());
  for (const KeywordArg& keyword : kwargs) {
    if (dynamic && (keyword.name == "min" || keyword.name == "max")) {
      (keyword.name == "min" ? min_value : max_value) = keyword.value;
    } else if (keyword.name == "dim" && positional.size() == 1) {
      positional.push_back(keyword.value);
    } else {
      return vm.raise(ErrorKind::TypeError, "{}() got an unexpected keyword argument '{}'", name,
                      keyword.name);
    }
  }
  if (positional.size() != 2)
    return vm.raise(ErrorKind::TypeError, "{}() takes a tensor and a dim ({} given)", name,
                    positional.size());
  if (!positional[0].is(ObjectKind::TensorBox))
    return vm.raise(ErrorKind::TypeError, "{}() expects a tensor, not {}", name,
                    type_name(positional[0]));
  auto& box = positional[0].as<TensorBoxObject>();
  std::vector<Value> dims;
  if (positional[1].is(ObjectKind::List) || positional[1].is(ObjectKind::Tuple))
    dims = positional[1].is(ObjectKind::List) ? positional[1].as<ListObject>().items
                                              : positional[1].as<TupleObject>().items;
  else
    dims.push_back(positional[1]);
  auto bound = [&](const Value& value, int64_t fallback) -> std::optional<int64_t> {
    if (value.is_none()) return fallback;
    if (!value.is_int()) return std::nullopt;
    return value.as_int();
  };
  auto low = bound(min_value, 0), high = bound(max_value, std::numeric_limits<int64_t>::max());
  if (!low || !high)
    return vm.raise(ErrorKind::TypeError, "{}(): min and max must be ints or None", name);
  if (*low < 0 || *low > *high)
    return vm.raise(ErrorKind::ValueError, "{}(): the range [{}, {}] is empty or negative", name,
                    *low, *high);
  const int rank = box.tensor.dim();
  if (!box.marks) box.marks = std::make_unique<DimMarks>();
  for (const Value& dim : dims) {
    if (!dim.is_int())
      return vm.raise(ErrorKind::TypeError, "{}(): dim must be an int, not {}", name,
                      type_name(dim));
    int64_t d = dim.as_int();
    if (d < -rank || d >= rank)
      return vm.raise(ErrorKind::IndexError,
                      "{}(): dim {} is out of range for a tensor of {} dimensions", name, d, rank);
    if (d < 0) d += rank;
    const auto bit = static_cast<uint8_t>(1u << d);
    if (dynamic) {
      box.marks->dynamic |= bit;
      box.marks->fixed &= static_cast<uint8_t>(~bit);
      box.marks->min[d] = *low;
      box.marks->max[d] = *high;
    } else {
      box.marks->fixed |= bit;
      box.marks->dynamic &= static_cast<uint8_t>(~bit);
    }
  }
  return Value();
}

std::optional<Value> builtin_mark_dynamic(Interpreter& vm, Args args, Kwargs kwargs) {
  return mark_dims(vm, args, kwargs, /*dynamic=*/true);
}

std::optional<Value> builtin_mark_static(Interpreter& vm, Args args, Kwargs kwargs) {
  return mark_dims(vm, args, kwargs, /*dynamic=*/false);
}

std::optional<Value> builtin_graph_break(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!args.empty() || !kwargs.empty())
    return vm.raise(ErrorKind::TypeError, "graph_break() takes no arguments");
  return Value();  // in the VM, nothing to break
}

std::optional<Value> builtin_is_compiling(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!args.empty() || !kwargs.empty())
    return vm.raise(ErrorKind::TypeError, "is_compiling() takes no arguments");
  return Value::boolean(vm.is_compiling());
}

std::optional<Value> builtin_reset(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!args.empty() || !kwargs.empty())
    return vm.raise(ErrorKind::TypeError, "reset() takes no arguments");
  vm.reset_compiled();
  return Value();
}

}  // namespace gyro

namespace gyro {

std::optional<Value> builtin_disable(Interpreter& vm, Args args, Kwargs kwargs) {
  if (args.size() != 1 || !kwargs.empty())
    return vm.raise(ErrorKind::TypeError, "disable() takes one function");
  const Value& fn = args[0];
  if (is_disabled(fn)) return fn;
  if (fn.is(ObjectKind::CompiledFunction)) {
    // disable(compile(f)): f itself (or the bound method), never compiled.
    const auto& compiled = fn.as<CompiledFunctionObject>();
    if (compiled.self.is_none()) return make_disabled(compiled.function);
    return make_disabled(Value::object(new BoundMethodObject(compiled.self, compiled.function)));
  }
  if (!fn.is(ObjectKind::Function) && !fn.is(ObjectKind::BoundMethod))
    return vm.raise(ErrorKind::TypeError, "disable() expects a function, not {}", type_name(fn));
  return make_disabled(fn);
}

std::optional<Value> mark_for_tracing(Interpreter& vm, const Value& fn, TraceMark mark) {
  if (!fn.is(ObjectKind::Function))
    return vm.raise(ErrorKind::TypeError, "{}() expects a function, not {}",
                    mark == TraceMark::kAllowInGraph ? "allow_in_graph" : "assume_constant_result",
                    type_name(fn));
  vm.mark_for_tracing(fn, mark);
  return fn;
}

std::optional<Value> builtin_allow_in_graph(Interpreter& vm, Args args, Kwargs kwargs) {
  if (args.size() != 1 || !kwargs.empty())
    return vm.raise(ErrorKind::TypeError, "allow_in_graph() takes one function");
  return mark_for_tracing(vm, args[0], TraceMark::kAllowInGraph);
}

std::optional<Value> builtin_assume_constant_result(Interpreter& vm, Args args, Kwargs kwargs) {
  if (args.size() != 1 || !kwargs.empty())
    return vm.raise(ErrorKind::TypeError, "assume_constant_result() takes one function");
  return mark_for_tracing(vm, args[0], TraceMark::kAssumeConstantResult);
}

std::optional<Value> builtin_explain(Interpreter& vm, Args args, Kwargs kwargs) {
  if (args.size() != 1 || !kwargs.empty())
    return vm.raise(ErrorKind::TypeError, "explain() takes one function");
  const Value& fn = args[0];
  bool method = fn.is(ObjectKind::BoundMethod) &&
                fn.as<BoundMethodObject>().function.is(ObjectKind::Function);
  if (!fn.is(ObjectKind::Function) && !fn.is(ObjectKind::CompiledFunction) && !method)
    return vm.raise(ErrorKind::TypeError, "explain() expects a function, not {}", type_name(fn));
  return Value::object(new BuiltinObject("explain", call_explained, fn));
}

std::optional<Value> builtin_on_compile_start(Interpreter& vm, Args args, Kwargs kwargs) {
  if (args.size() != 1 || !kwargs.empty())
    return vm.raise(ErrorKind::TypeError, "on_compile_start() takes one callable");
  vm.on_compile_start(args[0]);
  return args[0];  // a decorator: the name keeps the callback
}

std::optional<Value> builtin_on_compile_end(Interpreter& vm, Args args, Kwargs kwargs) {
  if (args.size() != 1 || !kwargs.empty())
    return vm.raise(ErrorKind::TypeError, "on_compile_end() takes one callable");
  vm.on_compile_end(args[0]);
  return args[0];
}

}  // namespace gyro
