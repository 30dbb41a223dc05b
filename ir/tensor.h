// Tensor: a strided view (dtype, sizes, strides, offset) over refcounted shared storage.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ir/convert.h"
#include "ir/dims.h"
#include "ir/dtype.h"
#include "ir/error.h"
#include "ir/storage.h"

namespace gyro {

// Strides and offsets count elements, not bytes (as in PyTorch).
class Tensor {
 public:
  Tensor() = default;  // an undefined tensor: no storage

  // A new contiguous tensor with uninitialized elements. Errors: negative size, rank over
  // kMaxRank, element count overflow, out of memory.
  static Expected<Tensor> empty(const Dims& sizes, DType dtype);
  // A 0-d tensor holding one number. `wrapped` marks a Python number wrapped for an op call,
  // which promotes more weakly than a real tensor (see ResultType).
  static Tensor scalar(double value, DType dtype, bool wrapped = false);
  // A 0-d int64 tensor, exact for every int64 (a double holds only 53 bits).
  static Tensor integer(int64_t value, bool wrapped = false);
  // A contiguous tensor over `storage` from its first byte (memory a host or a file owns). The
  // caller has checked the sizes (checked_numel) and that the storage holds their elements,
  // aligned for the dtype.
  static Tensor from_storage(Ref<Storage> storage, const Dims& sizes, DType dtype);
  // A contiguous tensor copied from `values` (values.size() must equal the sizes' product).
  template <typename T>
  static Expected<Tensor> from_vector(const std::vector<T>& values, const Dims& sizes);

  bool defined() const { return static_cast<bool>(storage_); }
  DType dtype() const { return dtype_; }
  int dim() const { return sizes_.size(); }
  const Dims& sizes() const { return sizes_; }
  const Dims& strides() const { return strides_; }
  int64_t size(int dim) const { return sizes_[dim]; }
  int64_t stride(int dim) const { return strides_[dim]; }
  int64_t offset() const { return offset_; }
  int64_t numel() const { return numel_; }
  std::size_t itemsize() const { return dtype_size(dtype_); }
  bool is_contiguous() const;
  bool is_wrapped_number() const { return wrapped_number_; }
  const Ref<Storage>& storage() const { return storage_; }

  // Address of the element at the view's offset.
  void* raw_data() const {
    return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(itemsize());
  }
  template <typename T>
  T* data() const {
    return static_cast<T*>(raw_data());
  }

  // A view with other sizes, strides and offset over the same storage. The caller has checked
  // that every reachable element lies inside the storage.
  Tensor as_strided(const Dims& sizes, const Dims& strides, int64_t offset) const;

  // Element values in row-major order, converted to T (for tests, printing and hosts).
  template <typename T>
  std::vector<T> to_vector() const;
  // The value of a one-element tensor as double.
  double item() const;
  // Shares storage with `other` (the same underlying buffer).
  bool shares_storage(const Tensor& other) const { return storage_ == other.storage_; }

  // "tensor([[1., 2.], [3., 4.]])"-style summary: dtype, sizes and the first elements.
  std::string to_string() const;

 private:
  Ref<Storage> storage_;
  Dims sizes_;
  Dims strides_;
  int64_t offset_ = 0;
  int64_t numel_ = 0;
  DType dtype_ = kDefaultFloat;
  bool wrapped_number_ = false;
};

// Row-major strides for `sizes`.
Dims contiguous_strides(const Dims& sizes);
// Product of sizes, rejecting negative sizes, ranks over kMaxRank and overflow.
Expected<int64_t> checked_numel(const Dims& sizes, std::string_view op);

// Calls fn(offset) for each element of a strided view in row-major order; offsets are in
// elements relative to the view's first element.
template <typename Fn>
void for_each_offset(const Dims& sizes, const Dims& strides, Fn&& fn) {
  int rank = sizes.size();
  for (int64_t s : sizes)
    if (s == 0) return;
  if (rank == 0) {
    fn(int64_t{0});
    return;
  }
  int64_t index[kMaxRank] = {};
  int64_t offset = 0;
  int64_t inner = sizes[rank - 1], inner_stride = strides[rank - 1];
  while (true) {
    for (int64_t i = 0; i < inner; ++i) fn(offset + i * inner_stride);
    int d = rank - 2;
    for (; d >= 0; --d) {
      offset += strides[d];
      if (++index[d] < sizes[d]) break;
      offset -= strides[d] * sizes[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

template <typename T>
Expected<Tensor> Tensor::from_vector(const std::vector<T>& values, const Dims& sizes) {
  constexpr DType kDType = std::is_same_v<T, bool>      ? DType::Bool
                           : std::is_same_v<T, int64_t> ? DType::Int64
                           : std::is_same_v<T, double>  ? DType::Float64
                                                        : DType::Float32;
  GYRO_ASSIGN_OR_RETURN(Tensor tensor, empty(sizes, kDType));
  GYRO_CHECK_ARG(static_cast<int64_t>(values.size()) == tensor.numel(), ValueError,
                 "from_vector: {} values for sizes {}", values.size(), gyro::to_string(sizes));
  T* out = tensor.data<T>();
  for (std::size_t i = 0; i < values.size(); ++i) out[i] = values[i];
  return tensor;
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  std::vector<T> result;
  result.reserve(numel_);
  visit_dtype(dtype_, [&](auto tag) {
    using Src = decltype(tag);
    const Src* base = data<Src>();
    for_each_offset(sizes_, strides_,
                    [&](int64_t offset) { result.push_back(convert<T>(base[offset])); });
  });
  return result;
}

}  // namespace gyro
