// fuzz_saved_object: bytes -> load() of a saved object (interp/saved_object.h), in one
// interpreter with the prelude (so classes such as gyro.nn.Linear can be found by name).
#include <cstdint>
#include <span>
#include <unordered_set>
#include <vector>

#include "interp/interpreter.h"
#include "interp/objects.h"
#include "interp/saved_object.h"
#include "lang/prelude.h"

namespace {

// Values are reference counted without a cycle collector (the interpreter frees the cycles
// its modules reach when it is destroyed), so a loaded graph with a cycle (a list holding
// itself, a compiled module holding its own instance) is broken up here: otherwise every such
// input would read as a leak.
void break_cycles(const gyro::Value& root) {
  using gyro::ObjectKind;
  std::vector<gyro::Value> pending{root};
  std::unordered_set<const gyro::Object*> seen;
  while (!pending.empty()) {
    gyro::Value value = std::move(pending.back());
    pending.pop_back();
    if (!value.is_object() || !seen.insert(value.as_object()).second) continue;
    if (value.is(ObjectKind::List)) {
      for (gyro::Value& item : value.as<gyro::ListObject>().items) pending.push_back(std::move(item));
      value.as<gyro::ListObject>().items.clear();
    } else if (value.is(ObjectKind::Tuple)) {
      for (const gyro::Value& item : value.as<gyro::TupleObject>().items) pending.push_back(item);
    } else if (value.is(ObjectKind::Dict)) {
      value.as<gyro::DictObject>().table.for_each([&](const gyro::Value& key, const gyro::Value& item) {
        pending.push_back(key);
        pending.push_back(item);
      });
      value.as<gyro::DictObject>().table.clear();
    } else if (value.is(ObjectKind::Instance)) {
      pending.push_back(value.as<gyro::InstanceObject>().attributes);
    } else if (value.is(ObjectKind::CompiledFunction)) {
      pending.push_back(std::move(value.as<gyro::CompiledFunctionObject>().self));
      value.as<gyro::CompiledFunctionObject>().self = gyro::Value();
    } else if (value.is(ObjectKind::BoundMethod)) {
      pending.push_back(std::move(value.as<gyro::BoundMethodObject>().self));
      value.as<gyro::BoundMethodObject>().self = gyro::Value();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static gyro::Interpreter* vm = [] {
    auto* made = new gyro::Interpreter([](std::string_view) {});
    (void)gyro::lang::install_prelude(*made);
    return made;
  }();
  auto loaded = gyro::load_object(*vm, std::span<const uint8_t>(data, size), "fuzz");
  if (loaded.ok()) break_cycles(*loaded);
  return 0;
}
