// Symbolic ints in traces: a tensor's symbolic size read as an int (x.shape[0], x.size(1),
// len(x)) stays an expression through int arithmetic, comparisons and branches, which the
// shape env decides by the hints and records as guards. Any other use specializes it.
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "interp/tracer_impl.h"

namespace gyro::tracing {

namespace {

// An int the trace knows: symbolic, or a constant int (bools are ints here, as in Python).
bool integral(const Sym& s) {
  return s.kind == Sym::Kind::kSymInt || (s.kind == Sym::Kind::kConstant && s.value.is_integral());
}

}  // namespace

Sym Tracer::sym_int(const SymDim& size) {
  if (!size.is_symbolic()) return Sym::constant(Value::integer(size.hint));
  Sym s;
  s.kind = Sym::Kind::kSymInt;
  s.value = Value::integer(size.hint);
  s.expr = size.expr;
  return s;
}

bool Tracer::is_symbolic_slice(const Sym& value) {
  return value.kind == Sym::Kind::kConstant && value.items != nullptr &&
         value.value.is(ObjectKind::Slice);
}

bool Tracer::holds_sym_int(const Sym& value) {
  // Each tuple once ((t, t) nested n deep would be 2^n visits), without recursion.
  std::vector<const Sym*> pending{&value};
  std::unordered_set<const std::vector<Sym>*> seen;
  while (!pending.empty()) {
    const Sym& each = *pending.back();
    pending.pop_back();
    if (each.kind == Sym::Kind::kSymInt || is_symbolic_slice(each)) return true;
    if (each.kind == Sym::Kind::kTuple && seen.insert(each.items.get()).second)
      for (const Sym& item : *each.items) pending.push_back(&item);
  }
  return false;
}

Sym Tracer::specialized(const Sym& value) {
  if (value.kind == Sym::Kind::kSymInt)
    return Sym::constant(Value::integer(shapes_.specialize(sym_dim(value))), value.source);
  if (!holds_sym_int(value)) return value;
  std::unordered_map<const std::vector<Sym>*, Sym> done;
  return specialized(value, done);
}

Sym Tracer::specialized(const Sym& value, std::unordered_map<const std::vector<Sym>*, Sym>& done) {
  if (value.kind == Sym::Kind::kSymInt)
    return Sym::constant(Value::integer(shapes_.specialize(sym_dim(value))), value.source);
  if (is_symbolic_slice(value)) {
    // Its bounds' values: the slice of the hints it already is, with their guards.
    for (const Sym& bound : *value.items) specialized(bound, done);
    return Sym::constant(value.value, value.source);
  }
  if (value.kind != Sym::Kind::kTuple) return value;
  // A tuple (of .shape) holding symbolic ints: a new tuple of their values, one per tuple
  // (a tuple shared inside stays shared). Tuples are immutable, so no other reference can tell.
  if (auto found = done.find(value.items.get()); found != done.end()) return found->second;
  std::vector<Sym> items;
  for (const Sym& item : *value.items) items.push_back(specialized(item, done));
  Sym out = Sym::sequence(Sym::Kind::kTuple, std::move(items));
  out.source = value.source;
  done.emplace(value.items.get(), out);
  return out;
}

bool Tracer::keeps_sym_ints(const Instruction& instruction, const std::vector<Sym>& stack,
                            int depth) {
  switch (instruction.opcode) {
    case Opcode::POP_TOP:
    case Opcode::COPY:
    case Opcode::SWAP:
    case Opcode::STORE_FAST:
    case Opcode::BINARY_OP:
    case Opcode::COMPARE_OP:
    case Opcode::UNARY_NEGATIVE:
    case Opcode::UNARY_POSITIVE:
    case Opcode::UNARY_NOT:
    case Opcode::POP_JUMP_IF_FALSE:
    case Opcode::POP_JUMP_IF_TRUE:
    case Opcode::JUMP_IF_FALSE_OR_POP:
    case Opcode::JUMP_IF_TRUE_OR_POP:
    case Opcode::UNPACK_SEQUENCE:
      return true;
    case Opcode::BINARY_SUBSCR:
      // shape[i]: the tuple's item as it is (an index that is itself symbolic is specialized).
      // tensor[a:b]: a symbolic slice's bounds become the slice op's start and end.
      return stack.size() >= 2 &&
             ((stack[stack.size() - 2].kind == Sym::Kind::kTuple &&
               stack.back().kind == Sym::Kind::kConstant && !is_symbolic_slice(stack.back())) ||
              (stack[stack.size() - 2].kind == Sym::Kind::kTensor &&
               is_symbolic_slice(stack.back())));
    case Opcode::RETURN_VALUE:
      return true;  // to the caller's stack, or (the frame's result) planned: recomputed per call
    case Opcode::CALL:
    case Opcode::CALL_METHOD:
    case Opcode::CALL_KW:
      return true;  // Tracer::call: an op keeps them as attributes, any other callee sees values
    case Opcode::BUILD_SLICE:
      return true;  // a symbolic slice (is_symbolic_slice), specialized unless it indexes a tensor
    default:
      return false;
  }
}

bool Tracer::takes_sym_ints(const Sym& callable) {
  if (callable.kind == Sym::Kind::kTensorMethod) {
    if ((*callable.items)[0].kind != Sym::Kind::kTensor) return false;
    static constexpr std::string_view kNotOps[] = {"size", "dim",  "numel", "item",  "tolist",
                                                   "add_", "sub_", "mul_",  "div_",  "fill_",
                                                   "zero_", "copy_"};
    if (std::find(std::begin(kNotOps), std::end(kNotOps), callable.name) != std::end(kNotOps))
      return false;
    return op_from_name(callable.name).has_value();
  }
  if (callable.kind != Sym::Kind::kConstant || !callable.value.is(ObjectKind::Builtin))
    return false;
  const auto& builtin = callable.value.as<BuiltinObject>();
  return builtin.self.is_none() && op_of_builtin(builtin.fn).has_value();
}

std::optional<std::optional<Sym>> Tracer::sym_int_binary(Binop op, const Sym& a, const Sym& b) {
  const bool a_symbolic = a.kind == Sym::Kind::kSymInt, b_symbolic = b.kind == Sym::Kind::kSymInt;
  if (!a_symbolic && !b_symbolic) return std::nullopt;
  const Binop base = base_op(op);
  const bool closed = base == Binop::ADD || base == Binop::SUBTRACT || base == Binop::MULTIPLY ||
                      base == Binop::FLOOR_DIVIDE || base == Binop::REMAINDER;
  if (!closed || !integral(a) || !integral(b)) {
    // Anything else (true division, powers, floats, tensors, ...) sees the values.
    return binary(op, specialized(a), specialized(b));
  }
  // The hint as the VM computes it (its errors: overflow, division by zero).
  auto hint = binary_op(op, a.value, b.value);
  if (!hint.ok()) {
    // A symbolic divisor that is 0 here: the VM raises, and the trace leaves it the frame.
    if (b_symbolic) shapes_.specialize(sym_dim(b));
    return std::optional<Sym>(stop(BreakReason::UserError, hint.error().message));
  }
  SymContext& context = shapes_.context();
  const SymDim left = a_symbolic ? sym_dim(a) : SymDim(a.value.as_int());
  const SymDim right = b_symbolic ? sym_dim(b) : SymDim(b.value.as_int());
  if ((base == Binop::FLOOR_DIVIDE || base == Binop::REMAINDER) && right.is_symbolic()) {
    // The VM raises for a zero divisor: the entry holds only where it is not zero.
    shapes_.decide(context.ne(right.expr, context.constant(0)));
  }
  SymId l = left.expression(context), r = right.expression(context), expr;
  switch (base) {
    case Binop::ADD:
      expr = context.add(l, r);
      break;
    case Binop::SUBTRACT:
      expr = context.sub(l, r);
      break;
    case Binop::MULTIPLY:
      expr = context.mul(l, r);
      break;
    case Binop::FLOOR_DIVIDE:
      expr = context.floordiv(l, r);
      break;
    default:
      expr = context.mod(l, r);
      break;
  }
  return std::optional<Sym>(sym_int(SymDim(hint->as_int(), expr, &shapes_)));
}

std::optional<std::optional<Sym>> Tracer::sym_int_compare(CompareOp op, const Sym& a,
                                                          const Sym& b) {
  const bool a_symbolic = a.kind == Sym::Kind::kSymInt, b_symbolic = b.kind == Sym::Kind::kSymInt;
  if (!a_symbolic && !b_symbolic) return std::nullopt;
  if (!integral(a) || !integral(b)) return compare(op, specialized(a), specialized(b));
  SymContext& context = shapes_.context();
  const SymId l = a_symbolic ? a.expr : context.constant(a.value.as_int());
  const SymId r = b_symbolic ? b.expr : context.constant(b.value.as_int());
  SymId condition;
  switch (op) {
    case CompareOp::LT:
      condition = context.lt(l, r);
      break;
    case CompareOp::LE:
      condition = context.le(l, r);
      break;
    case CompareOp::EQ:
      condition = context.eq(l, r);
      break;
    case CompareOp::NE:
      condition = context.ne(l, r);
      break;
    case CompareOp::GT:
      condition = context.gt(l, r);
      break;
    case CompareOp::GE:
      condition = context.ge(l, r);
      break;
  }
  // Decided by the hints; the condition itself (not the hints' values) becomes the guard.
  return std::optional<Sym>(Sym::constant(Value::boolean(shapes_.decide(condition))));
}

}  // namespace gyro::tracing
