// Object kinds' names, destruction, and constructors.
#include "interp/objects.h"

#include "interp/operand_checks.h"

namespace gyro {

std::string_view object_kind_name(ObjectKind kind) {
  switch (kind) {
#define OBJECT_KIND(name, type_name) \
  case ObjectKind::name:             \
    return type_name;
#include "interp/object_kinds.def"
#undef OBJECT_KIND
  }
  GYRO_UNREACHABLE("bad object kind {}", static_cast<int>(kind));
}

void Object::destroy(Object* object) {
  switch (object->kind()) {
#define OBJECT_KIND(name, type_name)           \
  case ObjectKind::name:                       \
    delete static_cast<name##Object*>(object); \
    return;
#include "interp/object_kinds.def"
#undef OBJECT_KIND
  }
  GYRO_UNREACHABLE("bad object kind {}", static_cast<int>(object->kind()));
}

std::vector<Value> DictViewObject::items() const {
  std::vector<Value> out;
  dict.as<DictObject>().table.for_each([&](const Value& key, const Value& value) {
    switch (which) {
      case Which::kKeys:
        out.push_back(key);
        break;
      case Which::kValues:
        out.push_back(value);
        break;
      case Which::kItems:
        out.push_back(make_tuple({key, value}));
        break;
    }
  });
  return out;
}

int64_t RangeObject::length() const {
  // Computed in 128 bits: stop - start may overflow int64.
  __int128 span = static_cast<__int128>(stop) - start;
  if (step > 0) return span <= 0 ? 0 : static_cast<int64_t>((span + step - 1) / step);
  return span >= 0 ? 0 : static_cast<int64_t>((span + step + 1) / step);
}

namespace {
// Hands a fresh object (refcount 0) to a Value, which takes the first reference.
Value adopt(Object* object) {
  return Value::object(object);
}
}  // namespace

Value make_str(std::string text) {
  return adopt(new StrObject(std::move(text)));
}
const char* make_function_operands_error(const Value& shell, const Value& closure,
                                         const Value& defaults) {
  if (!shell.is(ObjectKind::Function)) return "a function shell (a code constant) on top";
  if (!defaults.is_none() && !defaults.is(ObjectKind::Tuple)) return "a tuple of defaults";
  if (closure.is_none()) return nullptr;
  if (!closure.is(ObjectKind::Tuple)) return "a tuple of cells for the closure";
  for (const Value& cell : closure.as<TupleObject>().items)
    if (!cell.is(ObjectKind::Cell)) return "a tuple of cells for the closure";
  return nullptr;
}

const char* list_operand_error(const Value& target) {
  return target.is(ObjectKind::List) ? nullptr : "a list at its operand's depth";
}

const char* call_kw_names_error(const Value& names, uint32_t count) {
  if (!names.is(ObjectKind::Tuple) || names.as<TupleObject>().items.size() > count)
    return "a tuple of at most as many keyword names as arguments on top";
  for (const Value& name : names.as<TupleObject>().items)
    if (!name.is(ObjectKind::Str)) return "str keyword names";
  return nullptr;
}

Value make_list(std::vector<Value> items) {
  return adopt(new ListObject(std::move(items)));
}
Value make_tuple(std::vector<Value> items) {
  return adopt(new TupleObject(std::move(items)));
}
Value make_dict() {
  return adopt(new DictObject());
}
Value make_range(int64_t start, int64_t stop, int64_t step) {
  GYRO_ASSERT(step != 0, "range step 0 reached make_range");
  return adopt(new RangeObject(start, stop, step));
}
Value make_slice(Value start, Value stop, Value step) {
  return adopt(new SliceObject(std::move(start), std::move(stop), std::move(step)));
}
Value make_cell() {
  return adopt(new CellObject());
}
Value make_tensor(Tensor tensor) {
  return adopt(new TensorBoxObject(std::move(tensor)));
}
Value make_sparse_tensor(Tensor indices, Tensor values, Dims sizes) {
  return adopt(new SparseTensorObject(std::move(indices), std::move(values), sizes));
}

// The singletons are created on first use and deliberately leaked (a function-local static
// would be destroyed at exit while values in other statics may still refer to it).
Value dtype_value(DType dtype) {
  static const auto* const kDTypes = [] {
    auto* values = new std::vector<Value>();
    for (int i = 0; i < kNumDTypes; ++i)
      values->push_back(adopt(new DTypeValueObject(static_cast<DType>(i))));
    return values;
  }();
  return (*kDTypes)[static_cast<int>(dtype)];
}
Value ellipsis_value() {
  static const auto* const kEllipsis = new Value(adopt(new EllipsisObject()));
  return *kEllipsis;
}

Value make_class(std::string name, Value base) {
  Value cls = adopt(new ClassObject(std::move(name)));
  auto& object = cls.as<ClassObject>();
  object.base = std::move(base);
  object.attributes = make_dict();
  object.is_exception =
      object.base.is(ObjectKind::Class) && object.base.as<ClassObject>().is_exception;
  return cls;
}
Value make_host_function(std::string name, HostFunctionBody body) {
  return Value::object(new HostFunctionObject(std::move(name), std::move(body)));
}

Value make_instance(Value cls) {
  Value instance = adopt(new InstanceObject(std::move(cls)));
  instance.as<InstanceObject>().attributes = make_dict();
  return instance;
}

}  // namespace gyro
