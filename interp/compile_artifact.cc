// Resolving a decoded cache entry on a frame: its identity guards' objects found and checked
// against their recipes and groups, the classes of objects made in the trace found among them.
#include "interp/compile_artifact.h"

#include <algorithm>

#include "interp/guard_check.h"
#include "interp/objects.h"

namespace gyro {

using guards::Guard;
using guards::GuardKind;

std::optional<Capture> resolve_capture(const DecodedCapture& decoded, SourceLoader& loader,
                                       Fingerprints& fingerprints) {
  Capture capture = decoded.capture;
  std::vector<std::pair<uint64_t, Value>> pinned_classes;  // fingerprint, class
  std::vector<const void*> groups;  // the object each identity group pinned
  for (std::size_t i = 0; i < decoded.guards.size(); ++i) {
    Guard guard = decoded.guards[i];
    const IdentityRecipe& recipe = decoded.recipes[i];
    if (recipe.kind != IdentityRecipe::Kind::kNone &&
        recipe.kind != IdentityRecipe::Kind::kBuiltinType) {
      const Value* value = loader.load(guard.source);
      if (!value || !value->is_object()) return std::nullopt;
      Value pinned = *value;
      if (guard.kind == GuardKind::TYPE_MATCH) {
        if (!value->is(ObjectKind::Instance)) return std::nullopt;
        pinned = value->as<InstanceObject>().cls;
      }
      bool same = false;
      switch (recipe.kind) {
        case IdentityRecipe::Kind::kBuiltinFunction:
          same = pinned.is(ObjectKind::Builtin) && pinned.as<BuiltinObject>().self.is_none() &&
                 pinned.as<BuiltinObject>().name == recipe.name;
          break;
        case IdentityRecipe::Kind::kFunction:
          same = pinned.is(ObjectKind::Function) &&
                 fingerprints.function(pinned.as<FunctionObject>()) == recipe.key;
          break;
        case IdentityRecipe::Kind::kClass:
          same = pinned.is(ObjectKind::Class) &&
                 fingerprints.of_class(pinned.as<ClassObject>()) == recipe.key;
          break;
        case IdentityRecipe::Kind::kDType:
          same = pinned.is(ObjectKind::DTypeValue) &&
                 static_cast<uint64_t>(pinned.as<DTypeValueObject>().dtype) == recipe.key;
          break;
        case IdentityRecipe::Kind::kNone:
        case IdentityRecipe::Kind::kBuiltinType:
          break;
      }
      if (!same) return std::nullopt;
      // One object per group, and another object for each other group, as in the trace.
      if (recipe.group >= groups.size()) groups.resize(recipe.group + 1, nullptr);
      if (groups[recipe.group] == nullptr) {
        if (std::find(groups.begin(), groups.end(), pinned.as_object()) != groups.end())
          return std::nullopt;
        groups[recipe.group] = pinned.as_object();
      } else if (groups[recipe.group] != pinned.as_object()) {
        return std::nullopt;
      }
      guard.identity = pinned.as_object();
      if (recipe.kind == IdentityRecipe::Kind::kClass) pinned_classes.emplace_back(recipe.key, pinned);
      capture.keep_alive.push_back(std::move(pinned));
    }
    capture.guards.push_back(guard);
  }
  capture.guards.finish();
  capture.guards.set_symbol_names(decoded.symbol_names);
  // Objects made in the trace: their classes are among the classes just pinned.
  bool classes_found = true;
  auto find_classes = [&](auto& self, ResultPlan& plan) -> void {
    if (plan.kind == ResultPlan::Kind::kNewObject) {
      const auto fingerprint = static_cast<uint64_t>(plan.constant.as_int());
      Value found;
      for (const auto& [key, cls] : pinned_classes)
        if (key == fingerprint) found = cls;
      classes_found = classes_found && !found.is_none();
      plan.constant = found;
    }
    for (ResultPlan& item : plan.items) self(self, item);
  };
  find_classes(find_classes, capture.result);
  for (auto& local : capture.locals)
    if (local) find_classes(find_classes, *local);
  for (ResultPlan& item : capture.stack) find_classes(find_classes, item);
  for (SideEffect& effect : capture.effects) {
    find_classes(find_classes, effect.target);
    for (ResultPlan& arg : effect.args) find_classes(find_classes, arg);
    for (auto& [key, arg] : effect.kwargs) find_classes(find_classes, arg);
  }
  if (!classes_found) return std::nullopt;
  return capture;
}

}  // namespace gyro
