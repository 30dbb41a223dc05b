// SymDim: a tensor size while tracing: its hint (the value on the example input) and, when it
// is symbolic, its expression in a SymContext. Shape rules run over SymDim exactly as over
// int64 (ir/shape_rules.h): arithmetic builds expressions, and a comparison that the
// expressions do not decide is answered by the hints through a SymDecider, which records the
// answer as a fact the graph relies on (a guard). The decider lives in guards/ (the shape env);
// ir/ only sees this interface.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ir/dims.h"
#include "ir/error.h"
#include "ir/sym_expr.h"

namespace gyro {

// Answers conditions on symbolic sizes while tracing.
class SymDecider {
 public:
  virtual ~SymDecider() = default;
  virtual SymContext& context() = 0;
  // The truth of `condition` (a comparison or logic node) on the hints. Unless the facts
  // recorded so far already decide it, the condition or its negation becomes a new fact.
  virtual bool decide(SymId condition) = 0;
};

// A size: a plain int64 when `expr` is invalid (then `decider` may be null), else symbolic.
// Arithmetic between a symbolic and a plain size is symbolic; between plain sizes, plain.
struct SymDim {
  int64_t hint = 0;
  SymId expr;                     // index -1: a plain size
  SymDecider* decider = nullptr;  // set whenever expr is

  SymDim() = default;
  SymDim(int64_t value) : hint(value) {}  // NOLINT: sizes convert from ints as in shape rules
  SymDim(int64_t value, SymId expression, SymDecider* owner)
      : hint(value), expr(expression), decider(owner) {}

  bool is_symbolic() const { return expr.index >= 0; }
  // The expression, interning a plain size as a constant of `context`.
  SymId expression(SymContext& context) const {
    return is_symbolic() ? expr : context.constant(hint);
  }
};

SymDim operator+(const SymDim& a, const SymDim& b);
SymDim operator-(const SymDim& a, const SymDim& b);
SymDim operator*(const SymDim& a, const SymDim& b);
SymDim operator/(const SymDim& a, const SymDim& b);  // floor division (sizes are >= 0)
SymDim operator%(const SymDim& a, const SymDim& b);  // Python's modulo
SymDim& operator+=(SymDim& a, const SymDim& b);
SymDim sym_min(const SymDim& a, const SymDim& b);
SymDim sym_max(const SymDim& a, const SymDim& b);
// Comparisons decide through the decider (recording a fact) unless both sides are plain or
// the expressions fold to a constant truth value.
bool operator==(const SymDim& a, const SymDim& b);
bool operator!=(const SymDim& a, const SymDim& b);
bool operator<(const SymDim& a, const SymDim& b);
bool operator<=(const SymDim& a, const SymDim& b);
bool operator>(const SymDim& a, const SymDim& b);
bool operator>=(const SymDim& a, const SymDim& b);

using SymDims = BasicDims<SymDim>;

// Plain sizes from hints, and the hints of symbolic sizes.
SymDims plain_dims(const Dims& dims);
Dims hints(const SymDims& dims);
bool any_symbolic(const SymDims& dims);

}  // namespace gyro

// Error messages show a size by its hint: a trace reports the error the example input gives.
template <>
struct fmt::formatter<gyro::SymDim> : fmt::formatter<int64_t> {
  auto format(const gyro::SymDim& dim, format_context& ctx) const {
    return fmt::formatter<int64_t>::format(dim.hint, ctx);
  }
};
