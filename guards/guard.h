// Guards: the conditions under which a captured graph stays valid, each on one source, with
// the kinds declared once in guard_kinds.def. A failing guard explains itself in Dynamo's
// words ("tensor 'x' size mismatch at index 0. expected 3, actual 4").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

// What TENSOR_MATCH expects (static shapes: every size and stride by value).
struct TensorMatch {
  DType dtype = DType::Float32;
  Dims sizes;
  Dims strides;
};

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
std::string tensor_mismatch(std::string_view name, const TensorMatch& expected,
                            const Tensor& actual);
std::string type_mismatch(std::string_view name, std::string_view expected,
                          std::string_view actual);
std::string identity_mismatch(std::string_view name, std::string_view expected);
std::string constant_mismatch(std::string_view name, const Constant& expected);
std::string length_mismatch(std::string_view name, int64_t expected);
std::string aliasing_mismatch(std::string_view first, std::string_view second);
std::string same_object_mismatch(std::string_view first, std::string_view second);
std::string duplicate_mismatch(std::string_view first, std::string_view second);

}  // namespace gyro::guards
