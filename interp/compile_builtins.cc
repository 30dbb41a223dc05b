// The compile API as script builtins: compile(fn, backend=, fullgraph=, dynamic=, options=)
// (also @compile and @compile(...)), graph_break(), is_compiling(), reset().
#include "backends/backend.h"
#include "interp/interpreter.h"
#include "interp/python_ops.h"

namespace gyro {

namespace {

using Args = std::span<const Value>;
using Kwargs = std::span<const KeywordArg>;

struct CompileSettings {
  Value backend;
  bool fullgraph = false;
  Value options;
};

std::optional<Value> compile_function(Interpreter& vm, const Value& fn,
                                      const CompileSettings& settings) {
  if (fn.is(ObjectKind::CompiledFunction)) return fn;  // compiling twice changes nothing
  bool method = fn.is(ObjectKind::BoundMethod) &&
                fn.as<BoundMethodObject>().function.is(ObjectKind::Function);
  if (!fn.is(ObjectKind::Function) && !method)
    return vm.raise(ErrorKind::TypeError, "compile() expects a function, not {}", type_name(fn));
  Value compiled = Value::object(new CompiledFunctionObject());
  auto& object = compiled.as<CompiledFunctionObject>();
  object.function = method ? fn.as<BoundMethodObject>().function : fn;
  if (method) object.self = fn.as<BoundMethodObject>().self;
  object.backend = settings.backend;
  object.fullgraph = settings.fullgraph;
  object.options = settings.options;
  object.epoch = vm.compile_epoch();
  return compiled;
}

// The decorator @compile(...) returns: a builtin bound to its settings (a tuple).
std::optional<Value> compile_with_settings(Interpreter& vm, Args args, Kwargs kwargs) {
  const auto& settings = args[0].as<TupleObject>().items;
  if (args.size() != 2 || !kwargs.empty())
    return vm.raise(ErrorKind::TypeError, "compile(...) decorates one function");
  return compile_function(vm, args[1], {settings[0], settings[1].as_bool(), settings[2]});
}

}  // namespace

std::optional<Value> builtin_compile(Interpreter& vm, Args args, Kwargs kwargs) {
  CompileSettings settings;
  settings.backend = make_str("eager");
  if (args.size() > 1)
    return vm.raise(ErrorKind::TypeError, "compile() takes 1 positional argument but {} were given",
                    args.size());
  for (const KeywordArg& keyword : kwargs) {
    if (keyword.name == "backend") {
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
      // Shapes are static until symbolic shapes land (issue 5); every value is accepted.
    } else {
      return vm.raise(ErrorKind::TypeError, "compile() got an unexpected keyword argument '{}'",
                      keyword.name);
    }
  }
  if (args.empty()) {
    Value bound =
        make_tuple({settings.backend, Value::boolean(settings.fullgraph), settings.options});
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
