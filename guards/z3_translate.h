// Symbolic ints as Z3 formulas: a SymContext node's value (Python's // and %), and the condition
// under which SymContext::evaluate succeeds. Z3 types are only declared here: include <z3++.h>
// in the .cc that uses the results (never in a header others include).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ir/sym_expr.h"

namespace z3 {
class context;
class expr;
}  // namespace z3

namespace gyro::guards {

enum class Z3Semantics : uint8_t {
  kMathematical,  // unbounded integers; defined() only asks that every divisor used is non-zero
  kInt64,         // SymContext::evaluate's: defined() also asks that every intermediate value
                  // (each partial sum and product, each quotient) fits int64
};

// Translates nodes of one SymContext into one z3::context, memoized per node. Symbol s<i> is
// the Int constant named "s<i>". Not thread-safe (neither is the z3::context).
class Z3Translator {
 public:
  Z3Translator(const SymContext& context, z3::context& z3, Z3Semantics semantics);
  ~Z3Translator();
  Z3Translator(const Z3Translator&) = delete;
  Z3Translator& operator=(const Z3Translator&) = delete;

  // The value as an Int (a truth value as 0 or 1). Meaningful only where defined() holds:
  // a division by zero is left to Z3's (unconstrained) semantics.
  z3::expr int_value(SymId id);
  // The truth value as a Bool (an int is true when non-zero).
  z3::expr truth(SymId id);
  // Whether evaluation succeeds: divisors non-zero and, under kInt64, no overflow; `and` / `or`
  // short-circuit as in Python, so the right side only counts when it is evaluated.
  z3::expr defined(SymId id);
  // defined(id) and truth(id): a guard that passes.
  z3::expr holds(SymId id);

  z3::expr symbol(int index);
  // `INT64_MIN <= s <= INT64_MAX` for symbol s<index>: what a binding can be.
  z3::expr symbol_in_int64(int index);
  // Indices of the symbols translated so far, in first-seen order.
  const std::vector<int>& symbols_seen() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gyro::guards
