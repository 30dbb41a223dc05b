// Sources: where a traced value came from, relative to a frame (a local, a global, then
// attributes, items and lengths of those), interned in a table so a guard program loads each
// source once and names it the way a user wrote it (`x`, `self.linear.weight`, `xs[2]`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gyro::guards {

using SourceId = int32_t;
inline constexpr SourceId kNoSource = -1;

enum class SourceKind : uint8_t {
  kLocal,      // locals[index], called `name`
  kStackSlot,  // the operand stack at `index` (a resume point's live values)
  kGlobal,     // globals[name]
  kAttribute,  // parent.name
  kItem,       // parent[index]
  kLength,     // len(parent)
  kDictKey,    // the `index`-th key of dict parent, in insertion order
  kDictValue,  // the value of dict parent's `index`-th key (written `name`)
  kCell,       // the contents of closure cell `index` (named `name`) of function parent, or of
               // the frame's own function when parent is kNoSource
};

struct SourceNode {
  SourceKind kind;
  SourceId parent = kNoSource;
  int64_t index = 0;
  std::string name;
};

class SourceTable {
 public:
  SourceId local(int64_t index, std::string_view name);
  SourceId stack_slot(int64_t index);
  SourceId global(std::string_view name);
  SourceId attribute(SourceId parent, std::string_view name);
  SourceId item(SourceId parent, int64_t index);
  SourceId length(SourceId parent);
  SourceId cell(SourceId function, int64_t index, std::string_view name);
  SourceId dict_key(SourceId dict, int64_t index);
  SourceId dict_value(SourceId dict, int64_t index, std::string_view key_repr);

  // Drops the interning index once no source will be added (a finished capture keeps only
  // the nodes: smaller cache entries).
  void freeze() {
    index_ = {};
    nodes_.shrink_to_fit();
  }

  const SourceNode& operator[](SourceId id) const { return nodes_[id]; }
  std::size_t size() const { return nodes_.size(); }
  // As the user wrote it: x, self.linear.weight, xs[2], len(xs), stack[1].
  std::string describe(SourceId id) const;

 private:
  SourceId intern(SourceNode node);
  std::vector<SourceNode> nodes_;  // parents before children: ids are a loading order
  std::unordered_map<std::string, SourceId> index_;
};

}  // namespace gyro::guards
