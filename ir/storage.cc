// Storage allocation: small buffers live in the same block as their header (one allocation per
// small tensor, which keeps per-op overhead low); large ones come from the buffer cache.
#include "ir/storage.h"

#include <new>

#include "ir/allocator.h"

namespace gyro {

namespace {
constexpr std::size_t kInlineMaxBytes = 1024;
constexpr std::size_t kHeaderBytes =
    (sizeof(Storage) + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
}  // namespace

Ref<Storage> Storage::allocate(std::size_t nbytes) {
  if (nbytes <= kInlineMaxBytes) {
    void* block = ::operator new(kHeaderBytes + nbytes, std::align_val_t{kBufferAlignment},
                                 std::nothrow);
    if (!block) return {};
    void* data = static_cast<char*>(block) + kHeaderBytes;
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
      storage->~Storage();
      ::operator delete(static_cast<void*>(storage), std::align_val_t{kBufferAlignment});
      return;
    case Owner::kBuffer:
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
