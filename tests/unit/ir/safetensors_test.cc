// safetensors: round trips, Hugging Face's exact bytes, zero-copy loads, and every malformed
// file (truncated, corrupted, or wrong in one field) rejected with a ValueError that says where.
#include "ir/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ir/file_io.h"
#include "tests/unit/test_support.h"

namespace gyro {
namespace {

using namespace gyro::testing;
using Metadata = std::vector<std::pair<std::string, std::string>>;
using Tensors = std::vector<NamedTensor>;

// A file image from a header's JSON text and the data section, as any writer would lay it out:
// the length as 8 little-endian bytes, then the header (padded with spaces to a multiple of 8
// when `pad`), then the data.
std::vector<uint8_t> image(std::string header, const std::vector<uint8_t>& data, bool pad = true) {
  if (pad) header.resize((header.size() + 7) / 8 * 8, ' ');
  std::vector<uint8_t> bytes;
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<uint8_t>(length >> (8 * i)));
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

template <typename T>
std::vector<uint8_t> le_bytes(std::initializer_list<T> values) {
  std::vector<uint8_t> bytes;
  for (T value : values) {
    uint8_t raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    bytes.insert(bytes.end(), raw, raw + sizeof(T));
  }
  return bytes;
}

std::vector<uint8_t> concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A unique path under the test temp dir (ctest runs tests in parallel).
std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "safetensors_test_" + std::to_string(::getpid()) + "_" + name;
}

void write_raw(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::vector<uint8_t> read_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

template <typename T>
Tensor make(const std::vector<T>& values, const Dims& sizes) {
  return Tensor::from_vector(values, sizes).value();
}

// Same dtype, sizes and values (bit for bit, through doubles: NaN compares by its bits).
::testing::AssertionResult same_tensor(const Tensor& actual, const Tensor& expected) {
  if (actual.dtype() != expected.dtype() || actual.sizes() != expected.sizes())
    return ::testing::AssertionFailure()
           << "got " << actual.to_string() << ", expected " << expected.to_string();
  bool equal = true;
  visit_dtype(actual.dtype(), [&](auto tag) {
    using T = decltype(tag);
    std::vector<T> a = actual.to_vector<T>(), e = expected.to_vector<T>();
    equal = a.size() == e.size();
    for (std::size_t i = 0; equal && i < a.size(); ++i) {
      T x = a[i], y = e[i];
      equal = std::memcmp(&x, &y, sizeof(T)) == 0;
    }
  });
  if (!equal)
    return ::testing::AssertionFailure()
           << "got " << actual.to_string() << ", expected " << expected.to_string();
  return ::testing::AssertionSuccess();
}

SafetensorsContents round_trip(const std::vector<NamedTensor>& tensors,
                               const Metadata& metadata = {}) {
  auto bytes = write_safetensors(tensors, metadata);
  EXPECT_TRUE(bytes.ok()) << bytes.error().to_string();
  auto contents = read_safetensors(*bytes, "memory");
  EXPECT_TRUE(contents.ok()) << contents.error().to_string();
  return std::move(contents).value();
}

const Tensor* find(const SafetensorsContents& contents, std::string_view name) {
  for (const NamedTensor& named : contents.tensors)
    if (named.name == name) return &named.tensor;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST(Safetensors, RoundTripsEveryDtype) {
  std::vector<NamedTensor> tensors = {
      {"f32",
       make<float>({1.5f, -0.0f, static_cast<float>(kInf), static_cast<float>(kNaN), 3e-38f, 7},
                   {2, 3})},
      {"f64", make<double>({1e300, -kInf, 0.1, 5e-324}, {4})},
      {"i64", make<int64_t>({kInt64Min, -1, 0, kInt64Max}, {2, 2})},
      {"bool", make<bool>({true, false, false, true, true}, {5})},
  };
  SafetensorsContents contents = round_trip(tensors);
  ASSERT_EQ(contents.tensors.size(), tensors.size());
  for (const NamedTensor& named : tensors) {
    const Tensor* loaded = find(contents, named.name);
    ASSERT_NE(loaded, nullptr) << named.name;
    EXPECT_TRUE(same_tensor(*loaded, named.tensor)) << named.name;
  }
}

TEST(Safetensors, RoundTripsZeroDimAndEmptyTensors) {
  std::vector<NamedTensor> tensors = {
      {"scalar", Tensor::scalar(2.5, DType::Float64)},
      {"int_scalar", Tensor::integer(-7)},
      {"bool_scalar", Tensor::scalar(1, DType::Bool)},
      {"empty", Tensor::empty({0}, DType::Float32).value()},
      {"empty_middle", Tensor::empty({2, 0, 3}, DType::Int64).value()},
      {"empty_bool", Tensor::empty({0, 4}, DType::Bool).value()},
  };
  SafetensorsContents contents = round_trip(tensors);
  ASSERT_EQ(contents.tensors.size(), tensors.size());
  for (const NamedTensor& named : tensors) {
    const Tensor* loaded = find(contents, named.name);
    ASSERT_NE(loaded, nullptr) << named.name;
    EXPECT_TRUE(same_tensor(*loaded, named.tensor)) << named.name;
  }
  EXPECT_EQ(find(contents, "scalar")->dim(), 0);
}

TEST(Safetensors, WritesNonContiguousTensorsContiguously) {
  Tensor base = iota({3, 4});  // 0..11
  Tensor transposed = base.as_strided({4, 3}, {1, 4}, 0);
  Tensor sliced = base.as_strided({2, 2}, {4, 2}, 5);  // rows 1-2, columns 1 and 3
  Tensor expanded = make<int64_t>({7, 8, 9}, {3}).as_strided({2, 3}, {0, 1}, 0);
  Tensor bools = make<bool>({true, false, true, true, false, false}, {2, 3});
  Tensor bools_transposed = bools.as_strided({3, 2}, {1, 3}, 0);
  ASSERT_FALSE(transposed.is_contiguous());
  ASSERT_FALSE(sliced.is_contiguous());
  ASSERT_FALSE(expanded.is_contiguous());
  std::vector<NamedTensor> tensors = {{"transposed", transposed},
                                      {"sliced", sliced},
                                      {"expanded", expanded},
                                      {"bools", bools_transposed}};
  SafetensorsContents contents = round_trip(tensors);
  EXPECT_EQ(find(contents, "transposed")->to_vector<float>(),
            (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_EQ(find(contents, "sliced")->to_vector<float>(), (std::vector<float>{5, 7, 9, 11}));
  EXPECT_EQ(find(contents, "expanded")->to_vector<int64_t>(),
            (std::vector<int64_t>{7, 8, 9, 7, 8, 9}));
  EXPECT_EQ(find(contents, "bools")->to_vector<int64_t>(),
            (std::vector<int64_t>{1, 1, 0, 0, 1, 0}));
  for (const NamedTensor& named : contents.tensors) EXPECT_TRUE(named.tensor.is_contiguous());
}

TEST(Safetensors, RoundTripsMetadataSortedByKey) {
  Metadata metadata = {{"format", "pt"}, {"author", "gyro"}, {"empty", ""}, {"ü", "naïve"}};
  SafetensorsContents contents = round_trip(Tensors{{"x", iota({2})}}, metadata);
  EXPECT_EQ(contents.metadata,
            (Metadata{{"author", "gyro"}, {"empty", ""}, {"format", "pt"}, {"ü", "naïve"}}));
}

TEST(Safetensors, RoundTripsManyTensorsInHfOrder) {
  std::vector<NamedTensor> tensors;
  for (int i = 0; i < 300; ++i) {
    std::string name = "layer." + std::to_string(i);
    switch (i % 4) {
      case 0:
        tensors.push_back({name, make<float>({static_cast<float>(i), 1}, {2})});
        break;
      case 1:
        tensors.push_back({name, make<double>({static_cast<double>(i)}, {1})});
        break;
      case 2:
        tensors.push_back({name, make<int64_t>({i, i, i}, {3, 1})});
        break;
      case 3:
        tensors.push_back({name, make<bool>({i % 3 == 0}, {})});
        break;
    }
  }
  SafetensorsContents contents = round_trip(tensors);
  ASSERT_EQ(contents.tensors.size(), tensors.size());
  for (const NamedTensor& named : tensors)
    EXPECT_TRUE(same_tensor(*find(contents, named.name), named.tensor)) << named.name;
  // Data order is HF's: I64, F64, F32, BOOL, each by name (bytewise).
  auto rank = [](DType dtype) {
    return dtype == DType::Int64     ? 0
           : dtype == DType::Float64 ? 1
           : dtype == DType::Float32 ? 2
                                     : 3;
  };
  for (std::size_t i = 1; i < contents.tensors.size(); ++i) {
    const NamedTensor& a = contents.tensors[i - 1];
    const NamedTensor& b = contents.tensors[i];
    int ra = rank(a.tensor.dtype()), rb = rank(b.tensor.dtype());
    EXPECT_TRUE(ra < rb || (ra == rb && a.name < b.name)) << a.name << " before " << b.name;
  }
}

// ---------------------------------------------------------------------------------------------
// Hugging Face's bytes

// What Python's `safetensors.torch.save_file({"a": torch.tensor([[1., 2.], [3., 4.]]),
// "b": torch.tensor([1, 2, 3])}, path)` writes: I64 sorts before F32, the JSON is compact with
// each entry's keys in the order dtype, shape, data_offsets, and this header is 112 bytes, a
// multiple of 8 already (no padding).
std::vector<uint8_t> python_two_tensor_file() {
  std::vector<uint8_t> bytes = {112, 0, 0, 0, 0, 0, 0, 0};
  const std::string header = R"({"b":{"dtype":"I64","shape":[3],"data_offsets":[0,24]},)"
                             R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[24,40]}})";
  bytes.insert(bytes.end(), header.begin(), header.end());
  const uint8_t data[] = {1, 0, 0,    0,    0, 0, 0,    0,    2, 0, 0, 0,
                          0, 0, 0,    0,    3, 0, 0,    0,    0, 0, 0, 0,  // b: 1, 2, 3
                          0, 0, 0x80, 0x3f, 0, 0, 0,    0x40,              // a: 1.0, 2.0
                          0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40};             //    3.0, 4.0
  bytes.insert(bytes.end(), std::begin(data), std::end(data));
  return bytes;
}

TEST(SafetensorsHf, LoadsWhatPythonWrites) {
  std::vector<uint8_t> bytes = python_two_tensor_file();
  ASSERT_EQ(bytes.size(), 8u + 112u + 40u);
  auto contents = read_safetensors(bytes, "python.safetensors");
  ASSERT_TRUE(contents.ok()) << contents.error().to_string();
  ASSERT_EQ(contents->tensors.size(), 2u);
  EXPECT_EQ(contents->tensors[0].name, "b");  // data order
  EXPECT_TRUE(same_tensor(contents->tensors[0].tensor, make<int64_t>({1, 2, 3}, {3})));
  EXPECT_EQ(contents->tensors[1].name, "a");
  EXPECT_TRUE(same_tensor(contents->tensors[1].tensor, make<float>({1, 2, 3, 4}, {2, 2})));
  EXPECT_TRUE(contents->metadata.empty());
}

TEST(SafetensorsHf, WritesWhatPythonWrites) {
  std::vector<NamedTensor> tensors = {{"a", make<float>({1, 2, 3, 4}, {2, 2})},
                                      {"b", make<int64_t>({1, 2, 3}, {3})}};
  auto bytes = write_safetensors(tensors);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, python_two_tensor_file());
}

// The reference implementation's own alignment case: one F32 [1, 1, 2, 3] tensor "attn0" has a
// 65-byte header, padded with 7 spaces to 72.
TEST(SafetensorsHf, PadsTheHeaderWithSpacesToAMultipleOf8) {
  const std::string header = R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}})";
  ASSERT_EQ(header.size(), 65u);
  const std::string prefix = std::string("\x48\0\0\0\0\0\0\0", 8) + header + std::string(7, ' ');
  std::vector<uint8_t> expected =
      concat({prefix.begin(), prefix.end()}, le_bytes<float>({0, 1, 2, 3, 4, 5}));
  auto bytes = write_safetensors(Tensors{{"attn0", make<float>({0, 1, 2, 3, 4, 5}, {1, 1, 2, 3})}});
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, expected);
  auto contents = read_safetensors(expected, "attn0");
  ASSERT_TRUE(contents.ok()) << contents.error().to_string();
  EXPECT_EQ(contents->tensors[0].tensor.sizes(), (Dims{1, 1, 2, 3}));
}

TEST(SafetensorsHf, EmptyFileAndMetadataOnly) {
  std::vector<uint8_t> empty = {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '};
  auto bytes = write_safetensors({});
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, empty);
  auto contents = read_safetensors(empty, "empty");
  ASSERT_TRUE(contents.ok());
  EXPECT_TRUE(contents->tensors.empty());

  const std::string header = R"({"__metadata__":{"framework":"pt"}})";  // 35 bytes + 5 spaces
  Metadata metadata = {{"framework", "pt"}};
  bytes = write_safetensors({}, metadata);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, image(header, {}));
  EXPECT_EQ(bytes->size(), 8u + 40u);
  contents = read_safetensors(*bytes, "metadata");
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(contents->metadata, metadata);
}

TEST(SafetensorsHf, AcceptsAnyKeyOrderWhitespaceAndEscapes) {
  // Another writer's choices: data order differing from the header's, keys in another order,
  // pretty-printing, escaped names, no padding (so the data is misaligned).
  std::string header =
      "{\n  \"z\\u00e9\\n\": {\"data_offsets\": [8, 16], \"shape\": [1], "
      "\"dtype\": \"F64\"},\n  \"__metadata__\": {},\n"
      "  \"first\": {\"shape\": [2], \"dtype\": \"F32\", "
      "\"data_offsets\": [0, 8]}\n}";
  auto bytes = image(header, concat(le_bytes<float>({1, 2}), le_bytes<double>({3})), false);
  auto contents = read_safetensors(bytes, "other");
  ASSERT_TRUE(contents.ok()) << contents.error().to_string();
  ASSERT_EQ(contents->tensors.size(), 2u);
  EXPECT_EQ(contents->tensors[0].name, "first");
  EXPECT_EQ(contents->tensors[1].name, "z\xc3\xa9\n");
  EXPECT_EQ(contents->tensors[1].tensor.to_vector<double>(), (std::vector<double>{3}));
}

// ---------------------------------------------------------------------------------------------
// Malformed files: each error says what and where

std::vector<uint8_t> one_f32(const std::string& entry, std::size_t data_bytes = 8) {
  return image(R"({"a":)" + entry + "}", std::vector<uint8_t>(data_bytes, 0));
}

TEST(SafetensorsErrors, HeaderLength) {
  EXPECT_TRUE(fails_with(read_safetensors(std::vector<uint8_t>{1, 2, 3}, "w.safetensors"),
                         ErrorKind::ValueError,
                         "w.safetensors: 3 bytes is too short for a safetensors file"));
  std::vector<uint8_t> bytes = image("{}", {});
  bytes[0] = 200;
  EXPECT_TRUE(fails_with(read_safetensors(bytes, "w.safetensors"), ErrorKind::ValueError,
                         "w.safetensors: header length 200 runs past the end of the file (16 "
                         "bytes)"));
  for (uint64_t huge : {uint64_t{100'000'001}, uint64_t{1} << 63, ~uint64_t{0}}) {
    std::memcpy(bytes.data(), &huge, 8);
    EXPECT_TRUE(fails_with(read_safetensors(bytes, "w.safetensors"), ErrorKind::ValueError,
                           "exceeds the limit of 100000000 bytes"))
        << huge;
  }
}

TEST(SafetensorsErrors, HeaderIsNotAJsonObject) {
  EXPECT_TRUE(fails_with(read_safetensors(image("{\"a\": ", {}), "w"), ErrorKind::ValueError,
                         "w: the header is not valid JSON: parse error"));
  EXPECT_TRUE(fails_with(read_safetensors(image("{} x", {}), "w"), ErrorKind::ValueError,
                         "w: the header is not valid JSON"));
  EXPECT_TRUE(fails_with(read_safetensors(image("{\"\xff\": 1}", {}), "w"), ErrorKind::ValueError,
                         "w: the header is not valid JSON"));
  EXPECT_TRUE(fails_with(read_safetensors(image("", {}), "w"), ErrorKind::ValueError,
                         "w: the header is not valid JSON"));
  EXPECT_TRUE(fails_with(read_safetensors(image("[1, 2]", {}), "w"), ErrorKind::ValueError,
                         "w: the header must be a JSON object, not a list"));
  EXPECT_TRUE(fails_with(read_safetensors(image("7", {}), "w"), ErrorKind::ValueError,
                         "w: the header must be a JSON object, not a number"));
  std::vector<uint8_t> nul_padded = image("{}", {});
  nul_padded[10] = 0;
  EXPECT_TRUE(fails_with(read_safetensors(nul_padded, "w"), ErrorKind::ValueError,
                         "w: the header is not valid JSON"));
}

TEST(SafetensorsErrors, EntryKeys) {
  EXPECT_TRUE(fails_with(read_safetensors(one_f32(R"({"dtype":"F32","shape":[2]})"), "w"),
                         ErrorKind::ValueError, "w: tensor 'a': missing key 'data_offsets'"));
  EXPECT_TRUE(fails_with(read_safetensors(one_f32(R"({"shape":[2],"data_offsets":[0,8]})"), "w"),
                         ErrorKind::ValueError, "w: tensor 'a': missing key 'dtype'"));
  EXPECT_TRUE(fails_with(
      read_safetensors(one_f32(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1})"), "w"),
      ErrorKind::ValueError, "w: tensor 'a': unexpected key 'x'"));
  EXPECT_TRUE(fails_with(
      read_safetensors(one_f32(R"({"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]})"),
                       "w"),
      ErrorKind::ValueError, "w: tensor 'a': key 'dtype' appears twice"));
  EXPECT_TRUE(
      fails_with(read_safetensors(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                        R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                        std::vector<uint8_t>(8)),
                                  "w"),
                 ErrorKind::ValueError, "w: 'a' appears twice in the header"));
}

TEST(SafetensorsErrors, WrongTypes) {
  struct Case {
    const char* entry;
    const char* message;
  };
  const Case cases[] = {
      {R"("F32")", "tensor 'a': its entry must be an object, not a string"},
      {R"({"dtype":5,"shape":[2],"data_offsets":[0,8]})",
       "tensor 'a': 'dtype' must be a string, not a number"},
      {R"({"dtype":["F32"],"shape":[2],"data_offsets":[0,8]})",
       "tensor 'a': 'dtype' must be a string, not a list"},
      {R"({"dtype":"F32","shape":2,"data_offsets":[0,8]})",
       "tensor 'a': 'shape' must be a list of sizes, not a number"},
      {R"({"dtype":"F32","shape":null,"data_offsets":[0,8]})",
       "tensor 'a': 'shape' must be a list of sizes, not null"},
      {R"({"dtype":"F32","shape":[2.0],"data_offsets":[0,8]})",
       "tensor 'a': 'shape' must hold non-negative integers, not the number 2.0"},
      {R"({"dtype":"F32","shape":[true],"data_offsets":[0,8]})",
       "tensor 'a': 'shape' must hold non-negative integers, not true"},
      {R"({"dtype":"F32","shape":[[2]],"data_offsets":[0,8]})",
       "tensor 'a': 'shape' must hold non-negative integers, not a list"},
      {R"({"dtype":"F32","shape":["2"],"data_offsets":[0,8]})",
       "tensor 'a': 'shape' must hold non-negative integers, not a string"},
      {R"({"dtype":"F32","shape":[2],"data_offsets":{"begin":0}})",
       "tensor 'a': 'data_offsets' must be a list [begin, end], not an object"},
      {R"({"dtype":"F32","shape":[2],"data_offsets":[0]})",
       "tensor 'a': 'data_offsets' must be [begin, end], but has 1 entry"},
      {R"({"dtype":"F32","shape":[2],"data_offsets":[]})",
       "tensor 'a': 'data_offsets' must be [begin, end], but has 0 entries"},
      {R"({"dtype":"F32","shape":[2],"data_offsets":[0,4,8]})",
       "tensor 'a': 'data_offsets' has more than two entries"},
      {R"({"dtype":"F32","shape":[2],"data_offsets":[0,-8]})",
       "tensor 'a': 'data_offsets' must hold non-negative integers, not -8"},
      {R"({"dtype":"F32","shape":[2],"data_offsets":[0,8e0]})",
       "tensor 'a': 'data_offsets' must hold non-negative integers, not the number 8e0"},
      {R"({"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551616]})",
       "tensor 'a': 'data_offsets' must hold non-negative integers, not the number"},
  };
  for (const Case& c : cases)
    EXPECT_TRUE(fails_with(read_safetensors(one_f32(c.entry), "w"), ErrorKind::ValueError,
                           std::string("w: ") + c.message))
        << c.entry;
  EXPECT_TRUE(fails_with(read_safetensors(image(R"({"__metadata__":{"format":1}})", {}), "w"),
                         ErrorKind::ValueError,
                         "w: '__metadata__' must map strings to strings, but 'format' maps to a "
                         "number"));
  EXPECT_TRUE(fails_with(read_safetensors(image(R"({"__metadata__":["pt"]})", {}), "w"),
                         ErrorKind::ValueError,
                         "w: '__metadata__' must be an object of strings, not a list"));
  EXPECT_TRUE(fails_with(read_safetensors(image(R"({"__metadata__":{"k":"a","k":"b"}})", {}), "w"),
                         ErrorKind::ValueError, "w: '__metadata__': key 'k' appears twice"));
}

TEST(SafetensorsErrors, ShapeAndDtype) {
  EXPECT_TRUE(fails_with(
      read_safetensors(one_f32(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,8]})"), "w"),
      ErrorKind::ValueError, "w: tensor 'a': 'shape' must hold non-negative integers, not -1"));
  EXPECT_TRUE(fails_with(
      read_safetensors(
          one_f32(R"({"dtype":"F32","shape":[1,1,1,1,1,1,1,1,2],"data_offsets":[0,8]})"), "w"),
      ErrorKind::ValueError, "w: tensor 'a': 'shape' has more than 8 dims"));
  EXPECT_TRUE(fails_with(
      read_safetensors(one_f32(R"({"dtype":"F16","shape":[4],"data_offsets":[0,8]})"), "w"),
      ErrorKind::ValueError,
      "w: tensor 'a': dtype 'F16' is not supported (gyro reads F32, F64, I64 and BOOL)"));
  EXPECT_TRUE(fails_with(
      read_safetensors(one_f32(R"({"dtype":"float32","shape":[2],"data_offsets":[0,8]})"), "w"),
      ErrorKind::ValueError, "w: tensor 'a': dtype 'float32' is not supported"));
  EXPECT_TRUE(fails_with(
      read_safetensors(
          one_f32(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]})"), "w"),
      ErrorKind::ValueError, "w: tensor 'a': F32 [4294967296, 4294967296] overflows"));
  EXPECT_TRUE(fails_with(
      read_safetensors(
          one_f32(R"({"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,8]})"), "w"),
      ErrorKind::ValueError, "w: tensor 'a': 'shape' entry 9223372036854775808 is too large"));
  // No elements, but strides that would overflow.
  EXPECT_TRUE(fails_with(
      read_safetensors(
          one_f32(R"({"dtype":"F32","shape":[0,4611686018427387904,4],"data_offsets":[0,0]})", 0),
          "w"),
      ErrorKind::ValueError, "overflows the byte count"));
}

TEST(SafetensorsErrors, Offsets) {
  // The brief's example, verbatim.
  EXPECT_TRUE(fails_with(
      read_safetensors(image(R"({"a.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,12]}})",
                             std::vector<uint8_t>(12)),
                       "w.safetensors"),
      ErrorKind::ValueError,
      "w.safetensors: tensor 'a.weight': data_offsets [0, 12] hold 12 bytes, but F32 [2, 3] "
      "needs 24"));
  EXPECT_TRUE(fails_with(
      read_safetensors(one_f32(R"({"dtype":"F32","shape":[2],"data_offsets":[8,0]})"), "w"),
      ErrorKind::ValueError, "w: tensor 'a': data_offsets [8, 0] end before they begin"));
  EXPECT_TRUE(fails_with(
      read_safetensors(one_f32(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})", 4), "w"),
      ErrorKind::ValueError,
      "w: tensor 'a': data_offsets [0, 8] run past the data section (4 bytes)"));
  EXPECT_TRUE(fails_with(
      read_safetensors(
          one_f32(R"({"dtype":"F32","shape":[2],"data_offsets":[18446744073709551608,0]})"), "w"),
      ErrorKind::ValueError, "end before they begin"));
  // Overlap, gap, trailing bytes, and a hole at the start.
  auto two = [](const char* a, const char* b, std::size_t data) {
    return image(std::string(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":)") + a +
                     R"(},"b":{"dtype":"F32","shape":[2],"data_offsets":)" + b + "}}",
                 std::vector<uint8_t>(data));
  };
  EXPECT_TRUE(fails_with(read_safetensors(two("[0,8]", "[4,12]", 12), "w"), ErrorKind::ValueError,
                         "w: tensors 'a' and 'b' overlap: data_offsets [0, 8] and [4, 12]"));
  EXPECT_TRUE(fails_with(read_safetensors(two("[0,8]", "[0,8]", 8), "w"), ErrorKind::ValueError,
                         "w: tensors 'a' and 'b' overlap: data_offsets [0, 8] and [0, 8]"));
  EXPECT_TRUE(fails_with(read_safetensors(two("[0,8]", "[12,20]", 20), "w"), ErrorKind::ValueError,
                         "w: data bytes [8, 12) belong to no tensor (the tensors must cover the "
                         "data section exactly)"));
  EXPECT_TRUE(fails_with(read_safetensors(two("[0,8]", "[8,16]", 17), "w"), ErrorKind::ValueError,
                         "w: data bytes [16, 17) belong to no tensor"));
  EXPECT_TRUE(fails_with(read_safetensors(two("[4,12]", "[12,20]", 20), "w"), ErrorKind::ValueError,
                         "w: data bytes [0, 4) belong to no tensor"));
  EXPECT_TRUE(fails_with(read_safetensors(image("{}", {1}), "w"), ErrorKind::ValueError,
                         "w: data bytes [0, 1) belong to no tensor"));
  // Zero-byte tensors may share an offset with each other and with the next tensor.
  auto shared =
      read_safetensors(image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("e":{"dtype":"I64","shape":[0],"data_offsets":[0,0]},)"
                             R"("f":{"dtype":"BOOL","shape":[3,0],"data_offsets":[0,0]}})",
                             std::vector<uint8_t>(8)),
                       "w");
  ASSERT_TRUE(shared.ok()) << shared.error().to_string();
  EXPECT_EQ(shared->tensors[2].name, "a");
}

TEST(SafetensorsErrors, BoolBytesMustBeZeroOrOne) {
  auto bytes = image(R"({"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})", {0, 1, 2});
  EXPECT_TRUE(fails_with(read_safetensors(bytes, "w"), ErrorKind::ValueError,
                         "w: tensor 'mask': BOOL element 2 is the byte 2, not 0 or 1 (file "
                         "offset 74)"));
  bytes.back() = 1;
  auto contents = read_safetensors(bytes, "w");
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(contents->tensors[0].tensor.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 1}));
}

TEST(SafetensorsErrors, WritingRejectsBadNamesAndMetadata) {
  Tensor x = iota({2});
  EXPECT_TRUE(fails_with(write_safetensors(Tensors{{"a", x}, {"b", x}, {"a", x}}),
                         ErrorKind::ValueError, "duplicate tensor name 'a'"));
  EXPECT_TRUE(fails_with(write_safetensors(Tensors{{"", x}}), ErrorKind::ValueError,
                         "a tensor's name is empty"));
  EXPECT_TRUE(fails_with(write_safetensors(Tensors{{"__metadata__", x}}), ErrorKind::ValueError,
                         "a tensor cannot be named '__metadata__'"));
  EXPECT_TRUE(fails_with(write_safetensors(Tensors{{"bad\xff", x}}), ErrorKind::ValueError,
                         "a tensor name is not valid UTF-8"));
  EXPECT_TRUE(fails_with(write_safetensors(Tensors{{"a", Tensor()}}), ErrorKind::ValueError,
                         "tensor 'a' is undefined"));
  Metadata duplicate = {{"k", "1"}, {"k", "2"}};
  EXPECT_TRUE(fails_with(write_safetensors({}, duplicate), ErrorKind::ValueError,
                         "duplicate metadata key 'k'"));
  Metadata bad_value = {{"k", "\xc3"}};
  EXPECT_TRUE(fails_with(write_safetensors({}, bad_value), ErrorKind::ValueError,
                         "metadata 'k' is not valid UTF-8"));
  // Names that need escaping in JSON come back as they were.
  SafetensorsContents contents = round_trip({{"quote\"back\\slash\ttab\x01/", x}});
  EXPECT_EQ(contents.tensors[0].name, "quote\"back\\slash\ttab\x01/");
}

// ---------------------------------------------------------------------------------------------
// Every truncation and every single-byte corruption of a small file

std::vector<uint8_t> small_file() {
  std::vector<NamedTensor> tensors = {
      {"w", make<float>({1, 2, 3, 4, 5, 6}, {2, 3})},
      {"b", make<double>({-1, 0.5}, {2})},
      {"steps", make<int64_t>({42}, {})},
      {"mask", make<bool>({true, false, true}, {3})},
      {"none", Tensor::empty({0, 2}, DType::Float32).value()},
  };
  Metadata metadata = {{"format", "pt"}};
  return write_safetensors(tensors, metadata).value();
}

// A loaded file that is structurally sound: every tensor's bytes readable (ASan checks the
// bounds), bools 0 or 1 (UBSan checks), sizes consistent with the element count.
void expect_sound(const SafetensorsContents& contents) {
  for (const NamedTensor& named : contents.tensors) {
    const Tensor& tensor = named.tensor;
    ASSERT_TRUE(tensor.defined());
    ASSERT_TRUE(tensor.is_contiguous());
    ASSERT_EQ(tensor.numel(), product(tensor.sizes()));
    ASSERT_GE(tensor.storage()->nbytes(),
              static_cast<std::size_t>(tensor.numel()) * tensor.itemsize());
    double sum = 0;
    for (double value : tensor.to_vector<double>()) sum += value;
    (void)sum;
  }
}

TEST(SafetensorsRobustness, EveryTruncationIsAValueError) {
  std::vector<uint8_t> bytes = small_file();
  ASSERT_TRUE(read_safetensors(bytes, "small").ok());
  const std::string path = temp_path("truncated.safetensors");
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    std::span<const uint8_t> prefix(bytes.data(), size);
    auto result = read_safetensors(prefix, "small");
    ASSERT_FALSE(result.ok()) << "prefix of " << size << " bytes loaded";
    EXPECT_EQ(result.error().kind, ErrorKind::ValueError) << result.error().to_string();
    EXPECT_TRUE(result.error().message.starts_with("small: ")) << result.error().message;
    write_raw(path, std::vector<uint8_t>(prefix.begin(), prefix.end()));
    auto loaded = load_safetensors_file(path);
    ASSERT_FALSE(loaded.ok()) << "file of " << size << " bytes loaded";
    EXPECT_EQ(loaded.error().kind, ErrorKind::ValueError) << loaded.error().to_string();
  }
  std::remove(path.c_str());
}

TEST(SafetensorsRobustness, EverySingleByteCorruptionFailsCleanlyOrLoadsSoundly) {
  const std::vector<uint8_t> bytes = small_file();
  const std::string path = temp_path("corrupt.safetensors");
  int rejected = 0, loaded = 0;
  for (std::size_t offset = 0; offset < bytes.size(); ++offset) {
    const int replacements[] = {bytes[offset] ^ 0x01,
                                0x00,
                                0x01,
                                0x02,
                                0x20,
                                0x22,
                                0x2d,
                                0x30,
                                0x39,
                                0x5b,
                                0x7b,
                                0x7d,
                                0x80,
                                0xff,
                                bytes[offset] ^ 0x40};
    for (int replacement : replacements) {
      if (replacement == bytes[offset]) continue;
      std::vector<uint8_t> corrupt = bytes;
      corrupt[offset] = static_cast<uint8_t>(replacement);
      auto result = read_safetensors(corrupt, "c");
      if (result.ok()) {
        ++loaded;
        expect_sound(*result);
      } else {
        ++rejected;
        EXPECT_EQ(result.error().kind, ErrorKind::ValueError)
            << "offset " << offset << ": " << result.error().to_string();
      }
      // Through a file too (for the first two values, to keep the test short): the zero-copy
      // path, with whatever alignment the corruption made.
      if (replacement != replacements[0] && replacement != replacements[1]) continue;
      write_raw(path, corrupt);
      auto from_file = load_safetensors_file(path);
      EXPECT_EQ(from_file.ok(), result.ok()) << "offset " << offset;
      if (from_file.ok()) expect_sound(*from_file);
    }
  }
  std::remove(path.c_str());
  EXPECT_GT(rejected, 0);
  EXPECT_GT(loaded, 0);  // data bytes have no checksum: they load as other values
}

// ---------------------------------------------------------------------------------------------
// Files

TEST(SafetensorsFile, LoadsAlignedTensorsWithoutCopying) {
  const std::string path = temp_path("zero_copy.safetensors");
  std::vector<NamedTensor> tensors = {{"a", iota({4, 5})},
                                      {"b", make<int64_t>({1, 2, 3}, {3})},
                                      {"c", make<double>({0.5}, {1})},
                                      {"m", make<bool>({true, false, true}, {3})}};
  ASSERT_TRUE(save_safetensors_file(path, tensors).ok());
  auto contents = load_safetensors_file(path);
  ASSERT_TRUE(contents.ok()) << contents.error().to_string();
  ASSERT_EQ(contents->tensors.size(), 4u);
  for (const NamedTensor& named : contents->tensors)
    EXPECT_TRUE(named.tensor.storage()->is_external()) << named.name;
  // They view one mapping: data order b (24 bytes), c (8), a (80), m.
  const auto* b = static_cast<const uint8_t*>(find(*contents, "b")->raw_data());
  EXPECT_EQ(static_cast<const uint8_t*>(find(*contents, "c")->raw_data()) - b, 24);
  EXPECT_EQ(static_cast<const uint8_t*>(find(*contents, "a")->raw_data()) - b, 32);
  EXPECT_EQ(static_cast<const uint8_t*>(find(*contents, "m")->raw_data()) - b, 112);
  for (const NamedTensor& named : tensors)
    EXPECT_TRUE(same_tensor(*find(*contents, named.name), named.tensor)) << named.name;
  std::remove(path.c_str());
}

TEST(SafetensorsFile, WritingIntoALoadedTensorDoesNotChangeTheFile) {
  const std::string path = temp_path("copy_on_write.safetensors");
  ASSERT_TRUE(save_safetensors_file(path, Tensors{{"x", iota({8})}}).ok());
  const std::vector<uint8_t> before = read_raw(path);
  {
    auto contents = load_safetensors_file(path);
    ASSERT_TRUE(contents.ok());
    Tensor x = contents->tensors[0].tensor;
    ASSERT_TRUE(x.storage()->is_external());
    for (int i = 0; i < 8; ++i) x.data<float>()[i] = -1;
    EXPECT_EQ(x.to_vector<float>(), std::vector<float>(8, -1));
    auto again = load_safetensors_file(path);
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(same_tensor(again->tensors[0].tensor, iota({8})));
  }
  EXPECT_EQ(read_raw(path), before);
  std::remove(path.c_str());
}

TEST(SafetensorsFile, TensorsOutliveTheirContentsAndTheFile) {
  const std::string path = temp_path("lifetime.safetensors");
  ASSERT_TRUE(save_safetensors_file(path, Tensors{{"x", iota({3})}, {"y", iota({2})}}).ok());
  Tensor kept;
  {
    auto contents = load_safetensors_file(path);
    ASSERT_TRUE(contents.ok());
    kept = find(*contents, "y")->as_strided({2}, {1}, 0);
  }
  std::remove(path.c_str());  // the mapping stays valid while a tensor views it
  EXPECT_EQ(kept.to_vector<float>(), (std::vector<float>{0, 1}));
}

TEST(SafetensorsFile, CopiesMisalignedTensors) {
  // Another writer's unpadded header puts the F64 data at file offset 8 + 69: misaligned.
  const std::string header = R"({"x":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}})";
  ASSERT_NE((8 + header.size()) % 8, 0u);
  const std::string path = temp_path("misaligned.safetensors");
  write_raw(path, image(header, le_bytes<double>({1.25, -2}), false));
  auto contents = load_safetensors_file(path);
  ASSERT_TRUE(contents.ok()) << contents.error().to_string();
  const Tensor& x = contents->tensors[0].tensor;
  EXPECT_FALSE(x.storage()->is_external());
  EXPECT_EQ(x.to_vector<double>(), (std::vector<double>{1.25, -2}));
  std::remove(path.c_str());
}

TEST(SafetensorsFile, RoundTripsNonContiguousTensorsAndMetadata) {
  const std::string path = temp_path("strided.safetensors");
  Tensor base = iota({3, 4});
  std::vector<NamedTensor> tensors = {{"t", base.as_strided({4, 3}, {1, 4}, 0)},
                                      {"e", base.as_strided({2, 4}, {0, 1}, 4)},
                                      {"empty", Tensor::empty({0}, DType::Int64).value()}};
  Metadata metadata = {{"format", "pt"}};
  ASSERT_TRUE(save_safetensors_file(path, tensors, metadata).ok());
  auto contents = load_safetensors_file(path);
  ASSERT_TRUE(contents.ok()) << contents.error().to_string();
  EXPECT_EQ(find(*contents, "t")->to_vector<float>(),
            (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_EQ(find(*contents, "e")->to_vector<float>(), (std::vector<float>{4, 5, 6, 7, 4, 5, 6, 7}));
  EXPECT_EQ(find(*contents, "empty")->numel(), 0);
  EXPECT_EQ(contents->metadata, metadata);
  // The file is what write_safetensors makes.
  EXPECT_EQ(read_raw(path), write_safetensors(tensors, metadata).value());
  std::remove(path.c_str());
}

TEST(SafetensorsFile, ErrorsNameTheFile) {
  const std::string missing = temp_path("missing_dir/none.safetensors");
  EXPECT_TRUE(fails_with(load_safetensors_file(missing), ErrorKind::FileNotFoundError,
                         "cannot open " + missing + ": No such file or directory"));
  EXPECT_TRUE(
      fails_with(save_safetensors_file(missing, {}), ErrorKind::FileNotFoundError, "missing_dir"));
  const std::string path = temp_path("bad.safetensors");
  write_raw(path, image(R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,12]}})",
                        std::vector<uint8_t>(12)));
  EXPECT_TRUE(fails_with(load_safetensors_file(path), ErrorKind::ValueError,
                         path + ": tensor 'a': data_offsets [0, 12] hold 12 bytes"));
  // A failed save leaves the old file as it was.
  const std::vector<uint8_t> before = read_raw(path);
  EXPECT_TRUE(fails_with(save_safetensors_file(path, Tensors{{"a", iota({1})}, {"a", iota({1})}}),
                         ErrorKind::ValueError, "duplicate tensor name 'a'"));
  EXPECT_EQ(read_raw(path), before);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace gyro
