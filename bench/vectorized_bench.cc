// Graph-backend benchmarks on the workloads of ../shared/peers: each workload is one captured
// graph, compiled by `eager` and by `vectorized` on 1 and 2 threads (compare within one run).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/eager/eager.h"
#include "ir/graph_builder.h"

namespace gyro {
namespace {

constexpr int64_t kElements = int64_t{1} << 24;  // 16M float32 = 64 MiB per array
constexpr int64_t kRows = 4096, kCols = 1024;

template <typename T>
T must(Expected<T> result) {
  if (!result.ok()) {
    std::fprintf(stderr, "benchmark setup failed: %s\n", result.error().to_string().c_str());
    std::abort();
  }
  return std::move(result).value();
}

Tensor random_tensor(std::vector<int64_t> sizes, uint64_t seed) {
  eager::manual_seed(seed);
  std::initializer_list<Attr> attrs = {Attr::list(std::move(sizes))};
  return must(eager::run1(OpKind::rand, {}, attrs));
}

// A workload: its inputs and a function building its graph on placeholders for them.
struct Workload {
  std::vector<Tensor> inputs;
  std::function<ValueId(GraphBuilder&, const std::vector<ValueId>&)> build;
};

ValueId op(GraphBuilder& b, OpKind kind, std::initializer_list<ValueId> inputs,
           std::initializer_list<Attr> attrs = {}) {
  return must(b.call1(kind, inputs, attrs));
}
ValueId number(GraphBuilder& b, double value) {
  return b.constant(Tensor::scalar(value, DType::Float32, /*wrapped=*/true));
}

Workload chain5() {  // relu(x*a + b) * sigmoid(x) - 0.5
  return {{random_tensor({kElements}, 0), random_tensor({kElements}, 1),
           random_tensor({kElements}, 2)},
          [](GraphBuilder& b, const std::vector<ValueId>& in) {
            ValueId t = op(b, OpKind::relu, {op(b, OpKind::add, {op(b, OpKind::mul, {in[0], in[1]}), in[2]})});
            t = op(b, OpKind::mul, {t, op(b, OpKind::sigmoid, {in[0]})});
            return op(b, OpKind::sub, {t, number(b, 0.5)});
          }};
}

Workload gelu() {  // the peers' formula, op by op: 0.5*x*(1 + tanh(0.79788456*(x + 0.044715*x^3)))
  return {{random_tensor({kElements}, 0)}, [](GraphBuilder& b, const std::vector<ValueId>& in) {
            ValueId x = in[0];
            ValueId cube = op(b, OpKind::mul, {op(b, OpKind::mul, {x, x}), x});
            ValueId inner = op(b, OpKind::add, {x, op(b, OpKind::mul, {number(b, 0.044715), cube})});
            ValueId t = op(b, OpKind::tanh, {op(b, OpKind::mul, {number(b, 0.7978845608), inner})});
            ValueId half_x = op(b, OpKind::mul, {number(b, 0.5), x});
            return op(b, OpKind::mul, {half_x, op(b, OpKind::add, {number(b, 1.0), t})});
          }};
}

// The same formula on 64K elements (256 KiB, in L2): compute, not memory, sets the time.
Workload gelu_in_cache() {
  Workload w = gelu();
  w.inputs = {random_tensor({int64_t{1} << 16}, 0)};
  return w;
}

Workload tanh_in_cache() {
  return {{random_tensor({int64_t{1} << 16}, 0)}, [](GraphBuilder& b, const std::vector<ValueId>& in) {
            return op(b, OpKind::tanh, {in[0]});
          }};
}

Workload softmax() {
  return {{random_tensor({kRows, kCols}, 0)}, [](GraphBuilder& b, const std::vector<ValueId>& in) {
            return op(b, OpKind::softmax, {in[0]}, {Attr::integer(-1)});
          }};
}

Workload layer_norm() {
  return {{random_tensor({kRows, kCols}, 0)}, [](GraphBuilder& b, const std::vector<ValueId>& in) {
            return op(b, OpKind::layer_norm, {in[0]}, {Attr::list({kCols})});
          }};
}

Workload sum() {
  return {{random_tensor({kElements}, 0)}, [](GraphBuilder& b, const std::vector<ValueId>& in) {
            return op(b, OpKind::sum, {in[0]});
          }};
}

Workload mean() {
  return {{random_tensor({kElements}, 0)}, [](GraphBuilder& b, const std::vector<ValueId>& in) {
            return op(b, OpKind::mean, {in[0]});
          }};
}

Workload matmul() {
  return {{random_tensor({1024, 1024}, 0), random_tensor({1024, 1024}, 1)},
          [](GraphBuilder& b, const std::vector<ValueId>& in) {
            return op(b, OpKind::matmul, {in[0], in[1]});
          }};
}

Workload mlp() {  // relu(x@W1 + b1) @ W2, x 256x512, W1 512x512, W2 512x256
  return {{random_tensor({256, 512}, 0), random_tensor({512, 512}, 1), random_tensor({512}, 2),
           random_tensor({512, 256}, 3)},
          [](GraphBuilder& b, const std::vector<ValueId>& in) {
            ValueId h = op(b, OpKind::relu, {op(b, OpKind::add, {op(b, OpKind::matmul, {in[0], in[1]}), in[2]})});
            return op(b, OpKind::matmul, {h, in[3]});
          }};
}

// Runs `workload` compiled by `backend` (threads 0: the backend's default). Counters: bytes
// of inputs + output per call, and FLOPs when given.
void run(benchmark::State& state, Workload workload, const char* backend, int64_t threads,
         double bytes, double flops) {
  GraphBuilder builder;
  std::vector<ValueId> placeholders;
  for (std::size_t k = 0; k < workload.inputs.size(); ++k)
    placeholders.push_back(builder.placeholder("in" + std::to_string(k),
                                               TensorMeta::of(workload.inputs[k])));
  builder.set_outputs({workload.build(builder, placeholders)});
  Graph graph = builder.finish();
  BackendOptions options;
  if (threads > 0) options["threads"] = threads;
  Executable executable = must(compile_graph(backend, graph, workload.inputs, options));
  for (auto _ : state) {
    auto outputs = must(executable.run(workload.inputs));
    benchmark::DoNotOptimize(outputs[0].raw_data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  if (flops > 0)
    state.counters["GFLOP/s"] =
        benchmark::Counter(flops * static_cast<double>(state.iterations()) / 1e9,
                           benchmark::Counter::kIsRate);
}

// One benchmark per (workload, backend, threads): BM_chain5/eager, BM_chain5/vectorized/t1, ...
void register_all() {
  struct Row {
    const char* name;
    Workload (*make)();
    double bytes, flops;
  };
  const double n = kElements, rows = kRows * kCols;
  const double mlp_flops = 2.0 * 256 * 512 * 512 + 2.0 * 256 * 512 * 256;
  const double mlp_bytes = 4.0 * (256 * 512 + 512 * 512 + 512 + 512 * 256 + 256 * 256);
  const Row table[] = {
      {"chain5", chain5, 16 * n, 0},       {"gelu", gelu, 8 * n, 0},
      {"gelu_in_cache", gelu_in_cache, 8.0 * (1 << 16), 0},
      {"tanh_in_cache", tanh_in_cache, 8.0 * (1 << 16), 0},
      {"softmax", softmax, 8 * rows, 0},   {"layer_norm", layer_norm, 8 * rows, 0},
      {"sum", sum, 4 * n, 0},              {"mean", mean, 4 * n, 0},
      {"matmul", matmul, 3 * 4.0 * 1024 * 1024, 2.0 * 1024 * 1024 * 1024},
      {"mlp", mlp, mlp_bytes, mlp_flops},
  };
  for (const Row& row : table) {
    struct Variant {
      const char* backend;
      int64_t threads;
      const char* suffix;
    };
    for (Variant v : {Variant{"eager", 0, "eager"}, Variant{"vectorized", 1, "vectorized/t1"},
                      Variant{"vectorized", 2, "vectorized/t2"}}) {
      std::string name = std::string("BM_") + row.name + "/" + v.suffix;
      benchmark::RegisterBenchmark(name.c_str(),
                                   [row, v](benchmark::State& state) {
                                     run(state, row.make(), v.backend, v.threads, row.bytes,
                                         row.flops);
                                   })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
}

}  // namespace
}  // namespace gyro

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  gyro::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
