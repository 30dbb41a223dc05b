// The backend registry: built-in names, lookups, host-defined backends, and unknown options.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/graph_runner.h"
#include "ir/graph_builder.h"
#include "tests/unit/backends/test_util.h"

using namespace gyro;
using namespace gyro::testing;

namespace {

Graph relu_graph() {
  GraphBuilder b;
  ValueId x = b.placeholder("x", {DType::Float32, {3}, false});
  b.set_outputs({b.call1(OpKind::relu, {x}).value()});
  return b.finish();
}

// Collects backend log lines for the duration of a test.
struct CapturedLog {
  std::vector<std::string> lines;
  CapturedLog() {
    set_backend_log_callback([this](std::string_view m) { lines.emplace_back(m); });
  }
  ~CapturedLog() { set_backend_log_callback({}); }
};

TEST(BackendRegistry, ListsBuiltinBackends) {
  auto names = list_backends();
  EXPECT_NE(std::find(names.begin(), names.end(), "eager"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "aot_eager"), names.end());
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_NE(find_backend("eager"), nullptr);
  EXPECT_EQ(find_backend("inductor"), nullptr);
}

TEST(BackendRegistry, UnknownBackendIsAnError) {
  EXPECT_TRUE(fails_with(compile_graph("inductor", relu_graph(), {}), ErrorKind::ValueError,
                         "invalid backend 'inductor'; registered backends: "));
}

TEST(BackendRegistry, UnknownOptionWarnsOnceAndStillCompiles) {
  CapturedLog log;
  Graph g = relu_graph();
  Tensor x = T({-1.0, 0.5, 2.0});
  BackendOptions options{{"foo", int64_t{2}}, {"bar_registry_test", true}};
  for (int i = 0; i < 2; ++i) {
    auto exe = compile_graph("eager", g, {&x, 1}, options);
    ASSERT_TRUE(exe.ok()) << exe.error().to_string();
    EXPECT_TRUE(all_close(exe->run({&x, 1}).value()[0], {0, 0.5, 2}));
  }
  // Options are reported in name order, each once per backend for the process.
  std::vector<std::string> mine;
  for (const std::string& line : log.lines)
    if (line.find("bar_registry_test") != std::string::npos ||
        line.find("'foo'") != std::string::npos)
      mine.push_back(line);
  EXPECT_EQ(mine, (std::vector<std::string>{
                      "warning: backend 'eager' does not know option 'bar_registry_test'; it is "
                      "ignored",
                      "warning: backend 'eager' does not know option 'foo'; it is ignored"}));
}

TEST(BackendRegistry, HostDefinedBackendReceivesTheGraph) {
  struct Seen {
    int compiles = 0;
    int calls = 0;
    int examples = 0;
    std::vector<std::string> options;
  };
  auto seen = std::make_shared<Seen>();
  Backend counter;
  counter.name = "host_counter_test";
  counter.known_options = {"mode"};
  counter.compile = [seen](const Graph& graph, std::span<const Tensor> examples,
                           const BackendOptions& options) -> Expected<Executable> {
    ++seen->compiles;
    seen->calls += graph.num_calls();
    seen->examples = static_cast<int>(examples.size());
    for (const auto& entry : options) seen->options.push_back(entry.first);
    return eager_executable(graph);  // a host backend may reuse gyro's own runner
  };
  ASSERT_TRUE(register_backend(counter).ok());
  EXPECT_TRUE(fails_with(register_backend(counter), ErrorKind::ValueError, "already registered"));
  EXPECT_TRUE(fails_with(register_backend(Backend{"", counter.compile, {}, ""}),
                         ErrorKind::ValueError, "the name is empty"));
  EXPECT_TRUE(fails_with(register_backend(Backend{"no_compile_test", {}, {}, ""}),
                         ErrorKind::ValueError, "has no compile function"));

  CapturedLog log;
  Tensor x = T({-1.0, 3.0, -2.0});
  auto exe =
      compile_graph("host_counter_test", relu_graph(), {&x, 1}, {{"mode", std::string("fast")}});
  ASSERT_TRUE(exe.ok());
  EXPECT_TRUE(all_close(exe->run({&x, 1}).value()[0], {0, 3, 0}));
  EXPECT_EQ(seen->compiles, 1);
  EXPECT_EQ(seen->calls, 1);
  EXPECT_EQ(seen->examples, 1);
  EXPECT_EQ(seen->options, std::vector<std::string>{"mode"});
  EXPECT_TRUE(log.lines.empty());  // "mode" is a known option
  auto names = list_backends();
  EXPECT_NE(std::find(names.begin(), names.end(), "host_counter_test"), names.end());
}

TEST(BackendRegistry, BackendErrorsPassThroughAndEmptyExecutablesAreRejected) {
  Backend failing{
      "failing_test",
      [](const Graph&, std::span<const Tensor>, const BackendOptions&) -> Expected<Executable> {
        return make_error(ErrorKind::RuntimeError, "cannot compile this");
      },
      {},
      ""};
  ASSERT_TRUE(register_backend(failing).ok());
  Backend empty{"empty_test",
                [](const Graph&, std::span<const Tensor>,
                   const BackendOptions&) -> Expected<Executable> { return Executable(); },
                {},
                ""};
  ASSERT_TRUE(register_backend(empty).ok());
  Tensor x = T({1.0, 2.0, 3.0});
  EXPECT_TRUE(fails_with(compile_graph("failing_test", relu_graph(), {&x, 1}),
                         ErrorKind::RuntimeError, "cannot compile this"));
  EXPECT_TRUE(fails_with(compile_graph("empty_test", relu_graph(), {&x, 1}),
                         ErrorKind::RuntimeError, "returned an empty executable"));
}

}  // namespace
