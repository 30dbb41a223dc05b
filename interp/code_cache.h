// CodeCache: what the VM derives once per code object: its names and constants as values, and
// an inline cache per name that makes a global lookup one version check.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "interp/value.h"
#include "ir/code.h"

namespace gyro {

// Where LOAD_GLOBAL last found a name: valid while the dicts' key versions are unchanged
// (Dict::keys_version), since values are read from the entry's position.
struct GlobalSlot {
  uint64_t globals_version = 0;   // 0: empty slot (no dict has version 0 after a key is added)
  uint64_t builtins_version = 0;  // nonzero when the name was found in builtins
  int64_t position = -1;
};

// Where an attribute was last found in an instance's own dict (valid for a dict with the same
// key version: in practice the same instance, as in a loop over `self.count`).
struct AttributeSlot {
  uint64_t version = 0;
  int64_t position = -1;  // -1: empty
};

// Where LOAD_METHOD last found a method: absent from an instance dict of `own_version` (0 for
// every dict that never had a key), at `position` of class `cls`'s dict of `class_version`.
struct MethodSlot {
  uint64_t own_version = 0;
  const void* cls = nullptr;  // null: empty
  uint64_t class_version = 0;
  int64_t position = -1;
};

struct CodeCache {
  std::shared_ptr<const Code> code;       // kept alive while cached
  std::vector<Value> names;               // code.names as str values
  std::vector<Value> constants;           // code.constants as values
  std::vector<GlobalSlot> globals;        // one per name
  std::vector<AttributeSlot> attributes;  // one per name
  std::vector<MethodSlot> methods;        // one per name
  std::size_t frame_size = 0;             // locals + cells + free cells + max stack
  std::size_t local_count = 0;
  std::size_t stack_offset = 0;  // where the operand stack starts (after locals and cells)
  // Positional arguments bind one to one: no *args, no cells to set up.
  bool plain_arguments = false;
};

}  // namespace gyro
