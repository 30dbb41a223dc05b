// Special-method lookup on script classes: the class chain only, as CPython looks them up on
// the type (an instance attribute named __len__ does not count).
#include "interp/special_methods.h"

#include "interp/interpreter.h"
#include "interp/python_ops.h"

namespace gyro {

std::optional<Value> special_method(const Value& instance, std::string_view name) {
  if (!instance.is(ObjectKind::Instance)) return std::nullopt;
  Value key = make_str(std::string(name));
  for (Value cls = instance.as<InstanceObject>().cls; cls.is(ObjectKind::Class);
       cls = cls.as<ClassObject>().base) {
    auto found = cls.as<ClassObject>().attributes.as<DictObject>().table.get(key);
    if (found.ok() && found->has_value()) {
      if (!(*found)->is(ObjectKind::Function)) return std::nullopt;
      return Value::object(new BoundMethodObject(instance, **found));
    }
  }
  return std::nullopt;
}

std::optional<int64_t> call_len(Interpreter& vm, const Value& len_method) {
  auto length = vm.call(len_method, {});
  if (!length) return std::nullopt;
  if (!length->is_integral())
    return vm.raise(ErrorKind::TypeError, "'{}' object cannot be interpreted as an integer",
                    type_name(*length));
  if (length->as_int() < 0) return vm.raise(ErrorKind::ValueError, "__len__() should return >= 0");
  return length->as_int();
}

std::optional<bool> truth_of(Interpreter& vm, const Value& value) {
  if (value.is(ObjectKind::Instance)) {
    if (auto method = special_method(value, "__bool__")) {
      auto truth = vm.call(*method, {});
      if (!truth) return std::nullopt;
      if (!truth->is_bool())
        return vm.raise(ErrorKind::TypeError, "__bool__ should return bool, returned {}",
                        type_name(*truth));
      return truth->as_bool();
    }
    if (auto method = special_method(value, "__len__")) {
      auto length = call_len(vm, *method);
      if (!length) return std::nullopt;
      return *length != 0;
    }
    return true;
  }
  auto truth = truthy(value);
  if (!truth.ok()) return vm.raise(truth.error());
  return *truth;
}

}  // namespace gyro
