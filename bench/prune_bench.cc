// prune_guards on synthetic guard sets (research/z3.md's generate(): every guard holds on a
// hidden hint, ~70 % redundant) of 20, 50, 100 and 200 guards; counters: guards kept, Z3
// questions and Z3 time per prune. With Z3 (default budget) and without.
#include <benchmark/benchmark.h>

#include "guards/implication.h"
#include "unit/guards/random_guards.h"

namespace {

void prune(benchmark::State& state, bool use_z3) {
  const int guards = static_cast<int>(state.range(0));
  gyro::SymContext context;
  const auto set = gyro::testing::random_guard_set(context, guards, 42 + guards);
  gyro::guards::ProverBudget budget;
  budget.use_z3 = use_z3;
  gyro::guards::PruneStats stats;
  for (auto _ : state) {
    auto kept = gyro::guards::prune_guards(context, set.guards, set.hints, budget, &stats);
    benchmark::DoNotOptimize(kept.data());
  }
  state.counters["guards"] = stats.before;
  state.counters["kept"] = stats.after_z3;
  state.counters["kept_without_z3"] = stats.after_facts;
  state.counters["z3_queries"] = stats.prover.z3_queries;
  state.counters["z3_unknown"] = stats.prover.z3_unknown;
  state.counters["z3_ms"] = stats.prover.z3_ms;
  state.counters["queries"] = stats.prover.queries;
}

void BM_prune_with_z3(benchmark::State& state) {
  prune(state, true);
}
void BM_prune_without_z3(benchmark::State& state) {
  prune(state, false);
}

}  // namespace

BENCHMARK(BM_prune_with_z3)->Arg(20)->Arg(50)->Arg(100)->Arg(200)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_prune_without_z3)->Arg(20)->Arg(50)->Arg(100)->Arg(200)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
