// Containers and objects made in the trace: dicts, list item stores, and instances of script
// classes (their __init__ inlined), which plans rebuild when they outlive the trace.
#include "interp/tracer_impl.h"

namespace gyro::tracing {

// container[key] = value on the caller's own list or dict: replayed after the graph.
bool Tracer::record_set_item(const Sym& container, Value key, const Sym& value) {
  note_store(container);
  auto planned = plan_state(value);
  if (!planned) {
    stop(BreakReason::SideEffect, "storing this value in an existing list or dict");
    return false;
  }
  SideEffect effect;
  effect.kind = SideEffect::Kind::kSetItem;
  effect.target = plan(container);
  ResultPlan key_plan;
  key_plan.constant = std::move(key);
  effect.args.push_back(std::move(key_plan));
  effect.args.push_back(std::move(*planned));
  capture_.effects.push_back(std::move(effect));
  return true;
}

bool Tracer::store_list_item(const Sym& list, int64_t index, const Sym& value) {
  const auto size = static_cast<int64_t>(list.items->size());
  if (index < 0) index += size;
  if (index < 0 || index >= size) {
    stop(BreakReason::UserError, "list assignment index out of range");
    return false;
  }
  if (list.source != kNoSource && !record_set_item(list, Value::integer(index), value))
    return false;
  if (list.source == kNoSource && !may_change(list)) return false;
  (*list.items)[index] = value;
  changed_items_.push_back(list.items);
  if (list.source == kNoSource) made_writes_.push_back(list.items.get());
  return true;
}

int64_t Tracer::dict_find(const Sym& dict, const Value& key) {
  for (std::size_t i = 0; i < dict.items->size(); i += 2)
    if (keys_equal((*dict.items)[i].value, key)) return static_cast<int64_t>(i);
  return -1;
}

std::optional<Value> Tracer::dict_key(const Sym& key) {
  auto value = constant_index(key);
  if (!value) return stop(BreakReason::UnsupportedBuiltin, "a dict key the trace does not know");
  if (!(value->is_none() || value->is_number() || value->is(ObjectKind::Str) ||
        value->is(ObjectKind::Tuple)))
    return stop(BreakReason::UserError, fmt::format("unhashable type: '{}'", type_name(*value)));
  return value;
}

bool Tracer::dict_store(const Sym& dict, const Sym& key, Sym value) {
  auto constant = dict_key(key);
  if (!constant || !may_change(dict)) return false;
  if (dict.source != kNoSource && !record_set_item(dict, *constant, value)) return false;
  if (dict.source == kNoSource) made_writes_.push_back(dict.items.get());
  if (int64_t at = dict_find(dict, *constant); at >= 0) {
    (*dict.items)[at + 1] = std::move(value);
    changed_items_.push_back(dict.items);
  } else {
    dict.items->push_back(Sym::constant(*constant));
    changed_items_.push_back(dict.items);
    dict.items->push_back(std::move(value));
  }
  return true;
}

std::optional<Sym> Tracer::dict_load(const Sym& dict, const Sym& key) {
  auto constant = dict_key(key);
  if (!constant) return std::nullopt;
  if (int64_t at = dict_find(dict, *constant); at >= 0) return (*dict.items)[at + 1];
  return stop(BreakReason::UserError, "KeyError: " + repr(*constant));
}

std::vector<Sym> Tracer::dict_view(const Sym& dict, std::string_view which) {
  std::vector<Sym> out;
  for (std::size_t i = 0; i < dict.items->size(); i += 2) {
    const Sym& key = (*dict.items)[i];
    const Sym& value = (*dict.items)[i + 1];
    if (which == "keys") out.push_back(key);
    if (which == "values") out.push_back(value);
    if (which == "items") out.push_back(Sym::sequence(Sym::Kind::kTuple, {key, value}));
  }
  return out;
}

std::optional<Sym> Tracer::dict_method(const Sym& dict, const std::string& name,
                                       std::span<const Sym> args, bool has_kwargs) {
  if (has_kwargs) return stop(BreakReason::UnsupportedBuiltin, "dict." + name + "() with keywords");
  if ((name == "keys" || name == "values" || name == "items") && args.empty())
    return Sym::sequence(Sym::Kind::kIterator, dict_view(dict, name));
  if (name == "get" && (args.size() == 1 || args.size() == 2)) {
    auto key = dict_key(args[0]);
    if (!key) return std::nullopt;
    if (int64_t at = dict_find(dict, *key); at >= 0) return (*dict.items)[at + 1];
    return args.size() == 2 ? args[1] : Sym::constant(Value());
  }
  return stop(BreakReason::UnsupportedBuiltin, "dict." + name + "()");
}

bool Tracer::may_change(const Sym& made) {
  const void* identity = made.kind == Sym::Kind::kNewObject
                             ? static_cast<const void*>(made.fields.get())
                             : made.items.get();
  if (!planned_.count(identity)) return true;
  stop(BreakReason::SideEffect, "changing a list or object made in the trace after it was stored");
  return false;
}

const Value* Tracer::class_attribute(const Value& cls, const std::string& name) {
  Value key = make_str(name);
  for (const Value* each = &cls; each->is(ObjectKind::Class);
       each = &each->as<ClassObject>().base) {
    const Dict& attributes = each->as<ClassObject>().attributes.as<DictObject>().table;
    if (int64_t position = attributes.find(key); position >= 0)
      return &attributes.value_at(position);
  }
  return nullptr;
}

std::optional<Sym> Tracer::instantiate(const Sym& cls, std::vector<Sym> args,
                                       std::vector<std::pair<std::string, Sym>> kwargs, int depth) {
  Sym object;
  object.kind = Sym::Kind::kNewObject;
  object.value = cls.value;
  object.fields = std::make_shared<Sym::Fields>();
  object.fields->class_source = cls.source;
  const Value* init = class_attribute(cls.value, "__init__");
  if (!init) {
    if (!args.empty() || !kwargs.empty())
      return stop(BreakReason::UserError,
                  fmt::format("{}() takes no arguments", cls.value.as<ClassObject>().name));
    return object;
  }
  if (!init->is(ObjectKind::Function))
    return stop(BreakReason::UnsupportedBuiltin, "an __init__ that is not a script function");
  // The class's __init__ (own or inherited) may be replaced later: guarded through the class.
  SourceId init_source =
      cls.source == kNoSource ? kNoSource : capture_.sources.attribute(cls.source, "__init__");
  guard_identity(init_source, *init);
  args.insert(args.begin(), object);
  auto result = inline_call(*init, std::move(args), std::move(kwargs), depth, nullptr, init_source);
  if (!result) return std::nullopt;
  if (result->kind != Sym::Kind::kConstant || !result->value.is_none())
    return stop(BreakReason::UserError, "__init__() should return None");
  return object;
}

std::optional<Sym> Tracer::new_object_attribute(const Sym& object, const std::string& name) {
  for (auto it = object.fields->values.rbegin(); it != object.fields->values.rend(); ++it)
    if (it->first == name) return it->second;
  const Value* found = class_attribute(object.value, name);
  if (!found)
    return stop(BreakReason::UserError, fmt::format("'{}' object has no attribute '{}'",
                                                    object.value.as<ClassObject>().name, name));
  if (found->is(ObjectKind::Function)) {
    Sym method;
    method.kind = Sym::Kind::kMethod;
    if (object.fields->class_source != kNoSource)
      method.source = capture_.sources.attribute(object.fields->class_source, name);
    guard_identity(method.source, *found);  // a method replaced on the class recompiles
    method.value = *found;
    method.name = name;
    method.items = std::make_shared<std::vector<Sym>>(std::vector<Sym>{object});
    return method;
  }
  SourceId source = object.fields->class_source == kNoSource
                        ? kNoSource
                        : capture_.sources.attribute(object.fields->class_source, name);
  return realize(*found, source);
}

bool Tracer::store_new_object_field(const Sym& object, const std::string& name, Sym value) {
  if (!may_change(object)) return false;
  made_writes_.push_back(object.fields.get());
  for (auto& [field, stored] : object.fields->values)
    if (field == name) {
      stored = std::move(value);
      changed_fields_.push_back(object.fields);
      return true;
    }
  object.fields->values.push_back({name, std::move(value)});
  changed_fields_.push_back(object.fields);
  return true;
}

}  // namespace gyro::tracing
