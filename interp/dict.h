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

  // For the VM's inline caches: an entry keeps its position while keys_version() is unchanged.
  // Adding or removing a key (or compacting) takes a new version, unique across all dicts;
  // replacing a value does not.
  uint64_t keys_version() const { return keys_version_; }
  // The position of `key`'s entry, or -1 when absent (a key that cannot be hashed is absent).
  int64_t find(const Value& key) const;
  Value& value_at(std::size_t position) { return entries_[position].value; }
  const Value& value_at(std::size_t position) const { return entries_[position].value; }
  // The entry of the `index`-th live key in insertion order, or nullptr past the end.
  const Entry* live_entry(std::size_t index) const {
    if (live_ == entries_.size()) return index < entries_.size() ? &entries_[index] : nullptr;
    for (const Entry& entry : entries_)
      if (entry.live && index-- == 0) return &entry;
    return nullptr;
  }
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
  void new_keys_version();

  std::vector<Entry> entries_;
  std::vector<int32_t> index_;  // power-of-two size; entry positions, kEmpty or kDeleted
  std::size_t live_ = 0;
  uint64_t keys_version_ = 0;  // 0 for an empty dict that never had a key: no cache holds 0
};

}  // namespace gyro
