// Shape relations compiled for the call path: a SymExpr as postfix code over the symbol
// bindings a guard program's TENSOR_MATCH checks fill, evaluated without allocation. The
// arithmetic is overflow-checked: Z3 and the shape env reason over unbounded integers, so an
// int64 overflow (or a division by zero) fails the relation instead of wrapping.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ir/sym_expr.h"

namespace gyro::guards {

// The symbols one cache entry may bind: a trace that would need more keeps further sizes
// static (TENSOR_MATCH by value).
inline constexpr int kMaxShapeSymbols = 32;
// A binding not yet made by a TENSOR_MATCH or SYMBOLIC_INT check. (Symbolic ints may be
// negative; an int equal to this one binds nothing, so relations on it fail: a cache miss.)
inline constexpr int64_t kUnbound = INT64_MIN;

enum class ShapeOpKind : uint8_t {
  kConstant,  // push operand
  kSymbol,    // push bindings[operand]
  kScale,     // top *= operand
  kAdd,       // a b -> a + b
  kMul,       // a b -> a * b
  kFloorDiv,  // a b -> a // b (Python's)
  kMod,       // a b -> a % b (Python's)
  kMin,
  kMax,
  kLeZero,  // a -> a <= 0
  kEqZero,  // a -> a == 0
  kNeZero,  // a -> a != 0
  kAnd,     // a b -> a and b (truth values 0/1)
  kOr,
  kNot,
  // Fused forms of the commonest shapes (same results, overflow included, in fewer steps):
  kAtLeast,    // push operand - bindings[symbol] <= 0 (`-s + c <= 0`, c > INT64_MIN)
  kAtMost,     // push operand + bindings[symbol] <= 0 (`s + c <= 0`)
  kAddScaled,  // a b -> a + operand * b
  kAddSymbol,  // top += operand * bindings[symbol]   (a term of a sum)
};

struct ShapeOp {
  ShapeOpKind kind = ShapeOpKind::kConstant;
  uint8_t symbol = 0;  // the fused kinds' symbol
  int64_t operand = 0;
};

// The deepest stack a compiled relation may need.
inline constexpr int kMaxShapeStack = 32;

// `relation` (a truth-valued node) as code; nullopt when it would need a deeper stack than
// kMaxShapeStack or a symbol past kMaxShapeSymbols.
std::optional<std::vector<ShapeOp>> compile_relation(const SymContext& context, SymId relation);

// Whether `code` is safe to evaluate over `num_symbols` bindings: known kinds, symbols in range,
// every step finds the operands it pops, the stack stays within kMaxShapeStack and ends with
// one value. Code from a file is checked with this before it joins a guard program.
bool valid_shape_code(std::span<const ShapeOp> code, int num_symbols);

// Whether the relation holds for `bindings` (one per symbol); false on overflow, on a division
// or modulo by zero, and on an unbound symbol.
bool relation_holds(std::span<const ShapeOp> code, const int64_t* bindings);

// The common case inline: a one-step bound on one symbol (`x.size(0) >= 2`, most of an entry's
// SHAPE checks), with relation_holds' semantics; anything longer goes through the evaluator.
inline bool relation_holds_fast(std::span<const ShapeOp> code, const int64_t* bindings) {
  if (code.size() == 1) {
    const ShapeOp& op = code[0];
    const int64_t value = bindings[op.symbol];
    int64_t side = 0;
    if (op.kind == ShapeOpKind::kAtLeast)
      return value != kUnbound && !__builtin_sub_overflow(op.operand, value, &side) && side <= 0;
    if (op.kind == ShapeOpKind::kAtMost)
      return value != kUnbound && !__builtin_add_overflow(op.operand, value, &side) && side <= 0;
  }
  return relation_holds(code, bindings);
}

// The same for an int expression (a symbolic int the trace hands back: `n + 1`): its value,
// or nullopt on overflow, division by zero or an unbound symbol.
inline std::optional<std::vector<ShapeOp>> compile_expression(const SymContext& context,
                                                              SymId expression) {
  return compile_relation(context, expression);
}
std::optional<int64_t> evaluate_expression(std::span<const ShapeOp> code, const int64_t* bindings);

}  // namespace gyro::guards
