// The C API's host backends: a graph goes out as JSON, inputs and outputs cross as DLPack.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fmt/ranges.h>

#include "api/dlpack_convert.h"
#include "api/graph_json.h"
#include "api/vm_state.h"
#include "backends/backend.h"
#include "gyro/gyro.h"
#include "ir/graph_printer.h"

using namespace gyro;
using namespace gyro::api;

namespace {

// What a failing callback said (gyro_backend_set_error), per thread.
thread_local std::string backend_error;

// The message for a callback that returned `status`.
std::string callback_failure(const std::string& backend, const char* callback, gyro_status status) {
  std::string message = std::exchange(backend_error, std::string());
  return fmt::format("backend '{}': {}() returned {}{}{}", backend, callback,
                     gyro_status_name(status), message.empty() ? "" : ": ", message);
}

// A registered host backend's callbacks (copied at registration: the host's struct may go).
struct HostBackend {
  std::string name;
  gyro_backend callbacks;
};

// Runs a host-compiled graph: inputs out as DLPack views, outputs back in, each checked
// against the graph's dtype and static sizes.
Expected<std::vector<Tensor>> run_host_graph(
    const std::shared_ptr<const HostBackend>& host, void* compiled,
    const std::shared_ptr<const std::vector<TensorMeta>>& metas, std::span<const Tensor> inputs) {
  std::vector<DLManagedTensor*> views;
  for (const Tensor& input : inputs) views.push_back(tensor_to_dlpack(input));
  std::vector<DLManagedTensor*> outputs(metas->size(), nullptr);
  backend_error.clear();
  const gyro_status status = host->callbacks.run(host->callbacks.user_data, compiled, views.data(),
                                                 views.size(), outputs.data(), outputs.size());
  // Every output is taken over or handed back to its deleter, each DLPack tensor once (an
  // output may repeat one); the input views go last, so that an output may view an input.
  std::vector<Tensor> results;
  std::string refused;
  std::vector<std::pair<DLManagedTensor*, Tensor>> taken;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    DLManagedTensor* output = outputs[i];
    if (!output) {
      if (status == GYRO_OK && refused.empty())
        refused = fmt::format("run() left output {} of {} unset", i, outputs.size());
      continue;
    }
    auto earlier = std::find_if(taken.begin(), taken.end(),
                                [&](const auto& pair) { return pair.first == output; });
    if (earlier != taken.end()) {
      results.push_back(earlier->second);
      continue;
    }
    if (status != GYRO_OK || !refused.empty()) {
      taken.push_back({output, Tensor()});
      if (output->deleter) output->deleter(output);
      continue;
    }
    auto made = tensor_from_dlpack(output);
    if (auto* refusal = std::get_if<DLPackRefusal>(&made)) {
      refused = fmt::format("output {}: {}", i, refusal->message);
      taken.push_back({output, Tensor()});
      if (output->deleter) output->deleter(output);
      continue;
    }
    const ImportedTensor& imported = std::get<ImportedTensor>(made);
    take_over(imported);
    const TensorMeta& meta = (*metas)[i];
    bool sizes_match = imported.tensor.dim() == static_cast<int>(meta.sizes.size());
    for (int d = 0; sizes_match && d < imported.tensor.dim(); ++d)
      sizes_match = ((meta.symbolic >> d) & 1) || imported.tensor.size(d) == meta.sizes[d];
    if (imported.tensor.dtype() != meta.dtype || !sizes_match)
      refused = fmt::format("output {} is {}[{}], the graph says {}", i,
                            dtype_name(imported.tensor.dtype()),
                            fmt::join(imported.tensor.sizes(), ", "), meta_to_string(meta));
    taken.push_back({output, imported.tensor});
    results.push_back(imported.tensor);
  }
  for (DLManagedTensor* view : views) view->deleter(view);
  if (status != GYRO_OK)
    return make_error(ErrorKind::RuntimeError, "{}", callback_failure(host->name, "run", status));
  if (!refused.empty())
    return make_error(ErrorKind::RuntimeError, "backend '{}': {}", host->name, refused);
  return results;
}

Expected<Executable> compile_on_host(const std::shared_ptr<const HostBackend>& host,
                                     const Graph& graph, std::span<const Tensor> examples,
                                     const BackendOptions& options) {
  std::string json;
  try {
    json = graph_json(graph);
  } catch (const std::exception& e) {
    return make_error(ErrorKind::RuntimeError, "backend '{}': the graph as JSON: {}", host->name,
                      e.what());
  }
  void* compiled = nullptr;
  backend_error.clear();
  const gyro_status status =
      host->callbacks.compile(host->callbacks.user_data, json.c_str(), json.size(), &compiled);
  if (status != GYRO_OK) {
    if (compiled && host->callbacks.release)
      host->callbacks.release(host->callbacks.user_data, compiled);
    return make_error(ErrorKind::RuntimeError, "{}",
                      callback_failure(host->name, "compile", status));
  }
  if (!compiled) return find_backend("eager")->compile(graph, examples, options);
  // Released when the last executable sharing it (cache entries copy it) goes.
  std::shared_ptr<void> state(compiled, [host](void* pointer) {
    if (host->callbacks.release) host->callbacks.release(host->callbacks.user_data, pointer);
  });
  auto metas = std::make_shared<std::vector<TensorMeta>>();
  for (ValueId output : graph.outputs()) metas->push_back(graph.meta(output));
  return Executable([host, state, metas = std::shared_ptr<const std::vector<TensorMeta>>(metas)](
                        std::span<const Tensor> inputs) -> Expected<std::vector<Tensor>> {
    try {
      return run_host_graph(host, state.get(), metas, inputs);
    } catch (const std::bad_alloc&) {
      return make_error(ErrorKind::MemoryError, "out of memory running a host backend's graph");
    }
  });
}

}  // namespace

extern "C" {

void gyro_backend_init(gyro_backend* backend, size_t struct_size) {
  if (!backend || struct_size < sizeof(size_t)) return;
  gyro_backend defaults{};
  defaults.struct_size = struct_size;
  std::memcpy(backend, &defaults, std::min(struct_size, sizeof(gyro_backend)));
}

void gyro_backend_set_error(const char* message) {
  try {
    backend_error = message ? message : "";
  } catch (...) {
    // Out of memory: the status alone reaches the script.
  }
}

gyro_status gyro_register_backend(gyro_vm* vm, const gyro_backend* given) {
  auto fail = [vm](gyro_status status, std::string message) {
    return vm ? vm->fail(status, std::move(message)) : status;
  };
  try {
    if (!given || given->struct_size < sizeof(size_t) ||
        !whole_fields(given->struct_size, sizeof(gyro_backend),
                      {GYRO_FIELD(gyro_backend, name), GYRO_FIELD(gyro_backend, user_data),
                       GYRO_FIELD(gyro_backend, compile), GYRO_FIELD(gyro_backend, run),
                       GYRO_FIELD(gyro_backend, release)}))
      return fail(GYRO_ERROR_INVALID_ARGUMENT,
                  "gyro_register_backend: backend is NULL or its struct_size is not set or ends "
                  "inside a field");
    auto host = std::make_shared<HostBackend>();
    gyro_backend_init(&host->callbacks, sizeof(gyro_backend));
    std::memcpy(&host->callbacks, given, std::min(given->struct_size, sizeof(gyro_backend)));
    if (!host->callbacks.name || !*host->callbacks.name || !host->callbacks.compile ||
        !host->callbacks.run)
      return fail(GYRO_ERROR_INVALID_ARGUMENT,
                  "gyro_register_backend: name, compile and run must be set");
    host->name = host->callbacks.name;
    host->callbacks.name = nullptr;  // the host's string may go; `name` keeps a copy
    std::shared_ptr<const HostBackend> shared = std::move(host);
    Backend backend;
    backend.name = shared->name;
    backend.help = "a host backend (C API): graphs as JSON, tensors as DLPack";
    backend.compile = [shared](const Graph& graph, std::span<const Tensor> examples,
                               const BackendOptions& options) {
      return compile_on_host(shared, graph, examples, options);
    };
    Status registered = register_backend(std::move(backend));
    if (!registered.ok())
      return fail(GYRO_ERROR_INVALID_ARGUMENT,
                  fmt::format("gyro_register_backend: {}", registered.error().message));
    return GYRO_OK;
  } catch (...) {
    return fail(GYRO_ERROR_INTERNAL, "gyro_register_backend: out of memory");
  }
}

}  // extern "C"
