// The C API's tensors: DLPack in and out, sharing memory both ways.
#include <cstring>
#include <limits>
#include <string>

#include "api/dlpack_convert.h"
#include "api/vm_state.h"
#include "gyro/gyro.h"
#include "ir/storage.h"
#include "ir/tensor.h"

namespace gyro::api {
namespace {

// kDLBool is DLPack 0.8's code for bool; Debian's header (0.6) predates it.
constexpr uint8_t kDLBoolCode = 6;

std::optional<DType> dtype_of(DLDataType type) {
  if (type.lanes != 1) return std::nullopt;
  if (type.code == kDLFloat && type.bits == 32) return DType::Float32;
  if (type.code == kDLFloat && type.bits == 64) return DType::Float64;
  if (type.code == kDLInt && type.bits == 64) return DType::Int64;
  if (type.code == kDLBoolCode && type.bits == 8) return DType::Bool;
  return std::nullopt;
}

DLDataType dlpack_type_of(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return {kDLFloat, 32, 1};
    case DType::Float64:
      return {kDLFloat, 64, 1};
    case DType::Int64:
      return {kDLInt, 64, 1};
    case DType::Bool:
      return {kDLBoolCode, 8, 1};
  }
  return {kDLFloat, 32, 1};
}

// What a DLManagedTensor handed out keeps alive: the tensor (so its storage), and the shape
// and strides arrays DLPack points at.
struct Exported {
  DLManagedTensor managed{};
  Tensor tensor;
  int64_t shape[kMaxRank]{};
  int64_t strides[kMaxRank]{};
};

void delete_exported(DLManagedTensor* managed) {
  delete static_cast<Exported*>(managed->manager_ctx);
}

// An imported tensor's producer, given back its DLPack tensor by the storage's deleter once
// `armed`: until then (an import that fails after the storage exists) the caller keeps it.
}  // namespace

struct ImportedOwner {
  DLManagedTensor* managed;
  bool armed = false;
};

namespace {

void release_imported(void* context) {
  auto* imported = static_cast<ImportedOwner*>(context);
  if (imported->armed && imported->managed->deleter) imported->managed->deleter(imported->managed);
  delete imported;
}

}  // namespace

std::variant<ImportedTensor, DLPackRefusal> tensor_from_dlpack(DLManagedTensor* tensor) {
  auto refuse = [](gyro_status status, std::string message) {
    return DLPackRefusal{status, std::move(message)};
  };
  const DLTensor& dl = tensor->dl_tensor;
  if (dl.device.device_type != kDLCPU)
    return refuse(GYRO_ERROR_UNSUPPORTED,
                  fmt::format("the tensor is on device type {}; gyro takes CPU tensors (kDLCPU) "
                              "only",
                              static_cast<int>(dl.device.device_type)));
  const std::optional<DType> dtype = dtype_of(dl.dtype);
  if (!dtype)
    return refuse(GYRO_ERROR_UNSUPPORTED,
                  fmt::format("dtype (code {}, {} bits, {} lanes) is not one gyro has (float32, "
                              "float64, int64, bool)",
                              dl.dtype.code, dl.dtype.bits, dl.dtype.lanes));
  if (dl.ndim < 0 || dl.ndim > kMaxRank)
    return refuse(GYRO_ERROR_UNSUPPORTED,
                  fmt::format("{} dims (gyro tensors have at most {})", dl.ndim, kMaxRank));
  if (dl.ndim > 0 && !dl.shape)
    return refuse(GYRO_ERROR_INVALID_ARGUMENT, fmt::format("shape is NULL with {} dims", dl.ndim));
  const int64_t itemsize = static_cast<int64_t>(dtype_size(*dtype));
  Dims sizes, strides;
  int64_t numel = 1;
  for (int d = 0; d < dl.ndim; ++d) {
    if (dl.shape[d] < 0)
      return refuse(GYRO_ERROR_INVALID_ARGUMENT, fmt::format("shape[{}] is {}", d, dl.shape[d]));
    sizes.push_back(dl.shape[d]);
    if (__builtin_mul_overflow(numel, dl.shape[d], &numel))
      return refuse(GYRO_ERROR_UNSUPPORTED, "the shape overflows");
  }
  // Row-major strides when DLPack gives none; the furthest element bounds the memory used.
  const Dims contiguous = contiguous_strides(sizes);
  int64_t last = 0;  // element offset of the last element
  for (int d = 0; d < dl.ndim; ++d) {
    // A dim of 0 or 1 elements never steps: its stride (NumPy may give any) is irrelevant.
    const int64_t stride = dl.shape[d] <= 1 ? 0 : dl.strides ? dl.strides[d] : contiguous[d];
    if (stride < 0)
      return refuse(GYRO_ERROR_UNSUPPORTED,
                    fmt::format("stride[{}] is {}; gyro takes non-negative strides", d, stride));
    strides.push_back(stride);
    int64_t reach = 0;
    if (dl.shape[d] > 0 && (__builtin_mul_overflow(dl.shape[d] - 1, stride, &reach) ||
                            __builtin_add_overflow(last, reach, &last)))
      return refuse(GYRO_ERROR_UNSUPPORTED, "the strides overflow");
  }
  if (numel > 0 && !dl.data)
    return refuse(GYRO_ERROR_INVALID_ARGUMENT, fmt::format("data is NULL for {} elements", numel));
  auto* first = static_cast<char*>(dl.data) + dl.byte_offset;
  if (reinterpret_cast<uintptr_t>(first) % static_cast<uintptr_t>(itemsize) != 0)
    return refuse(GYRO_ERROR_UNSUPPORTED,
                  fmt::format("the data is not aligned to its {}-byte elements", itemsize));
  int64_t span_bytes = 0;
  if (numel > 0 && __builtin_mul_overflow(last + 1, itemsize, &span_bytes))
    return refuse(GYRO_ERROR_UNSUPPORTED, "the tensor spans more bytes than fit in int64");
  const auto nbytes = static_cast<std::size_t>(span_bytes);
  if (*dtype == DType::Bool) {
    // A bool must be 0 or 1 (C++ reads any other byte as undefined behaviour).
    bool valid = true;
    for_each_offset(sizes, strides, [&](int64_t offset) {
      if (static_cast<unsigned char>(first[offset]) > 1) valid = false;
    });
    if (!valid)
      return refuse(GYRO_ERROR_UNSUPPORTED, "a bool tensor holds bytes other than 0 and 1");
  }
  auto owner = std::make_unique<ImportedOwner>(ImportedOwner{tensor});
  Ref<Storage> storage = Storage::wrap_external(first, nbytes, release_imported, owner.get());
  ImportedOwner* owner_pointer = owner.release();  // the storage's now
  const Dims span{static_cast<int64_t>(nbytes) / itemsize};
  return ImportedTensor{Tensor::from_storage(storage, span, *dtype).as_strided(sizes, strides, 0),
                        owner_pointer};
}

void take_over(const ImportedTensor& imported) {
  imported.owner->armed = true;
}

DLManagedTensor* tensor_to_dlpack(const Tensor& tensor) {
  auto exported = std::make_unique<Exported>();
  exported->tensor = tensor;
  const Tensor& t = exported->tensor;
  for (int d = 0; d < t.dim(); ++d) {
    exported->shape[d] = t.size(d);
    exported->strides[d] = t.stride(d);
  }
  DLTensor& dl = exported->managed.dl_tensor;
  dl.data = t.storage()->data();
  dl.device = {kDLCPU, 0};
  dl.ndim = t.dim();
  dl.dtype = dlpack_type_of(t.dtype());
  dl.shape = exported->shape;
  dl.strides = exported->strides;
  dl.byte_offset = static_cast<uint64_t>(t.offset()) * dtype_size(t.dtype());
  exported->managed.manager_ctx = exported.get();
  exported->managed.deleter = delete_exported;
  return &exported.release()->managed;
}

}  // namespace gyro::api

using namespace gyro;
using namespace gyro::api;

extern "C" {

gyro_status gyro_value_from_dlpack(gyro_vm* vm, DLManagedTensor* tensor, gyro_value* out) {
  return guarded(vm, "gyro_value_from_dlpack", [&] {
    GYRO_API_REQUIRE(tensor && out, "gyro_value_from_dlpack", "tensor and out must not be NULL");
    auto made = tensor_from_dlpack(tensor);
    if (auto* refusal = std::get_if<DLPackRefusal>(&made))
      return vm->fail(refusal->status, fmt::format("gyro_value_from_dlpack: {}", refusal->message));
    const ImportedTensor& imported = std::get<ImportedTensor>(made);
    const gyro_status status = give(vm, make_tensor(imported.tensor), out);
    take_over(imported);  // nothing can fail any more: gyro owns the DLPack tensor now
    return status;
  });
}

gyro_status gyro_value_to_dlpack(gyro_vm* vm, gyro_value value, DLManagedTensor** tensor) {
  return guarded(vm, "gyro_value_to_dlpack", [&] {
    GYRO_API_REQUIRE(tensor, "gyro_value_to_dlpack", "tensor is NULL");
    const Value* found = lookup(vm, "gyro_value_to_dlpack", value, "value");
    if (!found) return GYRO_ERROR_INVALID_ARGUMENT;
    if (!found->is(ObjectKind::TensorBox))
      return vm->fail(GYRO_ERROR_TYPE, "gyro_value_to_dlpack: the value is not a dense tensor");
    *tensor = tensor_to_dlpack(found->as<TensorBoxObject>().tensor);
    return GYRO_OK;
  });
}

}  // extern "C"
