// The op table: every tensor op's kind, arity, fusion class, properties and attribute schema.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "ir/attr.h"
#include "ir/error.h"

namespace gyro {

enum class OpKind : unsigned char {
#define OP(name, min_in, max_in, fusion, dtype_rule, shape_rule, props, attrs) name,
#include "ir/ops.def"
#undef OP
};
inline constexpr int kNumOps = 0
#define OP(name, min_in, max_in, fusion, dtype_rule, shape_rule, props, attrs) +1
#include "ir/ops.def"
#undef OP
    ;

// How a backend may combine the op with its neighbours.
enum class FusionClass : unsigned char { kElementwise, kReduction, kMovement, kOpaque, kRandom };

// Op properties, a set of bits.
enum OpProperty : uint32_t {
  kCommutative = 1u << 0,   // f(a, b) == f(b, a)
  kView = 1u << 1,          // outputs alias the input's storage
  kMultiOutput = 1u << 2,   // returns a list of tensors
  kFloatingOnly = 1u << 3,  // rejects integral and bool inputs (mean, gelu, ...)
  kNoBool = 1u << 4,        // rejects bool inputs (neg, sub, ...)
  kMayAlias = 1u << 5,      // returns its input or a view of it when it can (reshape, to)
};

// How an op's output dtype follows from its inputs and attributes (see ir/infer.cc).
enum class DTypeRule : unsigned char {
  kSame,
  kPromote,
  kPromoteToFloat,
  kToFloat,
  kToBool,
  kToInt64,
  kCompare,
  kSumLike,
  kWhere,
  kClamp,
  kSameOperands,
  kSameOrNumber,
  kFromAttr,
  kFromAttrOrFloat,
  kFromFillValue,
  kFromRangeArgs,
};

// How an op's output sizes follow from its inputs' sizes and attributes (ir/shape_rules.h).
enum class ShapeRule : unsigned char {
  kBroadcast,
  kSameAsInput,
  kSameAlongDim,  // the input's sizes; its `dim` attribute must be in range (softmax)
  kReduce,
  kLayerNorm,
  kMatmul,
  kLinear,
  kReshape,
  kTranspose,
  kPermute,
  kSqueeze,
  kUnsqueeze,
  kFlatten,
  kExpand,
  kSlice,
  kSelect,
  kCat,
  kStack,
  kSplit,
  kSizeAttr,
  kArange,
  kLinspace,
  kEye,
};

struct OpInfo {
  std::string_view name;
  int min_inputs;
  int max_inputs;  // -1: any number
  FusionClass fusion;
  DTypeRule dtype_rule;
  ShapeRule shape_rule;
  uint32_t properties;
  std::span<const AttrSpec> attrs;

  bool has(OpProperty property) const { return (properties & property) != 0; }
};

const OpInfo& op_info(OpKind op);
inline std::string_view op_name(OpKind op) {
  return op_info(op).name;
}
std::optional<OpKind> op_from_name(std::string_view name);

// Checks an op call's input count and binds its attributes: positional values first, then
// named ones, then defaults; ints widen to float where a float is expected and a lone int
// stands for a one-element int[] (as in PyTorch). Errors name the op and the attribute.
struct NamedAttr {
  std::string_view name;
  Attr value;
};
Expected<Attrs> bind_attrs(OpKind op, int num_inputs, std::span<const Attr> positional,
                           std::span<const NamedAttr> named = {});

}  // namespace gyro
