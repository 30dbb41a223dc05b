// .gyo writer and loader: the object graph walked without recursion into a table (each object
// once), tensors grouped by storage into an embedded safetensors image, and a loader that
// checks the whole table before it makes any object; the save() and load() builtins.
#include "interp/saved_object.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <iterator>
#include <limits>
#include <optional>
#include <unordered_map>
#include <utility>


#include "backends/backend.h"
#include "interp/compile_api.h"
#include "interp/python_ops.h"
#include "ir/byte_io.h"
#include "ir/file_io.h"
#include "ir/safetensors.h"

namespace gyro {

namespace {

constexpr uint8_t kMagic[8] = {0x89, 'G', 'Y', 'O', '\r', '\n', 0x1a, '\n'};
// Section tags: four ASCII characters, readable in a hex dump.
constexpr uint32_t kSectionObjects = 0x534a424f;  // "OBJS"
constexpr uint32_t kSectionTensors = 0x52534e54;  // "TNSR"
constexpr uint32_t kSectionSkippable = 1u << 0;

// A value's tag byte.
enum class ValueCode : uint8_t { kNone, kFalse, kTrue, kInt, kFloat, kObject };
constexpr uint8_t kNumValueCodes = 6;

// A record's kind byte, and what the loader needs to know of each: its name in errors, and
// whether it is made empty first and filled last (so it may refer to any object, and cycles
// pass through it).
enum class RecordKind : uint8_t {
  kStr,
  kList,
  kTuple,
  kDict,
  kTensor,
  kDType,
  kClass,
  kInstance,
  kMethod,
  kCompiled,
};
struct RecordInfo {
  std::string_view name;
  bool filled;
};
constexpr RecordInfo kRecordInfo[] = {
    {"a str", false},      {"a list", true},    {"a tuple", false},    {"a dict", true},
    {"a tensor", false},   {"a dtype", false},  {"a class", false},    {"an instance", true},
    {"a method", false},   {"a compiled function", false},
};
constexpr uint8_t kNumRecordKinds = std::size(kRecordInfo);
static_assert(kNumRecordKinds == static_cast<uint8_t>(RecordKind::kCompiled) + 1);

const RecordInfo& info(RecordKind kind) { return kRecordInfo[static_cast<uint8_t>(kind)]; }

// dtype bytes on disk are DType values; reordering dtypes.def would silently change the
// meaning of existing files, so it breaks the build instead.
static_assert(static_cast<int>(DType::Bool) == 0 && static_cast<int>(DType::Int64) == 1 &&
                  static_cast<int>(DType::Float32) == 2 && static_cast<int>(DType::Float64) == 3,
              "the .gyo dtype bytes changed: bump kSavedObjectMajor and update saved_object.h");

constexpr std::string_view kBuiltinsModule = "builtins";
// The longest chain of nested objects a file may hold (see check_nesting).
constexpr uint32_t kMaxNesting = 1000;

// The function `name` on `cls` or its bases (class attributes only: an instance's own
// `forward`, the compiled wrapper, must not hide the method it wraps); None if absent.
Value class_function(const Value& cls, const std::string& name) {
  const Value key = make_str(name);
  for (const Value* at = &cls; at->is(ObjectKind::Class); at = &at->as<ClassObject>().base) {
    auto found = at->as<ClassObject>().attributes.as<DictObject>().table.get(key);
    if (found.ok() && found->has_value())
      return (*found)->is(ObjectKind::Function) ? **found : Value();
  }
  return Value();
}

// The class a saved (module, name) pair refers to, or None.
Value find_class(Interpreter& vm, std::string_view module, const std::string& name) {
  const Value globals =
      module == kBuiltinsModule ? vm.builtins() : vm.module_globals(module);
  if (!globals.is(ObjectKind::Dict)) return Value();
  auto found = globals.as<DictObject>().table.get(make_str(name));
  if (!found.ok() || !found->has_value() || !(*found)->is(ObjectKind::Class)) return Value();
  return **found;
}

// Classes whose instances are plain attribute bags: made by a class statement, not builtin
// types (their values are not instances) nor exceptions (they carry a traceback and args).
bool instances_saveable(const ClassObject& cls) {
  return cls.builtin_tag < 0 && !cls.is_exception;
}

// References between table entries, as offsets into one array of targets (entry i refers to
// targets[offsets[i] .. offsets[i + 1]), in record order).
struct References {
  std::vector<uint32_t> offsets{0};
  std::vector<uint32_t> targets;
};

enum class Visit : uint8_t { kNew, kOpen, kDone };

// Walks the table from the root (depth first, without recursion) and returns the first entry
// that the root does not reach, or one that starts a chain of references longer than
// kMaxNesting that passes through no cycle. Freeing such a chain (and hashing or comparing
// nested tuples) recurses once per link in the VM, so a deep one would overflow the native
// stack; pickle stops at about the same depth (RecursionError). Back edges, which close
// cycles, are not followed; any chain that can be freed lies on the others. Writer and loader
// run this on the same table, so what one writes the other accepts.
struct NestingFault {
  uint32_t entry;
  bool unreachable;  // else too deep
};
std::optional<NestingFault> check_nesting(const References& references, uint32_t root) {
  const auto count = static_cast<uint32_t>(references.offsets.size() - 1);
  if (count == 0) return std::nullopt;
  std::vector<Visit> state(count, Visit::kNew);
  std::vector<uint32_t> height(count, 1);  // the longest chain below an entry, itself included
  std::vector<std::pair<uint32_t, uint32_t>> stack{{root, references.offsets[root]}};
  state[root] = Visit::kOpen;
  while (!stack.empty()) {
    auto& [entry, next] = stack.back();
    if (next < references.offsets[entry + 1]) {
      const uint32_t child = references.targets[next++];
      if (state[child] == Visit::kNew) {
        state[child] = Visit::kOpen;
        stack.push_back({child, references.offsets[child]});
      } else if (state[child] == Visit::kDone) {
        height[entry] = std::max(height[entry], height[child] + 1);
      }
      continue;
    }
    const uint32_t done = entry;
    stack.pop_back();
    state[done] = Visit::kDone;
    if (height[done] > kMaxNesting) return NestingFault{done, false};
    if (!stack.empty()) {
      const uint32_t parent = stack.back().first;
      height[parent] = std::max(height[parent], height[done] + 1);
    }
  }
  for (uint32_t entry = 0; entry < count; ++entry)
    if (state[entry] == Visit::kNew) return NestingFault{entry, true};
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Writing

// The record an object of this kind becomes, or why it can never be saved (some kinds have
// further conditions, checked as the object is walked).
struct SavedAs {
  std::optional<RecordKind> record;
  std::string_view unsaveable;
};
SavedAs saved_as(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Str:
      return {RecordKind::kStr, {}};
    case ObjectKind::List:
      return {RecordKind::kList, {}};
    case ObjectKind::Tuple:
      return {RecordKind::kTuple, {}};
    case ObjectKind::Dict:
      return {RecordKind::kDict, {}};
    case ObjectKind::TensorBox:
      return {RecordKind::kTensor, {}};
    case ObjectKind::DTypeValue:
      return {RecordKind::kDType, {}};
    case ObjectKind::Class:
      return {RecordKind::kClass, {}};
    case ObjectKind::Instance:
      return {RecordKind::kInstance, {}};
    case ObjectKind::BoundMethod:
      return {RecordKind::kMethod, {}};
    case ObjectKind::CompiledFunction:
      return {RecordKind::kCompiled, {}};
    case ObjectKind::DictView:
      return {std::nullopt, "a dict view"};
    case ObjectKind::Range:
      return {std::nullopt, "a range"};
    case ObjectKind::Slice:
      return {std::nullopt, "a slice"};
    case ObjectKind::Cell:
      return {std::nullopt, "a cell"};
    case ObjectKind::SparseTensor:
      return {std::nullopt, "a sparse tensor (save its indices() and values())"};
    case ObjectKind::Ellipsis:
      return {std::nullopt, "the Ellipsis"};
    case ObjectKind::Function:
      return {std::nullopt, "a function"};
    case ObjectKind::Builtin:
      return {std::nullopt, "a builtin function"};
    case ObjectKind::HostFunction:
      return {std::nullopt, "a host function"};
    case ObjectKind::Iterator:
      return {std::nullopt, "an iterator"};
    case ObjectKind::Super:
      return {std::nullopt, "a super object"};
    case ObjectKind::CapturedGraph:
      return {std::nullopt, "a captured graph"};
    case ObjectKind::Explanation:
      return {std::nullopt, "an explain() result"};
    case ObjectKind::Config:
      return {std::nullopt, "the compile config"};
  }
  GYRO_UNREACHABLE("bad object kind");
}

// How the walk first reached an object (or a value that failed), for the path in errors.
enum class EdgeKind : uint8_t { kRoot, kItem, kDictKey, kDictValue, kAttributes, kClass, kSelf,
                                kOptions };
struct Edge {
  uint32_t parent = 0;  // the walk id of the object holding the reference
  EdgeKind kind = EdgeKind::kRoot;
  uint32_t index = 0;  // list/tuple item, dict entry
  Value key;           // the dict entry's key
};

// A storage to save: its dtype and the span of elements its views reach.
struct StorageSpan {
  DType dtype;
  int64_t first = std::numeric_limits<int64_t>::max();  // elements the views reach: [first, end)
  int64_t end = 0;
  Tensor any_view;  // for slicing the span out
};

class Writer {
 public:
  Writer(Interpreter& vm, std::string_view root_name) : vm_(vm), root_name_(root_name) {}

  Expected<std::vector<uint8_t>> write(const Value& root) {
    GYRO_TRY(walk(root));
    order_tables();
    GYRO_TRY(plan_storages());

    ByteWriter out;
    for (uint8_t byte : kMagic) out.u8(byte);
    out.u16(kSavedObjectMajor);
    out.u16(kSavedObjectMinor);
    out.u32(static_cast<uint32_t>(kSavedObjectHeaderSize));
    out.u64(0);  // payload size, patched below
    out.u64(0);  // checksum, patched below
    GYRO_ASSERT(out.bytes().size() == kSavedObjectHeaderSize, "header layout drifted");

    std::size_t length_at = out.begin_section(kSectionObjects, 0);
    out.u32(ByteWriter::checked_u32(order_.size()));
    write_value(out, root);
    references_.targets.clear();  // the root is no entry's reference
    for (uint32_t id : order_) {
      write_record(out, objects_[id]);
      references_.offsets.push_back(static_cast<uint32_t>(references_.targets.size()));
    }
    out.end_section(length_at);
    const uint32_t root_index = objects_.empty() ? 0 : index_[0];  // walk id 0 is the root
    if (auto fault = check_nesting(references_, root_index)) {
      GYRO_ASSERT(!fault->unreachable, "the walk reached every object it wrote");
      return make_error(ErrorKind::RecursionError,
                        "cannot save {}: it holds objects nested more than {} deep",
                        path(edges_[order_[fault->entry]]), kMaxNesting);
    }

    if (!storages_.empty()) {
      std::vector<NamedTensor> named;
      named.reserve(storages_.size());
      for (std::size_t i = 0; i < storages_.size(); ++i) {
        const StorageSpan& span = storages_[i];
        named.push_back({std::to_string(i), span.any_view.as_strided(Dims{span.end - span.first},
                                                                     Dims{1}, span.first)});
      }
      GYRO_ASSIGN_OR_RETURN(std::vector<uint8_t> image, write_safetensors(named));
      length_at = out.begin_section(kSectionTensors, 0);
      out.bytes().insert(out.bytes().end(), image.begin(), image.end());
      out.end_section(length_at);
    }

    out.seal_payload(kSavedObjectHeaderSize, kSavedObjectPayloadSizeOffset,
                     kSavedObjectChecksumOffset);
    return std::move(out.bytes());
  }

 private:
  // Every object reachable from the root, each once, in discovery order (an explicit stack:
  // a long linked list must not overflow the native stack).
  Status walk(const Value& root) {
    GYRO_TRY(reach(root, Edge{}));
    while (!pending_.empty()) {
      const uint32_t id = pending_.back();
      pending_.pop_back();
      GYRO_TRY(expand(id));
    }
    return {};
  }

  Status reach(const Value& value, Edge edge) {
    if (!value.is_object() || ids_.contains(value.as_object())) return {};
    const SavedAs saved = saved_as(value.as_object()->kind());
    if (!saved.record) return cannot_save(edge, saved.unsaveable);
    const auto id = static_cast<uint32_t>(objects_.size());
    ids_.emplace(value.as_object(), id);
    objects_.push_back(value);
    edges_.push_back(std::move(edge));
    pending_.push_back(id);
    return {};
  }

  // Checks the object's own conditions and reaches what it refers to.
  Status expand(uint32_t id) {
    const Value value = objects_[id];
    switch (*saved_as(value.as_object()->kind()).record) {
      case RecordKind::kList:
      case RecordKind::kTuple: {
        const auto& items = sequence_items(value);
        for (std::size_t i = 0; i < items.size(); ++i)
          GYRO_TRY(reach(items[i], Edge{id, EdgeKind::kItem, static_cast<uint32_t>(i), {}}));
        return {};
      }
      case RecordKind::kDict: {
        uint32_t index = 0;
        Status status;
        value.as<DictObject>().table.for_each([&](const Value& key, const Value& item) {
          if (!status.ok()) return;
          status = reach(key, Edge{id, EdgeKind::kDictKey, index, key});
          if (status.ok()) status = reach(item, Edge{id, EdgeKind::kDictValue, index, key});
          ++index;
        });
        return status;
      }
      case RecordKind::kTensor: {
        const Tensor& tensor = value.as<TensorBoxObject>().tensor;
        if (!tensor.defined()) return cannot_save(id, "an undefined tensor");
        for (int64_t stride : tensor.strides())
          if (stride < 0) return cannot_save(id, "a tensor with a negative stride");
        return {};
      }
      case RecordKind::kClass:
        return check_class(id, value);
      case RecordKind::kInstance: {
        const auto& instance = value.as<InstanceObject>();
        const auto& cls = instance.cls.as<ClassObject>();
        if (cls.is_exception) return cannot_save(id, "an exception");
        if (!instances_saveable(cls))
          return cannot_save(id, fmt::format("an instance of the builtin type '{}'", cls.name));
        // Loading fills the dict as attributes, whose names are strs.
        Status status;
        instance.attributes.as<DictObject>().table.for_each([&](const Value& key, const Value&) {
          if (status.ok() && !key.is(ObjectKind::Str))
            status = cannot_save(id, fmt::format("an instance whose __dict__ has the key {}, "
                                                 "not a str",
                                                 repr(key)));
        });
        GYRO_TRY(status);
        GYRO_TRY(reach(instance.cls, Edge{id, EdgeKind::kClass, 0, {}}));
        return reach(instance.attributes, Edge{id, EdgeKind::kAttributes, 0, {}});
      }
      case RecordKind::kMethod: {
        const auto& method = value.as<BoundMethodObject>();
        GYRO_TRY(check_method(id, method.self, method.function, "a bound method"));
        return reach(method.self, Edge{id, EdgeKind::kSelf, 0, {}});
      }
      case RecordKind::kCompiled: {
        const auto& compiled = value.as<CompiledFunctionObject>();
        if (!compiled.backend.is(ObjectKind::Str))
          return cannot_save(id,
                             "a compiled function whose backend is a script callable (only a "
                             "registered backend's name can be saved)");
        if (compiled.self.is_none())
          return cannot_save(id,
                             "a compiled plain function (only a compiled method of a saved "
                             "instance can be saved, as Module.compile() makes)");
        GYRO_TRY(check_method(id, compiled.self, compiled.function, "a compiled function"));
        GYRO_TRY(reach(compiled.self, Edge{id, EdgeKind::kSelf, 0, {}}));
        return reach(compiled.options, Edge{id, EdgeKind::kOptions, 0, {}});
      }
      case RecordKind::kStr:
      case RecordKind::kDType:
        return {};
    }
    GYRO_UNREACHABLE("bad record kind");
  }

  // A class is saved as (module, name): that must find it again.
  Status check_class(uint32_t id, const Value& value) {
    const auto& cls = value.as<ClassObject>();
    if (cls.module.empty())
      return cannot_save(id, fmt::format("class {} was defined in globals without a __name__",
                                         cls.name));
    if (!identical(find_class(vm_, cls.module, cls.name), value))
      return cannot_save(id, fmt::format("class {}.{} is not the global of that name in its "
                                         "module (defined in a function or another class?)",
                                         cls.module, cls.name));
    return {};
  }

  // A method is saved as (instance, name): the name must find the same function on the
  // instance's class.
  Status check_method(uint32_t id, const Value& self, const Value& function,
                      std::string_view what) {
    if (!self.is(ObjectKind::Instance) || !function.is(ObjectKind::Function))
      return cannot_save(id, fmt::format("{} of a {} (only methods of instances can be saved)",
                                         what, type_name(self)));
    const std::string& name = function.as<FunctionObject>().code->name;
    const Value& cls = self.as<InstanceObject>().cls;
    if (!identical(class_function(cls, name), function))
      return cannot_save(id, fmt::format("{} whose function '{}' is not that method of class {}",
                                         what, name, cls.as<ClassObject>().name));
    return {};
  }

  Error cannot_save(uint32_t id, std::string_view why) const {
    return make_error(ErrorKind::TypeError, "cannot save {}: {}", path(edges_[id]), why);
  }
  Error cannot_save(const Edge& edge, std::string_view why) const {
    return make_error(ErrorKind::TypeError, "cannot save {}: {}", path(edge), why);
  }

  // "obj.layers[2].fn": the root's name, then each edge from the root to `edge`.
  std::string path(const Edge& last) const {
    std::vector<const Edge*> chain;
    for (const Edge* edge = &last; edge->kind != EdgeKind::kRoot; edge = &edges_[edge->parent])
      chain.push_back(edge);
    std::string text(root_name_);
    bool in_attributes = false;  // the previous edge reached an instance's dict
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      const Edge& edge = **it;
      if (in_attributes && edge.kind == EdgeKind::kDictValue && edge.key.is(ObjectKind::Str)) {
        text += "." + edge.key.as<StrObject>().text;
        in_attributes = false;
        continue;
      }
      if (in_attributes) text += ".__dict__";
      in_attributes = false;
      switch (edge.kind) {
        case EdgeKind::kRoot:
          break;
        case EdgeKind::kItem:
          text += fmt::format("[{}]", edge.index);
          break;
        case EdgeKind::kDictKey:
          text += fmt::format(".keys()[{}]", edge.index);
          break;
        case EdgeKind::kDictValue:
          if (!edge.key.is_object() || edge.key.is(ObjectKind::Str))
            text += fmt::format("[{}]", repr(edge.key));
          else
            text += fmt::format(".values()[{}]", edge.index);
          break;
        case EdgeKind::kAttributes:
          in_attributes = true;
          break;
        case EdgeKind::kClass:
          text += ".__class__";
          break;
        case EdgeKind::kSelf:
          text += ".__self__";
          break;
        case EdgeKind::kOptions:
          text += ".options";
          break;
      }
    }
    if (in_attributes) text += ".__dict__";
    return text;
  }

  // The table order: a tuple comes after the records among its items that are not filled last
  // (strs, tensors, other tuples...), as the loader makes those in table order; lists, dicts
  // and instances go anywhere. Of the records that are not filled, only tuples refer to
  // others that are not (a method or compiled function refers to an instance and a dict), and
  // tuples cannot form a cycle, so the walk below always finishes.
  void order_tables() {
    constexpr uint32_t kUnplaced = std::numeric_limits<uint32_t>::max();
    index_.assign(objects_.size(), kUnplaced);
    std::vector<bool> entered(objects_.size(), false);
    auto place = [&](uint32_t id) {
      index_[id] = static_cast<uint32_t>(order_.size());
      order_.push_back(id);
    };
    for (uint32_t start = 0; start < objects_.size(); ++start) {
      if (index_[start] != kUnplaced) continue;
      if (!objects_[start].is(ObjectKind::Tuple)) {
        place(start);
        continue;
      }
      std::vector<std::pair<uint32_t, std::size_t>> stack{{start, 0}};
      entered[start] = true;
      while (!stack.empty()) {
        auto& [id, next] = stack.back();
        const auto& items = objects_[id].as<TupleObject>().items;
        if (next < items.size()) {
          const Value& item = items[next++];
          if (!item.is_object() || info(*saved_as(item.as_object()->kind()).record).filled)
            continue;
          const uint32_t child = ids_.at(item.as_object());
          if (index_[child] != kUnplaced) continue;
          if (!item.is(ObjectKind::Tuple)) {
            place(child);  // a str, tensor, method...: its own references are all filled
            continue;
          }
          GYRO_ASSERT(!entered[child], "a cycle of tuples");
          entered[child] = true;
          stack.push_back({child, 0});
          continue;
        }
        const uint32_t done = id;
        stack.pop_back();
        place(done);
      }
    }
  }

  // Each distinct storage once, with the span of elements its views reach.
  Status plan_storages() {
    for (uint32_t id : order_) {
      if (!objects_[id].is(ObjectKind::TensorBox)) continue;
      const Tensor& tensor = objects_[id].as<TensorBoxObject>().tensor;
      auto [it, added] = storage_index_.emplace(tensor.storage().get(), storages_.size());
      if (added) storages_.push_back({tensor.dtype(), std::numeric_limits<int64_t>::max(), 0,
                                      tensor});
      StorageSpan& span = storages_[it->second];
      if (span.dtype != tensor.dtype())
        return cannot_save(id, fmt::format("a {} tensor sharing its storage with a {} tensor",
                                           dtype_name(tensor.dtype()), dtype_name(span.dtype)));
      if (tensor.numel() == 0) continue;
      int64_t last = tensor.offset();
      for (int d = 0; d < tensor.dim(); ++d) last += (tensor.size(d) - 1) * tensor.stride(d);
      span.first = std::min(span.first, tensor.offset());
      span.end = std::max(span.end, last + 1);
    }
    for (StorageSpan& span : storages_)
      if (span.first > span.end) span.first = span.end = 0;  // only empty views
    return {};
  }

  void write_value(ByteWriter& out, const Value& value) {
    switch (value.tag()) {
      case ValueTag::kNone:
        out.u8(static_cast<uint8_t>(ValueCode::kNone));
        return;
      case ValueTag::kBool:
        out.u8(static_cast<uint8_t>(value.as_bool() ? ValueCode::kTrue : ValueCode::kFalse));
        return;
      case ValueTag::kInt:
        out.u8(static_cast<uint8_t>(ValueCode::kInt));
        out.varint(zigzag(value.as_int()));
        return;
      case ValueTag::kFloat:
        out.u8(static_cast<uint8_t>(ValueCode::kFloat));
        out.u64(std::bit_cast<uint64_t>(value.as_float()));
        return;
      case ValueTag::kObject:
        out.u8(static_cast<uint8_t>(ValueCode::kObject));
        out.varint(index_[ids_.at(value.as_object())]);
        references_.targets.push_back(index_[ids_.at(value.as_object())]);
        return;
    }
    GYRO_UNREACHABLE("bad value tag");
  }

  void write_record(ByteWriter& out, const Value& value) {
    const RecordKind kind = *saved_as(value.as_object()->kind()).record;
    out.u8(static_cast<uint8_t>(kind));
    switch (kind) {
      case RecordKind::kStr:
        out.string(value.as<StrObject>().text);
        return;
      case RecordKind::kList:
      case RecordKind::kTuple: {
        const auto& items = sequence_items(value);
        out.u32(ByteWriter::checked_u32(items.size()));
        for (const Value& item : items) write_value(out, item);
        return;
      }
      case RecordKind::kDict: {
        const Dict& table = value.as<DictObject>().table;
        out.u32(ByteWriter::checked_u32(table.size()));
        table.for_each([&](const Value& key, const Value& item) {
          write_value(out, key);
          write_value(out, item);
        });
        return;
      }
      case RecordKind::kTensor: {
        const Tensor& tensor = value.as<TensorBoxObject>().tensor;
        const StorageSpan& span = storages_[storage_index_.at(tensor.storage().get())];
        out.varint(storage_index_.at(tensor.storage().get()));
        out.u8(static_cast<uint8_t>(tensor.dtype()));
        out.u8(static_cast<uint8_t>(tensor.dim()));
        for (int64_t size : tensor.sizes()) out.varint(static_cast<uint64_t>(size));
        for (int64_t stride : tensor.strides()) out.varint(static_cast<uint64_t>(stride));
        // An empty view reaches no element: any offset inside the span serves.
        const int64_t offset = tensor.numel() == 0
                                   ? std::clamp(tensor.offset(), span.first, span.end)
                                   : tensor.offset();
        out.varint(static_cast<uint64_t>(offset - span.first));
        return;
      }
      case RecordKind::kDType:
        out.u8(static_cast<uint8_t>(value.as<DTypeValueObject>().dtype));
        return;
      case RecordKind::kClass:
        out.string(value.as<ClassObject>().module);
        out.string(value.as<ClassObject>().name);
        return;
      case RecordKind::kInstance:
        write_value(out, value.as<InstanceObject>().cls);
        write_value(out, value.as<InstanceObject>().attributes);
        return;
      case RecordKind::kMethod: {
        const auto& method = value.as<BoundMethodObject>();
        write_value(out, method.self);
        out.string(method.function.as<FunctionObject>().code->name);
        return;
      }
      case RecordKind::kCompiled: {
        const auto& compiled = value.as<CompiledFunctionObject>();
        write_value(out, compiled.self);
        out.string(compiled.function.as<FunctionObject>().code->name);
        out.string(compiled.backend.as<StrObject>().text);
        out.u8(compiled.fullgraph ? 1 : 0);
        out.u8(compiled.dynamic ? (*compiled.dynamic ? 1 : 0) : 2);
        write_value(out, compiled.options);
        return;
      }
    }
    GYRO_UNREACHABLE("bad record kind");
  }

  Interpreter& vm_;
  std::string_view root_name_;
  std::unordered_map<const Object*, uint32_t> ids_;  // walk ids
  std::vector<Value> objects_;                       // by walk id
  std::vector<Edge> edges_;                          // by walk id
  std::vector<uint32_t> pending_;
  std::vector<uint32_t> order_;  // walk ids in table order
  std::vector<uint32_t> index_;  // walk id -> table index
  std::unordered_map<const Storage*, std::size_t> storage_index_;
  std::vector<StorageSpan> storages_;
  References references_;  // of the table as written, for check_nesting
};

// ---------------------------------------------------------------------------------------------
// Reading

// A string viewing the input (no copy until an object is made of it): u32 length + bytes.
Expected<std::string_view> read_text(ByteReader& body, std::string_view what) {
  GYRO_ASSIGN_OR_RETURN(uint32_t size, body.count(what, 1));
  GYRO_ASSIGN_OR_RETURN(auto text, body.take(size, what));
  return std::string_view(reinterpret_cast<const char*>(text.data()), text.size());
}

// A varint that must fit int64 (sizes, strides, offsets).
Expected<int64_t> read_non_negative(ByteReader& body, std::string_view what) {
  const std::size_t start = body.offset();
  GYRO_ASSIGN_OR_RETURN(uint64_t value, body.varint(what));
  if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return body.error_at(start, "{} {} is out of range", what, value);
  return static_cast<int64_t>(value);
}

// A value as parsed: inline, or an index into the table (checked against its size).
struct SavedValue {
  ValueCode code = ValueCode::kNone;
  uint64_t bits = 0;  // int: the int64's bits; float: the IEEE bits; object: the index
  bool is_object() const { return code == ValueCode::kObject; }
  uint32_t index() const { return static_cast<uint32_t>(bits); }
};

struct TensorRecord {
  uint32_t storage = 0;
  DType dtype = DType::Float32;
  Dims sizes, strides;
  int64_t offset = 0;
};

// One parsed record; its values live in Loader::values_[first, first + count). Strings view
// the input.
struct Record {
  RecordKind kind = RecordKind::kStr;
  std::size_t offset = 0;  // in the file, for errors
  uint32_t first = 0, count = 0;
  std::string_view text, name, backend;  // str; class module and name; method name; backend
  uint32_t tensor = 0;                   // index into Loader::tensors_
  uint8_t dtype = 0, fullgraph = 0, dynamic = 0;
};

// Checks, then builds. Nothing is made until the whole table has passed its checks, and the
// objects made are emptied if a later step fails (load_object's guard).
class Loader {
 public:
  explicit Loader(Interpreter& vm) : vm_(vm) {}
  ~Loader() {
    // A failed load: empty every list and dict made, so that no cycle among them outlives it
    // (every cycle passes through one: tuples are made after their items).
    if (succeeded_) return;
    for (Value& object : objects_) {
      if (object.is(ObjectKind::List)) object.as<ListObject>().items.clear();
      if (object.is(ObjectKind::Dict)) object.as<DictObject>().table.clear();
    }
  }

  Expected<Value> load(std::span<const uint8_t> payload, std::size_t base) {
    ByteReader reader(payload, base, ErrorKind::ValueError);
    std::optional<ByteReader> objects, tensors;
    while (!reader.at_end()) {
      const std::size_t start = reader.offset();
      GYRO_ASSIGN_OR_RETURN(uint32_t tag, reader.u32("section tag"));
      GYRO_ASSIGN_OR_RETURN(uint32_t flags, reader.u32("section flags"));
      GYRO_ASSIGN_OR_RETURN(uint64_t length, reader.u64("section length"));
      if (flags & ~kSectionSkippable)
        return reader.error_at(start, "section {} has reserved flag bits {:#x} set",
                               section_tag_name(tag), flags & ~kSectionSkippable);
      if (length > reader.remaining())
        return make_error(ErrorKind::ValueError,
                          "truncated section {} at byte {}: its length is {} bytes, {} remain",
                          section_tag_name(tag), start, length, reader.remaining());
      const std::size_t body_offset = reader.offset();
      GYRO_ASSIGN_OR_RETURN(auto body, reader.take(static_cast<std::size_t>(length), "section"));
      std::optional<ByteReader>* slot = tag == kSectionObjects   ? &objects
                                        : tag == kSectionTensors ? &tensors
                                                                 : nullptr;
      if (!slot) {
        if (flags & kSectionSkippable) continue;
        return reader.error_at(start, "unknown section {} that is not marked skippable",
                               section_tag_name(tag));
      }
      if (slot->has_value())
        return reader.error_at(start, "a second {} section", section_tag_name(tag));
      slot->emplace(body, body_offset, ErrorKind::ValueError);
    }
    if (!objects) return make_error(ErrorKind::ValueError, "the payload has no 'OBJS' section");
    if (tensors) GYRO_TRY(read_storages(*tensors));
    GYRO_TRY(parse_table(*objects));
    GYRO_TRY(check_table());
    GYRO_TRY(build());
    succeeded_ = true;
    return value_of(root_);
  }

 private:
  // ---- parsing ----

  Status read_storages(ByteReader& section) {
    const std::size_t start = section.offset();
    GYRO_ASSIGN_OR_RETURN(auto image, section.take(section.remaining(), "tensor section"));
    auto contents = read_safetensors(image, fmt::format("the tensor section at byte {}", start));
    if (!contents.ok()) return make_error(ErrorKind::ValueError, "{}", contents.error().message);
    std::vector<NamedTensor>& tensors = contents->tensors;
    storages_.assign(tensors.size(), Tensor());
    for (NamedTensor& named : tensors) {
      // Names are the storage indices, written "0", "1", ...: each once, none missing.
      std::size_t index = 0;
      const std::string& name = named.name;
      auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), index);
      if (error != std::errc() || end != name.data() + name.size() || index >= tensors.size() ||
          (name.size() > 1 && name[0] == '0') || storages_[index].defined())
        return make_error(ErrorKind::ValueError,
                          "the tensor section names a storage '{}'; its {} storages are named "
                          "0 to {}, each once",
                          name, tensors.size(), tensors.size() - 1);
      if (named.tensor.dim() != 1 || (named.tensor.numel() > 1 && named.tensor.stride(0) != 1))
        return make_error(ErrorKind::ValueError,
                          "storage {} has {} dims; a storage is 1-D and contiguous", index,
                          named.tensor.dim());
      // A bool byte other than 0 or 1 is not a bool: reading it would be undefined.
      if (named.tensor.dtype() == DType::Bool) {
        const auto* bytes = static_cast<const uint8_t*>(named.tensor.raw_data());
        for (int64_t i = 0; i < named.tensor.numel(); ++i)
          if (bytes[i * named.tensor.stride(0)] > 1)
            return make_error(ErrorKind::ValueError,
                              "storage {} (bool) holds byte {:#04x} at element {}, not 0 or 1",
                              index, bytes[i * named.tensor.stride(0)], i);
      }
      storages_[index] = std::move(named.tensor);
    }
    return {};
  }

  Status parse_table(ByteReader& body) {
    GYRO_ASSIGN_OR_RETURN(count_, body.count("object", 1));
    GYRO_ASSIGN_OR_RETURN(root_, read_value(body, "the root"));
    for (uint32_t i = 0; i < count_; ++i) GYRO_TRY(read_record(body, i));
    if (!body.at_end())
      return body.error_at(body.offset(), "{} unexpected bytes after the {} objects",
                           body.remaining(), count_);
    return {};
  }

  Expected<SavedValue> read_value(ByteReader& body, std::string_view holder) {
    const std::size_t start = body.offset();
    GYRO_ASSIGN_OR_RETURN(uint8_t code, body.u8("value tag"));
    if (code >= kNumValueCodes)
      return body.error_at(start, "{} holds a value of unknown tag {}", holder, code);
    SavedValue value{static_cast<ValueCode>(code), 0};
    switch (value.code) {
      case ValueCode::kNone:
      case ValueCode::kFalse:
      case ValueCode::kTrue:
        break;
      case ValueCode::kInt: {
        GYRO_ASSIGN_OR_RETURN(uint64_t encoded, body.varint("int"));
        value.bits = static_cast<uint64_t>(unzigzag(encoded));
        break;
      }
      case ValueCode::kFloat: {
        GYRO_ASSIGN_OR_RETURN(value.bits, body.u64("float"));
        break;
      }
      case ValueCode::kObject: {
        GYRO_ASSIGN_OR_RETURN(uint64_t index, body.varint("object index"));
        if (index >= count_)
          return body.error_at(start, "{} refers to object {}, but the table has {}", holder,
                               index, count_);
        value.bits = index;
        break;
      }
    }
    return value;
  }

  // Reads `n` values into values_ for record `record`.
  Status read_values(ByteReader& body, Record& record, uint32_t n, std::string_view holder) {
    record.first = static_cast<uint32_t>(values_.size());
    record.count = n;
    for (uint32_t i = 0; i < n; ++i) {
      GYRO_ASSIGN_OR_RETURN(SavedValue value, read_value(body, holder));
      values_.push_back(value);
    }
    return {};
  }

  Status read_record(ByteReader& body, uint32_t index) {
    Record record;
    record.offset = body.offset();
    const std::string holder = fmt::format("object {}", index);
    GYRO_ASSIGN_OR_RETURN(uint8_t kind, body.u8("record kind"));
    if (kind >= kNumRecordKinds)
      return body.error_at(record.offset, "object {} has unknown kind {}", index, kind);
    record.kind = static_cast<RecordKind>(kind);
    switch (record.kind) {
      case RecordKind::kStr: {
        GYRO_ASSIGN_OR_RETURN(record.text, read_text(body, "str"));
        break;
      }
      case RecordKind::kList:
      case RecordKind::kTuple: {
        GYRO_ASSIGN_OR_RETURN(uint32_t n, body.count("item", 1));
        GYRO_TRY(read_values(body, record, n, holder));
        break;
      }
      case RecordKind::kDict: {
        GYRO_ASSIGN_OR_RETURN(uint32_t n, body.count("dict entry", 2));
        GYRO_TRY(read_values(body, record, 2 * n, holder));
        break;
      }
      case RecordKind::kTensor:
        GYRO_TRY(read_tensor(body, record, index));
        break;
      case RecordKind::kDType: {
        GYRO_ASSIGN_OR_RETURN(record.dtype, body.u8("dtype"));
        if (record.dtype >= kNumDTypes)
          return body.error_at(record.offset, "object {} has unknown dtype {}", index,
                               record.dtype);
        break;
      }
      case RecordKind::kClass: {
        GYRO_ASSIGN_OR_RETURN(record.text, read_text(body, "class module"));
        GYRO_ASSIGN_OR_RETURN(record.name, read_text(body, "class name"));
        break;
      }
      case RecordKind::kInstance:
        GYRO_TRY(read_values(body, record, 2, holder));
        break;
      case RecordKind::kMethod: {
        GYRO_TRY(read_values(body, record, 1, holder));
        GYRO_ASSIGN_OR_RETURN(record.name, read_text(body, "method name"));
        break;
      }
      case RecordKind::kCompiled: {
        GYRO_TRY(read_values(body, record, 1, holder));
        GYRO_ASSIGN_OR_RETURN(record.name, read_text(body, "method name"));
        GYRO_ASSIGN_OR_RETURN(record.backend, read_text(body, "backend"));
        const std::size_t flags_at = body.offset();
        GYRO_ASSIGN_OR_RETURN(record.fullgraph, body.u8("fullgraph"));
        GYRO_ASSIGN_OR_RETURN(record.dynamic, body.u8("dynamic"));
        if (record.fullgraph > 1 || record.dynamic > 2)
          return body.error_at(flags_at, "object {} has fullgraph {} and dynamic {} (0/1, 0/1/2)",
                               index, record.fullgraph, record.dynamic);
        SavedValue options;
        GYRO_ASSIGN_OR_RETURN(options, read_value(body, holder));
        values_.push_back(options);
        record.count = 2;
        break;
      }
    }
    records_.push_back(record);
    return {};
  }

  Status read_tensor(ByteReader& body, Record& record, uint32_t index) {
    TensorRecord tensor;
    const std::size_t start = record.offset;
    GYRO_ASSIGN_OR_RETURN(uint64_t storage, body.varint("storage index"));
    if (storage >= storages_.size())
      return body.error_at(start, "object {} (a tensor) views storage {}, but the file has {}",
                           index, storage, storages_.size());
    tensor.storage = static_cast<uint32_t>(storage);
    GYRO_ASSIGN_OR_RETURN(uint8_t dtype, body.u8("dtype"));
    if (dtype >= kNumDTypes)
      return body.error_at(start, "object {} (a tensor) has unknown dtype {}", index, dtype);
    tensor.dtype = static_cast<DType>(dtype);
    GYRO_ASSIGN_OR_RETURN(uint8_t rank, body.u8("rank"));
    if (rank > kMaxRank)
      return body.error_at(start, "object {} (a tensor) has {} dims; at most {} are supported",
                           index, rank, kMaxRank);
    for (int d = 0; d < rank; ++d) {
      GYRO_ASSIGN_OR_RETURN(int64_t size, read_non_negative(body, "size"));
      tensor.sizes.push_back(size);
    }
    for (int d = 0; d < rank; ++d) {
      GYRO_ASSIGN_OR_RETURN(int64_t stride, read_non_negative(body, "stride"));
      tensor.strides.push_back(stride);
    }
    GYRO_ASSIGN_OR_RETURN(tensor.offset, read_non_negative(body, "offset"));
    GYRO_TRY(check_view(tensor, index, start));
    record.tensor = static_cast<uint32_t>(tensors_.size());
    tensors_.push_back(tensor);
    return {};
  }

  // Every element the view reaches lies inside its storage (an empty view's offset at most
  // at the storage's end), computed without overflow.
  Status check_view(const TensorRecord& tensor, uint32_t index, std::size_t start) const {
    const Tensor& storage = storages_[tensor.storage];
    auto bad = [&](std::string_view why) {
      return make_error(ErrorKind::ValueError,
                        "object {} (a tensor at byte {}, sizes {}, strides {}, offset {}) {}",
                        index, start, to_string(tensor.sizes), to_string(tensor.strides),
                        tensor.offset, why);
    };
    if (storage.dtype() != tensor.dtype)
      return bad(fmt::format("is {}, but its storage {} is {}", dtype_name(tensor.dtype),
                             tensor.storage, dtype_name(storage.dtype())));
    auto numel = checked_numel(tensor.sizes, "tensor");
    if (!numel.ok()) return bad("has too many elements");
    const int64_t length = storage.numel();
    if (*numel == 0) {
      if (tensor.offset > length)
        return bad(fmt::format("starts past the end of its storage {} ({} elements)",
                               tensor.storage, length));
      return {};
    }
    int64_t last = tensor.offset;
    for (int d = 0; d < tensor.sizes.size(); ++d) {
      int64_t reach = 0;
      if (__builtin_mul_overflow(tensor.sizes[d] - 1, tensor.strides[d], &reach) ||
          __builtin_add_overflow(last, reach, &last))
        return bad("reaches past the int64 range");
    }
    if (last >= length)
      return bad(fmt::format("reaches element {}, outside its storage {} ({} elements)", last,
                             tensor.storage, length));
    return {};
  }

  // ---- checks across records ----

  const Record* target(const SavedValue& value) const {
    return value.is_object() ? &records_[value.index()] : nullptr;
  }
  Error bad_reference(uint32_t index, std::string_view what, const SavedValue& value,
                      std::string_view expected) const {
    const Record* found = target(value);
    return make_error(ErrorKind::ValueError, "object {} ({}, at byte {}) has {} {}; expected {}",
                      index, info(records_[index].kind).name, records_[index].offset, what,
                      found ? fmt::format("object {} ({})", value.index(), info(found->kind).name)
                            : std::string("an inline value"),
                      expected);
  }
  bool is_kind(const SavedValue& value, RecordKind kind) const {
    return value.is_object() && records_[value.index()].kind == kind;
  }

  Status check_table() {
    for (uint32_t index = 0; index < count_; ++index) {
      const Record& record = records_[index];
      const SavedValue* values = values_.data() + record.first;
      // A record made in table order may only use unfilled records made before it.
      if (!info(record.kind).filled) {
        for (uint32_t i = 0; i < record.count; ++i) {
          const Record* found = target(values[i]);
          if (found && !info(found->kind).filled && values[i].index() >= index)
            return make_error(ErrorKind::ValueError,
                              "object {} ({}, at byte {}) refers to object {} ({}), which must "
                              "come before it",
                              index, info(record.kind).name, record.offset, values[i].index(),
                              info(found->kind).name);
        }
      }
      switch (record.kind) {
        case RecordKind::kStr:
        case RecordKind::kList:
        case RecordKind::kTuple:
        case RecordKind::kDict:
        case RecordKind::kTensor:
        case RecordKind::kDType:
          break;
        case RecordKind::kClass:
          if (record.text.empty() || record.name.empty())
            return make_error(ErrorKind::ValueError,
                              "object {} (a class, at byte {}) has an empty module or name",
                              index, record.offset);
          break;
        case RecordKind::kInstance: {
          if (!is_kind(values[0], RecordKind::kClass))
            return bad_reference(index, "class", values[0], "a class");
          if (!is_kind(values[1], RecordKind::kDict))
            return bad_reference(index, "attributes", values[1], "a dict");
          const Record& attributes = records_[values[1].index()];
          for (uint32_t i = 0; i < attributes.count; i += 2)
            if (!is_kind(values_[attributes.first + i], RecordKind::kStr))
              return bad_reference(index, "an attribute name",
                                   values_[attributes.first + i], "a str");
          break;
        }
        case RecordKind::kMethod:
        case RecordKind::kCompiled:
          if (!is_kind(values[0], RecordKind::kInstance))
            return bad_reference(index, "self", values[0], "an instance");
          if (record.kind == RecordKind::kCompiled && values[1].code != ValueCode::kNone &&
              !is_kind(values[1], RecordKind::kDict))
            return bad_reference(index, "options", values[1], "None or a dict");
          break;
      }
    }
    // Every object is reachable from the root, as the writer makes it (an unreachable list
    // holding itself would outlive the load as a leaked cycle), and none nests too deep.
    if (count_ == 0) return {};
    if (!root_.is_object())
      return make_error(ErrorKind::ValueError, "the root is an inline value, but the table has "
                        "{} objects that nothing reaches", count_);
    References references;
    references.offsets.reserve(count_ + 1);
    for (const Record& record : records_) {
      for (uint32_t i = 0; i < record.count; ++i)
        if (values_[record.first + i].is_object())
          references.targets.push_back(values_[record.first + i].index());
      references.offsets.push_back(static_cast<uint32_t>(references.targets.size()));
    }
    if (auto fault = check_nesting(references, root_.index())) {
      const Record& record = records_[fault->entry];
      if (fault->unreachable)
        return make_error(ErrorKind::ValueError,
                          "object {} ({}, at byte {}) is not reachable from the root",
                          fault->entry, info(record.kind).name, record.offset);
      return make_error(ErrorKind::ValueError,
                        "object {} ({}, at byte {}) starts a chain of objects nested more than "
                        "{} deep",
                        fault->entry, info(record.kind).name, record.offset, kMaxNesting);
    }
    return {};
  }

  // ---- building ----

  Value value_of(const SavedValue& value) const {
    switch (value.code) {
      case ValueCode::kNone:
        return Value();
      case ValueCode::kFalse:
        return Value::boolean(false);
      case ValueCode::kTrue:
        return Value::boolean(true);
      case ValueCode::kInt:
        return Value::integer(static_cast<int64_t>(value.bits));
      case ValueCode::kFloat:
        return Value::real(std::bit_cast<double>(value.bits));
      case ValueCode::kObject:
        return objects_[value.index()];
    }
    GYRO_UNREACHABLE("bad value code");
  }

  Error at(uint32_t index, std::string message) const {
    return Error{ErrorKind::ValueError,
                 fmt::format("object {} ({}, at byte {}): {}", index,
                             info(records_[index].kind).name, records_[index].offset, message)};
  }

  Status build() {
    objects_.assign(count_, Value());
    // Classes first (instances are made of them), found by name: nothing from the file runs.
    for (uint32_t index = 0; index < count_; ++index) {
      const Record& record = records_[index];
      if (record.kind != RecordKind::kClass) continue;
      const std::string name(record.name);
      Value cls = find_class(vm_, record.text, name);
      if (cls.is_none())
        return make_error(ErrorKind::AttributeError, "class {}.{} is not defined", record.text,
                          name);
      objects_[index] = std::move(cls);
    }
    // Lists and dicts empty, then instances around their dicts.
    for (uint32_t index = 0; index < count_; ++index) {
      if (records_[index].kind == RecordKind::kList) objects_[index] = make_list();
      if (records_[index].kind == RecordKind::kDict) objects_[index] = make_dict();
    }
    for (uint32_t index = 0; index < count_; ++index) {
      const Record& record = records_[index];
      if (record.kind != RecordKind::kInstance) continue;
      const Value& cls = objects_[values_[record.first].index()];
      if (!instances_saveable(cls.as<ClassObject>()))
        return at(index, fmt::format("class {}.{} cannot have saved instances",
                                     cls.as<ClassObject>().module, cls.as<ClassObject>().name));
      Value instance = Value::object(new InstanceObject(cls));
      instance.as<InstanceObject>().attributes = objects_[values_[record.first + 1].index()];
      objects_[index] = std::move(instance);
    }
    // The rest in table order: what they use is made already (check_table).
    for (uint32_t index = 0; index < count_; ++index) GYRO_TRY(build_record(index));
    // Fill lists and dicts last: every object exists now.
    for (uint32_t index = 0; index < count_; ++index) {
      const Record& record = records_[index];
      const SavedValue* values = values_.data() + record.first;
      if (record.kind == RecordKind::kList) {
        auto& items = objects_[index].as<ListObject>().items;
        items.reserve(record.count);
        for (uint32_t i = 0; i < record.count; ++i) items.push_back(value_of(values[i]));
      } else if (record.kind == RecordKind::kDict) {
        Dict& table = objects_[index].as<DictObject>().table;
        for (uint32_t i = 0; i < record.count; i += 2) {
          Value key = value_of(values[i]);
          const std::size_t before = table.size();
          Status status = table.set(key, value_of(values[i + 1]));
          if (!status.ok()) return at(index, "key " + std::to_string(i / 2) + ": " +
                                                 status.error().message);
          if (table.size() == before)
            return at(index, fmt::format("key {} repeats an earlier key", i / 2));
        }
      }
    }
    return {};
  }

  Status build_record(uint32_t index) {
    const Record& record = records_[index];
    const SavedValue* values = values_.data() + record.first;
    switch (record.kind) {
      case RecordKind::kList:
      case RecordKind::kDict:
      case RecordKind::kInstance:
      case RecordKind::kClass:
        return {};  // made above
      case RecordKind::kStr:
        objects_[index] = make_str(std::string(record.text));
        return {};
      case RecordKind::kTuple: {
        std::vector<Value> items;
        items.reserve(record.count);
        for (uint32_t i = 0; i < record.count; ++i) items.push_back(value_of(values[i]));
        objects_[index] = make_tuple(std::move(items));
        return {};
      }
      case RecordKind::kTensor: {
        const TensorRecord& tensor = tensors_[record.tensor];
        const Tensor& storage = storages_[tensor.storage];
        objects_[index] =
            make_tensor(storage.as_strided(tensor.sizes, tensor.strides,
                                           storage.offset() + tensor.offset));
        return {};
      }
      case RecordKind::kDType:
        objects_[index] = dtype_value(static_cast<DType>(record.dtype));
        return {};
      case RecordKind::kMethod:
      case RecordKind::kCompiled: {
        const Value& self = objects_[values[0].index()];
        const Value& cls = self.as<InstanceObject>().cls;
        const std::string name(record.name);
        Value function = class_function(cls, name);
        if (function.is_none())
          return at(index, fmt::format("class {}.{} has no method '{}'",
                                       cls.as<ClassObject>().module, cls.as<ClassObject>().name,
                                       name));
        if (record.kind == RecordKind::kMethod) {
          objects_[index] = Value::object(new BoundMethodObject(self, std::move(function)));
          return {};
        }
        const std::string backend(record.backend);
        if (!find_backend(backend)) {
          std::string available;
          for (const std::string& each : list_backends())
            available += (available.empty() ? "" : ", ") + each;
          return at(index, fmt::format("unknown backend '{}' (available: {})", backend,
                                       available));
        }
        CompileSettings settings;
        settings.backend = make_str(backend);
        settings.fullgraph = record.fullgraph == 1;
        settings.options = value_of(values[1]);
        if (record.dynamic < 2) settings.dynamic = record.dynamic == 1;
        objects_[index] = make_compiled(vm_, function, self, settings);
        return {};
      }
    }
    GYRO_UNREACHABLE("bad record kind");
  }

  Interpreter& vm_;
  uint32_t count_ = 0;
  SavedValue root_;
  std::vector<Record> records_;
  std::vector<SavedValue> values_;
  std::vector<TensorRecord> tensors_;
  std::vector<Tensor> storages_;  // by storage index
  std::vector<Value> objects_;    // by table index, as built
  bool succeeded_ = false;
};

Error with_origin(Error error, std::string_view origin) {
  error.message = fmt::format("{}: {}", origin, error.message);
  return error;
}

// A safetensors file given to load(): the dict of its tensors.
Expected<Value> load_plain_safetensors(std::span<const uint8_t> bytes, std::string_view origin) {
  GYRO_ASSIGN_OR_RETURN(SafetensorsContents contents, read_safetensors(bytes, origin));
  Value dict = make_dict();
  for (NamedTensor& named : contents.tensors)
    GYRO_TRY(dict.as<DictObject>().table.set(make_str(named.name),
                                             make_tensor(std::move(named.tensor))));
  return dict;
}

// A .gyo image; errors without the origin, which load_object adds.
Expected<Value> load_image(Interpreter& vm, std::span<const uint8_t> bytes) {
  // The magic first, even on a short file, so that a foreign file says so rather than
  // "truncated".
  const std::size_t magic_size = std::min(bytes.size(), sizeof(kMagic));
  for (std::size_t i = 0; i < magic_size; ++i)
    if (bytes[i] != kMagic[i])
      return make_error(ErrorKind::ValueError,
                        "not a gyro object file: bad magic at byte {} (expected "
                        "\\x89GYO\\r\\n\\x1a\\n)",
                        i);
  ByteReader header(bytes, 0, ErrorKind::ValueError);
  GYRO_TRY(header.take(sizeof(kMagic), "header"));
  GYRO_ASSIGN_OR_RETURN(uint16_t major, header.u16("header"));
  GYRO_ASSIGN_OR_RETURN(uint16_t minor, header.u16("header"));
  if (major != kSavedObjectMajor)
    return make_error(ErrorKind::ValueError,
                      "unsupported saved object version {}.{} (this gyro reads {}.x)", major,
                      minor, kSavedObjectMajor);
  GYRO_ASSIGN_OR_RETURN(uint32_t header_size, header.u32("header"));
  if (header_size < kSavedObjectHeaderSize)
    return header.error_at(kSavedObjectHeaderSizeOffset,
                           "header size {} is below the {} bytes of version {}.0", header_size,
                           kSavedObjectHeaderSize, kSavedObjectMajor);
  GYRO_ASSIGN_OR_RETURN(uint64_t payload_size, header.u64("header"));
  GYRO_ASSIGN_OR_RETURN(uint64_t checksum, header.u64("header"));
  // Fields a newer minor version appended.
  GYRO_TRY(header.take(header_size - kSavedObjectHeaderSize, "header"));

  GYRO_ASSIGN_OR_RETURN(std::span<const uint8_t> payload,
                        checked_payload(bytes, header.offset(), payload_size, checksum,
                                        kSavedObjectChecksumOffset, ErrorKind::ValueError));
  Loader loader(vm);
  return loader.load(payload, header.offset());
}

}  // namespace

uint64_t saved_object_checksum(std::span<const uint8_t> payload) {
  return payload_checksum(payload);
}

Expected<std::vector<uint8_t>> save_object(Interpreter& vm, const Value& object,
                                           std::string_view root_name) {
  Writer writer(vm, root_name);
  return writer.write(object);
}

Expected<Value> load_object(Interpreter& vm, std::span<const uint8_t> bytes,
                            std::string_view origin) {
  // A safetensors file starts with its JSON header's length, then '{' (read_safetensors names
  // the origin in its own errors).
  if (bytes.size() > 8 && bytes[8] == '{' && bytes[0] != kMagic[0])
    return load_plain_safetensors(bytes, origin);
  Expected<Value> loaded = load_image(vm, bytes);
  if (!loaded.ok()) return with_origin(std::move(loaded).error(), origin);
  return loaded;
}

Status save_object_file(Interpreter& vm, const Value& object, const std::string& path,
                        std::string_view root_name) {
  GYRO_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, save_object(vm, object, root_name));
  return write_file_atomically(path, bytes);
}

Expected<Value> load_object_file(Interpreter& vm, const std::string& path) {
  GYRO_ASSIGN_OR_RETURN(Ref<MappedFile> file, map_file(path));
  return load_object(vm, file->bytes(), path);
}

// save(obj, path) and load(path): the script builtins (builtins.def).
std::optional<Value> builtin_save(Interpreter& vm, std::span<const Value> args,
                                  std::span<const KeywordArg> kwargs) {
  if (!vm.check_file_access("save")) return std::nullopt;
  if (args.size() != 2 || !kwargs.empty())
    return vm.raise(ErrorKind::TypeError, "save() takes exactly 2 arguments (obj, path)");
  if (!args[1].is(ObjectKind::Str))
    return vm.raise(ErrorKind::TypeError, "save() path must be a str, not {}",
                    type_name(args[1]));
  Status status = save_object_file(vm, args[0], args[1].as<StrObject>().text);
  if (!status.ok()) return vm.raise(status.error());
  return Value();
}

std::optional<Value> builtin_load(Interpreter& vm, std::span<const Value> args,
                                  std::span<const KeywordArg> kwargs) {
  if (!vm.check_file_access("load")) return std::nullopt;
  if (args.size() != 1 || !kwargs.empty())
    return vm.raise(ErrorKind::TypeError, "load() takes exactly 1 argument (path)");
  if (!args[0].is(ObjectKind::Str))
    return vm.raise(ErrorKind::TypeError, "load() path must be a str, not {}",
                    type_name(args[0]));
  Expected<Value> loaded = load_object_file(vm, args[0].as<StrObject>().text);
  if (!loaded.ok()) return vm.raise(loaded.error());
  return std::move(loaded).value();
}

}  // namespace gyro
