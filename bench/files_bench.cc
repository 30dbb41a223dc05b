// File-format throughput: safetensors saves and loads of 1 GiB (64 float32 tensors of 16 MiB)
// through files under /tmp, removed at exit. GYRO_BENCH_FILE_MIB=<n> sets another total size
// (the ctest smoke run uses a small one).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ir/safetensors.h"

namespace gyro {
namespace {

constexpr int kTensors = 64;

int64_t total_mib() {
  const char* text = std::getenv("GYRO_BENCH_FILE_MIB");
  int64_t mib = text ? std::atoll(text) : 1024;
  return mib > 0 ? mib : 1024;
}

int64_t elements_per_tensor() {
  return total_mib() * (int64_t{1} << 20) / kTensors / 4;
}
double data_bytes() {
  return static_cast<double>(kTensors) * elements_per_tensor() * 4;
}

std::string bench_path(const char* what) {
  return "/tmp/gyro_files_bench_" + std::to_string(::getpid()) + "_" + what + ".safetensors";
}

void check(const Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "benchmark setup failed: %s\n", status.error().to_string().c_str());
    std::abort();
  }
}

// The model-like state: "layers.<i>.weight", each filled with distinct values.
const std::vector<NamedTensor>& state() {
  static const std::vector<NamedTensor> tensors = [] {
    std::vector<NamedTensor> made;
    for (int i = 0; i < kTensors; ++i) {
      Tensor tensor = Tensor::empty({elements_per_tensor()}, DType::Float32).value();
      float* data = tensor.data<float>();
      for (int64_t j = 0; j < tensor.numel(); ++j) data[j] = static_cast<float>(i + j % 1000);
      made.push_back({"layers." + std::to_string(i) + ".weight", std::move(tensor)});
    }
    return made;
  }();
  return tensors;
}

// The file the load benchmarks read, written once.
const std::string& saved_file() {
  static const std::string path = [] {
    std::string made = bench_path("load");
    check(save_safetensors_file(made, state()));
    return made;
  }();
  return path;
}

SafetensorsContents load(const std::string& path) {
  auto contents = load_safetensors_file(path);
  if (!contents.ok()) {
    std::fprintf(stderr, "load failed: %s\n", contents.error().to_string().c_str());
    std::abort();
  }
  return std::move(contents).value();
}

// Map, parse and validate the header, one zero-copy tensor per entry: no per-element work, so
// the pages are not read here (the page cache holds them after the first save).
void BM_load_safetensors_file(benchmark::State& state) {
  const std::string& path = saved_file();
  for (auto _ : state) {
    SafetensorsContents contents = load(path);
    benchmark::DoNotOptimize(contents.tensors.back().tensor.raw_data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data_bytes()));
}
BENCHMARK(BM_load_safetensors_file)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same, then one read per 4 KiB page of every tensor: what making the data resident costs
// (page faults on cached pages), the floor for any first pass over loaded weights.
void BM_load_safetensors_file_and_touch_pages(benchmark::State& state) {
  const std::string& path = saved_file();
  for (auto _ : state) {
    SafetensorsContents contents = load(path);
    float sum = 0;
    for (const NamedTensor& named : contents.tensors) {
      const float* data = named.tensor.data<float>();
      for (int64_t j = 0; j < named.tensor.numel(); j += 1024) sum += data[j];
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data_bytes()));
}
BENCHMARK(BM_load_safetensors_file_and_touch_pages)->Unit(benchmark::kMillisecond)->UseRealTime();

// An atomic save: the header, each tensor written from its own memory to a temp file, fsync,
// rename (so the disk's write speed bounds it).
void BM_save_safetensors_file(benchmark::State& state) {
  const std::vector<NamedTensor>& tensors = gyro::state();
  const std::string path = bench_path("save");
  for (auto _ : state) check(save_safetensors_file(path, tensors));
  std::remove(path.c_str());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data_bytes()));
}
BENCHMARK(BM_save_safetensors_file)->Unit(benchmark::kMillisecond)->UseRealTime();

// The in-memory image (write_safetensors): header and one copy of every byte.
void BM_write_safetensors_image(benchmark::State& state) {
  const std::vector<NamedTensor>& tensors = gyro::state();
  for (auto _ : state) {
    auto image = write_safetensors(tensors);
    benchmark::DoNotOptimize(image->data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data_bytes()));
}
BENCHMARK(BM_write_safetensors_image)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace gyro

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::remove(gyro::bench_path("load").c_str());  // if a load benchmark made it
  return 0;
}
