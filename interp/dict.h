// Dict: the insertion-ordered hash table behind dict objects (CPython's compact layout: an
// entry array in insertion order plus an open-addressing index of entry positions).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "interp/value.h"
#include "ir/error.h"

namespace gyro {

class Dict {
 public:
  struct Entry {
    Value key;
    Value value;
    uint64_t hash = 0;
    bool live = false;
  };

  // Errors: TypeError "unhashable type: 'list'" for keys that cannot be hashed.
  Expected<std::optional<Value>> get(const Value& key) const;
  Status set(const Value& key, Value value);
  Expected<bool> erase(const Value& key);  // false when the key was absent
  void clear();

  std::size_t size() const { return live_; }
  // Calls fn(key, value) in insertion order.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const Entry& entry : entries_)
      if (entry.live) fn(entry.key, entry.value);
  }

 private:
  static constexpr int32_t kEmpty = -1;
  static constexpr int32_t kDeleted = -2;

  // The index slot holding `key`, or where it would go (the first deleted slot seen, else the
  // empty slot that ended the probe); `found` tells which.
  std::size_t probe(const Value& key, uint64_t hash, bool& found) const;
  void rebuild(std::size_t capacity);

  std::vector<Entry> entries_;
  std::vector<int32_t> index_;  // power-of-two size; entry positions, kEmpty or kDeleted
  std::size_t live_ = 0;
};

}  // namespace gyro
