// Large buffers: 2 MiB-aligned mmap with MADV_HUGEPAGE, cached by size class for reuse.
#include "ir/allocator.h"

#include <sys/mman.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>

#include "ir/assert.h"

namespace gyro {

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::size_t round_up(std::size_t value, std::size_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

// Size classes: large requests round up to a whole number of huge pages, so a buffer freed by
// one op serves the next op of the same size (the common case in a program run repeatedly).
class BufferCache {
 public:
  void* allocate(std::size_t nbytes) {
    std::size_t mapped = round_up(nbytes, kHugePage);
    {
      std::lock_guard lock(mutex_);
      auto it = free_.find(mapped);
      if (it != free_.end() && !it->second.empty()) {
        void* data = it->second.back();
        it->second.pop_back();
        stats_.cached_bytes -= mapped;
        ++stats_.hits;
        return data;
      }
      ++stats_.misses;
    }
    void* data = map_huge(mapped);
    if (data) {
      std::lock_guard lock(mutex_);
      stats_.mapped_bytes += mapped;
    }
    return data;
  }

  void free(void* data, std::size_t nbytes) {
    std::size_t mapped = round_up(nbytes, kHugePage);
    {
      std::lock_guard lock(mutex_);
      if (stats_.cached_bytes + mapped <= limit_) {
        free_[mapped].push_back(data);
        stats_.cached_bytes += mapped;
        return;
      }
      stats_.mapped_bytes -= mapped;
    }
    munmap(data, mapped);
  }

  void set_limit(std::size_t bytes) {
    std::lock_guard lock(mutex_);
    limit_ = bytes;
    trim_locked();
  }

  void release_all() {
    std::lock_guard lock(mutex_);
    std::size_t saved = limit_;
    limit_ = 0;
    trim_locked();
    limit_ = saved;
  }

  BufferCacheStats stats() {
    std::lock_guard lock(mutex_);
    return stats_;
  }

 private:
  static void* map_huge(std::size_t mapped) {
    // Over-map by one huge page so the buffer can start on a 2 MiB boundary, then unmap the
    // slack: only aligned ranges are backed by huge pages.
    std::size_t span = mapped + kHugePage;
    void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    auto start = reinterpret_cast<std::uintptr_t>(raw);
    auto aligned = round_up(start, kHugePage);
    if (aligned > start) munmap(raw, aligned - start);
    std::size_t tail = (start + span) - (aligned + mapped);
    if (tail > 0) munmap(reinterpret_cast<void*>(aligned + mapped), tail);
    void* data = reinterpret_cast<void*>(aligned);
    madvise(data, mapped, MADV_HUGEPAGE);  // advisory: failure only costs speed
    return data;
  }

  void trim_locked() {
    for (auto& [mapped, buffers] : free_) {
      while (!buffers.empty() && stats_.cached_bytes > limit_) {
        munmap(buffers.back(), mapped);
        buffers.pop_back();
        stats_.cached_bytes -= mapped;
        stats_.mapped_bytes -= mapped;
      }
    }
  }

  std::mutex mutex_;
  std::map<std::size_t, std::vector<void*>> free_;
  std::size_t limit_ = std::size_t{4} << 30;
  BufferCacheStats stats_;
};

BufferCache& cache() {
  // Leaked on purpose: tensors held by static objects may be freed after main returns.
  static auto* instance = new BufferCache();
  return *instance;
}

}  // namespace

void* allocate_buffer(std::size_t nbytes) {
  if (nbytes >= kLargeBufferBytes) return cache().allocate(nbytes);
  // Zero-byte tensors still get a unique, aligned pointer.
  return ::operator new (round_up(nbytes == 0 ? 1 : nbytes, kBufferAlignment),
                         std::align_val_t{kBufferAlignment}, std::nothrow);
}

void free_buffer(void* data, std::size_t nbytes) {
  if (!data) return;
  if (nbytes >= kLargeBufferBytes) return cache().free(data, nbytes);
  ::operator delete (data, std::align_val_t{kBufferAlignment});
}

BufferCacheStats buffer_cache_stats() {
  return cache().stats();
}
void set_buffer_cache_limit(std::size_t bytes) {
  cache().set_limit(bytes);
}
void release_cached_buffers() {
  cache().release_all();
}

}  // namespace gyro
