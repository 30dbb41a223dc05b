// A cache entry as bytes, for the persistent compile cache: its sources, guards, graph, result
// and break plans, side effects and write-backs, and how to find again, in another process,
// the objects its identity guards pinned (see IdentityRecipe).
//
// What can be saved (anything else makes the entry unsaveable, with the reason in words):
// - guards TYPE_MATCH, ID_MATCH (of the objects IdentityRecipe names), CONSTANT_MATCH, LENGTH,
//   TENSOR_MATCH, SYMBOLIC_INT, SHAPE, NO_ALIASING, DUPLICATE_INPUT (every graph input has a
//   TENSOR_MATCH that agrees with its placeholder);
// - graphs of placeholders, constants and op calls, symbolic sizes and attributes included
//   (their size expressions rebuilt through SymContext, decisions replayed on the example
//   values);
// - plans whose constants are None, bools, ints, floats, strs, dtypes, builtin functions
//   and tuples of those.
// An object made inside the trace names its class by fingerprint; the class is found again
// among those the identity guards pin. allow_in_graph calls and views of results with symbolic
// sizes are not saved yet.
//
// Decoding checks every count, index, kind and op before use and rebuilds the graph through
// GraphBuilder, which infers every value's meta again (a graph that would not have traced is an
// error): a decoded capture is as safe to run as a traced one. Errors are ValueError naming
// the byte offset.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <span>
#include <string>
#include <vector>

#include "interp/capture.h"
#include "interp/fingerprints.h"
#include "ir/error.h"

namespace gyro {

class Interpreter;
class SourceLoader;

// Format constants the encoder and decoder share: nesting bounds the work (and the recursion) a
// crafted artifact can ask for; kNoIndex stands for "none" (-1) where an index is stored.
inline constexpr int kMaxArtifactPlanDepth = 64;
inline constexpr uint32_t kNoIndex = UINT32_MAX;

// How an identity guard finds its object again in another process: the object the guard's
// source gives there must be equivalent to the one traced (same builtin, or a function or
// class with the same fingerprint); the guard then pins that object, as a traced one does.
struct IdentityRecipe {
  enum class Kind : uint8_t {
    kNone,             // the guard pins nothing
    kBuiltinType,      // TYPE_MATCH of a builtin kind of value: `key` is type_identity's key
    kBuiltinFunction,  // a builtin function (not bound to a receiver) called `name`
    kFunction,         // a script function whose fingerprint is `fingerprint`
    kClass,            // a class (TYPE_MATCH: the instance's class) with `fingerprint`
    kDType,            // the dtype object of dtype `key` (float32, ...)
  };
  Kind kind = Kind::kNone;
  uint64_t key = 0;  // kBuiltinType: the key; kFunction, kClass: the fingerprint; kDType
  // Every kind but kBuiltinType: guards that pinned one object in the trace share a group (and
  // different objects have different groups); a warm start must find the same relations.
  uint32_t group = 0;
  std::string name;  // kBuiltinFunction
};

// The capture as bytes, or why it cannot be saved ("guard ID_MATCH on 'self.cfg' pins a dict
// of this process").
Expected<std::vector<uint8_t>> encode_capture(const Capture& capture, Fingerprints& fingerprints);

// A decoded capture whose identity guards still need their objects (resolve_capture).
struct DecodedCapture {
  Capture capture;                      // everything but `guards` and `keep_alive`
  std::vector<guards::Guard> guards;    // identities unset where recipes say
  std::vector<IdentityRecipe> recipes;  // one per guard
  std::vector<std::string> symbol_names;  // the guard program's symbols (`x.size(0)`)
};
// Builtin functions in plans (a call pending at a graph break) are saved by name and looked up
// in `builtins`; with none given (checking a file before its entries are used) they decode
// as None.
class Dict;
Expected<DecodedCapture> decode_capture(std::span<const uint8_t> bytes, std::size_t base,
                                        const Dict* builtins = nullptr);

// The capture for a frame: each identity guard's object found through `loader` and checked
// against its recipe. nullopt when one is missing or differs (the entry does not apply to
// this frame; it may to another).
std::optional<Capture> resolve_capture(const DecodedCapture& decoded, SourceLoader& loader,
                                       Fingerprints& fingerprints);

}  // namespace gyro
