// A fixed-count list that lives on the native stack when it is short: the per-call lists of a
// compiled function's hot path (a run's values, a kernel's inputs and registers) allocate
// nothing in the usual case.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

namespace gyro {

template <typename T, std::size_t kInline>
class InlineSlots {
 public:
  explicit InlineSlots(std::size_t count) : count_(count) {
    if (count > kInline) heap_.resize(count);
    data_ = count > kInline ? heap_.data() : inline_.data();
  }
  // data_ may point into this object.
  InlineSlots(const InlineSlots&) = delete;
  InlineSlots& operator=(const InlineSlots&) = delete;

  T& operator[](std::size_t index) { return data_[index]; }
  const T& operator[](std::size_t index) const { return data_[index]; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return count_; }

 private:
  std::array<T, kInline> inline_{};
  std::vector<T> heap_;
  T* data_;
  std::size_t count_;
};

}  // namespace gyro
