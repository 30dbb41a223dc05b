// Checking guards against a frame's values: each source loaded once (locals, stack slots,
// globals, then attributes, items and lengths of those), each check of a guard program run in
// order. A hit compares and formats nothing more; a miss explains its first failure.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "guards/guard_program.h"
#include "interp/value.h"

namespace gyro {

class Dict;

// What guards look at: the frame's locals and live stack, and its globals and builtins.
struct GuardSubject {
  std::span<const Value> locals;
  std::span<const Value> stack;
  const Dict* globals = nullptr;
  const Dict* builtins = nullptr;
  const Value* closure = nullptr;  // the frame's function's closure (a tuple of cells), if any
};

// The str key of each global and attribute source (None for the others), made once per cache
// entry so that loading allocates nothing.
std::vector<Value> source_keys(const guards::SourceTable& sources);

// Loads sources from a subject, each at most once (loads never run script code). A local or a
// stack slot is read in place (the frame outlives the loader and nothing a hit runs changes
// it); any other source's value is held by the loader until it is destroyed.
class SourceLoader {
 public:
  SourceLoader(const guards::SourceTable& sources, std::span<const Value> keys,
               GuardSubject subject);
  ~SourceLoader();
  SourceLoader(const SourceLoader&) = delete;
  SourceLoader& operator=(const SourceLoader&) = delete;

  // The source's value, or nullptr when it cannot be loaded (a missing attribute or global,
  // an index past the end): a guard on it then fails.
  const Value* load(guards::SourceId id) {
    const guards::SourceNode& node = sources_[id];
    switch (node.kind) {
      case guards::SourceKind::kLocal:
        return in_place(subject_.locals, node.index);
      case guards::SourceKind::kStackSlot:
        return in_place(subject_.stack, node.index);
      case guards::SourceKind::kGlobal:
      case guards::SourceKind::kAttribute:
      case guards::SourceKind::kItem:
      case guards::SourceKind::kLength:
      case guards::SourceKind::kCell:
      case guards::SourceKind::kDictKey:
      case guards::SourceKind::kDictValue:
        break;
    }
    return load_held(id, node);
  }

  // The object a capture's plans build for made-object slot `slot` (None until built): each is
  // built once per run.
  Value& made(int32_t slot) {
    // The few a result usually has (its tuple and output tensors) stay inline: a hit
    // allocates no table.
    if (static_cast<std::size_t>(slot) < inline_made_.size()) return inline_made_[slot];
    const std::size_t index = static_cast<std::size_t>(slot) - inline_made_.size();
    if (made_.size() <= index) made_.resize(index + 1);
    return made_[index];
  }

 private:
  static const Value* in_place(std::span<const Value> values, int64_t index) {
    return static_cast<uint64_t>(index) < values.size() ? &values[index] : nullptr;
  }
  const Value* load_held(guards::SourceId id, const guards::SourceNode& node);

  enum State : uint8_t { kNotLoaded, kHeld, kUnavailable };
  // Storage for one held value, constructed only when the source is loaded (a hit on locals
  // constructs and destroys nothing).
  union Slot {
    Slot() {}
    ~Slot() {}
    Value value;
  };

  const guards::SourceTable& sources_;
  std::span<const Value> keys_;
  GuardSubject subject_;
  int held_count_ = 0;
  // Small programs (most) keep their state inline: a hit allocates nothing here.
  static constexpr std::size_t kInline = 16;
  std::array<uint8_t, kInline> inline_state_{};
  std::array<Slot, kInline> inline_slots_;
  std::unique_ptr<uint8_t[]> heap_state_;
  std::unique_ptr<Slot[]> heap_slots_;
  uint8_t* state_;
  Slot* slots_;
  std::array<Value, 8> inline_made_;  // built objects by slot, the first eight
  std::vector<Value> made_;           // the others (allocated only when a plan has more)
};

// What TYPE_MATCH compares: an instance's class, or a small key for each builtin kind of value
// (never a valid address), so the check neither allocates nor looks anything up.
const void* type_identity(const Value& value);

// True when every check of `program` (finished, so in checking order) passes. Formats nothing.
bool guards_pass(const guards::GuardProgram& program, SourceLoader& loader);
// "" when all checks pass, else the first failure in Dynamo's words.
std::string check_guards(const guards::SourceTable& sources, const guards::GuardProgram& program,
                         SourceLoader& loader);
// The same with a loader of its own.
std::string check_guards(const guards::SourceTable& sources, std::span<const Value> keys,
                         const guards::GuardProgram& program, GuardSubject subject);

}  // namespace gyro
