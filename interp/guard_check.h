// Checking guards against a frame's values: each source loaded once (locals, stack slots,
// globals, then attributes, items and lengths of those), each guard checked in the program's
// order; the first failure explains itself.
#pragma once

#include <array>
#include <span>
#include <string>
#include <vector>

#include "guards/guard.h"
#include "interp/value.h"

namespace gyro {

class Dict;

// What guards look at: the frame's locals and live stack, and its globals and builtins.
struct GuardSubject {
  std::span<const Value> locals;
  std::span<const Value> stack;
  const Dict* globals = nullptr;
  const Dict* builtins = nullptr;
};

// The str key of each global and attribute source (None for the others), made once per cache
// entry so that loading allocates nothing.
std::vector<Value> source_keys(const guards::SourceTable& sources);

// Loads sources from a subject, each at most once (loads never run script code).
class SourceLoader {
 public:
  SourceLoader(const guards::SourceTable& sources, std::span<const Value> keys,
               GuardSubject subject);
  // The source's value, or nullptr when it cannot be loaded (a missing attribute or global,
  // an index past the end): a guard on it then fails.
  const Value* load(guards::SourceId id);

 private:
  const guards::SourceTable& sources_;
  std::span<const Value> keys_;
  GuardSubject subject_;
  // Small programs (most) keep their loaded values inline: a cache hit allocates nothing here.
  static constexpr std::size_t kInline = 16;
  std::array<Value, kInline> inline_values_;
  std::array<char, kInline> inline_state_{};
  std::vector<Value> heap_values_;
  std::vector<char> heap_state_;
  Value* values_;
  char* state_;  // 0 not loaded, 1 loaded, 2 unavailable
};

// What TYPE_MATCH compares: an instance's class, or a small key for each builtin kind of value
// (never a valid address), so the check neither allocates nor looks anything up.
const void* type_identity(const Value& value);

// Checks `guards` (in order_guards order) and returns "" when all pass, else the first failure
// in Dynamo's words.
std::string check_guards(const guards::SourceTable& sources, std::span<const Value> keys,
                         std::span<const guards::Guard> guards, GuardSubject subject);
// The same with the caller's loader, whose loaded sources a hit then reuses.
std::string check_guards(const guards::SourceTable& sources, std::span<const guards::Guard> guards,
                         SourceLoader& loader);

}  // namespace gyro
