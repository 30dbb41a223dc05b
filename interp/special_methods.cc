// Special-method lookup on script classes: the class chain only, as CPython looks them up on
// the type (an instance attribute named __len__ does not count).
#include "interp/special_methods.h"

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

}  // namespace gyro
