// Dims: a fixed-capacity list of sizes or strides (rank <= kMaxRank), never heap-allocated.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

#include <fmt/format.h>

#include "ir/assert.h"

namespace gyro {

// PyTorch allows 64 dims and NumPy 32; 8 covers every model we know of and keeps a tensor's
// metadata inline (no allocation per view). Ops reject higher ranks with a clear error.
inline constexpr int kMaxRank = 8;

template <typename D>
class BasicDims {
 public:
  BasicDims() = default;
  BasicDims(std::initializer_list<D> values) : BasicDims(std::span<const D>(values)) {}
  explicit BasicDims(std::span<const D> values) {
    GYRO_ASSERT(values.size() <= kMaxRank, "rank {} exceeds kMaxRank", values.size());
    std::copy(values.begin(), values.end(), data_.begin());
    size_ = static_cast<unsigned char>(values.size());
  }
  static BasicDims filled(int count, D value) {
    BasicDims dims;
    dims.resize(count, value);
    return dims;
  }

  int size() const { return size_; }
  bool empty() const { return size_ == 0; }
  D& operator[](int i) { return data_[i]; }
  const D& operator[](int i) const { return data_[i]; }
  D& back() { return data_[size_ - 1]; }
  const D& back() const { return data_[size_ - 1]; }
  D* begin() { return data_.data(); }
  D* end() { return data_.data() + size_; }
  const D* begin() const { return data_.data(); }
  const D* end() const { return data_.data() + size_; }
  std::span<const D> span() const { return {data_.data(), static_cast<std::size_t>(size_)}; }

  void push_back(D value) {
    GYRO_ASSERT(size_ < kMaxRank, "rank exceeds kMaxRank");
    data_[size_++] = value;
  }
  void insert(int index, D value) {
    GYRO_ASSERT(size_ < kMaxRank && index >= 0 && index <= size_, "bad Dims insert");
    std::copy_backward(begin() + index, end(), end() + 1);
    data_[index] = value;
    ++size_;
  }
  void erase(int index) {
    GYRO_ASSERT(index >= 0 && index < size_, "bad Dims erase");
    std::copy(begin() + index + 1, end(), begin() + index);
    --size_;
  }
  void resize(int count, D value = D{}) {
    GYRO_ASSERT(count >= 0 && count <= kMaxRank, "rank {} exceeds kMaxRank", count);
    for (int i = size_; i < count; ++i) data_[i] = value;
    size_ = static_cast<unsigned char>(count);
  }

  friend bool operator==(const BasicDims& a, const BasicDims& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  std::array<D, kMaxRank> data_{};
  unsigned char size_ = 0;
};

using Dims = BasicDims<int64_t>;

// "[2, 3]" — the form error messages use.
inline std::string to_string(const Dims& dims) {
  return fmt::format("[{}]", fmt::join(dims, ", "));
}

// Product of sizes; the caller has validated them (see checked_numel in ir/shape.h).
inline int64_t product(const Dims& dims) {
  int64_t result = 1;
  for (int64_t d : dims) result *= d;
  return result;
}

}  // namespace gyro

template <>
struct fmt::formatter<gyro::Dims> : fmt::formatter<std::string> {
  auto format(const gyro::Dims& dims, format_context& ctx) const {
    return fmt::formatter<std::string>::format(gyro::to_string(dims), ctx);
  }
};
