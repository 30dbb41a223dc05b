// COO sparse tensors: conversion to and from dense, and the attributes and methods scripts use.
#include "interp/sparse.h"

#include <cstring>

#include "interp/interpreter.h"
#include "interp/python_ops.h"

namespace gyro {

Expected<Value> to_sparse(const Tensor& dense) {
  const int rank = dense.dim();
  const int64_t numel = dense.numel();
  std::vector<int64_t> positions;  // row-major positions of the nonzeros
  GYRO_ASSIGN_OR_RETURN(Tensor all_values, Tensor::empty(Dims{numel}, dense.dtype()));
  int64_t nnz = 0;
  visit_dtype(dense.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* base = dense.data<T>();
    T* out = all_values.data<T>();
    int64_t position = 0;
    for_each_offset(dense.sizes(), dense.strides(), [&](int64_t offset) {
      const T value = base[offset];
      if (value != T(0)) {  // NaN != 0 is true: NaN is stored, as in PyTorch
        out[nnz++] = value;
        positions.push_back(position);
      }
      ++position;
    });
  });
  GYRO_ASSIGN_OR_RETURN(Tensor values, Tensor::empty(Dims{nnz}, dense.dtype()));
  std::memcpy(values.raw_data(), all_values.raw_data(),
              static_cast<std::size_t>(nnz) * values.itemsize());
  // indices[d][k]: coordinate d of the k-th nonzero, unravelled from its row-major position.
  std::vector<int64_t> coordinates(static_cast<std::size_t>(rank) * nnz);
  for (int64_t k = 0; k < nnz; ++k) {
    int64_t rest = positions[k];
    for (int d = rank - 1; d >= 0; --d) {
      coordinates[d * nnz + k] = rest % dense.size(d);
      rest /= dense.size(d);
    }
  }
  GYRO_ASSIGN_OR_RETURN(Tensor indices, Tensor::from_vector(coordinates, Dims{rank, nnz}));
  return make_sparse_tensor(std::move(indices), std::move(values), dense.sizes());
}

Expected<Tensor> sparse_to_dense(const SparseTensorObject& sparse) {
  GYRO_ASSIGN_OR_RETURN(Tensor dense, Tensor::empty(sparse.sizes, sparse.values.dtype()));
  // All-zero bytes are 0, 0.0 and False for every dtype.
  std::memset(dense.raw_data(), 0, static_cast<std::size_t>(dense.numel()) * dense.itemsize());
  const Dims strides = contiguous_strides(sparse.sizes);
  const std::vector<int64_t> coordinates = sparse.indices.to_vector<int64_t>();
  const int64_t nnz = sparse.nnz();
  visit_dtype(dense.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const std::vector<T> values = sparse.values.to_vector<T>();
    T* out = dense.data<T>();
    for (int64_t k = 0; k < nnz; ++k) {
      int64_t offset = 0;
      for (int d = 0; d < sparse.sizes.size(); ++d) offset += coordinates[d * nnz + k] * strides[d];
      out[offset] = values[k];
    }
  });
  return dense;
}

Error sparse_unsupported(std::string_view what) {
  return make_error(ErrorKind::TypeError,
                    "{} does not support sparse tensors in gyro (call to_dense() first)", what);
}

namespace {

using Args = std::span<const Value>;
using Kwargs = std::span<const KeywordArg>;

const SparseTensorObject& sparse_of(const Value& value) {
  return value.as<SparseTensorObject>();
}

// Methods without arguments: a missing or extra argument is a TypeError.
bool no_arguments(Interpreter& vm, std::string_view name, Args args, Kwargs kwargs) {
  if (args.size() == 1 && kwargs.empty()) return true;
  vm.raise(ErrorKind::TypeError, "{}() takes no arguments ({} given)", name,
           args.size() - 1 + kwargs.size());
  return false;
}

Value sizes_tuple(const Dims& sizes) {
  std::vector<Value> items;
  for (int64_t s : sizes) items.push_back(Value::integer(s));
  return make_tuple(std::move(items));
}

std::optional<Value> sparse_to_dense_method(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_arguments(vm, "to_dense", args, kwargs)) return std::nullopt;
  auto dense = sparse_to_dense(sparse_of(args[0]));
  if (!dense.ok()) return vm.raise(dense.error());
  return make_tensor(std::move(*dense));
}
std::optional<Value> sparse_values(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_arguments(vm, "values", args, kwargs)) return std::nullopt;
  return make_tensor(sparse_of(args[0]).values);
}
std::optional<Value> sparse_indices(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_arguments(vm, "indices", args, kwargs)) return std::nullopt;
  return make_tensor(sparse_of(args[0]).indices);
}
std::optional<Value> sparse_nnz(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_arguments(vm, "_nnz", args, kwargs)) return std::nullopt;
  return Value::integer(sparse_of(args[0]).nnz());
}
std::optional<Value> sparse_dim(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_arguments(vm, "dim", args, kwargs)) return std::nullopt;
  return Value::integer(sparse_of(args[0]).sizes.size());
}
// Always coalesced, so coalesce() is the tensor itself.
std::optional<Value> sparse_coalesce(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_arguments(vm, "coalesce", args, kwargs)) return std::nullopt;
  return args[0];
}
std::optional<Value> sparse_is_coalesced(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_arguments(vm, "is_coalesced", args, kwargs)) return std::nullopt;
  return Value::boolean(true);
}
std::optional<Value> sparse_is_floating_point(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_arguments(vm, "is_floating_point", args, kwargs)) return std::nullopt;
  return Value::boolean(is_floating(sparse_of(args[0]).values.dtype()));
}
std::optional<Value> sparse_size(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!kwargs.empty()) return vm.raise(ErrorKind::TypeError, "size() takes no keyword arguments");
  if (args.size() > 2)
    return vm.raise(ErrorKind::TypeError, "size() takes at most 1 argument ({} given)",
                    args.size() - 1);
  const Dims& sizes = sparse_of(args[0]).sizes;
  if (args.size() == 1) return sizes_tuple(sizes);
  if (!args[1].is_integral())
    return vm.raise(ErrorKind::TypeError, "size(): argument 'dim' must be int, not {}",
                    type_name(args[1]));
  int64_t dim = args[1].as_int(), rank = std::max(sizes.size(), 1);
  if (dim < -rank || dim >= rank)
    return vm.raise(ErrorKind::IndexError,
                    "Dimension out of range (expected to be in range of [{}, {}], but got {})",
                    -rank, rank - 1, dim);
  if (dim < 0) dim += rank;
  return Value::integer(sizes.size() == 0 ? 1 : sizes[static_cast<int>(dim)]);
}

struct SparseMethod {
  std::string_view name;
  BuiltinFn fn;
};
constexpr SparseMethod kSparseMethods[] = {
    {"to_dense", sparse_to_dense_method},
    {"values", sparse_values},
    {"indices", sparse_indices},
    {"_nnz", sparse_nnz},
    {"size", sparse_size},
    {"dim", sparse_dim},
    {"coalesce", sparse_coalesce},
    {"is_coalesced", sparse_is_coalesced},
    {"is_floating_point", sparse_is_floating_point},
};

}  // namespace

std::optional<Value> sparse_attribute(const Value& sparse, std::string_view name) {
  const SparseTensorObject& object = sparse_of(sparse);
  if (name == "shape") return sizes_tuple(object.sizes);
  if (name == "ndim") return Value::integer(object.sizes.size());
  if (name == "dtype") return dtype_value(object.values.dtype());
  if (name == "is_sparse") return Value::boolean(true);
  for (const SparseMethod& method : kSparseMethods)
    if (method.name == name)
      return Value::object(new BuiltinObject(std::string(name), method.fn, sparse));
  return std::nullopt;
}

}  // namespace gyro
