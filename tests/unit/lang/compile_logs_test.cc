// The compile logs (GYRO_LOGS channels) and warnings as a host sees them through the
// interpreter's log callback: why a call recompiled, the guards and graph of a new entry, why
// a trace stopped, and the one recompile-limit warning.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "interp/interpreter.h"
#include "lang/compiler.h"
#include "lang/prelude.h"

using namespace gyro;

namespace {

// Runs a script in a fresh interpreter whose log messages are collected.
struct Logged {
  Interpreter vm;
  std::vector<std::string> messages;

  explicit Logged(std::string_view logs, bool compile_all = false) {
    vm.set_log_callback([this](std::string_view message) { messages.emplace_back(message); });
    vm.set_logs(logs);
    vm.compile_config().compile_all = compile_all;
    EXPECT_TRUE(lang::install_prelude(vm).ok());
  }
  void run(std::string_view source) {
    auto code = lang::compile_source(source, "logs.gy");
    ASSERT_TRUE(code.ok()) << code.error().to_string();
    auto result = vm.run_module(Module{"logs", *code});
    ASSERT_TRUE(result.has_value()) << vm.format_exception(vm.exception());
  }
  // The messages that start with `prefix`.
  std::vector<std::string> with_prefix(std::string_view prefix) const {
    std::vector<std::string> found;
    for (const std::string& message : messages)
      if (message.starts_with(prefix)) found.push_back(message);
    return found;
  }
};

constexpr std::string_view kTwoShapes = R"(
def double(x):
    return x * 2

fast = compile(double)
fast(ones(3))
fast(ones(3))
fast(ones(4))
)";

}  // namespace

TEST(CompileLogs, RecompilesNameTheFirstFailingGuardOfEachEntry) {
  Logged logged("recompiles");
  logged.run(kTwoShapes);
  ASSERT_EQ(logged.messages.size(), 1u);
  EXPECT_EQ(logged.messages[0],
            "[gyro recompiles] [0/1] Recompiling function double in logs.gy:2\n"
            "    triggered by the following guard failure(s):\n"
            "    - entry 0: tensor 'x' size mismatch at index 0. expected 3, actual 4");
}

TEST(CompileLogs, RecompilesListEveryEntryThatMissed) {
  Logged logged("recompiles");
  logged.run(R"(
def double(x):
    return x * 2

fast = compile(double)
fast(ones(3))
fast(ones(2, 2))
fast(zeros(3, dtype=float64))
)");
  ASSERT_EQ(logged.messages.size(), 2u);
  EXPECT_NE(logged.messages[1].find("- entry 0: tensor 'x' dtype mismatch. expected float32, "
                                    "actual float64"),
            std::string::npos)
      << logged.messages[1];
  EXPECT_NE(logged.messages[1].find("- entry 1: tensor 'x' "), std::string::npos)
      << logged.messages[1];
}

TEST(CompileLogs, GuardsAndGraphOfEachNewEntry) {
  Logged logged("guards,graph");
  logged.run(kTwoShapes);
  auto guards = logged.with_prefix("[gyro guards]");
  ASSERT_EQ(guards.size(), 2u);
  EXPECT_EQ(
      guards[0],
      "[gyro guards] [0/0] double (logs.gy:2), entry 0:\n  TENSOR_MATCH x: float32[3] stride=[1]");
  // The second size makes the dim symbolic (automatic dynamic): a range replaces the size.
  EXPECT_EQ(guards[1],
            "[gyro guards] [0/1] double (logs.gy:2), entry 1:\n  TENSOR_MATCH x: float32[s0] "
            "stride=contiguous\n  SHAPE x.size(0) >= 2");
  auto graphs = logged.with_prefix("[gyro graph]");
  ASSERT_EQ(graphs.size(), 2u);
  EXPECT_TRUE(
      graphs[0].starts_with("[gyro graph] [0/0] double (logs.gy:2), 1 guards\ndef forward("))
      << graphs[0];
  EXPECT_EQ(logged.messages.size(), 4u);  // nothing from the channels left off
}

TEST(CompileLogs, GraphBreaksGiveTheReasonAndLine) {
  Logged logged("graph_breaks");
  logged.run(R"(
@compile
def noisy(x):
    y = x + 1
    graph_break()
    return y

noisy(ones(2))
noisy(ones(2))
)");
  ASSERT_EQ(logged.messages.size(), 1u);
  EXPECT_EQ(logged.messages[0],
            "[gyro graph_breaks] [0/0] GraphBreakCall (logs.gy:5): graph_break() was called\n"
            "    hint: remove the call to capture one graph");
}

TEST(CompileLogs, NoChannelsNoMessages) {
  Logged logged("");
  logged.run(kTwoShapes);
  EXPECT_TRUE(logged.messages.empty());
}

TEST(CompileLogs, RecompileLimitWarnsOnceThroughTheCallback) {
  Logged logged("");
  logged.run(R"(
config.recompile_limit = 2
config.automatic_dynamic_shapes = False

def double(x):
    return x * 2

fast = compile(double)
for n in range(1, 6):
    fast(ones(n))
)");
  ASSERT_EQ(logged.messages.size(), 1u);
  EXPECT_EQ(logged.messages[0],
            "gyro warning: double: hit config.recompile_limit (2); last reason: tensor 'x' size "
            "mismatch at index 0. expected 2, actual 3. Later misses run in the VM.");
}

TEST(CompileLogs, DisabledFunctionsNeverCompileEvenUnderCompileAll) {
  Logged logged("graph,graph_breaks", /*compile_all=*/true);
  logged.run(R"(
def helper(x):
    return x * 2

def inner(x):
    return helper(x) + 1

quiet = disable(inner)
quiet(ones(2))
quiet(ones(3))
inner(ones(4))
)");
  // Only the last call, without disable, compiles (inlining helper): one graph.
  ASSERT_EQ(logged.messages.size(), 1u);
  EXPECT_TRUE(logged.messages[0].starts_with("[gyro graph] [0/0] inner (logs.gy:5)"))
      << logged.messages[0];
}

TEST(CompileLogs, UnknownChannelsWarnAndListTheChannels) {
  Logged logged("graph,nonsense");
  ASSERT_EQ(logged.messages.size(), 2u);
  EXPECT_EQ(logged.messages[0], "gyro warning: GYRO_LOGS: unknown channel(s) nonsense");
  EXPECT_TRUE(logged.messages[1].starts_with("gyro warning: GYRO_LOGS channels"))
      << logged.messages[1];
  for (int i = 0; i < kNumLogChannels; ++i) {
    auto channel = static_cast<LogChannel>(i);
    EXPECT_NE(logged.messages[1].find(std::string(log_channel_name(channel)) + ": "),
              std::string::npos);
  }
  EXPECT_TRUE(logged.vm.log_enabled(LogChannel::graph));
  EXPECT_FALSE(logged.vm.log_enabled(LogChannel::guards));
}

TEST(CompileLogs, AllEnablesEveryChannel) {
  std::string unknown;
  uint32_t mask = parse_log_channels(" all ", unknown);
  EXPECT_EQ(mask, (uint32_t{1} << kNumLogChannels) - 1);
  EXPECT_TRUE(unknown.empty());
  EXPECT_EQ(parse_log_channels("guards, recompiles", unknown),
            (uint32_t{1} << static_cast<int>(LogChannel::guards)) |
                (uint32_t{1} << static_cast<int>(LogChannel::recompiles)));
}

TEST(CompileConfigTable, ReprListsEveryKnobWithItsValueAndHelp) {
  CompileConfig config;
  config.recompile_limit = 3;
  std::string text = describe_config(config);
  EXPECT_TRUE(
      text.starts_with("config.recompile_limit = 3  # cache entries per compiled "
                       "function"))
      << text;
  EXPECT_NE(text.find("\nconfig.accumulated_recompile_limit = 256  # "), std::string::npos);
  EXPECT_NE(text.find("\nconfig.fail_on_recompile_limit_hit = False  # "), std::string::npos);
}

TEST(CompileLogs, CacheReportsHitsMissesAndNewEntriesPerResumePoint) {
  Logged logged("cache");
  logged.run(kTwoShapes);
  // Lines of a compile carry its [frame/compile] tag; a hit is no compile and has none.
  const std::string at = " double (logs.gy:2) at pc 0: ";
  ASSERT_EQ(logged.messages.size(), 5u);
  EXPECT_EQ(logged.messages[0],
            "[gyro cache] [0/0]" + at + "miss: tracing a new entry (0 here already)");
  EXPECT_EQ(logged.messages[1], "[gyro cache] [0/0]" + at + "entry 0 added (1 guards)");
  EXPECT_EQ(logged.messages[2], "[gyro cache]" + at + "hit entry 0");
  EXPECT_EQ(logged.messages[3],
            "[gyro cache] [0/1]" + at + "miss: tracing a new entry (1 here already)");
  EXPECT_EQ(logged.messages[4],
            "[gyro cache] [0/1]" + at + "entry 1 added (2 guards)");  // symbolic: a range too
}

TEST(CompileLogs, CacheNamesTheResumePointAfterABreakAndRunOnlyMisses) {
  Logged logged("cache");
  logged.run(R"(
config.recompile_limit = 1

@compile
def noisy(x):
    y = x + 1
    graph_break()
    return y * 2

noisy(ones(2))
noisy(ones(2))
noisy(ones(3))
)");
  auto cache = logged.with_prefix("[gyro cache]");
  for (const std::string& message : cache)
    EXPECT_NE(message.find("noisy (logs.gy:5) at pc "), std::string::npos) << message;
  // The frame's start and its resume point each get an entry, then each hits once.
  int hits = 0, added = 0;
  for (const std::string& message : cache) {
    hits += message.ends_with(": hit entry 0") || message.ends_with(": hit entry 1");
    added += message.find("added") != std::string::npos;
  }
  EXPECT_EQ(added, 2);
  EXPECT_EQ(hits, 2);
  EXPECT_TRUE(
      cache.back().ends_with("at pc 0: miss past the recompile limit: runs in the VM (run-only)"))
      << cache.back();
}

TEST(CompileLogs, BytecodeShowsTheDisassemblyOfTheFrameBeingTraced) {
  Logged logged("bytecode");
  logged.run(kTwoShapes);
  ASSERT_EQ(logged.messages.size(), 2u);  // one per trace, none for the cache hit
  EXPECT_TRUE(logged.messages[0].starts_with(
      "[gyro bytecode] [0/0] double (logs.gy:2), tracing from pc 0:\ncode #0 'double'\n"))
      << logged.messages[0];
  EXPECT_NE(logged.messages[0].find("LOAD_FAST"), std::string::npos);
  EXPECT_NE(logged.messages[0].find("RETURN_VALUE"), std::string::npos);
}

TEST(CompileLogs, PerfTimesEachTraceAndBackendCompile) {
  Logged logged("perf");
  logged.run(kTwoShapes);
  ASSERT_EQ(logged.messages.size(), 2u);
  for (const std::string& message : logged.messages) {
    const std::string tag = &message == &logged.messages[0] ? "[0/0]" : "[0/1]";
    EXPECT_TRUE(message.starts_with("[gyro perf] " + tag + " double (logs.gy:2) at pc 0: trace "))
        << message;
    EXPECT_NE(message.find(" ms, backend vectorized "), std::string::npos) << message;
    EXPECT_TRUE(message.ends_with(" ms")) << message;
  }
}

TEST(CompileLogs, HelpListsEveryChannelWithoutAWarningAboutIt) {
  Logged logged("help");
  ASSERT_EQ(logged.messages.size(), 1u);
  for (std::string_view name :
       {"graph", "graph_breaks", "recompiles", "guards", "bytecode", "cache", "perf"})
    EXPECT_NE(logged.messages[0].find("\n  " + std::string(name) + ": "), std::string::npos)
        << name;
  EXPECT_EQ(logged.vm.log_enabled(LogChannel::cache), false);
}

namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(CompileDiagnostics, DumpDirGetsEachGraphAsCodeAndAsDot) {
  const auto directory =
      std::filesystem::temp_directory_path() / ("gyro_dump_" + std::to_string(::getpid()));
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  {
    Logged logged("");
    logged.vm.set_dump_dir(directory.string());
    logged.run(kTwoShapes);
  }
  // Two compiles of frame 0 (double): static, then symbolic.
  const std::string first = read_text(directory / "0_0_double.txt");
  EXPECT_TRUE(first.starts_with("# double (logs.gy:2), frame 0, compile 0, from pc 0\n")) << first;
  EXPECT_NE(first.find("def double(x: \"f32[3]\"):"), std::string::npos) << first;
  EXPECT_NE(first.find("#   TENSOR_MATCH x: float32[3] stride=[1]"), std::string::npos) << first;
  EXPECT_NE(read_text(directory / "0_1_double.txt").find("SHAPE x.size(0) >= 2"),
            std::string::npos);
  EXPECT_TRUE(read_text(directory / "0_0_double.dot").starts_with("digraph double {"));
  EXPECT_TRUE(std::filesystem::exists(directory / "0_1_double.dot"));
  std::filesystem::remove_all(directory);
  // A directory that cannot be written is a warning; the program runs on.
  Logged unwritable("");
  unwritable.vm.set_dump_dir("/nonexistent/gyro-dump");
  unwritable.run(kTwoShapes);
  ASSERT_FALSE(unwritable.messages.empty());
  EXPECT_TRUE(unwritable.messages[0].starts_with(
      "gyro warning: GYRO_DUMP_DIR: cannot write /nonexistent/gyro-dump/0_0_double.txt/.dot"))
      << unwritable.messages[0];
}

TEST(CompileDiagnostics, ProgressReportsEachStepOfEachCompile) {
  Logged logged("");
  std::vector<std::string> steps;
  logged.vm.set_progress_callback([&](std::string_view phase, std::string_view function) {
    steps.push_back(std::string(phase) + " " + std::string(function));
  });
  logged.run(kTwoShapes);
  EXPECT_EQ(steps, (std::vector<std::string>{"trace double", "backend double", "done double",
                                             "trace double", "backend double", "done double"}));
}

}  // namespace

TEST(CompileLogs, ModuleCompileAndBackendNoneUseTheDefaultBackend) {
  Logged logged("perf");
  logged.run(R"(
class Double(Module):
    def forward(self, x):
        return x * 2

m = Double()
m.compile()
m(ones(2))

def f(x):
    return x + 1

compile(f, backend=None)(ones(2))
compile(f, backend="eager")(ones(2))
)");
  std::vector<std::string> backends;
  for (const std::string& message : logged.with_prefix("[gyro perf]")) {
    auto at = message.find(", backend ");
    if (at != std::string::npos)
      backends.push_back(message.substr(at + 10, message.find(' ', at + 10) - at - 10));
  }
  EXPECT_EQ(backends, (std::vector<std::string>{"vectorized", "vectorized", "eager"}));
}
