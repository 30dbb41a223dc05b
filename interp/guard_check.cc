// Guard checks over a frame's values: source loading without side effects or allocation, and
// one comparison per guard kind.
#include "interp/guard_check.h"

#include <bit>

#include "interp/dict.h"
#include "interp/objects.h"
#include "interp/python_ops.h"

namespace gyro {

using guards::Guard;
using guards::GuardKind;
using guards::SourceId;
using guards::SourceKind;

const void* type_identity(const Value& value) {
  if (value.is(ObjectKind::Instance)) return value.as<InstanceObject>().cls.as_object();
  auto key = static_cast<uintptr_t>(value.tag()) + 1;
  if (value.is_object()) key += 16 + static_cast<uintptr_t>(value.as_object()->kind());
  return reinterpret_cast<const void*>(key);
}

std::vector<Value> source_keys(const guards::SourceTable& sources) {
  std::vector<Value> keys(sources.size());
  for (std::size_t id = 0; id < sources.size(); ++id) {
    const auto& node = sources[static_cast<SourceId>(id)];
    if (node.kind == SourceKind::kGlobal || node.kind == SourceKind::kAttribute)
      keys[id] = make_str(node.name);
  }
  return keys;
}

SourceLoader::SourceLoader(const guards::SourceTable& sources, std::span<const Value> keys,
                           GuardSubject subject)
    : sources_(sources), keys_(keys), subject_(subject) {
  if (sources.size() <= kInline) {
    values_ = inline_values_.data();
    state_ = inline_state_.data();
  } else {
    heap_values_.resize(sources.size());
    heap_state_.assign(sources.size(), 0);
    values_ = heap_values_.data();
    state_ = heap_state_.data();
  }
}

namespace {

// obj.name without running code: an instance's own attribute, else its class chain's; a
// class's attribute through its bases.
const Value* load_attribute(const Value& object, const Value& key) {
  auto in_classes = [&](const Value* cls) -> const Value* {
    for (; cls->is(ObjectKind::Class); cls = &cls->as<ClassObject>().base) {
      const Dict& attributes = cls->as<ClassObject>().attributes.as<DictObject>().table;
      if (int64_t position = attributes.find(key); position >= 0)
        return &attributes.value_at(position);
    }
    return nullptr;
  };
  if (object.is(ObjectKind::Instance)) {
    const auto& instance = object.as<InstanceObject>();
    const Dict& own = instance.attributes.as<DictObject>().table;
    if (int64_t position = own.find(key); position >= 0) return &own.value_at(position);
    return in_classes(&instance.cls);
  }
  if (object.is(ObjectKind::Class)) return in_classes(&object);
  return nullptr;
}

}  // namespace

const Value* SourceLoader::load(SourceId id) {
  if (state_[id] == 1) return &values_[id];
  if (state_[id] == 2) return nullptr;
  const guards::SourceNode& node = sources_[id];
  const Value* found = nullptr;
  Value computed;
  switch (node.kind) {
    case SourceKind::kLocal:
      if (node.index < static_cast<int64_t>(subject_.locals.size()))
        found = &subject_.locals[node.index];
      break;
    case SourceKind::kStackSlot:
      if (node.index < static_cast<int64_t>(subject_.stack.size()))
        found = &subject_.stack[node.index];
      break;
    case SourceKind::kGlobal: {
      // As LOAD_GLOBAL: the module's globals, then builtins.
      const Value& key = keys_[id];
      for (const Dict* dict : {subject_.globals, subject_.builtins}) {
        if (!dict) continue;
        if (int64_t position = dict->find(key); position >= 0) {
          found = &dict->value_at(position);
          break;
        }
      }
      break;
    }
    case SourceKind::kAttribute:
      if (const Value* parent = load(node.parent)) found = load_attribute(*parent, keys_[id]);
      break;
    case SourceKind::kItem:
      if (const Value* parent = load(node.parent)) {
        if (parent->is(ObjectKind::List) || parent->is(ObjectKind::Tuple)) {
          const auto& items = sequence_items(*parent);
          if (node.index >= 0 && node.index < static_cast<int64_t>(items.size()))
            found = &items[node.index];
        }
      }
      break;
    case SourceKind::kLength:
      if (const Value* parent = load(node.parent)) {
        if (parent->is(ObjectKind::List) || parent->is(ObjectKind::Tuple)) {
          computed = Value::integer(static_cast<int64_t>(sequence_items(*parent).size()));
          found = &computed;
        } else if (parent->is(ObjectKind::Dict)) {
          computed = Value::integer(static_cast<int64_t>(parent->as<DictObject>().table.size()));
          found = &computed;
        }
      }
      break;
  }
  if (!found) {
    state_[id] = 2;
    return nullptr;
  }
  values_[id] = *found;
  state_[id] = 1;
  return &values_[id];
}

namespace {

bool tensor_matches(const guards::TensorMatch& expected, const Tensor& actual) {
  if (actual.dtype() != expected.dtype || actual.dim() != expected.sizes.size()) return false;
  for (int d = 0; d < actual.dim(); ++d)
    if (actual.size(d) != expected.sizes[d] || actual.stride(d) != expected.strides[d])
      return false;
  return true;
}

bool constant_matches(const Value& value, const Constant& constant) {
  switch (constant.kind()) {
    case Constant::Kind::kNone:
      return value.is_none();
    case Constant::Kind::kBool:
      return value.is_bool() && value.as_bool() == constant.as_bool();
    case Constant::Kind::kInt:
      return value.is_int() && value.as_int() == constant.as_int();
    case Constant::Kind::kFloat:
      // Bitwise, so -0.0 and 0.0 (which print differently) are different constants.
      return value.is_float() && std::bit_cast<uint64_t>(value.as_float()) ==
                                     std::bit_cast<uint64_t>(constant.as_float());
    case Constant::Kind::kString:
      return value.is(ObjectKind::Str) && value.as<StrObject>().text == constant.as_string();
    default:
      return false;
  }
}

}  // namespace

std::string check_guards(const guards::SourceTable& sources, std::span<const Value> keys,
                         std::span<const Guard> guards, GuardSubject subject) {
  SourceLoader loader(sources, keys, subject);
  return check_guards(sources, guards, loader);
}

std::string check_guards(const guards::SourceTable& sources, std::span<const Guard> guards,
                         SourceLoader& loader) {
  for (const Guard& guard : guards) {
    const Value* value = loader.load(guard.source);
    auto name = [&] { return sources.describe(guard.source); };
    if (!value) return fmt::format("{} is no longer available", name());
    switch (guard.kind) {
      case GuardKind::TYPE_MATCH:
        if (type_identity(*value) != guard.identity)
          return guards::type_mismatch(name(), guard.type_name, type_name(*value));
        break;
      case GuardKind::ID_MATCH:
        if (!value->is_object() || value->as_object() != guard.identity)
          return guards::identity_mismatch(name(), guard.type_name);
        break;
      case GuardKind::CONSTANT_MATCH:
        if (!constant_matches(*value, guard.constant))
          return guards::constant_mismatch(name(), guard.constant);
        break;
      case GuardKind::LENGTH:
        if (!value->is_int() || value->as_int() != guard.length)
          return guards::length_mismatch(sources.describe(sources[guard.source].parent),
                                         guard.length);
        break;
      case GuardKind::TENSOR_MATCH: {
        if (!value->is(ObjectKind::TensorBox))
          return guards::type_mismatch(name(), "Tensor", type_name(*value));
        // The common case compares and formats nothing; the message is made on a failure.
        const Tensor& tensor = value->as<TensorBoxObject>().tensor;
        if (!tensor_matches(guard.tensor, tensor))
          return guards::tensor_mismatch(name(), guard.tensor, tensor);
        break;
      }
      case GuardKind::NO_ALIASING: {
        if (!value->is(ObjectKind::TensorBox)) break;
        const void* storage = value->as<TensorBoxObject>().tensor.storage().get();
        for (SourceId other : guard.unaliased) {
          const Value* other_value = loader.load(other);
          if (other_value && other_value->is(ObjectKind::TensorBox) &&
              other_value->as<TensorBoxObject>().tensor.storage().get() == storage)
            return guards::aliasing_mismatch(name(), sources.describe(other));
        }
        break;
      }
    }
  }
  return {};
}

}  // namespace gyro
