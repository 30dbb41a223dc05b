// Compiling shape relations to postfix code, and the allocation-free evaluator the frame
// cache runs on every call.
#include "guards/shape_check.h"

#include <algorithm>

#include "ir/python_arith.h"

namespace gyro::guards {

namespace {

ShapeOp op(ShapeOpKind kind, int64_t operand = 0, int symbol = 0) {
  return ShapeOp{kind, static_cast<uint8_t>(symbol), operand};
}

// The symbol index of `id` when it is a symbol the bindings hold, else -1.
int symbol_index(const SymContext& context, SymId id) {
  const SymNode& node = context.node(id);
  if (node.kind != SymKind::kSymbol || node.value < 0 || node.value >= kMaxShapeSymbols) return -1;
  return static_cast<int>(node.value);
}

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
      if (i > 0) code.push_back(op(kind));
    }
    return true;
  };
  switch (node.kind) {
    case SymKind::kConstant:
      code.push_back(op(ShapeOpKind::kConstant, node.value));
      return true;
    case SymKind::kSymbol:
      if (node.value < 0 || node.value >= kMaxShapeSymbols) return false;
      code.push_back(op(ShapeOpKind::kSymbol, node.value));
      return true;
    case SymKind::kAdd: {
      // A zero constant is left out (0 + t is t, never an overflow); a symbol term is one step.
      bool first = node.value == 0 && !node.terms.empty();
      if (!first) code.push_back(op(ShapeOpKind::kConstant, node.value));
      for (const auto& [term, coefficient] : node.terms) {
        const int symbol = symbol_index(context, term);
        if (!first && symbol >= 0) {
          code.push_back(op(ShapeOpKind::kAddSymbol, coefficient, symbol));
          continue;
        }
        if (!emit(context, term, depth + (first ? 0 : 1), max_depth, code)) return false;
        if (first && coefficient != 1) code.push_back(op(ShapeOpKind::kScale, coefficient));
        if (!first)
          code.push_back(coefficient == 1 ? op(ShapeOpKind::kAdd)
                                          : op(ShapeOpKind::kAddScaled, coefficient));
        first = false;
      }
      return true;
    }
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
      // A bound on one symbol, `c - s <= 0` or `c + s <= 0`: one step. (For c > INT64_MIN,
      // c - s gives the long form's answer even where -1*s overflows: s = INT64_MIN makes
      // both false.)
      const SymNode& operand = context.node(node.operands[0]);
      if (node.kind == SymKind::kLe && operand.kind == SymKind::kAdd && operand.terms.size() == 1) {
        const auto& [term, coefficient] = operand.terms[0];
        const int symbol = symbol_index(context, term);
        if (symbol >= 0 && (coefficient == 1 || (coefficient == -1 && operand.value > INT64_MIN))) {
          code.push_back(op(coefficient == -1 ? ShapeOpKind::kAtLeast : ShapeOpKind::kAtMost,
                            operand.value, symbol));
          return true;
        }
      }
      if (!emit(context, node.operands[0], depth, max_depth, code)) return false;
      const ShapeOpKind kind = node.kind == SymKind::kLe   ? ShapeOpKind::kLeZero
                               : node.kind == SymKind::kEq ? ShapeOpKind::kEqZero
                               : node.kind == SymKind::kNe ? ShapeOpKind::kNeZero
                                                           : ShapeOpKind::kNot;
      code.push_back(op(kind));
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

bool valid_shape_code(std::span<const ShapeOp> code, int num_symbols) {
  int depth = 0;
  auto symbol_ok = [&](int64_t symbol) { return symbol >= 0 && symbol < num_symbols; };
  for (const ShapeOp& op : code) {
    // A kind byte past the last kind (bytes from a file) is no kind at all.
    if (static_cast<uint8_t>(op.kind) > static_cast<uint8_t>(ShapeOpKind::kAddSymbol)) return false;
    int pops = 0, pushes = 0;
    switch (op.kind) {
      case ShapeOpKind::kConstant:
        pushes = 1;
        break;
      case ShapeOpKind::kSymbol:
        if (!symbol_ok(op.operand)) return false;
        pushes = 1;
        break;
      case ShapeOpKind::kAtLeast:
      case ShapeOpKind::kAtMost:
        if (!symbol_ok(op.symbol)) return false;
        pushes = 1;
        break;
      case ShapeOpKind::kAddSymbol:
        if (!symbol_ok(op.symbol)) return false;
        pops = pushes = 1;
        break;
      case ShapeOpKind::kScale:
      case ShapeOpKind::kLeZero:
      case ShapeOpKind::kEqZero:
      case ShapeOpKind::kNeZero:
      case ShapeOpKind::kNot:
        pops = pushes = 1;
        break;
      case ShapeOpKind::kAdd:
      case ShapeOpKind::kMul:
      case ShapeOpKind::kFloorDiv:
      case ShapeOpKind::kMod:
      case ShapeOpKind::kMin:
      case ShapeOpKind::kMax:
      case ShapeOpKind::kAnd:
      case ShapeOpKind::kOr:
      case ShapeOpKind::kAddScaled:
        pops = 2;
        pushes = 1;
        break;
    }
    if (depth < pops) return false;
    depth += pushes - pops;
    if (depth > kMaxShapeStack) return false;
  }
  return depth == 1;
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
      case ShapeOpKind::kAtLeast: {  // c - s <= 0
        const int64_t value = bindings[op.symbol];
        int64_t difference = 0;
        if (value == kUnbound || __builtin_sub_overflow(op.operand, value, &difference))
          return std::nullopt;
        stack[++top] = difference <= 0;
        continue;
      }
      case ShapeOpKind::kAtMost: {  // c + s <= 0
        const int64_t value = bindings[op.symbol];
        int64_t sum = 0;
        if (value == kUnbound || __builtin_add_overflow(op.operand, value, &sum)) return std::nullopt;
        stack[++top] = sum <= 0;
        continue;
      }
      case ShapeOpKind::kAddScaled: {  // a b -> a + operand*b, checked as kScale then kAdd
        const int64_t b = stack[top--];
        int64_t product = 0;
        if (__builtin_mul_overflow(b, op.operand, &product) ||
            __builtin_add_overflow(stack[top], product, &stack[top]))
          return std::nullopt;
        continue;
      }
      case ShapeOpKind::kAddSymbol: {
        const int64_t value = bindings[op.symbol];
        int64_t product = 0;
        if (value == kUnbound || __builtin_mul_overflow(value, op.operand, &product) ||
            __builtin_add_overflow(stack[top], product, &stack[top]))
          return std::nullopt;
        continue;
      }
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
      case ShapeOpKind::kAtLeast:
      case ShapeOpKind::kAtMost:
      case ShapeOpKind::kAddScaled:
      case ShapeOpKind::kAddSymbol:
        break;  // handled above
    }
  }
  if (top != 0) return std::nullopt;
  return stack[0];
}

}  // namespace gyro::guards
