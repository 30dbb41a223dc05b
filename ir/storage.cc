// Storage allocation: small buffers live in the same block as their header (one allocation per
// small tensor, which keeps per-op overhead low); large ones come from the buffer cache.
#include "ir/storage.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "ir/allocator.h"

namespace gyro {

namespace {
// Small tensors share one malloc'd block with their header; the data starts at the first
// 64-byte boundary after the header. (malloc plus padding is much cheaper than glibc's
// aligned allocation, which dominated the cost of a 16-element op.)
constexpr std::size_t kInlineMaxBytes = 1024;
constexpr std::size_t kInlineBlockBytes = sizeof(Storage) + kBufferAlignment;

// Relaxed: the count only has to be exact once the threads that allocate have joined.
std::atomic<std::size_t> memory_in_use{0};
std::atomic<std::size_t> memory_limit{0};

// Counts `nbytes` in, or refuses them when they would pass the limit. Small storages are always
// granted: scalars (which ops make without a way to fail) must never fail.
bool reserve(std::size_t nbytes) {
  std::size_t before = memory_in_use.fetch_add(nbytes, std::memory_order_relaxed);
  std::size_t limit = memory_limit.load(std::memory_order_relaxed);
  const bool fits = before + nbytes >= before && before + nbytes <= limit;  // no wrap-around
  if (limit == 0 || nbytes <= kInlineMaxBytes || fits) return true;
  memory_in_use.fetch_sub(nbytes, std::memory_order_relaxed);
  return false;
}
void unreserve(std::size_t nbytes) {
  memory_in_use.fetch_sub(nbytes, std::memory_order_relaxed);
}
}  // namespace

std::size_t tensor_memory_in_use() {
  return memory_in_use.load(std::memory_order_relaxed);
}
void set_tensor_memory_limit(std::size_t bytes) {
  memory_limit.store(bytes, std::memory_order_relaxed);
}

Ref<Storage> Storage::allocate(std::size_t nbytes) {
  if (!reserve(nbytes)) return {};
  Ref<Storage> storage = allocate_unreserved(nbytes);
  if (!storage) unreserve(nbytes);
  return storage;
}

Ref<Storage> Storage::allocate_unreserved(std::size_t nbytes) {
  if (nbytes <= kInlineMaxBytes) {
    void* block = std::malloc(kInlineBlockBytes + nbytes);
    if (!block) return {};
    auto after_header = reinterpret_cast<std::uintptr_t>(block) + sizeof(Storage);
    auto aligned = (after_header + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
    void* data = reinterpret_cast<void*>(aligned);
    return Ref<Storage>(new (block) Storage(data, nbytes, Owner::kInline));
  }
  void* data = allocate_buffer(nbytes);
  if (!data) return {};
  auto* storage = new (std::nothrow) Storage(data, nbytes, Owner::kBuffer);
  if (!storage) {
    free_buffer(data, nbytes);
    return {};
  }
  return Ref<Storage>(storage);
}

Ref<Storage> Storage::wrap_external(void* data, std::size_t nbytes, ExternalDeleter deleter,
                                    void* context) {
  auto* storage = new Storage(data, nbytes, Owner::kExternal);
  storage->deleter_ = deleter;
  storage->deleter_context_ = context;
  return Ref<Storage>(storage);
}

void Storage::destroy(Storage* storage) {
  switch (storage->owner_) {
    case Owner::kInline:
      unreserve(storage->nbytes_);
      storage->~Storage();
      std::free(static_cast<void*>(storage));
      return;
    case Owner::kBuffer:
      unreserve(storage->nbytes_);
      free_buffer(storage->data_, storage->nbytes_);
      delete storage;
      return;
    case Owner::kExternal:
      if (storage->deleter_) storage->deleter_(storage->deleter_context_);
      delete storage;
      return;
  }
}

}  // namespace gyro
