// Dict: linear probing over an index of entry positions; entries compacted when half are dead.
#include "interp/dict.h"

#include <atomic>

#include "interp/objects.h"
#include "interp/python_ops.h"

namespace gyro {

void Dict::new_keys_version() {
  static std::atomic<uint64_t> last_version{0};
  keys_version_ = last_version.fetch_add(1, std::memory_order_relaxed) + 1;
}

std::size_t Dict::probe(const Value& key, uint64_t hash, bool& found) const {
  const std::size_t mask = index_.size() - 1;
  std::size_t slot = hash & mask;
  std::size_t first_deleted = static_cast<std::size_t>(-1);
  while (true) {
    int32_t position = index_[slot];
    if (position == kEmpty) {
      found = false;
      return first_deleted != static_cast<std::size_t>(-1) ? first_deleted : slot;
    }
    if (position == kDeleted) {
      if (first_deleted == static_cast<std::size_t>(-1)) first_deleted = slot;
    } else {
      const Entry& entry = entries_[position];
      if (entry.hash == hash && (identical(entry.key, key) || keys_equal(entry.key, key))) {
        found = true;
        return slot;
      }
    }
    slot = (slot + 1) & mask;
  }
}

void Dict::rebuild(std::size_t capacity) {
  // Drop dead entries, then re-index the live ones.
  std::vector<Entry> live;
  live.reserve(live_);
  for (Entry& entry : entries_)
    if (entry.live) live.push_back(std::move(entry));
  entries_ = std::move(live);
  index_.assign(capacity, kEmpty);
  new_keys_version();
  const std::size_t mask = capacity - 1;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    std::size_t slot = entries_[i].hash & mask;
    while (index_[slot] != kEmpty) slot = (slot + 1) & mask;
    index_[slot] = static_cast<int32_t>(i);
  }
}

Expected<std::optional<Value>> Dict::get(const Value& key) const {
  GYRO_ASSIGN_OR_RETURN(uint64_t hash, hash_value(key));
  if (index_.empty()) return std::optional<Value>();
  bool found = false;
  std::size_t slot = probe(key, hash, found);
  if (!found) return std::optional<Value>();
  return std::optional<Value>(entries_[index_[slot]].value);
}

int64_t Dict::find(const Value& key) const {
  if (index_.empty()) return -1;
  uint64_t hash;
  if (key.is(ObjectKind::Str) && key.as<StrObject>().hash != 0) {
    hash = key.as<StrObject>().hash;  // names and attribute keys: hashed long ago
  } else {
    auto computed = hash_value(key);
    if (!computed.ok()) return -1;
    hash = *computed;
  }
  const std::size_t mask = index_.size() - 1;
  for (std::size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    int32_t position = index_[slot];
    if (position == kEmpty) return -1;
    if (position == kDeleted) continue;
    const Entry& entry = entries_[position];
    if (entry.hash == hash && (identical(entry.key, key) || keys_equal(entry.key, key)))
      return position;
  }
}

Status Dict::set(const Value& key, Value value) {
  GYRO_ASSIGN_OR_RETURN(uint64_t hash, hash_value(key));
  // Keep the index at most 2/3 full, counting dead entries (they still occupy slots).
  if ((entries_.size() + 1) * 3 >= index_.size() * 2) {
    std::size_t capacity = 8;
    while ((live_ + 1) * 3 >= capacity * 2) capacity *= 2;
    rebuild(capacity);
  }
  bool found = false;
  std::size_t slot = probe(key, hash, found);
  if (found) {
    entries_[index_[slot]].value = std::move(value);  // the key keeps its first position
    return {};
  }
  entries_.push_back(Entry{key, std::move(value), hash, true});
  index_[slot] = static_cast<int32_t>(entries_.size() - 1);
  ++live_;
  new_keys_version();
  return {};
}

Expected<bool> Dict::erase(const Value& key) {
  GYRO_ASSIGN_OR_RETURN(uint64_t hash, hash_value(key));
  if (index_.empty()) return false;
  bool found = false;
  std::size_t slot = probe(key, hash, found);
  if (!found) return false;
  Entry& entry = entries_[index_[slot]];
  entry.live = false;
  entry.key = Value();
  entry.value = Value();
  index_[slot] = kDeleted;
  --live_;
  new_keys_version();
  if (entries_.size() > 16 && live_ * 2 < entries_.size()) rebuild(index_.size());
  return true;
}

void Dict::clear() {
  // Detach first: destroying a value may release the last reference to other objects, and the
  // dict must already be in a consistent (empty) state when that happens.
  std::vector<Entry> old = std::move(entries_);
  entries_.clear();
  index_.clear();
  live_ = 0;
  new_keys_version();
  old.clear();
}

}  // namespace gyro
