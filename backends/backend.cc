// The backend registry, option warnings, the log callback and input checks of executables.
#include "backends/backend.h"

#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <utility>

#include "backends/builtin_backends.h"
#include "ir/graph_printer.h"

namespace gyro {

namespace {

struct Registry {
  std::mutex mutex;
  // unique_ptr keeps each Backend's address stable for find_backend's callers.
  std::map<std::string, std::unique_ptr<Backend>, std::less<>> backends;
  std::set<std::pair<std::string, std::string>> warned;  // (backend, option) already reported
  LogCallback log;

  Registry() {
    for (Backend& backend : builtin_backends()) {
      std::string name = backend.name;
      backends.emplace(std::move(name), std::make_unique<Backend>(std::move(backend)));
    }
  }
};

Registry& registry() {
  static Registry instance;
  return instance;
}

Status check_inputs(std::string_view what, std::span<const TensorMeta> expected,
                    std::span<const Tensor> inputs) {
  GYRO_CHECK_ARG(inputs.size() == expected.size(), ValueError,
                 "{}: the graph takes {} input tensor{} but {} were given", what, expected.size(),
                 expected.size() == 1 ? "" : "s", inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    GYRO_CHECK_ARG(inputs[i].defined(), ValueError, "{}: input {} is undefined", what, i);
    const TensorMeta actual{inputs[i].dtype(), inputs[i].sizes(), false};
    GYRO_CHECK_ARG(actual.dtype == expected[i].dtype && actual.sizes == expected[i].sizes,
                   ValueError, "{}: input {} is {} but the graph expects {}", what, i,
                   meta_to_string(actual), meta_to_string(expected[i]));
  }
  return {};
}

}  // namespace

Expected<std::vector<Tensor>> Executable::run(std::span<const Tensor> inputs) const {
  GYRO_CHECK_ARG(valid(), ValueError, "running an empty executable");
  if (check_inputs_) GYRO_TRY(check_inputs("executable", expected_inputs_, inputs));
  return run_(inputs);
}

Status register_backend(Backend backend) {
  GYRO_CHECK_ARG(!backend.name.empty(), ValueError, "register_backend: the name is empty");
  GYRO_CHECK_ARG(static_cast<bool>(backend.compile), ValueError,
                 "register_backend: backend '{}' has no compile function", backend.name);
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  GYRO_CHECK_ARG(!r.backends.contains(backend.name), ValueError,
                 "register_backend: a backend named '{}' is already registered", backend.name);
  std::string name = backend.name;
  r.backends.emplace(std::move(name), std::make_unique<Backend>(std::move(backend)));
  return {};
}

const Backend* find_backend(std::string_view name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.backends.find(name);
  return it == r.backends.end() ? nullptr : it->second.get();
}

std::vector<std::string> list_backends() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& entry : r.backends) names.push_back(entry.first);
  return names;
}

Expected<Executable> compile_graph(std::string_view backend_name, const Graph& graph,
                                   std::span<const Tensor> example_inputs,
                                   const BackendOptions& options) {
  const Backend* backend = find_backend(backend_name);
  GYRO_CHECK_ARG(backend != nullptr, ValueError, "invalid backend '{}'; registered backends: {}",
                 backend_name, fmt::join(list_backends(), ", "));
  std::vector<TensorMeta> expected;
  for (ValueId v : graph.inputs()) expected.push_back(graph.meta(v));
  GYRO_TRY(check_inputs(fmt::format("compile with backend '{}'", backend->name), expected,
                        example_inputs));
  for (const auto& [option, value] : options) {
    bool known = false;
    for (const std::string& name : backend->known_options) known = known || name == option;
    if (known) continue;
    bool first;
    {
      Registry& r = registry();
      std::lock_guard lock(r.mutex);
      first = r.warned.emplace(backend->name, option).second;
    }
    if (first)
      backend_log(fmt::format("warning: backend '{}' does not know option '{}'; it is ignored",
                              backend->name, option));
  }
  GYRO_ASSIGN_OR_RETURN(Executable executable, backend->compile(graph, example_inputs, options));
  GYRO_CHECK_ARG(executable.valid(), RuntimeError, "backend '{}' returned an empty executable",
                 backend->name);
  executable.expected_inputs_ = std::move(expected);
  executable.check_inputs_ = true;
  return executable;
}

void set_backend_log_callback(LogCallback callback) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.log = std::move(callback);
}

void backend_log(std::string_view message) {
  LogCallback log;
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    log = r.log;
  }
  if (log)
    log(message);
  else
    std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
}

}  // namespace gyro
