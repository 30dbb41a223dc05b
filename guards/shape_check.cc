// Compiling shape relations to postfix code, and the allocation-free evaluator the frame
// cache runs on every call.
#include "guards/shape_check.h"

#include <algorithm>

#include "ir/python_arith.h"

namespace gyro::guards {

namespace {

// Emits `id`'s code; false when the stack would grow past the limit or a symbol is out of
// range. `depth` is the stack depth before the node.
bool emit(const SymContext& context, SymId id, int depth, int& max_depth,
          std::vector<ShapeOp>& code) {
  max_depth = std::max(max_depth, depth + 1);
  if (max_depth > kMaxShapeStack) return false;
  const SymNode& node = context.node(id);
  auto binary = [&](ShapeOpKind kind) {
    for (std::size_t i = 0; i < node.operands.size(); ++i) {
      if (!emit(context, node.operands[i], depth + (i > 0 ? 1 : 0), max_depth, code)) return false;
      if (i > 0) code.push_back({kind, 0});
    }
    return true;
  };
  switch (node.kind) {
    case SymKind::kConstant:
      code.push_back({ShapeOpKind::kConstant, node.value});
      return true;
    case SymKind::kSymbol:
      if (node.value < 0 || node.value >= kMaxShapeSymbols) return false;
      code.push_back({ShapeOpKind::kSymbol, node.value});
      return true;
    case SymKind::kAdd:
      code.push_back({ShapeOpKind::kConstant, node.value});
      for (const auto& [term, coefficient] : node.terms) {
        if (!emit(context, term, depth + 1, max_depth, code)) return false;
        if (coefficient != 1) code.push_back({ShapeOpKind::kScale, coefficient});
        code.push_back({ShapeOpKind::kAdd, 0});
      }
      return true;
    case SymKind::kMul:
      return binary(ShapeOpKind::kMul);
    case SymKind::kFloorDiv:
      return binary(ShapeOpKind::kFloorDiv);
    case SymKind::kMod:
      return binary(ShapeOpKind::kMod);
    case SymKind::kMin:
      return binary(ShapeOpKind::kMin);
    case SymKind::kMax:
      return binary(ShapeOpKind::kMax);
    case SymKind::kAnd:
      return binary(ShapeOpKind::kAnd);
    case SymKind::kOr:
      return binary(ShapeOpKind::kOr);
    case SymKind::kLe:
    case SymKind::kEq:
    case SymKind::kNe:
    case SymKind::kNot: {
      if (!emit(context, node.operands[0], depth, max_depth, code)) return false;
      const ShapeOpKind kind = node.kind == SymKind::kLe   ? ShapeOpKind::kLeZero
                               : node.kind == SymKind::kEq ? ShapeOpKind::kEqZero
                               : node.kind == SymKind::kNe ? ShapeOpKind::kNeZero
                                                           : ShapeOpKind::kNot;
      code.push_back({kind, 0});
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<std::vector<ShapeOp>> compile_relation(const SymContext& context, SymId relation) {
  std::vector<ShapeOp> code;
  int max_depth = 0;
  if (!emit(context, relation, 0, max_depth, code)) return std::nullopt;
  code.shrink_to_fit();
  return code;
}

bool relation_holds(std::span<const ShapeOp> code, const int64_t* bindings) {
  const std::optional<int64_t> value = evaluate_expression(code, bindings);
  return value && *value != 0;
}

std::optional<int64_t> evaluate_expression(std::span<const ShapeOp> code,
                                           const int64_t* bindings) {
  int64_t stack[kMaxShapeStack];
  int top = -1;  // compile_relation bounded the depth
  for (const ShapeOp& op : code) {
    switch (op.kind) {
      case ShapeOpKind::kConstant:
        stack[++top] = op.operand;
        continue;
      case ShapeOpKind::kSymbol:
        if (bindings[op.operand] == kUnbound) return std::nullopt;
        stack[++top] = bindings[op.operand];
        continue;
      case ShapeOpKind::kScale:
        if (__builtin_mul_overflow(stack[top], op.operand, &stack[top])) return std::nullopt;
        continue;
      case ShapeOpKind::kLeZero:
        stack[top] = stack[top] <= 0;
        continue;
      case ShapeOpKind::kEqZero:
        stack[top] = stack[top] == 0;
        continue;
      case ShapeOpKind::kNeZero:
        stack[top] = stack[top] != 0;
        continue;
      case ShapeOpKind::kNot:
        stack[top] = stack[top] == 0;
        continue;
      case ShapeOpKind::kAdd:
      case ShapeOpKind::kMul:
      case ShapeOpKind::kFloorDiv:
      case ShapeOpKind::kMod:
      case ShapeOpKind::kMin:
      case ShapeOpKind::kMax:
      case ShapeOpKind::kAnd:
      case ShapeOpKind::kOr:
        break;
    }
    const int64_t b = stack[top--];
    int64_t& a = stack[top];
    switch (op.kind) {
      case ShapeOpKind::kAdd:
        if (__builtin_add_overflow(a, b, &a)) return std::nullopt;
        break;
      case ShapeOpKind::kMul:
        if (__builtin_mul_overflow(a, b, &a)) return std::nullopt;
        break;
      case ShapeOpKind::kFloorDiv:
        if (b == 0 || (a == INT64_MIN && b == -1)) return std::nullopt;
        a = python_floor_divide(a, b);
        break;
      case ShapeOpKind::kMod:
        if (b == 0) return std::nullopt;
        a = python_mod(a, b);
        break;
      case ShapeOpKind::kMin:
        a = std::min(a, b);
        break;
      case ShapeOpKind::kMax:
        a = std::max(a, b);
        break;
      case ShapeOpKind::kAnd:
        a = a != 0 && b != 0;
        break;
      case ShapeOpKind::kOr:
        a = a != 0 || b != 0;
        break;
      case ShapeOpKind::kConstant:
      case ShapeOpKind::kSymbol:
      case ShapeOpKind::kScale:
      case ShapeOpKind::kLeZero:
      case ShapeOpKind::kEqZero:
      case ShapeOpKind::kNeZero:
      case ShapeOpKind::kNot:
        break;  // handled above
    }
  }
  if (top != 0) return std::nullopt;
  return stack[0];
}

}  // namespace gyro::guards
