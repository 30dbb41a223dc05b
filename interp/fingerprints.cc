// Fingerprints of code, functions and classes (XXH3 over their content).
#include "interp/fingerprints.h"

#include <cstring>
#include <string>

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include "interp/compile_artifact.h"
#include "interp/objects.h"
#include "ir/bytecode_file.h"

namespace gyro {

namespace {

class Hasher {
 public:
  Hasher() { XXH3_64bits_reset(&state_); }
  void bytes(const void* data, std::size_t size) { XXH3_64bits_update(&state_, data, size); }
  void u64(uint64_t value) { bytes(&value, sizeof(value)); }
  void text(std::string_view value) {
    u64(value.size());
    bytes(value.data(), value.size());
  }
  uint64_t digest() { return XXH3_64bits_digest(&state_); }

 private:
  XXH3_state_t state_;
};

// A value's contribution to a fingerprint: constants by value; nullopt for anything whose
// equality across processes cannot be decided (a list, an instance, a tensor).
bool hash_constant_value(Hasher& hasher, const Value& value, int depth = 0) {
  if (depth > kMaxArtifactPlanDepth) return false;
  hasher.u64(static_cast<uint64_t>(value.tag()));
  if (value.is_none()) return true;
  if (value.is_bool() || value.is_int()) {
    hasher.u64(static_cast<uint64_t>(value.as_int()));
    return true;
  }
  if (value.is_float()) {
    double number = value.as_float();
    uint64_t bits;
    std::memcpy(&bits, &number, sizeof(bits));
    hasher.u64(bits);
    return true;
  }
  hasher.u64(static_cast<uint64_t>(value.as_object()->kind()));
  if (value.is(ObjectKind::Str)) {
    hasher.text(value.as<StrObject>().text);
    return true;
  }
  if (value.is(ObjectKind::DTypeValue)) {
    hasher.u64(static_cast<uint64_t>(value.as<DTypeValueObject>().dtype));
    return true;
  }
  if (value.is(ObjectKind::Builtin) && value.as<BuiltinObject>().self.is_none()) {
    hasher.text(value.as<BuiltinObject>().name);  // a builtin class's methods
    return true;
  }
  if (value.is(ObjectKind::Tuple)) {
    const auto& items = value.as<TupleObject>().items;
    hasher.u64(items.size());
    for (const Value& item : items)
      if (!hash_constant_value(hasher, item, depth + 1)) return false;
    return true;
  }
  return false;
}

std::string module_name(const Value& globals) {
  if (!globals.is(ObjectKind::Dict)) return {};
  auto found = globals.as<DictObject>().table.get(make_str("__name__"));
  if (!found.ok() || !*found || !(*found)->is(ObjectKind::Str)) return {};
  return (*found)->as<StrObject>().text;
}

}  // namespace

uint64_t Fingerprints::code(const std::shared_ptr<const Code>& code) {
  auto it = codes_.find(code.get());
  if (it != codes_.end() && !it->second.code.expired() && it->second.code.lock() == code)
    return it->second.hash;
  // The .gyc image covers everything a code object is, nested codes included.
  const std::vector<uint8_t> image = write_bytecode(Module{"", code});
  const uint64_t hash = XXH3_64bits(image.data(), image.size());
  codes_[code.get()] = Memo{code, hash};
  return hash;
}

std::optional<uint64_t> Fingerprints::function(const FunctionObject& function) {
  Hasher hasher;
  hasher.u64(code(function.code));
  hasher.text(module_name(function.globals));
  if (!hash_constant_value(hasher, function.defaults)) return std::nullopt;
  // Closure cells by content: constants by value, classes by name (a method that calls super()
  // closes over its own class, whose fingerprint would contain this one).
  if (function.closure.is(ObjectKind::Tuple)) {
    for (const Value& cell : function.closure.as<TupleObject>().items) {
      if (!cell.is(ObjectKind::Cell)) return std::nullopt;
      const auto& contents = cell.as<CellObject>();
      hasher.u64(contents.bound);
      if (!contents.bound) continue;
      if (contents.value.is(ObjectKind::Class))
        hasher.text(contents.value.as<ClassObject>().name);
      else if (!hash_constant_value(hasher, contents.value))
        return std::nullopt;
    }
  } else if (!function.closure.is_none()) {
    return std::nullopt;
  }
  return hasher.digest();
}

std::optional<uint64_t> Fingerprints::of_class(const ClassObject& cls) {
  Hasher hasher;
  // The base chain is finite (a class's bases exist before it), and each link is hashed here.
  for (const ClassObject* link = &cls; link;) {
    hasher.text(link->module);
    hasher.text(link->name);
    hasher.u64(static_cast<uint64_t>(link->builtin_tag + 1));
    hasher.u64(link->is_exception);
    bool comparable = true;
    if (link->attributes.is(ObjectKind::Dict)) {
      link->attributes.as<DictObject>().table.for_each([&](const Value& key, const Value& value) {
        if (!comparable) return;
        if (!key.is(ObjectKind::Str)) {
          comparable = false;
          return;
        }
        hasher.text(key.as<StrObject>().text);
        if (value.is(ObjectKind::Function)) {
          auto inner = function(value.as<FunctionObject>());
          if (!inner) comparable = false;
          hasher.u64(inner.value_or(0));
        } else if (value.is(ObjectKind::Class)) {
          hasher.text(value.as<ClassObject>().name);  // a nested class: by name
        } else if (!hash_constant_value(hasher, value)) {
          comparable = false;
        }
      });
    }
    if (!comparable) return std::nullopt;
    link = link->base.is(ObjectKind::Class) ? &link->base.as<ClassObject>() : nullptr;
    hasher.u64(link != nullptr);
  }
  return hasher.digest();
}

}  // namespace gyro
