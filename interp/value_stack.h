// ValueStack: the storage every VM frame takes its locals, cells and operand stack from, in
// last-in-first-out order (CPython's data stack), so a call allocates nothing.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

#include "interp/value.h"

namespace gyro {

class ValueStack {
 public:
  // `count` contiguous values, all None. They never move until released.
  Value* allocate(std::size_t count) {
    Chunk& chunk = chunks_[current_];
    if (chunk.used + count <= chunk.size) {
      Value* base = chunk.values.get() + chunk.used;
      chunk.used += count;
      return base;
    }
    return allocate_in_next_chunk(count);
  }

  // Gives back the last `count` values allocated (at `base`), resetting the ones before
  // `live_end` to None so the objects they held are released (the caller knows the values
  // from live_end on hold no object).
  void release(Value* base, std::size_t count, Value* live_end) {
    for (Value* value = base; value < live_end; ++value) *value = Value();
    Chunk& chunk = chunks_[current_];
    chunk.used -= count;
    if (chunk.used == 0 && current_ > 0) --current_;
  }

  ValueStack() { chunks_.push_back(make_chunk(kFirstChunkValues)); }

 private:
  // The first chunk is small (16 KiB) because most VMs run shallow programs and a host may
  // make many VMs; each later chunk doubles, up to 64 Ki values (1 MiB), so deep recursion
  // takes a few large chunks.
  static constexpr std::size_t kFirstChunkValues = std::size_t{1} << 10;
  static constexpr std::size_t kChunkValues = std::size_t{1} << 16;

  struct Chunk {
    std::unique_ptr<Value[]> values;
    std::size_t size = 0;
    std::size_t used = 0;
  };

  static Chunk make_chunk(std::size_t size) {
    return Chunk{std::make_unique<Value[]>(size), size, 0};
  }

  Value* allocate_in_next_chunk(std::size_t count) {
    if (count == 0) return chunks_[current_].values.get();
    ++current_;
    if (current_ == chunks_.size()) {
      std::size_t grown = std::min(kChunkValues, chunks_.back().size * 2);
      chunks_.push_back(make_chunk(std::max(grown, count)));
    }
    Chunk& chunk = chunks_[current_];
    // Chunks past the current one are empty; a too-small one is replaced.
    if (chunk.size < count) chunk = make_chunk(count);
    chunk.used = count;
    return chunk.values.get();
  }

  std::vector<Chunk> chunks_;
  std::size_t current_ = 0;
};

}  // namespace gyro
