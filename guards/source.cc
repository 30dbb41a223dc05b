// SourceTable: interning (one id per distinct source) and user-facing names.
#include "guards/source.h"

#include <fmt/format.h>

namespace gyro::guards {

SourceId SourceTable::intern(SourceNode node) {
  std::string key =
      fmt::format("{}|{}|{}|{}", static_cast<int>(node.kind), node.parent, node.index, node.name);
  auto it = index_.find(key);
  if (it != index_.end()) return it->second;
  auto id = static_cast<SourceId>(nodes_.size());
  nodes_.push_back(std::move(node));
  index_.emplace(std::move(key), id);
  return id;
}

SourceId SourceTable::local(int64_t index, std::string_view name) {
  return intern({SourceKind::kLocal, kNoSource, index, std::string(name)});
}
SourceId SourceTable::stack_slot(int64_t index) {
  return intern({SourceKind::kStackSlot, kNoSource, index, {}});
}
SourceId SourceTable::global(std::string_view name) {
  return intern({SourceKind::kGlobal, kNoSource, 0, std::string(name)});
}
SourceId SourceTable::attribute(SourceId parent, std::string_view name) {
  return intern({SourceKind::kAttribute, parent, 0, std::string(name)});
}
SourceId SourceTable::item(SourceId parent, int64_t index) {
  return intern({SourceKind::kItem, parent, index, {}});
}
SourceId SourceTable::length(SourceId parent) {
  return intern({SourceKind::kLength, parent, 0, {}});
}
SourceId SourceTable::dict_key(SourceId dict, int64_t index) {
  return intern({SourceKind::kDictKey, dict, index, {}});
}
SourceId SourceTable::dict_value(SourceId dict, int64_t index, std::string_view key_repr) {
  return intern({SourceKind::kDictValue, dict, index, std::string(key_repr)});
}
SourceId SourceTable::cell(SourceId function, int64_t index, std::string_view name) {
  return intern({SourceKind::kCell, function, index, std::string(name)});
}

std::string SourceTable::describe(SourceId id) const {
  const SourceNode& node = nodes_[id];
  switch (node.kind) {
    case SourceKind::kLocal:
    case SourceKind::kGlobal:
      return node.name;
    case SourceKind::kStackSlot:
      return fmt::format("stack[{}]", node.index);
    case SourceKind::kAttribute:
      return fmt::format("{}.{}", describe(node.parent), node.name);
    case SourceKind::kItem:
      return fmt::format("{}[{}]", describe(node.parent), node.index);
    case SourceKind::kLength:
      return fmt::format("len({})", describe(node.parent));
    case SourceKind::kDictKey:
      return fmt::format("list({})[{}]", describe(node.parent), node.index);
    case SourceKind::kDictValue:
      return fmt::format("{}[{}]", describe(node.parent), node.name);
    case SourceKind::kCell:  // the frame's own free variable reads as its name
      if (node.parent == kNoSource) return node.name;
      return fmt::format("{}.__closure__[{}].cell_contents", describe(node.parent), node.index);
  }
  return "?";
}

}  // namespace gyro::guards
