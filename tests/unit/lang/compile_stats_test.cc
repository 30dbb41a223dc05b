// Interpreter::compile_stats(): each counter moves for the event it names, and only for it.
#include <gtest/gtest.h>

#include "tests/unit/lang/script_program.h"

using namespace gyro;

namespace {

constexpr std::string_view kProgram = R"(
def f(x):
    y = x + 1
    graph_break()
    return y * 2

def g(x):
    return x.sum()

cf = compile(f, backend="eager")
cg = compile(g, backend="eager", dynamic=False)

def run_f():
    return cf(ones(3))

def run_g(n):
    return cg(ones(n))
)";

TEST(CompileStats, CountGraphsBreaksHitsMissesAndRecompiles) {
  ScriptProgram program(kProgram, "stats");
  Interpreter& vm = program.vm;
  const CompileStats& stats = vm.compile_stats();
  ASSERT_TRUE(vm.call(program.global("run_f"), {}).has_value());
  // f: one graph up to the break (a miss at pc 0, a trace that broke), then a miss at the
  // resume point and a second graph there.
  EXPECT_EQ(stats.graphs, 2);
  EXPECT_EQ(stats.graph_breaks, 1);
  EXPECT_EQ(stats.cache_misses, 2);
  EXPECT_EQ(stats.cache_hits, 0);
  EXPECT_EQ(stats.recompiles, 0);
  EXPECT_GT(stats.trace_seconds, 0);
  ASSERT_TRUE(vm.call(program.global("run_f"), {}).has_value());
  EXPECT_EQ(stats.graphs, 2);
  EXPECT_EQ(stats.cache_hits, 2);  // both stretches hit
  // g with static shapes: a new size fails the size guard and recompiles.
  for (int64_t n : {3, 4}) {
    const Value size = Value::integer(n);
    ASSERT_TRUE(vm.call(program.global("run_g"), std::span<const Value>(&size, 1)).has_value());
  }
  EXPECT_EQ(stats.graphs, 4);
  EXPECT_EQ(stats.recompiles, 1);
  EXPECT_EQ(stats.cache_misses, 4);
  EXPECT_EQ(stats.graph_breaks, 1);
  // Guard sets run: one per entry tried (none before an entry exists).
  EXPECT_EQ(stats.guard_checks, 3);
  EXPECT_GT(stats.guards, 0);
  EXPECT_EQ(stats.run_seconds, 0);  // config.time_graph_runs is off
  vm.compile_config().time_graph_runs = true;
  ASSERT_TRUE(vm.call(program.global("run_f"), {}).has_value());
  EXPECT_GT(stats.run_seconds, 0);
  // The text lists every counter by name.
  const std::string text = describe_stats(stats);
  EXPECT_NE(text.find("graphs: 4  # "), std::string::npos) << text;
  EXPECT_NE(text.find("recompiles: 1  # "), std::string::npos) << text;
}

}  // namespace
