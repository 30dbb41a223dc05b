// Eager-kernel benchmarks on the workloads of ../shared/peers (compare ratios within one run).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "backends/eager/eager.h"
#include "ir/allocator.h"

namespace gyro {
namespace {

constexpr int64_t kElements = int64_t{1} << 24;  // 16M float32 = 64 MiB per array
constexpr int64_t kRows = 4096, kCols = 1024;

Tensor must(Expected<Tensor> result) {
  if (!result.ok()) {
    std::fprintf(stderr, "benchmark setup failed: %s\n", result.error().to_string().c_str());
    std::abort();
  }
  return std::move(result).value();
}

// Inputs and attributes pass as spans, as a host holding its own arrays would pass them.
Tensor call(OpKind op, std::initializer_list<Tensor> inputs,
            std::initializer_list<Attr> attrs = {}) {
  return must(eager::run1(op, inputs, attrs));
}

void into(OpKind op, std::initializer_list<Tensor> inputs, std::initializer_list<Attr> attrs,
          Tensor& out) {
  Status status = eager::run_into(op, inputs, attrs, out);
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.error().to_string().c_str());
    std::abort();
  }
}

Tensor random_tensor(std::vector<int64_t> sizes, uint64_t seed) {
  eager::manual_seed(seed);
  return call(OpKind::rand, {}, {Attr::list(std::move(sizes))});
}

void report_bytes(benchmark::State& state, double bytes_per_iteration) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes_per_iteration));
}

// chain5 = relu(x*a + b) * sigmoid(x) - 0.5, op by op with fresh outputs (from the buffer cache).
void BM_chain5(benchmark::State& state) {
  Tensor x = random_tensor({kElements}, 0), a = random_tensor({kElements}, 1),
         b = random_tensor({kElements}, 2);
  Tensor half = Tensor::scalar(0.5, DType::Float32, true);
  for (auto _ : state) {
    Tensor y = call(
        OpKind::sub,
        {call(OpKind::mul, {call(OpKind::relu, {call(OpKind::add, {call(OpKind::mul, {x, a}), b})}),
                            call(OpKind::sigmoid, {x})}),
         half});
    benchmark::DoNotOptimize(y.raw_data());
  }
  report_bytes(state, 16.0 * kElements);
}
BENCHMARK(BM_chain5)->Unit(benchmark::kMillisecond)->UseRealTime();

// chain5 into two preallocated buffers (what a planned graph does).
void BM_chain5_into(benchmark::State& state) {
  Tensor x = random_tensor({kElements}, 0), a = random_tensor({kElements}, 1),
         b = random_tensor({kElements}, 2);
  Tensor half = Tensor::scalar(0.5, DType::Float32, true);
  Tensor t1 = must(Tensor::empty({kElements}, DType::Float32));
  Tensor t2 = must(Tensor::empty({kElements}, DType::Float32));
  for (auto _ : state) {
    into(OpKind::mul, {x, a}, {}, t1);
    into(OpKind::add, {t1, b}, {}, t1);
    into(OpKind::relu, {t1}, {}, t1);
    into(OpKind::sigmoid, {x}, {}, t2);
    into(OpKind::mul, {t1, t2}, {}, t1);
    into(OpKind::sub, {t1, half}, {}, t1);
    benchmark::DoNotOptimize(t1.raw_data());
  }
  report_bytes(state, 16.0 * kElements);
}
BENCHMARK(BM_chain5_into)->Unit(benchmark::kMillisecond)->UseRealTime();

// gelu, tanh form (the peers' formula), as the single op gyro has for it.
void BM_gelu(benchmark::State& state) {
  Tensor x = random_tensor({kElements}, 0);
  for (auto _ : state)
    benchmark::DoNotOptimize(call(OpKind::gelu, {x}, {Attr::string("tanh")}).raw_data());
  report_bytes(state, 8.0 * kElements);
}
BENCHMARK(BM_gelu)->Unit(benchmark::kMillisecond)->UseRealTime();

// One elementwise op on 16M float32, fresh output each call (compare with NumPy's x+y etc.).
void BM_unary(benchmark::State& state, OpKind op) {
  Tensor x = random_tensor({kElements}, 0);
  for (auto _ : state) benchmark::DoNotOptimize(call(op, {x}).raw_data());
  report_bytes(state, 8.0 * kElements);
}
void BM_binary(benchmark::State& state, OpKind op) {
  Tensor x = random_tensor({kElements}, 0), y = random_tensor({kElements}, 1);
  for (auto _ : state) benchmark::DoNotOptimize(call(op, {x, y}).raw_data());
  report_bytes(state, 12.0 * kElements);
}
BENCHMARK_CAPTURE(BM_binary, add, OpKind::add)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_binary, mul, OpKind::mul)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_binary, div, OpKind::div)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_binary, maximum, OpKind::maximum)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_unary, exp, OpKind::exp)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_unary, tanh, OpKind::tanh)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_unary, sigmoid, OpKind::sigmoid)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_unary, relu, OpKind::relu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_unary, sqrt, OpKind::sqrt)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_sum(benchmark::State& state) {
  Tensor x = random_tensor({kElements}, 0);
  for (auto _ : state) benchmark::DoNotOptimize(call(OpKind::sum, {x}).raw_data());
  report_bytes(state, 4.0 * kElements);
}
BENCHMARK(BM_sum)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_mean(benchmark::State& state) {
  Tensor x = random_tensor({kElements}, 0);
  for (auto _ : state) benchmark::DoNotOptimize(call(OpKind::mean, {x}).raw_data());
  report_bytes(state, 4.0 * kElements);
}
BENCHMARK(BM_mean)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_softmax(benchmark::State& state) {
  Tensor x = random_tensor({kRows, kCols}, 0);
  for (auto _ : state)
    benchmark::DoNotOptimize(call(OpKind::softmax, {x}, {Attr::integer(-1)}).raw_data());
  report_bytes(state, 8.0 * kRows * kCols);
}
BENCHMARK(BM_softmax)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_layer_norm(benchmark::State& state) {
  Tensor x = random_tensor({kRows, kCols}, 0);
  for (auto _ : state)
    benchmark::DoNotOptimize(call(OpKind::layer_norm, {x}, {Attr::list({kCols})}).raw_data());
  report_bytes(state, 8.0 * kRows * kCols);
}
BENCHMARK(BM_layer_norm)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_matmul(benchmark::State& state) {
  Tensor a = random_tensor({1024, 1024}, 0), b = random_tensor({1024, 1024}, 1);
  for (auto _ : state) benchmark::DoNotOptimize(call(OpKind::matmul, {a, b}).raw_data());
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * 1024 * 1024 * 1024 * state.iterations(),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_matmul)->Unit(benchmark::kMillisecond)->UseRealTime();

// MLP step relu(x@W1 + b1) @ W2 with x 256x512, W1 512x512, W2 512x256 (as in peers.py).
void BM_mlp(benchmark::State& state) {
  Tensor x = random_tensor({256, 512}, 0), w1 = random_tensor({512, 512}, 1),
         b1 = random_tensor({512}, 2), w2 = random_tensor({512, 256}, 3);
  for (auto _ : state) {
    Tensor h = call(OpKind::relu, {call(OpKind::add, {call(OpKind::matmul, {x, w1}), b1})});
    benchmark::DoNotOptimize(call(OpKind::matmul, {h, w2}).raw_data());
  }
  double flops = 2.0 * 256 * 512 * 512 + 2.0 * 256 * 512 * 256;
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_mlp)->Unit(benchmark::kMillisecond)->UseRealTime();

// Per-op overhead: y = x*2 + 1 on 16 elements (2 ops per iteration, as in peers.py "tiny").
void BM_tiny(benchmark::State& state) {
  Tensor x = random_tensor({16}, 0);
  Tensor two = Tensor::integer(2, /*wrapped=*/true), one = Tensor::integer(1, /*wrapped=*/true);
  for (auto _ : state) {
    Tensor y = call(OpKind::add, {call(OpKind::mul, {x, two}), one});
    benchmark::DoNotOptimize(y.raw_data());
  }
  state.SetItemsProcessed(state.iterations() * 2);  // items/s = ops/s
}
BENCHMARK(BM_tiny)->UseRealTime();

// Writing 64 MiB into a fresh buffer vs a reused one (the page-fault cost the cache avoids).
void BM_fill_fresh(benchmark::State& state) {
  for (auto _ : state) {
    release_cached_buffers();
    benchmark::DoNotOptimize(call(OpKind::zeros, {}, {Attr::list({kElements})}).raw_data());
  }
  report_bytes(state, 4.0 * kElements);
}
BENCHMARK(BM_fill_fresh)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_fill_reused(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(call(OpKind::zeros, {}, {Attr::list({kElements})}).raw_data());
  report_bytes(state, 4.0 * kElements);
}
BENCHMARK(BM_fill_reused)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace gyro

BENCHMARK_MAIN();
