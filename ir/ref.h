// RefCounted and Ref<T>: intrusive, thread-safe reference counting for shared heap objects.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

namespace gyro {

// Base of every shared object (tensor storage now; script objects later). The count lives in
// the object so a Ref is one pointer wide.
class RefCounted {
 public:
  RefCounted() = default;
  RefCounted(const RefCounted&) = delete;
  RefCounted& operator=(const RefCounted&) = delete;

  void retain() const { refcount_.fetch_add(1, std::memory_order_relaxed); }
  // Returns true when this call dropped the last reference.
  bool release() const { return refcount_.fetch_sub(1, std::memory_order_acq_rel) == 1; }
  int32_t use_count() const { return refcount_.load(std::memory_order_relaxed); }

 protected:
  ~RefCounted() = default;

 private:
  mutable std::atomic<int32_t> refcount_{0};
};

// Ref<T>: owns one reference; T provides a static `destroy(T*)` called at zero.
template <typename T>
class Ref {
 public:
  Ref() = default;
  explicit Ref(T* pointer) : pointer_(pointer) {
    if (pointer_) pointer_->retain();
  }
  Ref(const Ref& other) : Ref(other.pointer_) {}
  Ref(Ref&& other) noexcept : pointer_(std::exchange(other.pointer_, nullptr)) {}
  Ref& operator=(Ref other) noexcept {
    std::swap(pointer_, other.pointer_);
    return *this;
  }
  ~Ref() {
    if (pointer_ && pointer_->release()) T::destroy(pointer_);
  }

  T* get() const { return pointer_; }
  T* operator->() const { return pointer_; }
  T& operator*() const { return *pointer_; }
  explicit operator bool() const { return pointer_ != nullptr; }
  friend bool operator==(const Ref& a, const Ref& b) { return a.pointer_ == b.pointer_; }

 private:
  T* pointer_ = nullptr;
};

}  // namespace gyro
