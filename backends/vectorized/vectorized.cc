// The vectorized backend: partition the graph, compile each group into a fused or row kernel,
// and run them (with eager for the nodes left over) through the graph runner.
#include "backends/vectorized/vectorized.h"

#include <memory>

#include "backends/graph_runner.h"
#include "backends/vectorized/fused_kernel.h"
#include "backends/vectorized/partition.h"
#include "backends/vectorized/row_kernel.h"
#include "backends/vectorized/thread_pool.h"

namespace gyro::vectorized {

namespace {

Expected<int> thread_option(const BackendOptions& options) {
  auto found = options.find("threads");
  if (found == options.end()) return default_thread_count();
  const auto* count = std::get_if<int64_t>(&found->second);
  GYRO_CHECK_ARG(count != nullptr && *count >= 1 && *count <= 1024, ValueError,
                 "vectorized: option 'threads' must be an int from 1 to 1024");
  return static_cast<int>(*count);
}

Expected<Executable> compile(const Graph& graph, std::span<const Tensor>,
                             const BackendOptions& options) {
  GYRO_ASSIGN_OR_RETURN(int threads, thread_option(options));
  std::vector<KernelGroup> groups = partition(graph);
  std::vector<KernelStep> steps;
  for (const KernelGroup& group : groups) {
    KernelStep step;
    step.nodes = group.nodes();
    step.inputs = group.inputs;
    step.outputs = group.outputs;
    if (group.kind == KernelGroup::Kind::kFused) {
      auto kernel = std::make_shared<const FusedKernel>(
          FusedKernel::compile(graph, group, group.inputs, group.outputs));
      step.run = [kernel, threads](std::span<const Tensor> in, std::span<Tensor> out) {
        return kernel->run(in, out, threads);
      };
    } else {
      auto kernel = std::make_shared<const RowKernel>(RowKernel::compile(graph, group));
      step.run = [kernel, threads](std::span<const Tensor> in, std::span<Tensor> out) {
        return kernel->run(in, out, threads);
      };
    }
    steps.push_back(std::move(step));
  }
  Executable executable = graph_executable(graph, std::move(steps));
  executable.set_description(describe_partition(graph, groups));
  return executable;
}

}  // namespace

Backend backend() {
  return {"vectorized", compile, {"threads"},
          "fuses elementwise chains, reductions and epilogues into blocked SIMD kernels on a "
          "thread pool"};
}

}  // namespace gyro::vectorized
