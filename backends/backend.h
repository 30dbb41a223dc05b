// The backend interface and registry: a backend compiles a graph into an Executable.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ir/graph.h"

namespace gyro {

// A backend option's value, as a script writes it: compile(f, options={"foo": 2}).
using OptionValue = std::variant<bool, int64_t, double, std::string>;
using BackendOptions = std::map<std::string, OptionValue, std::less<>>;

// A compiled graph: input tensors in placeholder order -> the graph's output tensors.
// Copyable and cheap to copy (the compiled state is shared); safe to run from several threads
// at once when the backend's run function is (eager's is).
class Executable {
 public:
  using RunFn = std::function<Expected<std::vector<Tensor>>(std::span<const Tensor> inputs)>;

  Executable() = default;
  explicit Executable(RunFn run) : run_(std::move(run)) {}

  bool valid() const { return static_cast<bool>(run_); }
  // Runs the graph. An executable made by compile_graph first checks the inputs' count, dtypes
  // and sizes against the graph's placeholders (ValueError on a mismatch).
  Expected<std::vector<Tensor>> run(std::span<const Tensor> inputs) const;
  // The same without the input check, for callers that proved the inputs match already (the
  // frame cache's guards do, on every call).
  Expected<std::vector<Tensor>> run_checked_elsewhere(std::span<const Tensor> inputs) const {
    return run_(inputs);
  }
  Expected<std::vector<Tensor>> operator()(std::span<const Tensor> inputs) const {
    return run(inputs);
  }

  // How the backend split the graph (the vectorized backend's kernels), one line per part, for
  // explain() and the graph log; empty when the backend says nothing.
  const std::string& description() const { return description_ ? *description_ : kNoText; }
  void set_description(std::string text) {
    description_ = std::make_shared<const std::string>(std::move(text));
  }

 private:
  friend Expected<Executable> compile_graph(std::string_view, const Graph&, std::span<const Tensor>,
                                            const BackendOptions&);
  static inline const std::string kNoText;
  RunFn run_;
  std::shared_ptr<const std::string> description_;
  std::vector<TensorMeta> expected_inputs_;  // empty and unchecked unless set by compile_graph
  bool check_inputs_ = false;
};

// Turns a graph into an executable. `example_inputs` are real tensors matching the graph's
// placeholders (a backend may run or inspect them); `options` are the caller's, unfiltered.
using CompileFn = std::function<Expected<Executable>(
    const Graph& graph, std::span<const Tensor> example_inputs, const BackendOptions& options)>;

struct Backend {
  std::string name;
  CompileFn compile;
  // The option names the backend reads; any other option draws one warning (not an error).
  std::vector<std::string> known_options;
  std::string help;
};

// The backend compile() uses when the script names none.
inline constexpr std::string_view kDefaultBackend = "vectorized";

// Adds a backend (host-defined backends come in here). ValueError for an empty name, an empty
// compile function, or a name already registered. Built-in: "eager", "aot_eager".
Status register_backend(Backend backend);
// The backend called `name`, or nullptr. Backends are never removed, so the pointer stays valid.
const Backend* find_backend(std::string_view name);
// Every registered backend's name, sorted.
std::vector<std::string> list_backends();

// Compiles `graph` with the named backend: checks the example inputs against the placeholders,
// warns once per (backend, option) on options the backend does not know, calls its compile
// function and returns an executable that checks its inputs. ValueError for an unknown backend
// or mismatched examples; a backend's own compile error is passed through.
Expected<Executable> compile_graph(std::string_view backend, const Graph& graph,
                                   std::span<const Tensor> example_inputs,
                                   const BackendOptions& options = {});

// Where backend warnings go (one line each, no trailing newline). An empty callback restores
// the default, stderr.
using LogCallback = std::function<void(std::string_view message)>;
void set_backend_log_callback(LogCallback callback);
// Sends one message through the callback (backends use it for their own warnings).
void backend_log(std::string_view message);

}  // namespace gyro
