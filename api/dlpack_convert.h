// Tensors to and from DLPack, for the C API's values and for host backends' inputs and outputs.
#pragma once

#include <string>
#include <variant>

#include "gyro/gyro.h"
#include "ir/tensor.h"

namespace gyro::api {

struct ImportedOwner;  // c_dlpack.cc: who gives the DLPack tensor back, and when

// An imported tensor, and the handle that makes gyro its DLPack tensor's owner.
struct ImportedTensor {
  Tensor tensor;
  ImportedOwner* owner;
};

struct DLPackRefusal {
  gyro_status status;
  std::string message;  // what is wrong with the tensor, without the function's name
};

// A tensor over `managed`'s memory. The caller still owns `managed` until it calls take_over (once
// nothing can fail), after which its deleter runs when the last view of the memory goes; a tensor
// dropped before that leaves `managed` alone.
std::variant<ImportedTensor, DLPackRefusal> tensor_from_dlpack(DLManagedTensor* managed);
void take_over(const ImportedTensor& imported);
// A DLPack view of `tensor`'s memory, owned by the caller (its deleter frees the view).
DLManagedTensor* tensor_to_dlpack(const Tensor& tensor);

}  // namespace gyro::api
