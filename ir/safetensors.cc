// safetensors: the header written byte for byte as Hugging Face's writer does, and read through
// a SAX handler that checks the schema as it goes, so nothing is allocated for a bad file.
#include "ir/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "ir/file_io.h"

namespace gyro {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a big-endian host would have to swap bytes");

// The reference reader's cap on the header; a larger length is a corrupt or hostile file.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr std::string_view kMetadataKey = "__metadata__";

// The format's name of each gyro dtype, and its rank among them in HF's `Dtype` enum, which
// its writer sorts by (descending, so the widest alignment comes first: I64, F64, F32, BOOL).
struct FormatDType {
  std::string_view name;
  int hf_order;
};
FormatDType format_dtype(DType dtype) {
  switch (dtype) {
    case DType::Bool:
      return {"BOOL", 0};
    case DType::Float32:
      return {"F32", 1};
    case DType::Float64:
      return {"F64", 2};
    case DType::Int64:
      return {"I64", 3};
  }
  GYRO_UNREACHABLE("dtype {}", static_cast<int>(dtype));
}

std::optional<DType> dtype_of_format(std::string_view name) {
  for (int i = 0; i < kNumDTypes; ++i)
    if (format_dtype(static_cast<DType>(i)).name == name) return static_cast<DType>(i);
  return std::nullopt;
}

// nlohmann's own messages start with "[json.exception.parse_error.101] ".
std::string_view without_exception_id(std::string_view message) {
  if (message.starts_with("[json.exception.")) {
    std::size_t end = message.find("] ");
    if (end != std::string_view::npos) message.remove_prefix(end + 2);
  }
  return message;
}

// Names and metadata go into JSON strings, which must be UTF-8.
Status check_utf8(std::string_view text, std::string_view what) {
  try {
    (void)nlohmann::json(std::string(text))
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  } catch (const nlohmann::json::exception& error) {
    return make_error(ErrorKind::ValueError, "{} is not valid UTF-8 ({})", what,
                      without_exception_id(error.what()));
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Writing

struct WritePlan {
  std::vector<uint8_t> prefix;            // the 8-byte length and the padded header
  std::vector<const NamedTensor*> order;  // the tensors in data order
  std::vector<std::size_t> nbytes;        // each one's byte count, in that order
  std::size_t data_bytes = 0;
};

Expected<WritePlan> plan_write(std::span<const NamedTensor> tensors,
                               std::span<const std::pair<std::string, std::string>> metadata) {
  WritePlan plan;
  std::unordered_set<std::string_view> names;
  for (const NamedTensor& named : tensors) {
    GYRO_CHECK_ARG(!named.name.empty(), ValueError, "a tensor's name is empty");
    GYRO_CHECK_ARG(named.name != kMetadataKey, ValueError,
                   "a tensor cannot be named '__metadata__' (the format's metadata key)");
    GYRO_CHECK_ARG(names.insert(named.name).second, ValueError, "duplicate tensor name '{}'",
                   named.name);
    GYRO_CHECK_ARG(named.tensor.defined(), ValueError, "tensor '{}' is undefined", named.name);
    GYRO_TRY(check_utf8(named.name, "a tensor name"));
    plan.order.push_back(&named);
  }
  // HF's order: dtypes from the widest alignment down, then names, so that every tensor's
  // data starts aligned for its dtype (the header is padded to a multiple of 8).
  std::sort(plan.order.begin(), plan.order.end(), [](const NamedTensor* a, const NamedTensor* b) {
    int rank_a = format_dtype(a->tensor.dtype()).hf_order;
    int rank_b = format_dtype(b->tensor.dtype()).hf_order;
    if (rank_a != rank_b) return rank_a > rank_b;
    return a->name < b->name;
  });

  std::vector<const std::pair<std::string, std::string>*> sorted_metadata;
  for (const auto& pair : metadata) {
    GYRO_TRY(check_utf8(pair.first, "a metadata key"));
    GYRO_TRY(check_utf8(pair.second, fmt::format("metadata '{}'", pair.first)));
    sorted_metadata.push_back(&pair);
  }
  std::sort(sorted_metadata.begin(), sorted_metadata.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  for (std::size_t i = 1; i < sorted_metadata.size(); ++i)
    GYRO_CHECK_ARG(sorted_metadata[i]->first != sorted_metadata[i - 1]->first, ValueError,
                   "duplicate metadata key '{}'", sorted_metadata[i]->first);

  // The JSON as serde_json writes HF's header: compact, "__metadata__" first, then each
  // tensor's keys in the order dtype, shape, data_offsets.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!sorted_metadata.empty()) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (const auto* pair : sorted_metadata) object[pair->first] = pair->second;
    header[std::string(kMetadataKey)] = std::move(object);
  }
  for (const NamedTensor* named : plan.order) {
    const Tensor& tensor = named->tensor;
    std::size_t bytes = 0;
    GYRO_CHECK_ARG(!__builtin_mul_overflow(static_cast<std::size_t>(tensor.numel()),
                                           tensor.itemsize(), &bytes),
                   ValueError, "tensor '{}': {} elements overflow the byte count", named->name,
                   tensor.numel());
    std::size_t end = 0;
    GYRO_CHECK_ARG(!__builtin_add_overflow(plan.data_bytes, bytes, &end), ValueError,
                   "the tensors' bytes overflow the file size");
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    entry["dtype"] = std::string(format_dtype(tensor.dtype()).name);
    entry["shape"] = std::vector<int64_t>(tensor.sizes().begin(), tensor.sizes().end());
    entry["data_offsets"] = {static_cast<uint64_t>(plan.data_bytes), static_cast<uint64_t>(end)};
    header[named->name] = std::move(entry);
    plan.nbytes.push_back(bytes);
    plan.data_bytes = end;
  }
  std::string text = header.dump();
  text.resize((text.size() + 7) / 8 * 8, ' ');  // spaces, so data starts 8-byte aligned
  plan.prefix.resize(8 + text.size());
  uint64_t length = text.size();
  std::memcpy(plan.prefix.data(), &length, 8);  // little-endian (asserted above)
  std::memcpy(plan.prefix.data() + 8, text.data(), text.size());
  return plan;
}

// Copies a tensor's elements in row-major order to `out` (any alignment). Bool elements are
// bytes 0 and 1, as the format wants.
void pack(const Tensor& tensor, uint8_t* out) {
  if (tensor.numel() == 0) return;
  if (tensor.is_contiguous()) {
    std::memcpy(out, tensor.raw_data(),
                static_cast<std::size_t>(tensor.numel()) * tensor.itemsize());
    return;
  }
  visit_dtype(tensor.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* base = tensor.data<T>();
    for_each_offset(tensor.sizes(), tensor.strides(), [&](int64_t offset) {
      std::memcpy(out, base + offset, sizeof(T));
      out += sizeof(T);
    });
  });
}

// A buffer of `size` bytes, or MemoryError instead of std::bad_alloc.
Expected<std::vector<uint8_t>> allocate_bytes(std::size_t size, std::string_view what) {
  try {
    return std::vector<uint8_t>(size);
  } catch (const std::bad_alloc&) {
    return make_error(ErrorKind::MemoryError, "cannot allocate {} bytes for {}", size, what);
  } catch (const std::length_error&) {
    return make_error(ErrorKind::MemoryError, "cannot allocate {} bytes for {}", size, what);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

struct HeaderEntry {
  std::string name;
  std::string dtype;
  Dims shape;
  uint64_t offsets[2] = {0, 0};
  int offset_count = 0;
  bool has_dtype = false, has_shape = false, has_offsets = false;
};

// The header through nlohmann's SAX interface: each event is checked against the schema where
// it arrives, so the first problem stops the parse, named precisely, and no DOM is built (a
// 100 MB header of nested lists would otherwise take gigabytes).
class HeaderReader {
 public:
  using json = nlohmann::json;
  explicit HeaderReader(std::string_view origin) : origin_(origin) {}

  std::vector<HeaderEntry> entries;
  std::vector<std::pair<std::string, std::string>> metadata;
  std::optional<Error> error;

  bool null() { return wrong("null"); }
  bool boolean(bool value) { return wrong(value ? "true" : "false"); }
  bool number_integer(json::number_integer_t value) {
    if (value >= 0) return number_unsigned(static_cast<uint64_t>(value));  // "-0"
    return wrong(fmt::format("{}", value));
  }
  bool number_unsigned(json::number_unsigned_t value) {
    switch (at_) {
      case At::kShape: {
        HeaderEntry& entry = entries.back();
        if (entry.shape.size() == kMaxRank)
          return fail("tensor '{}': 'shape' has more than {} dims (gyro's maximum rank)",
                      entry.name, kMaxRank);
        if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
          return fail("tensor '{}': 'shape' entry {} is too large", entry.name, value);
        entry.shape.push_back(static_cast<int64_t>(value));
        return true;
      }
      case At::kOffsets: {
        HeaderEntry& entry = entries.back();
        if (entry.offset_count == 2)
          return fail("tensor '{}': 'data_offsets' has more than two entries", entry.name);
        entry.offsets[entry.offset_count++] = value;
        return true;
      }
      case At::kStart:
      case At::kTop:
      case At::kEntry:
      case At::kMetadata:
      case At::kEnd:
        return wrong("a number");
    }
    GYRO_UNREACHABLE("header reader state");
  }
  bool number_float(json::number_float_t, const json::string_t& text) {
    return wrong(fmt::format("the number {}", text));
  }
  bool string(json::string_t& value) {
    if (at_ == At::kEntry && field_ == Field::kDtype) {
      entries.back().dtype = std::move(value);
      return true;
    }
    if (at_ == At::kMetadata) {
      metadata.emplace_back(std::move(key_), std::move(value));
      return true;
    }
    return wrong("a string");
  }
  bool binary(json::binary_t&) { return wrong("binary data"); }

  bool start_object(std::size_t) {
    if (at_ == At::kStart) {
      at_ = At::kTop;
      return true;
    }
    if (at_ == At::kTop && key_ == kMetadataKey) {
      at_ = At::kMetadata;
      return true;
    }
    if (at_ == At::kTop) {
      entries.emplace_back();
      entries.back().name = std::move(key_);
      at_ = At::kEntry;
      return true;
    }
    return wrong("an object");
  }
  bool key(json::string_t& key) {
    switch (at_) {
      case At::kTop:
        if (!top_keys_.insert(key).second) return fail("'{}' appears twice in the header", key);
        key_ = std::move(key);
        return true;
      case At::kEntry: {
        HeaderEntry& entry = entries.back();
        bool* seen = key == "dtype"          ? &entry.has_dtype
                     : key == "shape"        ? &entry.has_shape
                     : key == "data_offsets" ? &entry.has_offsets
                                             : nullptr;
        if (!seen)
          return fail(
              "tensor '{}': unexpected key '{}' (an entry has exactly 'dtype', 'shape' "
              "and 'data_offsets')",
              entry.name, key);
        if (*seen) return fail("tensor '{}': key '{}' appears twice", entry.name, key);
        *seen = true;
        field_ = key == "dtype" ? Field::kDtype : key == "shape" ? Field::kShape : Field::kOffsets;
        return true;
      }
      case At::kMetadata:
        if (!metadata_keys_.insert(key).second)
          return fail("'__metadata__': key '{}' appears twice", key);
        key_ = std::move(key);
        return true;
      case At::kStart:
      case At::kShape:
      case At::kOffsets:
      case At::kEnd:
        break;
    }
    GYRO_UNREACHABLE("a JSON key outside an object");
  }
  bool end_object() {
    switch (at_) {
      case At::kTop:
        at_ = At::kEnd;
        return true;
      case At::kMetadata:
        at_ = At::kTop;
        return true;
      case At::kEntry: {
        const HeaderEntry& entry = entries.back();
        for (auto [has, name] :
             {std::pair{entry.has_dtype, "dtype"}, std::pair{entry.has_shape, "shape"},
              std::pair{entry.has_offsets, "data_offsets"}})
          if (!has) return fail("tensor '{}': missing key '{}'", entry.name, name);
        at_ = At::kTop;
        return true;
      }
      case At::kStart:
      case At::kShape:
      case At::kOffsets:
      case At::kEnd:
        break;
    }
    GYRO_UNREACHABLE("a JSON object's end outside an object");
  }
  bool start_array(std::size_t) {
    if (at_ == At::kEntry && field_ == Field::kShape) {
      at_ = At::kShape;
      return true;
    }
    if (at_ == At::kEntry && field_ == Field::kOffsets) {
      at_ = At::kOffsets;
      return true;
    }
    return wrong("a list");
  }
  bool end_array() {
    if (at_ == At::kOffsets && entries.back().offset_count != 2)
      return fail("tensor '{}': 'data_offsets' must be [begin, end], but has {} entr{}",
                  entries.back().name, entries.back().offset_count,
                  entries.back().offset_count == 1 ? "y" : "ies");
    GYRO_ASSERT(at_ == At::kShape || at_ == At::kOffsets, "a JSON list's end outside a list");
    at_ = At::kEntry;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    return fail("the header is not valid JSON: {}", without_exception_id(ex.what()));
  }

 private:
  enum class At : unsigned char { kStart, kTop, kEntry, kShape, kOffsets, kMetadata, kEnd };
  enum class Field : unsigned char { kDtype, kShape, kOffsets };

  template <typename... Args>
  bool fail(fmt::format_string<Args...> format, Args&&... args) {
    error = Error{ErrorKind::ValueError,
                  fmt::format("{}: {}", origin_, fmt::format(format, std::forward<Args>(args)...))};
    return false;
  }

  // A value of the wrong JSON type where it arrived; `found` describes it.
  bool wrong(std::string_view found) {
    switch (at_) {
      case At::kStart:
        return fail("the header must be a JSON object, not {}", found);
      case At::kTop:
        if (key_ == kMetadataKey)
          return fail("'__metadata__' must be an object of strings, not {}", found);
        return fail("tensor '{}': its entry must be an object, not {}", key_, found);
      case At::kEntry: {
        const std::string& name = entries.back().name;
        switch (field_) {
          case Field::kDtype:
            return fail("tensor '{}': 'dtype' must be a string, not {}", name, found);
          case Field::kShape:
            return fail("tensor '{}': 'shape' must be a list of sizes, not {}", name, found);
          case Field::kOffsets:
            return fail("tensor '{}': 'data_offsets' must be a list [begin, end], not {}", name,
                        found);
        }
        break;
      }
      case At::kShape:
        return fail("tensor '{}': 'shape' must hold non-negative integers, not {}",
                    entries.back().name, found);
      case At::kOffsets:
        return fail("tensor '{}': 'data_offsets' must hold non-negative integers, not {}",
                    entries.back().name, found);
      case At::kMetadata:
        return fail("'__metadata__' must map strings to strings, but '{}' maps to {}", key_, found);
      case At::kEnd:
        break;
    }
    GYRO_UNREACHABLE("a JSON value after the header's end");
  }

  std::string_view origin_;
  At at_ = At::kStart;
  Field field_ = Field::kDtype;
  std::string key_;  // the tensor name or metadata key whose value comes next
  std::unordered_set<std::string> top_keys_;
  std::unordered_set<std::string> metadata_keys_;
};

struct PlannedTensor {
  std::string name;
  DType dtype;
  Dims sizes;
  uint64_t begin;  // in the data section
  uint64_t nbytes;
};

struct ParsedFile {
  std::vector<PlannedTensor> tensors;  // in data order
  std::vector<std::pair<std::string, std::string>> metadata;
  const uint8_t* data = nullptr;  // the data section
};

// Every check the format allows before anything is allocated for the tensors.
Expected<ParsedFile> parse_file(std::span<const uint8_t> bytes, std::string_view origin) {
  GYRO_CHECK_ARG(bytes.size() >= 8, ValueError,
                 "{}: {} bytes is too short for a safetensors file (the header length alone "
                 "takes 8)",
                 origin, bytes.size());
  uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, bytes.data(), 8);
  GYRO_CHECK_ARG(header_bytes <= kMaxHeaderBytes, ValueError,
                 "{}: header length {} exceeds the limit of {} bytes", origin, header_bytes,
                 kMaxHeaderBytes);
  GYRO_CHECK_ARG(header_bytes <= bytes.size() - 8, ValueError,
                 "{}: header length {} runs past the end of the file ({} bytes)", origin,
                 header_bytes, bytes.size());
  const char* header = reinterpret_cast<const char*>(bytes.data() + 8);
  // nlohmann's lexer takes a NUL byte for the end of its input (for C strings), which would
  // accept a header with anything after one; JSON allows no raw NUL anywhere.
  if (const void* nul = std::memchr(header, 0, header_bytes))
    return make_error(ErrorKind::ValueError,
                      "{}: the header is not valid JSON: a NUL byte at file offset {}", origin,
                      8 + (static_cast<const char*>(nul) - header));
  HeaderReader reader(origin);
  bool parsed = nlohmann::json::sax_parse(header, header + header_bytes, &reader);
  if (!parsed) {
    if (reader.error) return std::move(*reader.error);
    return make_error(ErrorKind::ValueError, "{}: the header is not valid JSON", origin);
  }

  ParsedFile file;
  const uint64_t data_size = bytes.size() - 8 - header_bytes;
  file.data = bytes.data() + 8 + header_bytes;
  file.tensors.reserve(reader.entries.size());
  for (HeaderEntry& entry : reader.entries) {
    std::optional<DType> dtype = dtype_of_format(entry.dtype);
    GYRO_CHECK_ARG(dtype, ValueError,
                   "{}: tensor '{}': dtype '{}' is not supported (gyro reads F32, F64, I64 and "
                   "BOOL)",
                   origin, entry.name, entry.dtype);
    // The element count, and the product with each 0 read as 1, which the tensor's strides
    // reach (a [0, 2^62, 4] tensor has no elements but would overflow its strides).
    uint64_t numel = 1, strided = 1;
    bool overflow = false;
    for (int64_t size : entry.shape) {
      auto as_unsigned = static_cast<uint64_t>(size);
      overflow |= __builtin_mul_overflow(numel, as_unsigned, &numel);
      overflow |= __builtin_mul_overflow(strided, std::max<uint64_t>(as_unsigned, 1), &strided);
    }
    uint64_t nbytes = 0;
    overflow |= __builtin_mul_overflow(numel, dtype_size(*dtype), &nbytes);
    overflow |= strided > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    GYRO_CHECK_ARG(!overflow, ValueError, "{}: tensor '{}': {} {} overflows the byte count", origin,
                   entry.name, entry.dtype, to_string(entry.shape));
    const uint64_t begin = entry.offsets[0], end = entry.offsets[1];
    GYRO_CHECK_ARG(begin <= end, ValueError,
                   "{}: tensor '{}': data_offsets [{}, {}] end before they begin", origin,
                   entry.name, begin, end);
    GYRO_CHECK_ARG(end - begin == nbytes, ValueError,
                   "{}: tensor '{}': data_offsets [{}, {}] hold {} bytes, but {} {} needs {}",
                   origin, entry.name, begin, end, end - begin, entry.dtype, to_string(entry.shape),
                   nbytes);
    GYRO_CHECK_ARG(end <= data_size, ValueError,
                   "{}: tensor '{}': data_offsets [{}, {}] run past the data section ({} bytes)",
                   origin, entry.name, begin, end, data_size);
    file.tensors.push_back({std::move(entry.name), *dtype, entry.shape, begin, nbytes});
  }

  // The regions tile the data section exactly, as the reference reader requires: in data
  // order, each starts where the previous one ended (zero-byte tensors may share an offset).
  std::stable_sort(file.tensors.begin(), file.tensors.end(),
                   [](const PlannedTensor& a, const PlannedTensor& b) {
                     return a.begin != b.begin ? a.begin < b.begin : a.nbytes < b.nbytes;
                   });
  uint64_t covered = 0;
  const PlannedTensor* previous = nullptr;
  for (const PlannedTensor& tensor : file.tensors) {
    GYRO_CHECK_ARG(tensor.begin >= covered, ValueError,
                   "{}: tensors '{}' and '{}' overlap: data_offsets [{}, {}] and [{}, {}]", origin,
                   previous ? previous->name : "", tensor.name, previous ? previous->begin : 0,
                   covered, tensor.begin, tensor.begin + tensor.nbytes);
    GYRO_CHECK_ARG(tensor.begin == covered, ValueError,
                   "{}: data bytes [{}, {}) belong to no tensor (the tensors must cover the data "
                   "section exactly)",
                   origin, covered, tensor.begin);
    covered = tensor.begin + tensor.nbytes;
    previous = &tensor;
  }
  GYRO_CHECK_ARG(covered == data_size, ValueError,
                 "{}: data bytes [{}, {}) belong to no tensor (the tensors must cover the data "
                 "section exactly)",
                 origin, covered, data_size);

  // A bool byte other than 0 or 1 is not a bool (reading it as one is undefined).
  for (const PlannedTensor& tensor : file.tensors) {
    if (tensor.dtype != DType::Bool) continue;
    const uint8_t* data = file.data + tensor.begin;
    const uint8_t* bad = std::find_if(data, data + tensor.nbytes, [](uint8_t b) { return b > 1; });
    GYRO_CHECK_ARG(bad == data + tensor.nbytes, ValueError,
                   "{}: tensor '{}': BOOL element {} is the byte {}, not 0 or 1 (file offset {})",
                   origin, tensor.name, bad - data, static_cast<int>(*bad),
                   8 + header_bytes + tensor.begin + static_cast<uint64_t>(bad - data));
  }

  file.metadata = std::move(reader.metadata);
  std::sort(file.metadata.begin(), file.metadata.end());
  return file;
}

Expected<Tensor> copy_tensor(const PlannedTensor& planned, const uint8_t* data) {
  GYRO_ASSIGN_OR_RETURN(Tensor tensor, Tensor::empty(planned.sizes, planned.dtype));
  if (planned.nbytes > 0) std::memcpy(tensor.raw_data(), data + planned.begin, planned.nbytes);
  return tensor;
}

template <typename MakeTensor>
Expected<SafetensorsContents> make_contents(ParsedFile file, MakeTensor&& make_tensor) {
  SafetensorsContents contents;
  contents.tensors.reserve(file.tensors.size());
  for (PlannedTensor& planned : file.tensors) {
    GYRO_ASSIGN_OR_RETURN(Tensor tensor, make_tensor(planned, file.data));
    contents.tensors.push_back({std::move(planned.name), std::move(tensor)});
  }
  contents.metadata = std::move(file.metadata);
  return contents;
}

}  // namespace

Expected<std::vector<uint8_t>> write_safetensors(
    std::span<const NamedTensor> tensors,
    std::span<const std::pair<std::string, std::string>> metadata) {
  GYRO_ASSIGN_OR_RETURN(WritePlan plan, plan_write(tensors, metadata));
  std::size_t total = 0;
  GYRO_CHECK_ARG(!__builtin_add_overflow(plan.prefix.size(), plan.data_bytes, &total), ValueError,
                 "the tensors' bytes overflow the file size");
  GYRO_ASSIGN_OR_RETURN(std::vector<uint8_t> image, allocate_bytes(total, "a safetensors image"));
  std::memcpy(image.data(), plan.prefix.data(), plan.prefix.size());
  std::size_t at = plan.prefix.size();
  for (std::size_t i = 0; i < plan.order.size(); ++i) {
    pack(plan.order[i]->tensor, image.data() + at);
    at += plan.nbytes[i];
  }
  return image;
}

Expected<SafetensorsContents> read_safetensors(std::span<const uint8_t> bytes,
                                               std::string_view origin) {
  GYRO_ASSIGN_OR_RETURN(ParsedFile file, parse_file(bytes, origin));
  return make_contents(std::move(file), copy_tensor);
}

Expected<SafetensorsContents> load_safetensors_file(const std::string& path) {
  GYRO_ASSIGN_OR_RETURN(Ref<MappedFile> mapped, map_file(path));
  GYRO_ASSIGN_OR_RETURN(ParsedFile file, parse_file(mapped->bytes(), path));
  // The parsed data pointer is into the read-only view of the mapping; the writable one is the
  // same address.
  uint8_t* writable = mapped->mutable_data() + (file.data - mapped->bytes().data());
  return make_contents(std::move(file), [&](const PlannedTensor& planned, const uint8_t* data) {
    uint8_t* where = writable + planned.begin;
    if (planned.nbytes == 0 ||
        reinterpret_cast<std::uintptr_t>(where) % dtype_size(planned.dtype) != 0)
      return copy_tensor(planned, data);
    Ref<Storage> storage = Storage::wrap_external(
        where, planned.nbytes, MappedFile::release_storage_reference, mapped->retain_for_storage());
    return Expected<Tensor>(Tensor::from_storage(std::move(storage), planned.sizes, planned.dtype));
  });
}

Status save_safetensors_file(const std::string& path, std::span<const NamedTensor> tensors,
                             std::span<const std::pair<std::string, std::string>> metadata) {
  GYRO_ASSIGN_OR_RETURN(WritePlan plan, plan_write(tensors, metadata));
  // Contiguous tensors are written from their own memory; the others are packed first.
  std::vector<std::span<const uint8_t>> pieces;
  std::vector<std::vector<uint8_t>> packed;
  pieces.reserve(plan.order.size() + 1);
  pieces.emplace_back(plan.prefix);
  for (std::size_t i = 0; i < plan.order.size(); ++i) {
    const Tensor& tensor = plan.order[i]->tensor;
    if (plan.nbytes[i] == 0) continue;
    if (tensor.is_contiguous()) {
      pieces.emplace_back(static_cast<const uint8_t*>(tensor.raw_data()), plan.nbytes[i]);
      continue;
    }
    GYRO_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes,
                          allocate_bytes(plan.nbytes[i], "a tensor's contiguous copy"));
    pack(tensor, bytes.data());
    packed.push_back(std::move(bytes));
    pieces.emplace_back(packed.back());
  }
  return write_file_atomically(path, pieces);
}

}  // namespace gyro
