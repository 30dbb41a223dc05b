// Saved objects (.gyo): round trips of every value kind through bytes and files, tensor views
// and shared storage, shared references and cycles, script instances and compiled modules,
// the errors for what cannot be saved or found, and a loader that rejects every truncation and
// corruption of a valid file without crashing.
#include "interp/saved_object.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <unordered_set>

#include "interp/python_ops.h"
#include "ir/byte_io.h"
#include "ir/safetensors.h"
#include "tests/unit/lang/script_program.h"
#include "tests/unit/test_support.h"

using namespace gyro;
using gyro::testing::fails_with;

namespace {

// Empties every list and dict reachable from `root` (and compiled functions' caches): loaded
// cycles are not collected by reference counting, and the tests run under LeakSanitizer.
void break_cycles(const Value& root) {
  std::vector<Value> pending{root}, reached;
  std::unordered_set<const Object*> seen;
  while (!pending.empty()) {
    Value value = std::move(pending.back());
    pending.pop_back();
    if (!value.is_object() || !seen.insert(value.as_object()).second) continue;
    switch (value.as_object()->kind()) {
      case ObjectKind::List:
      case ObjectKind::Tuple:
        for (const Value& item : sequence_items(value)) pending.push_back(item);
        break;
      case ObjectKind::Dict:
        value.as<DictObject>().table.for_each([&](const Value& key, const Value& item) {
          pending.push_back(key);
          pending.push_back(item);
        });
        break;
      case ObjectKind::Instance:
        pending.push_back(value.as<InstanceObject>().attributes);
        break;
      case ObjectKind::BoundMethod:
        pending.push_back(value.as<BoundMethodObject>().self);
        break;
      case ObjectKind::CompiledFunction:
        pending.push_back(value.as<CompiledFunctionObject>().self);
        pending.push_back(value.as<CompiledFunctionObject>().options);
        break;
      default:
        break;
    }
    reached.push_back(std::move(value));
  }
  for (Value& value : reached) {
    if (value.is(ObjectKind::List)) value.as<ListObject>().items.clear();
    if (value.is(ObjectKind::Dict)) value.as<DictObject>().table.clear();
    if (value.is(ObjectKind::CompiledFunction)) {
      value.as<CompiledFunctionObject>().entries.clear();
      value.as<CompiledFunctionObject>().self = Value();
    }
  }
}

Value item(const Value& dict, std::string_view key) {
  auto found = dict.as<DictObject>().table.get(make_str(std::string(key)));
  EXPECT_TRUE(found.ok() && found->has_value()) << key;
  return found.ok() && found->has_value() ? **found : Value();
}

Value make_dict_of_one(Value value) {
  Value dict = make_dict();
  EXPECT_TRUE(dict.as<DictObject>().table.set(make_str("x"), std::move(value)).ok());
  return dict;
}

Value attribute(const Value& instance, std::string_view name) {
  return item(instance.as<InstanceObject>().attributes, name);
}

Expected<Value> round_trip(Interpreter& vm, const Value& value) {
  GYRO_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, save_object(vm, value));
  return load_object(vm, bytes, "t.gyo");
}

const Tensor& tensor_of(const Value& value) {
  return value.as<TensorBoxObject>().tensor;
}

// A payload byte changed, with the checksum made to match again: reaches the structural
// checks behind the checksum.
std::vector<uint8_t> with_checksum(std::vector<uint8_t> bytes) {
  const uint64_t checksum = saved_object_checksum(
      std::span(bytes).subspan(kSavedObjectHeaderSize));
  for (int i = 0; i < 8; ++i)
    bytes[kSavedObjectChecksumOffset + i] = static_cast<uint8_t>(checksum >> (8 * i));
  return bytes;
}

constexpr std::string_view kModels = R"(
class MLP(Module):
    def __init__(self):
        super().__init__()
        self.layers = Sequential(Linear(4, 8), ReLU(), Linear(8, 3))
        self.scale = 2.0

    def forward(self, x):
        return self.layers(x) * self.scale


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def total(self):
        return self.x + self.y


manual_seed(0)
model = MLP()
x = randn(5, 4)
)";

}  // namespace

TEST(SavedObject, ScalarsStringsAndContainersRoundTrip) {
  ScriptProgram program(R"(
value = {"none": None, "bools": [True, False], "ints": [0, -1, 9223372036854775807,
         -9223372036854775807 - 1], "floats": (0.5, -0.0, 1e300, float("inf"), float("-inf")),
         "strs": ["", "héllo", "a\nb"], "nested": {"z": 1, "a": (1, [2, {3: "x"}])},
         (1, "k"): "tuple key", 2.5: "float key", None: "none key", "empty": ((), [], {})}
)");
  const Value value = program.global("value");
  auto loaded = round_trip(program.vm, value);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(repr(*loaded), repr(value));
  EXPECT_NE(loaded->as_object(), value.as_object());
  // -0.0 keeps its sign bit; NaN its payload.
  auto floats = sequence_items(item(*loaded, "floats"));
  EXPECT_TRUE(std::signbit(floats[1].as_float()));
  auto nan = round_trip(program.vm, Value::real(std::nan("7")));
  ASSERT_TRUE(nan.ok());
  EXPECT_EQ(std::bit_cast<uint64_t>(nan->as_float()), std::bit_cast<uint64_t>(std::nan("7")));
  // Saving what was loaded gives the same bytes.
  EXPECT_EQ(*save_object(program.vm, *loaded), *save_object(program.vm, value));
}

TEST(SavedObject, EveryDtypeAndEmptyAndZeroDimTensorsRoundTrip) {
  ScriptProgram program(R"(
tensors = [tensor([1.5, -2.25]), tensor([1.5, -2.25], dtype=float64),
           tensor([9223372036854775807, -3]), tensor([True, False, True]), zeros(0, 3),
           zeros(2, 0, dtype=int64), tensor(7.0), ones(2, 3, dtype=bool_)]
dtypes = [float32, float64, int64, bool_]
)");
  auto loaded = round_trip(program.vm, program.global("tensors"));
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  const auto& before = sequence_items(program.global("tensors"));
  const auto& after = sequence_items(*loaded);
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(repr(after[i]), repr(before[i])) << i;
    EXPECT_EQ(tensor_of(after[i]).dtype(), tensor_of(before[i]).dtype()) << i;
    EXPECT_EQ(tensor_of(after[i]).sizes(), tensor_of(before[i]).sizes()) << i;
  }
  // dtype objects load as the shared dtype objects.
  auto dtypes = round_trip(program.vm, program.global("dtypes"));
  ASSERT_TRUE(dtypes.ok());
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_TRUE(identical(sequence_items(*dtypes)[i], sequence_items(program.global("dtypes"))[i]));
}

TEST(SavedObject, ViewsKeepStridesAndOffsetAndShareTheirStorage) {
  ScriptProgram program(R"(
base = arange(0, 24).reshape(4, 6).to(float32)
views = [base, base.transpose(0, 1), base[1], base.slice(1, 1, 6, 2), base[2].expand(3, 6),
         base[3].slice(0, 6, 6)]
)");
  auto loaded = round_trip(program.vm, program.global("views"));
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  const auto& before = sequence_items(program.global("views"));
  const auto& after = sequence_items(*loaded);
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(repr(after[i]), repr(before[i])) << i;
    EXPECT_EQ(tensor_of(after[i]).strides(), tensor_of(before[i]).strides()) << i;
    EXPECT_EQ(tensor_of(after[i]).offset(), tensor_of(before[i]).offset()) << i;
    EXPECT_TRUE(tensor_of(after[i]).shares_storage(tensor_of(after[0]))) << i;
  }
  // A write through one view shows in the others, as before saving.
  ASSERT_TRUE(program.vm.call(*program.vm.get_attribute(after[2], "fill_"),
                              std::vector<Value>{Value::real(-1.0)}));
  EXPECT_EQ(tensor_of(after[1]).to_vector<float>()[1], -1.0f);  // base.T[0][1] is base[1][0]
}

TEST(SavedObject, OnlyTheSpanAStoragesViewsReachIsSaved) {
  ScriptProgram program(R"(
big = zeros(100000)
small = big.slice(0, 10, 20)
)");
  auto bytes = save_object(program.vm, program.global("small"));
  ASSERT_TRUE(bytes.ok());
  EXPECT_LT(bytes->size(), 1000u);
  auto loaded = load_object(program.vm, *bytes, "t.gyo");
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(tensor_of(*loaded).offset(), 0);
  EXPECT_LE(tensor_of(*loaded).storage()->nbytes(), 64u);
}

TEST(SavedObject, SharedReferencesAndCyclesArePreserved) {
  ScriptProgram program(R"(
shared = [1, 2]
pair = [shared, shared]
loop = [0]
loop.append(loop)
table = {"k": 1}
table["me"] = table
inner = []
outer = (inner,)
wrapper = (outer,)
inner.append(wrapper)
)");
  auto pair = round_trip(program.vm, program.global("pair"));
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(sequence_items(*pair)[0].as_object(), sequence_items(*pair)[1].as_object());

  auto loop = round_trip(program.vm, program.global("loop"));
  ASSERT_TRUE(loop.ok());
  EXPECT_EQ(sequence_items(*loop)[1].as_object(), loop->as_object());
  EXPECT_EQ(repr(*loop), "[0, [...]]");
  break_cycles(*loop);

  auto table = round_trip(program.vm, program.global("table"));
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(item(*table, "me").as_object(), table->as_object());
  break_cycles(*table);

  // A tuple inside a tuple inside a list inside the first tuple: tuples are made after their
  // items whatever the order the walk met them in.
  auto wrapper = round_trip(program.vm, program.global("wrapper"));
  ASSERT_TRUE(wrapper.ok()) << wrapper.error().to_string();
  const Value& outer = sequence_items(*wrapper)[0];
  const Value& inner = sequence_items(outer)[0];
  EXPECT_EQ(sequence_items(inner)[0].as_object(), wrapper->as_object());
  break_cycles(*wrapper);
}

TEST(SavedObject, ScriptInstancesLoadWithoutInitAndGiveTheSameOutputs) {
  ScriptProgram program(kModels);
  const Value model = program.global("model");
  const Value x = program.global("x");
  auto bytes = save_object(program.vm, model);
  ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();

  // Another program that defines the same classes (nothing from the file runs: no __init__,
  // so the seed it would draw from is untouched).
  ScriptProgram other(std::string(kModels) + "\ncalls = []\n");
  auto loaded = load_object(other.vm, *bytes, "mlp.gyo");
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_TRUE(identical(loaded->as<InstanceObject>().cls, other.global("MLP")));
  const Value layers = attribute(*loaded, "layers");
  EXPECT_TRUE(identical(layers.as<InstanceObject>().cls, item(other.vm.builtins(), "Sequential")));
  auto expected = program.vm.call(model, std::vector<Value>{x});
  auto actual = other.vm.call(*loaded, std::vector<Value>{x});
  ASSERT_TRUE(expected && actual) << other.vm.format_exception(other.vm.exception());
  EXPECT_EQ(tensor_of(*actual).to_vector<float>(), tensor_of(*expected).to_vector<float>());
  // The Sequential's list and its attributes hold the same Linear objects.
  const Value order = attribute(layers, "_order");
  EXPECT_EQ(sequence_items(order)[0].as_object(), attribute(layers, "0").as_object());
  EXPECT_TRUE(other.globals.as<DictObject>().table.set(make_str("loaded"), *loaded).ok());
}

TEST(SavedObject, ACompiledModuleSavesLoadsAndCompilesAgainOnItsFirstCall) {
  ScriptProgram program(std::string(kModels) + R"(
model.compile(backend="eager", options={"note": 1})
expected = model(x)
)");
  const Value model = program.global("model");
  ASSERT_EQ(attribute(model, "forward").as<CompiledFunctionObject>().entries.size(), 1u);
  auto bytes = save_object(program.vm, model);
  ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();

  ScriptProgram other(kModels);
  auto loaded = load_object(other.vm, *bytes, "mlp.gyo");
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_TRUE(other.globals.as<DictObject>().table.set(make_str("loaded"), *loaded).ok());
  const Value forward = attribute(*loaded, "forward");
  ASSERT_TRUE(forward.is(ObjectKind::CompiledFunction));
  const auto& compiled = forward.as<CompiledFunctionObject>();
  EXPECT_EQ(compiled.self.as_object(), loaded->as_object());
  EXPECT_EQ(repr(compiled.backend), "'eager'");
  EXPECT_EQ(repr(compiled.options), "{'note': 1}");
  EXPECT_TRUE(compiled.entries.empty());
  auto actual = other.vm.call(*loaded, std::vector<Value>{other.global("x")});
  ASSERT_TRUE(actual) << other.vm.format_exception(other.vm.exception());
  EXPECT_EQ(compiled.entries.size(), 1u);
  EXPECT_EQ(tensor_of(*actual).to_vector<float>(),
            tensor_of(program.global("expected")).to_vector<float>());
}

TEST(SavedObject, BoundMethodsAndClassesAreSavedByName) {
  ScriptProgram program(std::string(kModels) + R"(
p = Point(1, 2)
things = [p.total, Point, Linear, int, ValueError]
)");
  auto loaded = round_trip(program.vm, program.global("things"));
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  const auto& items = sequence_items(*loaded);
  auto total = program.vm.call(items[0], {});
  ASSERT_TRUE(total);
  EXPECT_EQ(repr(*total), "3");
  for (std::size_t i = 1; i < items.size(); ++i)
    EXPECT_TRUE(identical(items[i], sequence_items(program.global("things"))[i])) << i;
}

TEST(SavedObject, AClassThatCannotBeFoundIsAnError) {
  ScriptProgram program(kModels);
  auto bytes = save_object(program.vm, program.global("model"));
  ASSERT_TRUE(bytes.ok());
  ScriptProgram bare("y = 1\n");
  EXPECT_TRUE(fails_with(load_object(bare.vm, *bytes, "f.gyo"), ErrorKind::AttributeError,
                         "f.gyo: class __main__.MLP is not defined"));
  // A class whose method went away cannot rebuild a compiled forward.
  ScriptProgram compiled(std::string(kModels) + "model.compile(backend=\"eager\")\n");
  auto with_forward = save_object(compiled.vm, compiled.global("model"));
  ASSERT_TRUE(with_forward.ok());
  ScriptProgram renamed(R"(
class MLP:
    pass
)");
  EXPECT_TRUE(fails_with(load_object(renamed.vm, *with_forward, "f.gyo"), ErrorKind::ValueError,
                         "class __main__.MLP has no method 'forward'"));
}

TEST(SavedObject, WhatCannotBeSavedIsATypeErrorNamingItsPath) {
  ScriptProgram program(std::string(kModels) + R"(
def helper():
    return 1


def make_local():
    class Local:
        pass
    return Local()


class Holder:
    pass


obj = Holder()
obj.layers = [1, 2, Holder()]
obj.layers[2].fn = helper
counted = Linear(2, 2)
counted.compile(backend=CompileCounter())
plain = compile(helper)
things = {"it": iter([1]), "b": len, "local": make_local(), "err": ValueError("x"),
          "sparse": ones(2).to_sparse()}
)");
  Interpreter& vm = program.vm;
  EXPECT_TRUE(fails_with(save_object(vm, program.global("obj")), ErrorKind::TypeError,
                         "cannot save obj.layers[2].fn: a function"));
  EXPECT_TRUE(fails_with(save_object(vm, program.global("counted"), "m"), ErrorKind::TypeError,
                         "cannot save m.forward: a compiled function whose backend is a script "
                         "callable"));
  EXPECT_TRUE(fails_with(save_object(vm, program.global("plain")), ErrorKind::TypeError,
                         "cannot save obj: a compiled plain function"));
  const Value things = program.global("things");
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"it", "cannot save obj['it']: an iterator"},
      {"b", "cannot save obj['b']: a builtin function"},
      {"local", "cannot save obj['local'].__class__: class __main__.Local is not the global"},
      {"err", "cannot save obj['err']: an exception"},
      {"sparse", "cannot save obj['sparse']: a sparse tensor"},
  };
  for (auto [key, message] : cases) {
    Value one = make_dict();
    ASSERT_TRUE(one.as<DictObject>().table.set(make_str(std::string(key)), item(things, key)).ok());
    EXPECT_TRUE(fails_with(save_object(vm, one), ErrorKind::TypeError, message)) << key;
  }
  Value keyed = make_dict();
  ASSERT_TRUE(keyed.as<DictObject>().table.set(Value::integer(3), make_list({make_range(0, 2, 1)})).ok());
  EXPECT_TRUE(fails_with(save_object(vm, keyed), ErrorKind::TypeError,
                         "cannot save obj[3][0]: a range"));
}

TEST(SavedObject, FilesRoundTripAndIOErrorsAreOSErrors) {
  ScriptProgram program(kModels);
  const auto dir = std::filesystem::temp_directory_path() /
                   ("gyro_saved_object_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "model.gyo").string();
  ASSERT_TRUE(save_object_file(program.vm, program.global("model"), path).ok());
  auto loaded = load_object_file(program.vm, path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_TRUE(identical(loaded->as<InstanceObject>().cls, program.global("MLP")));
  EXPECT_TRUE(fails_with(load_object_file(program.vm, (dir / "missing.gyo").string()),
                         ErrorKind::FileNotFoundError, "missing.gyo"));
  EXPECT_TRUE(fails_with(save_object_file(program.vm, Value(), (dir / "no/such/dir.gyo").string()),
                         ErrorKind::FileNotFoundError, "dir.gyo"));
  // A plain safetensors file loads as the dict of its tensors.
  auto image = write_safetensors(std::vector<NamedTensor>{
      {"w", tensor_of(program.global("x"))}, {"b", Tensor::integer(4)}});
  ASSERT_TRUE(image.ok());
  auto dict = load_object(program.vm, *image, "w.safetensors");
  ASSERT_TRUE(dict.ok()) << dict.error().to_string();
  EXPECT_EQ(repr(item(*dict, "w")), repr(program.global("x")));
  EXPECT_EQ(repr(item(*dict, "b")), "tensor(4)");
  std::filesystem::remove_all(dir);
}

TEST(SavedObject, ForeignAndDamagedHeadersAreNamed) {
  Interpreter vm;
  auto bytes = save_object(vm, make_list({Value::integer(1)}));
  ASSERT_TRUE(bytes.ok());
  std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_TRUE(fails_with(load_object(vm, text, "f.gyo"), ErrorKind::ValueError,
                         "f.gyo: not a gyro object file: bad magic at byte 0"));
  auto newer = *bytes;
  newer[kSavedObjectMajorOffset] = 2;
  EXPECT_TRUE(fails_with(load_object(vm, newer, "f.gyo"), ErrorKind::ValueError,
                         "f.gyo: unsupported saved object version 2.0"));
  // A newer minor version may append header fields and sections marked skippable.
  auto newer_file = [&](uint8_t section_flags) {
    auto longer = *bytes;
    longer[kSavedObjectMajorOffset + 2] = 7;
    longer[kSavedObjectHeaderSizeOffset] = kSavedObjectHeaderSize + 8;
    longer.insert(longer.begin() + kSavedObjectHeaderSize, 8, 0xee);
    const uint8_t section[] = {'N', 'E', 'W', 'S', section_flags, 0, 0, 0,
                               2,   0,   0,   0,   0,             0, 0, 0, 9, 9};
    longer.insert(longer.end(), std::begin(section), std::end(section));
    const std::size_t payload_at = kSavedObjectHeaderSize + 8;
    const uint64_t payload_size = longer.size() - payload_at;
    const uint64_t checksum = saved_object_checksum(std::span(longer).subspan(payload_at));
    for (int i = 0; i < 8; ++i) {
      longer[kSavedObjectPayloadSizeOffset + i] = static_cast<uint8_t>(payload_size >> (8 * i));
      longer[kSavedObjectChecksumOffset + i] = static_cast<uint8_t>(checksum >> (8 * i));
    }
    return longer;
  };
  auto newer_minor = load_object(vm, newer_file(1), "f.gyo");
  ASSERT_TRUE(newer_minor.ok()) << newer_minor.error().to_string();
  EXPECT_EQ(repr(*newer_minor), "[1]");
  EXPECT_TRUE(fails_with(load_object(vm, newer_file(0), "f.gyo"), ErrorKind::ValueError,
                         "unknown section 'NEWS' that is not marked skippable"));
  auto corrupt = *bytes;
  corrupt.back() ^= 1;
  EXPECT_TRUE(fails_with(load_object(vm, corrupt, "f.gyo"), ErrorKind::ValueError,
                         "f.gyo: checksum mismatch"));
  auto truncated = *bytes;
  truncated.pop_back();
  EXPECT_TRUE(fails_with(load_object(vm, truncated, "f.gyo"), ErrorKind::ValueError,
                         "f.gyo: truncated payload"));
}

TEST(SavedObject, StructuralErrorsNameTheObjectAndWhatIsWrong) {
  Interpreter vm;
  // [x, x] with x = [] : records 0 (outer list) and 1 (inner list).
  Value inner = make_list();
  auto bytes = save_object(vm, make_list({inner, inner}));
  ASSERT_TRUE(bytes.ok());
  // The payload: OBJS header (16 bytes), u32 count, root value (tag, index), then records.
  const std::size_t table = kSavedObjectHeaderSize + 16;
  ASSERT_EQ((*bytes)[table], 2);
  auto patched = *bytes;
  patched[table + 4 + 1] = 40;  // the root refers to object 40
  EXPECT_TRUE(fails_with(load_object(vm, with_checksum(patched), "f.gyo"), ErrorKind::ValueError,
                         "the root refers to object 40, but the table has 2"));
  patched = *bytes;
  patched[table + 4 + 2 + 1 + 4 + 1] = 9;  // the first item of object 0
  EXPECT_TRUE(fails_with(load_object(vm, with_checksum(patched), "f.gyo"), ErrorKind::ValueError,
                         "f.gyo: object 0 refers to object 9, but the table has 2"));
  patched = *bytes;
  patched[table + 4 + 2] = 77;  // object 0's kind
  EXPECT_TRUE(fails_with(load_object(vm, with_checksum(patched), "f.gyo"), ErrorKind::ValueError,
                         "object 0 has unknown kind 77"));
}

// A file made by hand: the header, then an 'OBJS' section with `count` objects, the root
// value and the records as `body` writes them.
template <typename Body>
std::vector<uint8_t> handmade(uint32_t count, Body&& body) {
  ByteWriter out;
  const uint8_t magic[] = {0x89, 'G', 'Y', 'O', '\r', '\n', 0x1a, '\n'};
  for (uint8_t byte : magic) out.u8(byte);
  out.u16(kSavedObjectMajor);
  out.u16(kSavedObjectMinor);
  out.u32(kSavedObjectHeaderSize);
  out.u64(0);
  out.u64(0);
  const std::size_t length_at = out.begin_section(0x534a424f, 0);  // "OBJS"
  out.u32(count);
  body(out);
  out.end_section(length_at);
  out.patch_u64(kSavedObjectPayloadSizeOffset, out.bytes().size() - kSavedObjectHeaderSize);
  return with_checksum(std::move(out.bytes()));
}

TEST(SavedObject, NestingIsBoundedAndEveryObjectIsReachable) {
  Interpreter vm;
  // 1000 nested lists save and load; 1001 do not (freeing a deeper chain would recurse past
  // what a small native stack holds).
  Value chain = make_list();
  for (int i = 1; i < 1000; ++i) chain = make_list({chain});
  auto loaded = round_trip(vm, chain);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_TRUE(fails_with(save_object(vm, make_dict_of_one(chain)), ErrorKind::RecursionError,
                         "cannot save obj: it holds objects nested more than 1000 deep"));
  // A loader given a deeper chain by hand rejects it.
  auto deep = handmade(1001, [](ByteWriter& out) {
    out.u8(5);  // root: object 0
    out.varint(0);
    for (uint32_t i = 0; i < 1001; ++i) {
      out.u8(1);  // a list
      out.u32(i + 1 < 1001 ? 1 : 0);
      if (i + 1 < 1001) {
        out.u8(5);
        out.varint(i + 1);
      }
    }
  });
  EXPECT_TRUE(fails_with(load_object(vm, deep, "f.gyo"), ErrorKind::ValueError,
                         "f.gyo: object 0 (a list, at byte 54) starts a chain of objects nested "
                         "more than 1000 deep"));
  // A list that holds itself but that the root does not reach.
  auto stray = handmade(2, [](ByteWriter& out) {
    out.u8(5);
    out.varint(0);
    out.u8(0);  // object 0: the str "a"
    out.string("a");
    out.u8(1);  // object 1: a list holding itself
    out.u32(1);
    out.u8(5);
    out.varint(1);
  });
  EXPECT_TRUE(fails_with(load_object(vm, stray, "f.gyo"), ErrorKind::ValueError,
                         "f.gyo: object 1 (a list, at byte 60) is not reachable from the root"));
}

TEST(SavedObject, ATensorViewOutsideItsStorageIsRejected) {
  Interpreter vm;
  auto base = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, Dims{4});
  ASSERT_TRUE(base.ok());
  auto bytes = save_object(vm, make_tensor(*base));
  ASSERT_TRUE(bytes.ok());
  // Record 0: kind, varint storage, dtype, rank 1, size 4, stride 1, offset 0.
  const std::size_t record = kSavedObjectHeaderSize + 16 + 4 + 2;
  ASSERT_EQ((*bytes)[record], 4);
  auto patched = *bytes;
  patched[record + 4] = 5;  // size 5
  EXPECT_TRUE(fails_with(load_object(vm, with_checksum(patched), "f.gyo"), ErrorKind::ValueError,
                         "reaches element 4, outside its storage 0 (4 elements)"));
  patched = *bytes;
  patched[record + 6] = 1;  // offset 1
  EXPECT_TRUE(fails_with(load_object(vm, with_checksum(patched), "f.gyo"), ErrorKind::ValueError,
                         "outside its storage 0"));
  patched = *bytes;
  patched[record + 2] = 1;  // int64
  EXPECT_TRUE(fails_with(load_object(vm, with_checksum(patched), "f.gyo"), ErrorKind::ValueError,
                         "is int64, but its storage 0 is float32"));
}

TEST(SavedObject, AFailedLoadLeavesNothingBehind) {
  ScriptProgram program(std::string(kModels) + R"(
loop = [model]
loop.append(loop)
model.compile(backend="eager")
)");
  auto bytes = save_object(program.vm, program.global("loop"));
  ASSERT_TRUE(bytes.ok());
  // Loading where MLP's forward is gone fails after the lists, dicts and instances exist.
  ScriptProgram renamed(R"(
class MLP:
    pass
)");
  const Value mlp = renamed.global("MLP");
  const int32_t before = mlp.as_object()->use_count();
  const std::size_t globals = renamed.globals.as<DictObject>().table.size();
  EXPECT_FALSE(load_object(renamed.vm, *bytes, "f.gyo").ok());
  EXPECT_EQ(mlp.as_object()->use_count(), before);  // no half-built instance holds it
  EXPECT_EQ(renamed.globals.as<DictObject>().table.size(), globals);
}

// The corpus for the damage tests: every record kind, shared storage, a cycle.
constexpr std::string_view kCorpus = R"(
class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def total(self):
        return self.x + self.y


base = arange(0, 6).reshape(2, 3).to(float64)
p = Point(1, -2.5)
layer = Linear(2, 1)
layer.compile(backend="eager")
loop = ["s", (p, None, True, False)]
loop.append(loop)
corpus = {"p": p, "t": base, "v": base.transpose(0, 1), "row": base[1], "m": p.total,
          "cls": Point, "dt": int64, "flags": tensor([True, False]), "layer": layer,
          "loop": loop, "ints": zeros(2, dtype=int64)}
)";

TEST(SavedObject, EveryTruncationOfAValidFileIsRejected) {
  ScriptProgram program(kCorpus);
  auto bytes = save_object(program.vm, program.global("corpus"));
  ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
  for (std::size_t size = 0; size < bytes->size(); ++size) {
    auto loaded = load_object(program.vm, std::span(*bytes).first(size), "f.gyo");
    EXPECT_FALSE(loaded.ok()) << size;
    if (!loaded.ok()) {
      EXPECT_EQ(loaded.error().kind, ErrorKind::ValueError) << size;
    }
  }
}

TEST(SavedObject, EverySingleByteCorruptionIsRejected) {
  ScriptProgram program(kCorpus);
  auto bytes = save_object(program.vm, program.global("corpus"));
  ASSERT_TRUE(bytes.ok());
  for (std::size_t at = 0; at < bytes->size(); ++at) {
    // The minor version is the one field any value of which is valid.
    if (at == kSavedObjectMajorOffset + 2 || at == kSavedObjectMajorOffset + 3) continue;
    auto damaged = *bytes;
    damaged[at] ^= 0x41;
    auto loaded = load_object(program.vm, damaged, "f.gyo");
    EXPECT_FALSE(loaded.ok()) << at;
    if (loaded.ok()) break_cycles(*loaded);
  }
}

TEST(SavedObject, CorruptedPayloadsWithAMatchingChecksumNeverCrash) {
  ScriptProgram program(kCorpus);
  auto bytes = save_object(program.vm, program.global("corpus"));
  ASSERT_TRUE(bytes.ok());
  int rejected = 0, loaded_ok = 0;
  for (std::size_t at = kSavedObjectHeaderSize; at < bytes->size(); ++at) {
    for (uint8_t flip : {0x01, 0x02, 0x10, 0x80, 0xff}) {
      auto damaged = *bytes;
      damaged[at] ^= flip;
      auto loaded = load_object(program.vm, with_checksum(damaged), "f.gyo");
      if (loaded.ok()) {
        ++loaded_ok;  // a changed number or character: still a valid file
        break_cycles(*loaded);
      } else {
        ++rejected;
        EXPECT_TRUE(loaded.error().message.starts_with("f.gyo: ")) << loaded.error().message;
      }
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(loaded_ok, 0);
}
