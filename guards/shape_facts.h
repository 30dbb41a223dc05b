// The cheap layer of guard reasoning: what a set of facts says about each symbol. Symbols known
// equal share a class (union-find); each class has an int64 interval and a residue
// (x = r mod m); bounds flow through linear and product terms for a few rounds. decide() then
// answers a condition in time linear in its size. Sound, not complete: kUnknown is always safe.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/sym_expr.h"

namespace gyro::guards {

// What facts say about a condition, under SymContext::evaluate's semantics: kImplied = it
// evaluates (no overflow, no division by zero) to true wherever the facts hold; kRefuted = it
// never holds there (false, or an evaluation error).
enum class Verdict : uint8_t { kImplied, kRefuted, kUnknown };

// A closed int64 interval; kNegInf / kPosInf stand for "no bound" (and for anything beyond
// int64 that a saturated computation reached).
struct Interval {
  static constexpr int64_t kNegInf = INT64_MIN;
  static constexpr int64_t kPosInf = INT64_MAX;
  int64_t lo = kNegInf;
  int64_t hi = kPosInf;
  // Every value in it is a finite int64 (neither end is a sentinel).
  bool finite() const { return lo != kNegInf && hi != kPosInf; }
};

// x = residue (mod modulus); modulus 1 says nothing, modulus 0 says x == residue.
struct Residue {
  int64_t modulus = 1;
  int64_t residue = 0;
};

class ShapeFacts {
 public:
  explicit ShapeFacts(const SymContext& context) : context_(context) {}

  // Forgets every fact.
  void clear();
  // Takes a truth-valued node as holding. `and` splits; comparisons become bounds, equal
  // classes and residues; what it cannot read (or, not, comparisons of non-linear terms it
  // cannot invert) is simply not used.
  void add(SymId fact);
  // implied / refuted / unknown for a truth-valued node (see Verdict).
  Verdict decide(SymId condition);

  // The facts contradict each other (no assignment satisfies them).
  bool infeasible();
  // The representative of the symbol's class (a symbol never seen is its own class).
  int representative(int symbol);
  Interval bounds(int symbol);
  Residue residue(int symbol);

 private:
  struct Atom {  // constant + sum(coefficient * term) {<=, ==, !=} 0
    SymKind kind;
    int64_t constant;
    std::vector<std::pair<SymId, int64_t>> terms;
  };
  struct Range {  // a sound interval of a value, and whether evaluating it can fail
    Interval value;
    bool exact;
  };
  struct Decision {
    Verdict verdict;
    bool safe;  // evaluation never fails where the facts hold
  };

  void ensure_symbol(int symbol);
  void ensure_symbols(SymId id);
  int find(int symbol) const;
  void unite(int a, int b);
  bool tighten(int root, Interval bound);
  bool restrict_residue(int root, Residue residue);
  void snap_to_residue(int root);
  bool apply(const Atom& atom);
  void propagate();
  Range eval(SymId id);
  Residue residue_of(SymId id);
  Decision decide_node(SymId id);

  const SymContext& context_;
  std::vector<int> parent_;
  std::vector<Interval> bounds_;   // per root
  std::vector<Residue> residues_;  // per root
  std::vector<Atom> atoms_;
  bool infeasible_ = false;
  bool dirty_ = false;  // atoms added since the last propagation
};

}  // namespace gyro::guards
