// Fingerprints: content hashes of code objects, functions and classes that are equal across
// processes exactly when the objects are interchangeable for a cache entry (see
// compile_artifact.h: how a saved entry's identity guards find their objects again).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>

#include "ir/code.h"

namespace gyro {

struct ClassObject;
struct FunctionObject;

// Content hashes, memoized per code object. A function's fingerprint covers its code (every
// instruction, constant and name, nested codes included), its defaults, its module's __name__
// and its closure cells (constants by value, classes by name); a class's covers its module and
// name, its attributes (functions by fingerprint, constants by value) and its bases. nullopt:
// not comparable across processes (a default or a cell that is not a constant, say).
class Fingerprints {
 public:
  uint64_t code(const std::shared_ptr<const Code>& code);
  std::optional<uint64_t> function(const FunctionObject& function);
  std::optional<uint64_t> of_class(const ClassObject& cls);

 private:
  struct Memo {
    std::weak_ptr<const Code> code;  // the memo is valid while this is the same code
    uint64_t hash;
  };
  std::unordered_map<const Code*, Memo> codes_;
};

}  // namespace gyro
