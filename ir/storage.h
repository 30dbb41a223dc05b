// Storage: a refcounted block of tensor memory that views share.
#pragma once

#include <cstddef>

#include "ir/ref.h"

namespace gyro {

class Storage : public RefCounted {
 public:
  using ExternalDeleter = void (*)(void* context);

  // A new buffer of `nbytes` (uninitialized, 64-byte aligned); a null Ref when out of memory.
  static Ref<Storage> allocate(std::size_t nbytes);
  // Memory owned by someone else (a host array, a DLPack tensor); `deleter(context)` runs when
  // the last view goes.
  static Ref<Storage> wrap_external(void* data, std::size_t nbytes, ExternalDeleter deleter,
                                    void* context);
  static void destroy(Storage* storage);

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }
  // Memory from wrap_external (a host's, or a mapped file's), not gyro's allocator.
  bool is_external() const { return owner_ == Owner::kExternal; }

 private:
  enum class Owner : unsigned char { kInline, kBuffer, kExternal };
  static Ref<Storage> allocate_unreserved(std::size_t nbytes);
  Storage(void* data, std::size_t nbytes, Owner owner)
      : data_(data), nbytes_(nbytes), owner_(owner) {}
  ~Storage() = default;

  void* data_;
  std::size_t nbytes_;
  Owner owner_;
  ExternalDeleter deleter_ = nullptr;
  void* deleter_context_ = nullptr;
};

// The bytes the storages gyro allocated hold now (external storages, such as mapped files and
// host buffers, do not count).
std::size_t tensor_memory_in_use();
// A cap on tensor_memory_in_use() (0, the default, means none): an allocation of more than
// 1 KiB past it fails, which ops report as MemoryError (smaller ones, scalars among them,
// always succeed). For hosts that run untrusted programs (the fuzzers do).
void set_tensor_memory_limit(std::size_t bytes);

}  // namespace gyro
