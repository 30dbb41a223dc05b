// The C API's values and calls: handles, conversions, containers, attributes, calls and host
// functions.
#include <cstring>
#include <string>
#include <vector>

#include "api/vm_state.h"
#include "gyro/gyro.h"
#include "interp/python_ops.h"

using namespace gyro;
using namespace gyro::api;

namespace {

// A host function's user data and its destroy callback, run with the last reference to the
// function object once armed.
struct HostData {
  HostData(void* data, void (*destroy_fn)(void*)) : pointer(data), destroy(destroy_fn) {}
  ~HostData() {
    if (armed && destroy) destroy(pointer);
  }
  void* pointer;
  void (*destroy)(void*);
  bool armed = false;
};

// A host function's call: the arguments out as handles for the call's length, the result
// handle taken over, a GYRO_ERROR_EXCEPTION passed on as the exception the host raised.
std::optional<Value> call_host_function(gyro_vm* vm, gyro_host_fn fn, void* user_data,
                                        const std::string& name, Interpreter& interpreter,
                                        std::span<const Value> args,
                                        std::span<const KeywordArg> kwargs) {
  if (!kwargs.empty())
    return interpreter.raise(ErrorKind::TypeError, "{}() takes no keyword arguments", name);
  std::vector<gyro_value> handles;
  handles.reserve(args.size());
  for (const Value& arg : args) handles.push_back(vm->handles.add(arg));
  // The exception pending before the call: one still there afterwards was not raised by it.
  const Value before = interpreter.exception();
  gyro_value result = 0;
  const gyro_status status = fn(vm, user_data, handles.data(), handles.size(), &result);
  for (gyro_value handle : handles) vm->handles.remove(handle);
  const Value* returned = result ? vm->handles.find(result) : nullptr;
  std::optional<Value> value = returned ? std::optional<Value>(*returned) : std::nullopt;
  if (result) vm->handles.remove(result);
  if (status == GYRO_ERROR_EXCEPTION && !interpreter.exception().is_none() &&
      !identical(interpreter.exception(), before))
    return std::nullopt;
  if (status != GYRO_OK)
    return interpreter.raise(
        ErrorKind::RuntimeError, "host function {}() failed: {}{}{}", name,
        gyro_status_name(status), status == GYRO_ERROR_EXCEPTION ? " without raising" : ": ",
        status == GYRO_ERROR_EXCEPTION ? std::string() : vm->error_of_this_thread().message);
  if (!value)
    return interpreter.raise(ErrorKind::RuntimeError,
                             "host function {}() returned GYRO_OK without a live result handle",
                             name);
  return value;
}

// Every value of `handles` (an array of `count`), or nullopt with the error recorded.
std::optional<std::vector<Value>> values_of(gyro_vm* vm, const char* function,
                                            const gyro_value* handles, size_t count,
                                            const char* what) {
  if (!handles && count > 0) {
    vm->fail(GYRO_ERROR_INVALID_ARGUMENT, fmt::format("{}: {} is NULL", function, what));
    return std::nullopt;
  }
  std::vector<Value> values;
  values.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const Value* value = lookup(vm, function, handles[i], what);
    if (!value) return std::nullopt;
    values.push_back(*value);
  }
  return values;
}

gyro_kind kind_of(const Value& value) {
  switch (value.tag()) {
    case ValueTag::kNone:
      return GYRO_KIND_NONE;
    case ValueTag::kBool:
      return GYRO_KIND_BOOL;
    case ValueTag::kInt:
      return GYRO_KIND_INT;
    case ValueTag::kFloat:
      return GYRO_KIND_FLOAT;
    case ValueTag::kObject:
      break;
  }
  switch (value.as_object()->kind()) {
    case ObjectKind::Str:
      return GYRO_KIND_STR;
    case ObjectKind::TensorBox:
      return GYRO_KIND_TENSOR;
    case ObjectKind::List:
      return GYRO_KIND_LIST;
    case ObjectKind::Tuple:
      return GYRO_KIND_TUPLE;
    case ObjectKind::Dict:
      return GYRO_KIND_DICT;
    case ObjectKind::Function:
    case ObjectKind::CompiledFunction:
    case ObjectKind::Builtin:
    case ObjectKind::HostFunction:
    case ObjectKind::BoundMethod:
    case ObjectKind::Class:
      return GYRO_KIND_CALLABLE;
    default:
      return GYRO_KIND_OTHER;
  }
}

// "a str" / "an int": what a value is, for messages.
std::string described(Interpreter& vm, const Value& value) {
  Value cls = vm.type_of(value);
  std::string name = cls.is(ObjectKind::Class) ? cls.as<ClassObject>().name : "object";
  const bool vowel = !name.empty() && std::strchr("aeiouAEIOU", name[0]);
  return fmt::format("{} {}", vowel ? "an" : "a", name);
}

gyro_status wrong_kind(gyro_vm* vm, const char* function, const Value& value, const char* wanted) {
  return vm->fail(GYRO_ERROR_TYPE, fmt::format("{}: the value is {}, not {}", function,
                                               described(*vm->interpreter, value), wanted));
}

gyro_status make_sequence(gyro_vm* vm, const char* function, const gyro_value* items, size_t count,
                          gyro_value* out, bool tuple) {
  return guarded(vm, function, [&] {
    GYRO_API_REQUIRE(out, function, "out is NULL");
    auto values = values_of(vm, function, items, count, "an item");
    if (!values) return GYRO_ERROR_INVALID_ARGUMENT;
    return give(vm, tuple ? make_tuple(std::move(*values)) : make_list(std::move(*values)), out);
  });
}

}  // namespace

extern "C" {

gyro_status gyro_value_kind(gyro_vm* vm, gyro_value value, gyro_kind* kind) {
  return guarded(vm, "gyro_value_kind", [&] {
    GYRO_API_REQUIRE(kind, "gyro_value_kind", "kind is NULL");
    const Value* found = lookup(vm, "gyro_value_kind", value, "value");
    if (!found) return GYRO_ERROR_INVALID_ARGUMENT;
    *kind = kind_of(*found);
    return GYRO_OK;
  });
}

gyro_status gyro_value_copy(gyro_vm* vm, gyro_value value, gyro_value* out) {
  return guarded(vm, "gyro_value_copy", [&] {
    GYRO_API_REQUIRE(out, "gyro_value_copy", "out is NULL");
    const Value* found = lookup(vm, "gyro_value_copy", value, "value");
    if (!found) return GYRO_ERROR_INVALID_ARGUMENT;
    return give(vm, *found, out);
  });
}

gyro_status gyro_value_release(gyro_vm* vm, gyro_value value) {
  if (value == 0) return vm ? GYRO_OK : GYRO_ERROR_INVALID_ARGUMENT;
  return guarded(vm, "gyro_value_release", [&] {
    if (!vm->handles.remove(value))
      return vm->fail(GYRO_ERROR_INVALID_ARGUMENT,
                      fmt::format("gyro_value_release: handle {:#x} is not a live value of this "
                                  "VM (released already, or another VM's)",
                                  value));
    return GYRO_OK;
  });
}

gyro_status gyro_value_none(gyro_vm* vm, gyro_value* out) {
  return guarded(vm, "gyro_value_none", [&] {
    GYRO_API_REQUIRE(out, "gyro_value_none", "out is NULL");
    return give(vm, Value(), out);
  });
}

gyro_status gyro_value_from_bool(gyro_vm* vm, int32_t value, gyro_value* out) {
  return guarded(vm, "gyro_value_from_bool", [&] {
    GYRO_API_REQUIRE(out, "gyro_value_from_bool", "out is NULL");
    return give(vm, Value::boolean(value != 0), out);
  });
}

gyro_status gyro_value_from_int(gyro_vm* vm, int64_t value, gyro_value* out) {
  return guarded(vm, "gyro_value_from_int", [&] {
    GYRO_API_REQUIRE(out, "gyro_value_from_int", "out is NULL");
    return give(vm, Value::integer(value), out);
  });
}

gyro_status gyro_value_from_float(gyro_vm* vm, double value, gyro_value* out) {
  return guarded(vm, "gyro_value_from_float", [&] {
    GYRO_API_REQUIRE(out, "gyro_value_from_float", "out is NULL");
    return give(vm, Value::real(value), out);
  });
}

gyro_status gyro_value_from_str(gyro_vm* vm, const char* text, size_t length, gyro_value* out) {
  return guarded(vm, "gyro_value_from_str", [&] {
    GYRO_API_REQUIRE(out, "gyro_value_from_str", "out is NULL");
    GYRO_API_REQUIRE(text || length == 0, "gyro_value_from_str", "text is NULL");
    return give(vm, make_str(std::string(text ? text : "", length)), out);
  });
}

gyro_status gyro_value_new_list(gyro_vm* vm, const gyro_value* items, size_t count,
                                gyro_value* out) {
  return make_sequence(vm, "gyro_value_new_list", items, count, out, false);
}

gyro_status gyro_value_new_tuple(gyro_vm* vm, const gyro_value* items, size_t count,
                                 gyro_value* out) {
  return make_sequence(vm, "gyro_value_new_tuple", items, count, out, true);
}

gyro_status gyro_value_to_bool(gyro_vm* vm, gyro_value value, int32_t* out) {
  return guarded(vm, "gyro_value_to_bool", [&] {
    GYRO_API_REQUIRE(out, "gyro_value_to_bool", "out is NULL");
    const Value* found = lookup(vm, "gyro_value_to_bool", value, "value");
    if (!found) return GYRO_ERROR_INVALID_ARGUMENT;
    if (!found->is_bool()) return wrong_kind(vm, "gyro_value_to_bool", *found, "a bool");
    *out = found->as_bool() ? 1 : 0;
    return GYRO_OK;
  });
}

gyro_status gyro_value_to_int(gyro_vm* vm, gyro_value value, int64_t* out) {
  return guarded(vm, "gyro_value_to_int", [&] {
    GYRO_API_REQUIRE(out, "gyro_value_to_int", "out is NULL");
    const Value* found = lookup(vm, "gyro_value_to_int", value, "value");
    if (!found) return GYRO_ERROR_INVALID_ARGUMENT;
    if (found->is_bool()) {
      *out = found->as_bool() ? 1 : 0;
    } else if (found->is_int()) {
      *out = found->as_int();
    } else {
      return wrong_kind(vm, "gyro_value_to_int", *found, "an int");
    }
    return GYRO_OK;
  });
}

gyro_status gyro_value_to_float(gyro_vm* vm, gyro_value value, double* out) {
  return guarded(vm, "gyro_value_to_float", [&] {
    GYRO_API_REQUIRE(out, "gyro_value_to_float", "out is NULL");
    const Value* found = lookup(vm, "gyro_value_to_float", value, "value");
    if (!found) return GYRO_ERROR_INVALID_ARGUMENT;
    if (found->is_float()) {
      *out = found->as_float();
    } else if (found->is_int()) {
      *out = static_cast<double>(found->as_int());
    } else if (found->is_bool()) {
      *out = found->as_bool() ? 1.0 : 0.0;
    } else {
      return wrong_kind(vm, "gyro_value_to_float", *found, "a float");
    }
    return GYRO_OK;
  });
}

gyro_status gyro_value_to_str(gyro_vm* vm, gyro_value value, const char** text, size_t* length) {
  return guarded(vm, "gyro_value_to_str", [&] {
    GYRO_API_REQUIRE(text, "gyro_value_to_str", "text is NULL");
    const Value* found = lookup(vm, "gyro_value_to_str", value, "value");
    if (!found) return GYRO_ERROR_INVALID_ARGUMENT;
    if (!found->is(ObjectKind::Str)) return wrong_kind(vm, "gyro_value_to_str", *found, "a str");
    const std::string& str = found->as<StrObject>().text;  // immutable: stays as it is
    *text = str.c_str();
    if (length) *length = str.size();
    return GYRO_OK;
  });
}

gyro_status gyro_value_repr(gyro_vm* vm, gyro_value value, gyro_value* out) {
  return guarded(vm, "gyro_value_repr", [&] {
    GYRO_API_REQUIRE(out, "gyro_value_repr", "out is NULL");
    const Value* found = lookup(vm, "gyro_value_repr", value, "value");
    if (!found) return GYRO_ERROR_INVALID_ARGUMENT;
    return give(vm, make_str(repr(*found)), out);
  });
}

gyro_status gyro_value_length(gyro_vm* vm, gyro_value value, int64_t* length) {
  return guarded(vm, "gyro_value_length", [&] {
    GYRO_API_REQUIRE(length, "gyro_value_length", "length is NULL");
    const Value* found = lookup(vm, "gyro_value_length", value, "value");
    if (!found) return GYRO_ERROR_INVALID_ARGUMENT;
    if (found->is(ObjectKind::List) || found->is(ObjectKind::Tuple)) {
      *length = static_cast<int64_t>(sequence_items(*found).size());
    } else if (found->is(ObjectKind::Dict)) {
      *length = static_cast<int64_t>(found->as<DictObject>().table.size());
    } else if (found->is(ObjectKind::Str)) {
      *length = found->as<StrObject>().length();  // code points, as len()
    } else {
      return wrong_kind(vm, "gyro_value_length", *found, "a list, tuple, dict or str");
    }
    return GYRO_OK;
  });
}

gyro_status gyro_value_item(gyro_vm* vm, gyro_value value, int64_t index, gyro_value* out) {
  return guarded(vm, "gyro_value_item", [&] {
    GYRO_API_REQUIRE(out, "gyro_value_item", "out is NULL");
    const Value* found = lookup(vm, "gyro_value_item", value, "value");
    if (!found) return GYRO_ERROR_INVALID_ARGUMENT;
    if (!found->is(ObjectKind::List) && !found->is(ObjectKind::Tuple))
      return wrong_kind(vm, "gyro_value_item", *found, "a list or tuple");
    auto item = vm->interpreter->subscript(*found, Value::integer(index));
    if (!item) return vm->fail_with_exception();
    return give(vm, std::move(*item), out);
  });
}

gyro_status gyro_value_get_attr(gyro_vm* vm, gyro_value value, const char* name, gyro_value* out) {
  return guarded(vm, "gyro_value_get_attr", [&] {
    GYRO_API_REQUIRE(out && name, "gyro_value_get_attr", "name and out must not be NULL");
    const Value* found = lookup(vm, "gyro_value_get_attr", value, "value");
    if (!found) return GYRO_ERROR_INVALID_ARGUMENT;
    auto attribute = vm->interpreter->get_attribute(*found, name);
    if (!attribute) return vm->fail_with_exception();
    return give(vm, std::move(*attribute), out);
  });
}

gyro_status gyro_value_set_attr(gyro_vm* vm, gyro_value value, const char* name,
                                gyro_value attribute) {
  return guarded(vm, "gyro_value_set_attr", [&] {
    GYRO_API_REQUIRE(name, "gyro_value_set_attr", "name is NULL");
    const Value* found = lookup(vm, "gyro_value_set_attr", value, "value");
    const Value* given =
        found ? lookup(vm, "gyro_value_set_attr", attribute, "attribute") : nullptr;
    if (!found || !given) return GYRO_ERROR_INVALID_ARGUMENT;
    if (!vm->interpreter->set_attribute(*found, name, *given)) return vm->fail_with_exception();
    return GYRO_OK;
  });
}

gyro_status gyro_module_get(gyro_vm* vm, gyro_value module, const char* name, gyro_value* out) {
  return guarded(vm, "gyro_module_get", [&] {
    GYRO_API_REQUIRE(out && name, "gyro_module_get", "name and out must not be NULL");
    const Value* globals = lookup(vm, "gyro_module_get", module, "module");
    if (!globals) return GYRO_ERROR_INVALID_ARGUMENT;
    if (!globals->is(ObjectKind::Dict))
      return wrong_kind(vm, "gyro_module_get", *globals, "a module's globals (a dict)");
    auto found = globals->as<DictObject>().table.get(make_str(name));
    if (!found.ok() || !found->has_value())
      return vm->fail(GYRO_ERROR_NOT_FOUND,
                      fmt::format("gyro_module_get: the module has no global '{}'", name));
    return give(vm, **found, out);
  });
}

gyro_status gyro_module_set(gyro_vm* vm, gyro_value module, const char* name, gyro_value value) {
  return guarded(vm, "gyro_module_set", [&] {
    GYRO_API_REQUIRE(name, "gyro_module_set", "name is NULL");
    const Value* globals = lookup(vm, "gyro_module_set", module, "module");
    const Value* given = globals ? lookup(vm, "gyro_module_set", value, "value") : nullptr;
    if (!globals || !given) return GYRO_ERROR_INVALID_ARGUMENT;
    if (!globals->is(ObjectKind::Dict))
      return wrong_kind(vm, "gyro_module_set", *globals, "a module's globals (a dict)");
    Status set = globals->as<DictObject>().table.set(make_str(name), *given);
    if (!set.ok()) return vm->fail(GYRO_ERROR_INTERNAL, set.error().to_string());
    return GYRO_OK;
  });
}

gyro_status gyro_vm_set_builtin(gyro_vm* vm, const char* name, gyro_value value) {
  return guarded(vm, "gyro_vm_set_builtin", [&] {
    GYRO_API_REQUIRE(name && *name, "gyro_vm_set_builtin", "name is NULL or empty");
    const Value* given = lookup(vm, "gyro_vm_set_builtin", value, "value");
    if (!given) return GYRO_ERROR_INVALID_ARGUMENT;
    Status set = vm->interpreter->builtins().as<DictObject>().table.set(make_str(name), *given);
    if (!set.ok()) return vm->fail(GYRO_ERROR_INTERNAL, set.error().to_string());
    return GYRO_OK;
  });
}

gyro_status gyro_vm_call(gyro_vm* vm, gyro_value callable, const gyro_value* args, size_t arg_count,
                         gyro_value* result) {
  return gyro_vm_call_kw(vm, callable, args, arg_count, nullptr, nullptr, 0, result);
}

gyro_status gyro_vm_call_kw(gyro_vm* vm, gyro_value callable, const gyro_value* args,
                            size_t arg_count, const char* const* kw_names,
                            const gyro_value* kw_values, size_t kw_count, gyro_value* result) {
  return guarded(vm, "gyro_vm_call", [&] {
    GYRO_API_REQUIRE(result, "gyro_vm_call", "result is NULL");
    const Value* found = lookup(vm, "gyro_vm_call", callable, "callable");
    if (!found) return GYRO_ERROR_INVALID_ARGUMENT;
    // A reference of the call's own: the call may release the handle (a host function can).
    const Value target_value = *found;
    const Value* target = &target_value;
    auto positional = values_of(vm, "gyro_vm_call", args, arg_count, "an argument");
    if (!positional) return GYRO_ERROR_INVALID_ARGUMENT;
    GYRO_API_REQUIRE(kw_count == 0 || kw_names, "gyro_vm_call", "kw_names is NULL");
    auto keyword_values = values_of(vm, "gyro_vm_call", kw_values, kw_count, "a keyword value");
    if (!keyword_values) return GYRO_ERROR_INVALID_ARGUMENT;
    std::vector<KeywordArg> kwargs;
    for (size_t i = 0; i < kw_count; ++i) {
      GYRO_API_REQUIRE(kw_names[i], "gyro_vm_call", "kw_names[{}] is NULL", i);
      kwargs.push_back({kw_names[i], (*keyword_values)[i]});
    }
    auto called = vm->interpreter->call(*target, *positional, kwargs);
    if (!called) return vm->fail_with_exception();
    return give(vm, std::move(*called), result);
  });
}

gyro_status gyro_value_from_host_function(gyro_vm* vm, const char* name, gyro_host_fn fn,
                                          void* user_data, void (*destroy)(void*),
                                          gyro_value* out) {
  return guarded(vm, "gyro_value_from_host_function", [&] {
    GYRO_API_REQUIRE(name && *name && fn && out, "gyro_value_from_host_function",
                     "name, fn and out must not be NULL (nor name empty)");
    // The user data becomes gyro's only once everything that can fail has: until `armed`,
    // an error leaves it to the caller, who was told so.
    auto data = std::make_shared<HostData>(user_data, destroy);
    std::string function_name = name;
    HostFunctionBody body = [vm, fn, data, function_name](
                                Interpreter& interpreter, std::span<const Value> args,
                                std::span<const KeywordArg> kwargs) -> std::optional<Value> {
      try {
        return call_host_function(vm, fn, data->pointer, function_name, interpreter, args, kwargs);
      } catch (const std::bad_alloc&) {
        return interpreter.raise(ErrorKind::MemoryError, "out of memory in host function {}()",
                                 function_name);
      } catch (const std::exception& e) {
        return interpreter.raise(ErrorKind::RuntimeError, "host function {}(): {}", function_name,
                                 e.what());
      }
    };
    gyro_status status = give(vm, make_host_function(name, std::move(body)), out);
    data->armed = true;
    return status;
  });
}

gyro_status gyro_vm_raise(gyro_vm* vm, const char* exception_type, const char* message) {
  return guarded(vm, "gyro_vm_raise", [&] {
    GYRO_API_REQUIRE(exception_type && message, "gyro_vm_raise",
                     "exception_type and message must not be NULL");
    Interpreter& interpreter = *vm->interpreter;
    Value cls = interpreter.builtin_class(exception_type);
    if (!cls.is(ObjectKind::Class) || !cls.as<ClassObject>().is_exception)
      return vm->fail(
          GYRO_ERROR_NOT_FOUND,
          fmt::format("gyro_vm_raise: '{}' is not a builtin exception class", exception_type));
    interpreter.raise_named(exception_type, message);
    return vm->fail(GYRO_ERROR_EXCEPTION, fmt::format("{}: {}", exception_type, message),
                    exception_type);
  });
}

}  // extern "C"
