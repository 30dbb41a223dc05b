// Symbolic ints: expressions over symbols (s0, s1, ...) and int64 constants, for symbolic
// shapes. A SymContext hash-conses them (equal expressions are one node, compared by id) and
// keeps every sum in a canonical linear form, so `s0 + s0`, `2*s0` and `s0*2` are one node and
// a sum's terms come in one order. Comparisons are stored against zero (`a < b` is
// `a - b + 1 <= 0`) and print the way a user writes them (`s0 >= 2`). Evaluation under
// bindings is exact: an int64 overflow or a division by zero is an error, not a value.
// ir/ stays free of Z3: the translation to Z3 lives in guards/.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ir/error.h"

namespace gyro {

enum class SymKind : uint8_t {
#define SYM_EXPR(kind, text) kind,
#include "ir/sym_exprs.def"
#undef SYM_EXPR
};

// A node of a SymContext.
struct SymId {
  int32_t index = -1;
  friend bool operator==(SymId a, SymId b) { return a.index == b.index; }
  friend bool operator!=(SymId a, SymId b) { return a.index != b.index; }
  friend bool operator<(SymId a, SymId b) { return a.index < b.index; }
};

struct SymNode {
  SymKind kind = SymKind::kConstant;
  int64_t value = 0;                             // kConstant: the value; kSymbol: its index;
                                                 // kAdd: the constant term
  std::vector<std::pair<SymId, int64_t>> terms;  // kAdd: (term, coefficient), sorted by term
  std::vector<SymId> operands;                   // every other kind, in canonical order
};

class SymContext {
 public:
  SymId constant(int64_t value);
  SymId symbol(int index);  // s<index>
  bool is_constant(SymId id) const { return node(id).kind == SymKind::kConstant; }
  const SymNode& node(SymId id) const { return nodes_[id.index]; }
  int32_t size() const { return static_cast<int32_t>(nodes_.size()); }

  // Arithmetic. Constants fold (with Python's // and %); results that would overflow int64
  // while folding are kept symbolic rather than wrapped.
  SymId add(SymId a, SymId b);
  SymId sub(SymId a, SymId b);
  SymId neg(SymId a);
  SymId mul(SymId a, SymId b);
  SymId floordiv(SymId a, SymId b);
  SymId mod(SymId a, SymId b);
  SymId min(SymId a, SymId b);
  SymId max(SymId a, SymId b);

  // Comparisons and logic: ints in, a truth value (constant 0 or 1 when decided) out.
  SymId eq(SymId a, SymId b);
  SymId ne(SymId a, SymId b);
  SymId lt(SymId a, SymId b);
  SymId le(SymId a, SymId b);
  SymId gt(SymId a, SymId b) { return lt(b, a); }
  SymId ge(SymId a, SymId b) { return le(b, a); }
  SymId logical_and(SymId a, SymId b);
  SymId logical_or(SymId a, SymId b);
  SymId logical_not(SymId a);

  // The value under `bindings` (bindings[i] is s<i>); an error on overflow, on a division or
  // modulo by zero, or on a symbol without a binding.
  Expected<int64_t> evaluate(SymId id, std::span<const int64_t> bindings) const;
  // As a user would write it: `s0*s1 + 2`, `s0 >= 2`, `s0 % 8 == 0 and s1 == s0`.
  std::string print(SymId id) const;

 private:
  using Terms = std::vector<std::pair<SymId, int64_t>>;
  SymId intern(SymNode node);
  SymId intern_operands(SymKind kind, std::vector<SymId> operands);
  // Any int expression as constant + sum of coefficient * term.
  void linear(SymId id, int64_t scale, int64_t& constant, Terms& terms, bool& overflow) const;
  SymId make_sum(int64_t constant, Terms terms);
  SymId compare(SymKind kind, SymId difference);
  std::optional<SymId> exact_quotient(SymId a, SymId b);
  std::string print_sum(int64_t constant, const Terms& terms) const;
  std::string print_operand(SymId id) const;

  std::vector<SymNode> nodes_;
  std::unordered_multimap<uint64_t, int32_t> index_;  // hash -> node; only looked up
};

}  // namespace gyro
