// Guard checks over a frame's values: source loading without side effects or allocation, and
// one comparison per guard kind.
#include "interp/guard_check.h"

#include <bit>
#include <new>

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
    state_ = inline_state_.data();
    slots_ = inline_slots_.data();
  } else {
    heap_state_ = std::make_unique<uint8_t[]>(sources.size());  // zeroed: kNotLoaded
    heap_slots_.reset(new Slot[sources.size()]);
    state_ = heap_state_.get();
    slots_ = heap_slots_.get();
  }
}

SourceLoader::~SourceLoader() {
  for (std::size_t id = 0; held_count_ > 0; ++id)
    if (state_[id] == kHeld) {
      slots_[id].value.~Value();
      --held_count_;
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

const Value* SourceLoader::load_held(SourceId id, const guards::SourceNode& node) {
  if (state_[id] == kHeld) return &slots_[id].value;
  if (state_[id] == kUnavailable) return nullptr;
  const Value* found = nullptr;
  Value computed;
  switch (node.kind) {
    case SourceKind::kLocal:
    case SourceKind::kStackSlot:
      return load(id);  // read in place, never held
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
    case SourceKind::kCell: {
      // A closure cell's contents: of the frame's own function, or of a function source.
      const Value* closure = subject_.closure;
      if (node.parent != guards::kNoSource) {
        const Value* function = load(node.parent);
        closure = function && function->is(ObjectKind::Function)
                      ? &function->as<FunctionObject>().closure
                      : nullptr;
      }
      if (closure && closure->is(ObjectKind::Tuple)) {
        const auto& cells = closure->as<TupleObject>().items;
        if (node.index >= 0 && node.index < static_cast<int64_t>(cells.size()) &&
            cells[node.index].is(ObjectKind::Cell) && cells[node.index].as<CellObject>().bound)
          found = &cells[node.index].as<CellObject>().value;
      }
      break;
    }
    case SourceKind::kDictKey:
    case SourceKind::kDictValue:
      // By position: the trace guarded every key at its position, so the value is the key's.
      if (const Value* parent = load(node.parent); parent && parent->is(ObjectKind::Dict)) {
        const Dict::Entry* entry =
            parent->as<DictObject>().table.live_entry(static_cast<std::size_t>(node.index));
        if (entry) found = node.kind == SourceKind::kDictKey ? &entry->key : &entry->value;
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
    state_[id] = kUnavailable;
    return nullptr;
  }
  new (&slots_[id].value) Value(*found);
  state_[id] = kHeld;
  ++held_count_;
  return &slots_[id].value;
}

namespace {

// The sizes TENSOR_MATCH checks bind to symbols, for the SHAPE checks after them.
struct Bindings {
  explicit Bindings(const guards::GuardProgram& program) {
    std::fill_n(values, program.num_symbols(), guards::kUnbound);
  }
  int64_t values[guards::kMaxShapeSymbols];
};

bool tensor_matches(const guards::GuardProgram& program, const guards::GuardCheck& check,
                    const Tensor& actual, Bindings& bindings) {
  if (actual.dtype() != check.dtype || actual.dim() != check.rank) return false;
  const int64_t* sizes = program.sizes(check);
  const int64_t* strides = program.strides(check);
  if (check.rank > 0 && strides[0] == guards::kContiguousStrides) {
    // Symbolic sizes: a static one by value, a symbolic one binds its symbol or must equal it.
    for (int d = 0; d < check.rank; ++d) {
      const int64_t size = actual.size(d);
      if (sizes[d] >= 0) {
        if (size != sizes[d]) return false;
        continue;
      }
      int64_t& bound = bindings.values[guards::symbol_of_size(sizes[d])];
      if (bound == guards::kUnbound)
        bound = size;
      else if (bound != size)
        return false;
    }
    return actual.is_contiguous();
  }
  for (int d = 0; d < check.rank; ++d)
    if (actual.size(d) != sizes[d] || actual.stride(d) != strides[d]) return false;
  return true;
}

bool constant_matches(const guards::GuardProgram& program, const guards::GuardCheck& check,
                      const Value& value) {
  switch (check.constant_kind) {
    case Constant::Kind::kNone:
      return value.is_none();
    case Constant::Kind::kBool:
      return value.is_bool() && static_cast<int64_t>(value.as_bool()) == check.value;
    case Constant::Kind::kInt:
      return value.is_int() && value.as_int() == check.value;
    case Constant::Kind::kFloat:
      // Bitwise, so -0.0 and 0.0 (which print differently) are different constants.
      return value.is_float() && std::bit_cast<int64_t>(value.as_float()) == check.value;
    case Constant::Kind::kString:
      return value.is(ObjectKind::Str) && value.as<StrObject>().text == program.text(check);
    case Constant::Kind::kCode:
    case Constant::Kind::kTuple:
    case Constant::Kind::kEllipsis:
      return false;
  }
  return false;
}

// What two inputs must not share: a tensor's storage, or any other object itself.
const void* storage_of(const Value* value) {
  if (!value || !value->is_object()) return nullptr;
  if (!value->is(ObjectKind::TensorBox)) return value->as_object();
  return value->as<TensorBoxObject>().tensor.storage().get();
}

// The source among `check`'s others that shares storage with `value` (or is the same object),
// or kNoSource.
SourceId aliased_with(const guards::GuardProgram& program, const guards::GuardCheck& check,
                      const Value& value, SourceLoader& loader) {
  const void* storage = storage_of(&value);
  if (!storage) return guards::kNoSource;
  for (SourceId other : program.others(check))
    if (storage_of(loader.load(other)) == storage) return other;
  return guards::kNoSource;
}

// Whether one check passes on its loaded value (nullptr: the source could not be loaded).
bool passes(const guards::GuardProgram& program, const guards::GuardCheck& check,
            const Value* value, SourceLoader& loader, Bindings& bindings) {
  if (check.kind == GuardKind::SHAPE)
    return guards::relation_holds_fast(program.relation(check), bindings.values);
  if (!value) return false;
  switch (check.kind) {
    case GuardKind::TYPE_MATCH:
      return type_identity(*value) == check.identity;
    case GuardKind::ID_MATCH:
      return value->is_object() && value->as_object() == check.identity;
    case GuardKind::CONSTANT_MATCH:
      return constant_matches(program, check, *value);
    case GuardKind::LENGTH:
      return value->is_int() && value->as_int() == check.value;
    case GuardKind::TENSOR_MATCH:
      return value->is(ObjectKind::TensorBox) &&
             tensor_matches(program, check, value->as<TensorBoxObject>().tensor, bindings);
    case GuardKind::SYMBOLIC_INT: {
      if (!value->is_int()) return false;
      int64_t& bound = bindings.values[check.value];
      if (bound == guards::kUnbound) {
        bound = value->as_int();
        return true;
      }
      return bound == value->as_int();
    }
    case GuardKind::SHAPE:
      return false;  // decided above, without a value
    case GuardKind::NO_ALIASING:
      return aliased_with(program, check, *value, loader) == guards::kNoSource;
    case GuardKind::DUPLICATE_INPUT: {
      const Value* other = loader.load(program.others(check)[0]);
      return other && value->is_object() && other->is_object() &&
             value->as_object() == other->as_object();
    }
  }
  return false;
}

// The message of a check that failed, in Dynamo's words (made only on a miss).
std::string explain_failure(const guards::SourceTable& sources, const guards::GuardProgram& program,
                            const guards::GuardCheck& check, const Value* value,
                            SourceLoader& loader, const Bindings& bindings) {
  if (check.kind == GuardKind::SHAPE) return std::string(program.text(check));
  std::string name = sources.describe(check.source);
  if (!value) return fmt::format("{} is no longer available", name);
  Guard guard = program.decode(check);
  switch (check.kind) {
    case GuardKind::TYPE_MATCH:
      return guards::type_mismatch(name, guard.type_name, type_name(*value));
    case GuardKind::ID_MATCH:
      return guards::identity_mismatch(name, guard.type_name);
    case GuardKind::CONSTANT_MATCH:
      return guards::constant_mismatch(name, guard.constant);
    case GuardKind::LENGTH:
      return guards::length_mismatch(sources.describe(sources[check.source].parent), guard.length);
    case GuardKind::TENSOR_MATCH:
      if (!value->is(ObjectKind::TensorBox))
        return guards::type_mismatch(name, "Tensor", type_name(*value));
      return guards::tensor_mismatch(
          name, guard.tensor, value->as<TensorBoxObject>().tensor,
          std::span<const int64_t>(bindings.values, program.num_symbols()), program.symbol_names());
    case GuardKind::SYMBOLIC_INT:
      if (!value->is_int()) return guards::type_mismatch(name, "int", type_name(*value));
      return fmt::format("{} == {}", name, program.symbol_names()[check.value]);
    case GuardKind::SHAPE:
      return {};  // explained above
    case GuardKind::NO_ALIASING: {
      std::string other = sources.describe(aliased_with(program, check, *value, loader));
      return value->is(ObjectKind::TensorBox) ? guards::aliasing_mismatch(name, other)
                                              : guards::same_object_mismatch(name, other);
    }
    case GuardKind::DUPLICATE_INPUT:
      return guards::duplicate_mismatch(name, sources.describe(program.others(check)[0]));
  }
  return {};
}

}  // namespace

bool guards_pass(const guards::GuardProgram& program, SourceLoader& loader) {
  Bindings bindings(program);
  for (const guards::GuardCheck& check : program.checks()) {
    const Value* value = check.kind == GuardKind::SHAPE ? nullptr : loader.load(check.source);
    if (!passes(program, check, value, loader, bindings)) return false;
  }
  return true;
}

std::string check_guards(const guards::SourceTable& sources, const guards::GuardProgram& program,
                         SourceLoader& loader) {
  Bindings bindings(program);
  for (const guards::GuardCheck& check : program.checks()) {
    const Value* value = check.kind == GuardKind::SHAPE ? nullptr : loader.load(check.source);
    if (!passes(program, check, value, loader, bindings)) {
      // A TENSOR_MATCH that failed may have bound some of its symbols already; its message
      // compares against the bindings made before it.
      Bindings before(program);
      for (const guards::GuardCheck& earlier : program.checks()) {
        if (&earlier == &check) break;
        if (earlier.kind == GuardKind::TENSOR_MATCH || earlier.kind == GuardKind::SYMBOLIC_INT)
          passes(program, earlier, loader.load(earlier.source), loader, before);
      }
      return explain_failure(sources, program, check, value, loader, before);
    }
  }
  return {};
}

std::string check_guards(const guards::SourceTable& sources, std::span<const Value> keys,
                         const guards::GuardProgram& program, GuardSubject subject) {
  SourceLoader loader(sources, keys, subject);
  return check_guards(sources, program, loader);
}

}  // namespace gyro
