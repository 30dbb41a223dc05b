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

struct CodeCache {
  std::shared_ptr<const Code> code;  // kept alive while cached
  std::vector<Value> names;          // code.names as str values
  std::vector<Value> constants;      // code.constants as values
  std::vector<GlobalSlot> globals;   // one per name
  std::size_t frame_size = 0;        // locals + cells + free cells + max stack
  std::size_t local_count = 0;
  std::size_t stack_offset = 0;  // where the operand stack starts (after locals and cells)
  // Positional arguments bind one to one: no *args, no cells to set up.
  bool plain_arguments = false;
};

}  // namespace gyro
