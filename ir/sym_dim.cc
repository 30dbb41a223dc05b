// SymDim arithmetic and comparisons: expressions in the decider's context, hints alongside.
#include "ir/sym_dim.h"

#include <algorithm>

#include "ir/python_arith.h"

namespace gyro {

namespace {

// Both sides' decider must be one (one trace, one shape env); a plain side has none.
SymDecider* decider_of(const SymDim& a, const SymDim& b) {
  GYRO_ASSERT(!a.decider || !b.decider || a.decider == b.decider,
              "sizes from two different SymDeciders meet in one expression");
  return a.decider ? a.decider : b.decider;
}

// `build` applied to both expressions, with the hint computed alongside. Plain sides give a
// plain result; so does an expression that folds to a constant (s0 - s0), so later
// comparisons on it cost nothing and record nothing.
template <typename Build>
SymDim combine(const SymDim& a, const SymDim& b, int64_t hint, Build build) {
  if (!a.is_symbolic() && !b.is_symbolic()) return SymDim(hint);
  SymDecider* decider = decider_of(a, b);
  SymContext& context = decider->context();
  SymId expression = build(context, a.expression(context), b.expression(context));
  if (context.is_constant(expression)) {
    GYRO_ASSERT(context.node(expression).value == hint, "{} folds to {} but its hint is {}",
                context.print(expression), context.node(expression).value, hint);
    return SymDim(hint);
  }
  return SymDim(hint, expression, decider);
}

// The truth of a comparison: by the hints when both sides are plain or the condition folds,
// else through the decider. A decider answers by the hints, so its answer must match them.
template <typename Build>
bool compare(const SymDim& a, const SymDim& b, bool on_hints, Build build) {
  if (!a.is_symbolic() && !b.is_symbolic()) return on_hints;
  SymDecider* decider = decider_of(a, b);
  SymContext& context = decider->context();
  SymId condition = build(context, a.expression(context), b.expression(context));
  bool truth = context.is_constant(condition) ? context.node(condition).value != 0
                                              : decider->decide(condition);
  GYRO_ASSERT(truth == on_hints, "{} was decided {} but the hints say {}", context.print(condition),
              truth, on_hints);
  return truth;
}

// Hint arithmetic wraps on overflow rather than being undefined: sizes that large were
// rejected before (checked_numel), and a wrong hint is caught by the comparisons' check.
int64_t wrapping_add(int64_t a, int64_t b) {
  int64_t out = 0;
  __builtin_add_overflow(a, b, &out);
  return out;
}
int64_t wrapping_sub(int64_t a, int64_t b) {
  int64_t out = 0;
  __builtin_sub_overflow(a, b, &out);
  return out;
}
int64_t wrapping_mul(int64_t a, int64_t b) {
  int64_t out = 0;
  __builtin_mul_overflow(a, b, &out);
  return out;
}

}  // namespace

SymDim operator+(const SymDim& a, const SymDim& b) {
  return combine(a, b, wrapping_add(a.hint, b.hint),
                 [](SymContext& c, SymId x, SymId y) { return c.add(x, y); });
}

SymDim operator-(const SymDim& a, const SymDim& b) {
  return combine(a, b, wrapping_sub(a.hint, b.hint),
                 [](SymContext& c, SymId x, SymId y) { return c.sub(x, y); });
}

SymDim operator*(const SymDim& a, const SymDim& b) {
  return combine(a, b, wrapping_mul(a.hint, b.hint),
                 [](SymContext& c, SymId x, SymId y) { return c.mul(x, y); });
}

// Shape rules test a divisor against zero before dividing, so a zero here is a rule's bug.
SymDim operator/(const SymDim& a, const SymDim& b) {
  GYRO_ASSERT(b.hint != 0, "size {} divided by a size of 0", a.hint);
  return combine(a, b, python_floor_divide(a.hint, b.hint),
                 [](SymContext& c, SymId x, SymId y) { return c.floordiv(x, y); });
}

SymDim operator%(const SymDim& a, const SymDim& b) {
  GYRO_ASSERT(b.hint != 0, "size {} modulo a size of 0", a.hint);
  return combine(a, b, python_mod(a.hint, b.hint),
                 [](SymContext& c, SymId x, SymId y) { return c.mod(x, y); });
}

SymDim& operator+=(SymDim& a, const SymDim& b) {
  a = a + b;
  return a;
}

SymDim sym_min(const SymDim& a, const SymDim& b) {
  return combine(a, b, std::min(a.hint, b.hint),
                 [](SymContext& c, SymId x, SymId y) { return c.min(x, y); });
}

SymDim sym_max(const SymDim& a, const SymDim& b) {
  return combine(a, b, std::max(a.hint, b.hint),
                 [](SymContext& c, SymId x, SymId y) { return c.max(x, y); });
}

bool operator==(const SymDim& a, const SymDim& b) {
  return compare(a, b, a.hint == b.hint,
                 [](SymContext& c, SymId x, SymId y) { return c.eq(x, y); });
}

bool operator!=(const SymDim& a, const SymDim& b) {
  return compare(a, b, a.hint != b.hint,
                 [](SymContext& c, SymId x, SymId y) { return c.ne(x, y); });
}

bool operator<(const SymDim& a, const SymDim& b) {
  return compare(a, b, a.hint < b.hint, [](SymContext& c, SymId x, SymId y) { return c.lt(x, y); });
}

bool operator<=(const SymDim& a, const SymDim& b) {
  return compare(a, b, a.hint <= b.hint,
                 [](SymContext& c, SymId x, SymId y) { return c.le(x, y); });
}

bool operator>(const SymDim& a, const SymDim& b) {
  return compare(a, b, a.hint > b.hint, [](SymContext& c, SymId x, SymId y) { return c.gt(x, y); });
}

bool operator>=(const SymDim& a, const SymDim& b) {
  return compare(a, b, a.hint >= b.hint,
                 [](SymContext& c, SymId x, SymId y) { return c.ge(x, y); });
}

SymDims plain_dims(const Dims& dims) {
  SymDims out;
  for (int64_t size : dims) out.push_back(SymDim(size));
  return out;
}

Dims hints(const SymDims& dims) {
  Dims out;
  for (const SymDim& dim : dims) out.push_back(dim.hint);
  return out;
}

bool any_symbolic(const SymDims& dims) {
  return std::any_of(dims.begin(), dims.end(), [](const SymDim& dim) { return dim.is_symbolic(); });
}

}  // namespace gyro
