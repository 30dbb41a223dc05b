// Guards: the conditions under which a captured graph stays valid, each on one source, with
// the kinds declared once in guard_kinds.def. A failing guard explains itself in Dynamo's
// words ("tensor 'x' size mismatch at index 0. expected 3, actual 4").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "guards/shape_check.h"
#include "guards/source.h"
#include "ir/code.h"
#include "ir/dtype.h"
#include "ir/tensor.h"

namespace gyro::guards {

enum class GuardKind : uint8_t {
#define GUARD_KIND(name, cost, doc) name,
#include "guards/guard_kinds.def"
#undef GUARD_KIND
};

std::string_view guard_kind_name(GuardKind kind);
int guard_cost(GuardKind kind);

// What TENSOR_MATCH expects: static sizes by value; a symbolic size binds its symbol (the
// first check that reads the symbol binds it, later ones must see the same size). A tensor with
// symbolic sizes must be contiguous; one with static sizes has every stride checked.
struct TensorMatch {
  DType dtype = DType::Float32;
  Dims sizes;    // >= 0: static; else symbol_of_size(size)
  Dims strides;  // kContiguousStrides in every entry: contiguous for whatever its sizes are
};
inline constexpr int64_t kContiguousStrides = INT64_MIN;
inline int64_t size_of_symbol(int symbol) { return -1 - symbol; }
inline int symbol_of_size(int64_t size) { return static_cast<int>(-1 - size); }

struct Guard {
  Guard(GuardKind guard_kind, SourceId on) : kind(guard_kind), source(on) {}
  GuardKind kind;
  SourceId source;
  // TYPE_MATCH: the type object; ID_MATCH: the object itself. The cache entry holding the
  // guard keeps that object alive, so the address cannot be reused by another.
  const void* identity = nullptr;
  std::string type_name;  // TYPE_MATCH, ID_MATCH: what the trace saw, for messages
  Constant constant;      // CONSTANT_MATCH
  int64_t length = 0;     // LENGTH
  TensorMatch tensor;     // TENSOR_MATCH
  int symbol = -1;  // SYMBOLIC_INT: the symbol the int binds
  // SHAPE: the relation compiled for the call path, and in the user's words.
  std::vector<ShapeOp> relation;
  std::string relation_text;
  // NO_ALIASING: sources that must not share storage (tensors) or be the same object;
  // DUPLICATE_INPUT: the one source that must give the same object.
  std::vector<SourceId> unaliased;
};

// Guards in the order a program checks them: cheapest kind first, then by source (loading
// order), so each source is loaded once and a changed type fails before a tensor is examined.
std::vector<Guard> order_guards(std::vector<Guard> guards);

// Human-readable form of a guard (explain() lists these): "TENSOR_MATCH x: float32[3, 4]".
std::string describe(const SourceTable& sources, const Guard& guard);

// Failure messages, as Dynamo words them. The tensor one is empty when everything matches.
// `bindings` and `symbol_names` (one per symbol: `x.size(0)`) explain a symbolic size that
// differs from the size that bound its symbol.
std::string tensor_mismatch(std::string_view name, const TensorMatch& expected,
                            const Tensor& actual, std::span<const int64_t> bindings = {},
                            std::span<const std::string> symbol_names = {});
std::string type_mismatch(std::string_view name, std::string_view expected,
                          std::string_view actual);
std::string identity_mismatch(std::string_view name, std::string_view expected);
std::string constant_mismatch(std::string_view name, const Constant& expected);
std::string length_mismatch(std::string_view name, int64_t expected);
std::string aliasing_mismatch(std::string_view first, std::string_view second);
std::string same_object_mismatch(std::string_view first, std::string_view second);
std::string duplicate_mismatch(std::string_view first, std::string_view second);

}  // namespace gyro::guards
