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
  Storage(void* data, std::size_t nbytes, Owner owner)
      : data_(data), nbytes_(nbytes), owner_(owner) {}
  ~Storage() = default;

  void* data_;
  std::size_t nbytes_;
  Owner owner_;
  ExternalDeleter deleter_ = nullptr;
  void* deleter_context_ = nullptr;
};

}  // namespace gyro
