// Tensor construction, contiguity and a short text form.
#include "ir/tensor.h"

#include <limits>

namespace gyro {

Dims contiguous_strides(const Dims& sizes) {
  Dims strides = Dims::filled(sizes.size(), 1);
  int64_t running = 1;
  for (int d = sizes.size() - 1; d >= 0; --d) {
    strides[d] = running;
    running *= sizes[d] > 0 ? sizes[d] : 1;
  }
  return strides;
}

Expected<int64_t> checked_numel(const Dims& sizes, std::string_view op) {
  int64_t numel = 1;
  for (int d = 0; d < sizes.size(); ++d) {
    GYRO_CHECK_ARG(sizes[d] >= 0, RuntimeError, "{}: negative dimension {} at index {} of {}", op,
                   sizes[d], d, to_string(sizes));
    GYRO_CHECK_ARG(!__builtin_mul_overflow(numel, sizes[d], &numel), RuntimeError,
                   "{}: sizes {} overflow the element count", op, to_string(sizes));
  }
  return numel;
}

Expected<Tensor> Tensor::empty(const Dims& sizes, DType dtype) {
  GYRO_ASSIGN_OR_RETURN(int64_t numel, checked_numel(sizes, "empty"));
  int64_t nbytes = 0;
  GYRO_CHECK_ARG(!__builtin_mul_overflow(numel, static_cast<int64_t>(dtype_size(dtype)), &nbytes),
                 RuntimeError, "empty: sizes {} overflow the byte count", gyro::to_string(sizes));
  Tensor tensor;
  tensor.storage_ = Storage::allocate(static_cast<std::size_t>(nbytes));
  GYRO_CHECK_ARG(tensor.storage_, MemoryError,
                 "cannot allocate {} bytes for a {} tensor of size {}", nbytes, dtype_name(dtype),
                 gyro::to_string(sizes));
  tensor.sizes_ = sizes;
  tensor.strides_ = contiguous_strides(sizes);
  tensor.numel_ = numel;
  tensor.dtype_ = dtype;
  return tensor;
}

Tensor Tensor::from_storage(Ref<Storage> storage, const Dims& sizes, DType dtype) {
  Tensor tensor;
  tensor.numel_ = product(sizes);
  GYRO_ASSERT(
      storage && static_cast<std::size_t>(tensor.numel_) * dtype_size(dtype) <= storage->nbytes(),
      "from_storage: {} elements of {} do not fit in {} bytes", tensor.numel_, dtype_name(dtype),
      storage ? storage->nbytes() : 0);
  tensor.storage_ = std::move(storage);
  tensor.sizes_ = sizes;
  tensor.strides_ = contiguous_strides(sizes);
  tensor.dtype_ = dtype;
  return tensor;
}

Tensor Tensor::scalar(double value, DType dtype, bool wrapped) {
  Tensor tensor = std::move(empty({}, dtype)).value();
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    *tensor.data<T>() = convert<T>(value);
  });
  tensor.wrapped_number_ = wrapped;
  return tensor;
}

Tensor Tensor::integer(int64_t value, bool wrapped) {
  Tensor tensor = std::move(empty({}, DType::Int64)).value();
  *tensor.data<int64_t>() = value;
  tensor.wrapped_number_ = wrapped;
  return tensor;
}

bool Tensor::is_contiguous() const {
  if (numel_ == 0) return true;  // no element is ever addressed (PyTorch agrees)
  int64_t expected = 1;
  for (int d = dim() - 1; d >= 0; --d) {
    if (sizes_[d] == 1) continue;  // a size-1 dim's stride is never used
    if (sizes_[d] == 0) return true;
    if (strides_[d] != expected) return false;
    expected *= sizes_[d];
  }
  return true;
}

Tensor Tensor::as_strided(const Dims& sizes, const Dims& strides, int64_t offset) const {
  Tensor view;
  view.storage_ = storage_;
  view.sizes_ = sizes;
  view.strides_ = strides;
  view.offset_ = offset;
  view.numel_ = product(sizes);
  view.dtype_ = dtype_;
  return view;
}

double Tensor::item() const {
  GYRO_ASSERT(numel_ == 1, "item() of a tensor with {} elements", numel_);
  return to_vector<double>()[0];
}

std::string Tensor::to_string() const {
  if (!defined()) return "Tensor(undefined)";
  constexpr int64_t kShown = 8;
  std::string shown;
  int64_t count = 0;
  visit_dtype(dtype_, [&](auto tag) {
    using T = decltype(tag);
    const T* base = data<T>();
    for_each_offset(sizes_, strides_, [&](int64_t offset) {
      if (count < kShown) {
        if constexpr (std::is_same_v<T, bool>)
          shown += fmt::format("{}{}", count ? ", " : "", base[offset] ? "True" : "False");
        else  // fmt prints the shortest form that round-trips in T's own precision
          shown += fmt::format("{}{}", count ? ", " : "", base[offset]);
      }
      ++count;
    });
  });
  if (numel_ > kShown) shown += ", ...";
  return fmt::format("Tensor({} {} [{}])", dtype_name(dtype_), gyro::to_string(sizes_), shown);
}

}  // namespace gyro
