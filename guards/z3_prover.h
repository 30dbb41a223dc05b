// A budgeted Z3 back end: "are these facts and this condition satisfiable?" with only `unsat`
// trusted. One private z3::context per prover, created on first need; answers depend only on
// the inputs and the budget (rlimit, fixed seed), not on the machine's load.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "ir/sym_expr.h"

namespace gyro::guards {

// How much Z3 may do. rlimit counts Z3's own steps (deterministic for one Z3 build and a
// private context); timeout_ms is a wall-clock backstop only.
struct ProverBudget {
  bool use_z3 = true;
  uint64_t rlimit_per_query = 3000;
  uint64_t rlimit_total = 30000;  // once spent, every further Z3 question is answered unknown
  unsigned timeout_ms = 1000;  // a backstop only: rlimit decides (a timeout is not deterministic)
  unsigned random_seed = 42;
};

enum class Z3Answer : uint8_t {
  kUnsat,    // proved impossible: the only answer a caller may act on
  kSat,      // possible (a model may come with it)
  kUnknown,  // budget spent, timeout, nonlinear arithmetic too hard, or a z3::exception
};

struct Z3Stats {
  int checks = 0;  // questions that reached Z3 (not those refused for a spent budget)
  int unsat = 0;
  int sat = 0;
  int unknown = 0;
  double ms = 0;  // wall time in Z3, context creation included
  uint64_t rlimit_spent = 0;
};

class Z3Prover {
 public:
  // Facts and queries are read under SymContext::evaluate's semantics (int64, overflow and
  // division by zero fail): a fact "holds" when it evaluates without error to true.
  Z3Prover(const SymContext& context, const ProverBudget& budget);
  ~Z3Prover();
  Z3Prover(const Z3Prover&) = delete;
  Z3Prover& operator=(const Z3Prover&) = delete;

  // Registers a fact and returns its index; it reaches Z3 (once, behind its own assumption
  // literal) when a check first activates it.
  int add_fact(SymId fact);

  // Whether the facts listed in `active` (indices from add_fact) can hold together with
  // `query` holding (query_holds) or failing (!query_holds). With `model` non-null and the
  // answer kSat, symbols Z3 knows are written into *model (which the caller fills with
  // defaults, e.g. hints); a value outside int64 clears *model.
  Z3Answer check(std::span<const int> active, SymId query, bool query_holds,
                 std::vector<int64_t>* model);

  // The total rlimit is spent: no further question goes to Z3.
  bool exhausted() const;
  const Z3Stats& stats() const { return stats_; }

 private:
  struct Session;  // the z3::context and solver, created lazily
  const SymContext& context_;
  ProverBudget budget_;
  std::vector<SymId> facts_;
  Z3Stats stats_;
  std::unique_ptr<Session> session_;
};

}  // namespace gyro::guards
