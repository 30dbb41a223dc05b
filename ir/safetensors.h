// safetensors: named tensors in Hugging Face's format, readable by PyTorch and HF tools.
//
// Layout (https://github.com/huggingface/safetensors, "Format"):
//   u64 N (little-endian)      the header's length in bytes
//   N bytes                    a UTF-8 JSON object: for each tensor name
//                              {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
//                              and optionally "__metadata__": {string: string}; writers pad
//                              it with spaces to a multiple of 8 bytes
//   data                       the tensors' bytes, row-major, little-endian; offsets are
//                              relative to the start of this section
// gyro's dtypes map to F32, F64, I64 and BOOL; a file with another dtype (F16, BF16, I32...)
// is rejected naming the tensor and its dtype.
//
// Writing follows HF's writer byte for byte: tensors sorted by dtype (I64, F64, F32, BOOL:
// HF's Dtype enum, descending) then by name, compact JSON with "__metadata__" first (its keys
// sorted; omitted when empty) and each entry's keys as dtype, shape, data_offsets.
//
// Reading checks everything before it allocates: N against the file (and a 100 MB cap, as
// the reference reader), the JSON, each entry's keys and types (exactly the three keys; a key
// twice is an error), shapes of at most kMaxRank sizes, that each dtype is gyro's, that
// end - begin == numel * itemsize (with overflow checks), that the data regions lie inside the
// data section, cover it exactly and do not overlap, and that BOOL bytes are 0 or 1. Every
// error is a ValueError that names the file and the tensor or byte offset at fault. Tensors
// come back in data-offset order (what HF's load_file returns). docs/files.md has the details.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ir/error.h"
#include "ir/tensor.h"

namespace gyro {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

struct SafetensorsContents {
  std::vector<NamedTensor> tensors;
  std::vector<std::pair<std::string, std::string>> metadata;  // "__metadata__", sorted by key
};

// The file image. Names must be unique and non-empty (and not "__metadata__"); any tensor
// layout is accepted (non-contiguous ones are written contiguously). A ValueError otherwise.
Expected<std::vector<uint8_t>> write_safetensors(
    std::span<const NamedTensor> tensors,
    std::span<const std::pair<std::string, std::string>> metadata = {});

// Parses an image; the tensors own copies of their bytes. `origin` names the image in errors.
Expected<SafetensorsContents> read_safetensors(std::span<const uint8_t> bytes,
                                               std::string_view origin);

// The same through files. Loading maps the file, and each tensor whose data is aligned for its
// dtype views the mapping directly (copy-on-write: writing into it never changes the file);
// others are copied. Saving writes atomically (ir/file_io.h).
Expected<SafetensorsContents> load_safetensors_file(const std::string& path);
Status save_safetensors_file(const std::string& path, std::span<const NamedTensor> tensors,
                             std::span<const std::pair<std::string, std::string>> metadata = {});

}  // namespace gyro
