// prune_guards' properties on random guard sets (seeds fixed): the pruned set is equivalent to
// the original (Z3, large budget) and agrees with it on 100k random bindings by exact
// evaluation, also with Z3 off or starved; pruning is idempotent and deterministic.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "guards/implication.h"
#include "random_guards.h"
#include "z3_oracle.h"

using namespace gyro;
using namespace gyro::guards;
using gyro::testing::Proof;

namespace {

ProverBudget no_z3() {
  ProverBudget budget;
  budget.use_z3 = false;
  return budget;
}
ProverBudget starved() {
  ProverBudget budget;
  budget.rlimit_per_query = 1;
  return budget;
}
int set_size(int trial) {
  return 8 + (trial * 7) % 20;
}

}  // namespace

TEST(PruneGuards, DropsImpliedGuardsAndKeepsTheOriginalOrder) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1);
  auto k = [&](int64_t v) { return c.constant(v); };
  std::vector<SymId> guards = {
      c.ge(s0, k(1)), c.eq(c.mod(s0, k(8)), k(0)), c.ge(s0, k(2)), c.eq(s1, s0), c.ge(s1, k(8)),
      c.ge(s0, k(1)), c.le(c.mul(s0, s1), k(4096))};
  PruneStats stats;
  std::vector<SymId> pruned = prune_guards(c, guards, std::vector<int64_t>{16, 16}, {}, &stats);
  std::vector<std::string> printed;
  for (SymId guard : pruned) printed.push_back(c.print(guard));
  EXPECT_EQ(printed,
            (std::vector<std::string>{"s0 % 8 == 0", "s0 == s1", "s1 >= 8", "s0*s1 <= 4096"}));
  EXPECT_EQ(stats.before, 7);
  EXPECT_EQ(stats.after_dedup, 6);
  EXPECT_EQ(stats.after_z3, 4);
  EXPECT_EQ(gyro::testing::z3_equivalent(c, guards, pruned), Proof::kProved);
}

TEST(PruneGuards, PrunedSetsAreEquivalentToOriginalsByZ3) {
  int proved = 0, unknown = 0;
  for (int trial = 0; trial < 60; ++trial) {
    SymContext c;
    auto set = gyro::testing::random_guard_set(c, set_size(trial), 1000 + trial);
    std::vector<SymId> pruned = prune_guards(c, set.guards, set.hints, {});
    const Proof proof = gyro::testing::z3_equivalent(c, set.guards, pruned);
    ASSERT_NE(proof, Proof::kDisproved) << "trial " << trial;
    (proof == Proof::kProved ? proved : unknown) += 1;
    std::vector<SymId> starved_pruned = prune_guards(c, set.guards, set.hints, starved());
    ASSERT_NE(gyro::testing::z3_equivalent(c, set.guards, starved_pruned), Proof::kDisproved);
  }
  EXPECT_GE(proved, 50) << unknown << " unknown";
}

TEST(PruneGuards, PrunedSetsAgreeWithOriginalsOnRandomBindings) {
  std::mt19937_64 rng(77);
  int bindings_checked = 0, passing = 0, kept_default = 0, kept_no_z3 = 0, total = 0;
  for (int trial = 0; trial < 250; ++trial) {
    SymContext c;
    auto set = gyro::testing::random_guard_set(c, set_size(trial), 5000 + trial);
    const std::vector<SymId> variants[3] = {prune_guards(c, set.guards, set.hints, {}),
                                            prune_guards(c, set.guards, set.hints, no_z3()),
                                            prune_guards(c, set.guards, set.hints, starved())};
    total += static_cast<int>(set.guards.size());
    kept_default += static_cast<int>(variants[0].size());
    kept_no_z3 += static_cast<int>(variants[1].size());
    for (const auto& pruned : variants) ASSERT_TRUE(gyro::testing::passes(c, pruned, set.hints));
    for (int i = 0; i < 400; ++i) {
      std::vector<int64_t> bindings = gyro::testing::random_binding(set.hints, rng);
      const bool original = gyro::testing::passes(c, set.guards, bindings);
      passing += original;
      for (const auto& pruned : variants)
        ASSERT_EQ(gyro::testing::passes(c, pruned, bindings), original) << "trial " << trial;
      ++bindings_checked;
    }
  }
  EXPECT_EQ(bindings_checked, 100000);
  EXPECT_GT(passing, 5000);  // both outcomes are covered
  EXPECT_LT(passing, 95000);
  EXPECT_LE(kept_default, kept_no_z3);
  EXPECT_LT(kept_default, total / 2);  // most of each set is redundant by construction
}

TEST(PruneGuards, IsIdempotentAndDeterministic) {
  for (int trial = 0; trial < 60; ++trial) {
    SymContext c;
    auto set = gyro::testing::random_guard_set(c, set_size(trial), 9000 + trial, 0.3);
    for (const ProverBudget& budget : {ProverBudget{}, no_z3(), starved()}) {
      std::vector<SymId> once = prune_guards(c, set.guards, set.hints, budget);
      EXPECT_EQ(prune_guards(c, set.guards, set.hints, budget), once) << "trial " << trial;
      EXPECT_EQ(prune_guards(c, once, set.hints, budget), once) << "trial " << trial;
    }
  }
}

// What common traces record (symbol ranges, a reshape's product and divisibility, a
// broadcast's equality) is settled by the facts layer and counterexamples alone: pruning it
// never creates a Z3 context. Leave-one-out of `s0 >= 2` switches that bound off, so its
// counterexample (s0 = 1) lies below the bound the pool was seeded with; a reshape's
// `s0*s1 == s2` is kept satisfied by re-solving it for s2 when s0 moves.
TEST(PruneGuards, CommonTraceRelationsNeedNoZ3) {
  SymContext c;
  SymId s0 = c.symbol(0), s1 = c.symbol(1), s2 = c.symbol(2), s3 = c.symbol(3);
  auto k = [&](int64_t v) { return c.constant(v); };
  struct Case {
    std::vector<SymId> guards;
    std::vector<int64_t> hints;
    std::vector<std::string> kept;
  };
  const std::vector<Case> cases = {
      {{c.ge(s0, k(2))}, {4}, {"s0 >= 2"}},
      {{c.ge(s0, k(2)), c.ge(s1, k(2))}, {3, 4}, {"s0 >= 2", "s1 >= 2"}},
      {{c.ge(s0, k(2)), c.ge(s1, k(2)), c.ge(s2, k(2)), c.ge(s3, k(2))},
       {3, 4, 5, 6},
       {"s0 >= 2", "s1 >= 2", "s2 >= 2", "s3 >= 2"}},
      {{c.ge(s0, k(2)), c.ge(s1, k(2)), c.ge(s2, k(2)), c.eq(c.mul(s0, s1), s2)},
       {2, 4, 8},
       {"s0 >= 2", "s1 >= 2", "s2 == s0*s1"}},
      {{c.ge(s0, k(2)), c.ge(s1, k(2)), c.eq(s0, s1)}, {5, 5}, {"s1 >= 2", "s0 == s1"}},
      {{c.ge(s0, k(2)), c.ge(s1, k(2)), c.ge(s2, k(2)), c.ge(s3, k(2)),
        c.eq(c.mul(s0, s1), c.mul(s2, s3))},
       {2, 6, 3, 4},
       {"s0 >= 2", "s1 >= 2", "s2 >= 2", "s3 >= 2", "s0*s1 == s2*s3"}},
      {{c.ge(s0, k(2)), c.ge(s1, k(2)), c.eq(c.mod(c.mul(s0, s1), k(4)), k(0))},
       {3, 8},
       {"s0 >= 2", "s1 >= 2", "(s0*s1) % 4 == 0"}},
      {{c.ge(s0, k(2)), c.le(s0, k(64)), c.ge(s1, k(2)), c.le(c.add(s0, s1), k(100))},
       {8, 9},
       {"s0 >= 2", "s0 <= 64", "s1 >= 2", "s0 + s1 <= 100"}},
  };
  for (const Case& test : cases) {
    PruneStats stats;
    const std::vector<SymId> pruned = prune_guards(c, test.guards, test.hints, {}, &stats);
    std::vector<std::string> printed;
    for (SymId guard : pruned) printed.push_back(c.print(guard));
    EXPECT_EQ(printed, test.kept);
    EXPECT_EQ(stats.prover.z3_queries, 0) << printed.back();
    // (Z3 may not finish the non-linear ones: it must not find them different.)
    EXPECT_NE(gyro::testing::z3_equivalent(c, test.guards, pruned), Proof::kDisproved);
  }
}
