// The eager and aot_eager backends.
#include "backends/builtin_backends.h"

#include "backends/graph_runner.h"
#include "backends/vectorized/vectorized.h"
#include "ir/passes.h"

namespace gyro {

namespace {

Expected<Executable> compile_eager(const Graph& graph, std::span<const Tensor>,
                                   const BackendOptions&) {
  return eager_executable(graph);
}

Expected<Executable> compile_aot_eager(const Graph& graph, std::span<const Tensor>,
                                       const BackendOptions&) {
  GYRO_ASSIGN_OR_RETURN(Graph lowered, run_passes(graph, {"decompose", "dce"}));
  return eager_executable(lowered);
}

}  // namespace

std::vector<Backend> builtin_backends() {
  std::vector<Backend> backends;
  backends.push_back({"eager", compile_eager, {}, "runs each node with its eager kernel"});
  backends.push_back({"aot_eager",
                      compile_aot_eager,
                      {},
                      "decomposes composite ops into primitive ones, then runs eagerly"});
  backends.push_back(vectorized::backend());
  return backends;
}

}  // namespace gyro
