// Tensors to and from DLPack, for the C API's values and for host backends' inputs and outputs.
#pragma once

#include <string>
#include <variant>

#include "gyro/gyro.h"
#include "ir/tensor.h"

namespace gyro::api {

struct DLPackRefusal {
  gyro_status status;
  std::string message;  // what is wrong with the tensor, without the function's name
};

// A tensor over `managed`'s memory. On success gyro owns `managed` (its deleter runs when the
// last view of the memory goes); on a refusal the caller still does.
std::variant<Tensor, DLPackRefusal> tensor_from_dlpack(DLManagedTensor* managed);
// A DLPack view of `tensor`'s memory, owned by the caller (its deleter frees the view).
DLManagedTensor* tensor_to_dlpack(const Tensor& tensor);

}  // namespace gyro::api
