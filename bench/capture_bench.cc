// Graph-capture overheads through the public API: a cache hit (guards + dispatch) against the
// interpreted call of the same function, the first compile of a 100-instruction function, and
// the heap one cache entry keeps (issue 4, "Benchmarks"; budgets in shared/DESIGN.md).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "interp/interpreter.h"
#include "interp/persistent_cache.h"
#include "lang/compiler.h"
#include "lang/prelude.h"

// Every heap allocation in the process goes through these: malloc and its family are replaced
// here (glibc lets the executable interpose them and exports its own as __libc_*), and
// operator new and delete use them, so a benchmark counts the allocations and the live heap
// bytes of the code it times, including tensor storage, which ir/storage.cc takes with
// std::malloc. Plain counters: Google Benchmark runs each benchmark on this one thread. Live
// bytes use malloc_usable_size (what malloc really reserved, without its 8-byte chunk header).
// Not counted: large tensor buffers (>= 1 MiB), which ir/allocator.cc maps with mmap.
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* pointer, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void __libc_free(void* pointer);
}

namespace {

struct HeapCounters {
  uint64_t allocations = 0;
  uint64_t allocated_bytes = 0;  // gross: every allocation's usable size
  int64_t live_bytes = 0;        // allocated minus freed
};
HeapCounters g_heap;

void* counted(void* pointer) {
  if (!pointer) return nullptr;
  std::size_t bytes = malloc_usable_size(pointer);
  ++g_heap.allocations;
  g_heap.allocated_bytes += bytes;
  g_heap.live_bytes += static_cast<int64_t>(bytes);
  return pointer;
}

void uncounted(void* pointer) {
  if (pointer) g_heap.live_bytes -= static_cast<int64_t>(malloc_usable_size(pointer));
}

void* allocate(std::size_t size) {
  return std::malloc(size == 0 ? 1 : size);
}

void* allocate_aligned(std::size_t size, std::align_val_t alignment) {
  auto align = static_cast<std::size_t>(alignment);
  std::size_t rounded = (size + align - 1) / align * align;
  return std::aligned_alloc(align, rounded == 0 ? align : rounded);
}

void release(void* pointer) {
  std::free(pointer);
}

}  // namespace

extern "C" {
void* malloc(std::size_t size) {
  return counted(__libc_malloc(size));
}
void* calloc(std::size_t count, std::size_t size) {
  return counted(__libc_calloc(count, size));
}
void* realloc(void* pointer, std::size_t size) {
  uncounted(pointer);
  return counted(__libc_realloc(pointer, size));
}
void* memalign(std::size_t alignment, std::size_t size) {
  return counted(__libc_memalign(alignment, size));
}
void* aligned_alloc(std::size_t alignment, std::size_t size) {
  return counted(__libc_memalign(alignment, size));
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) {
  void* pointer = counted(__libc_memalign(alignment, size));
  if (!pointer) return ENOMEM;
  *out = pointer;
  return 0;
}
void free(void* pointer) {
  uncounted(pointer);
  __libc_free(pointer);
}
}

void* operator new(std::size_t size) {
  if (void* pointer = allocate(size)) return pointer;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* pointer = allocate(size)) return pointer;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return allocate(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return allocate(size);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  if (void* pointer = allocate_aligned(size, alignment)) return pointer;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  if (void* pointer = allocate_aligned(size, alignment)) return pointer;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return allocate_aligned(size, alignment);
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return allocate_aligned(size, alignment);
}
void operator delete(void* pointer) noexcept {
  release(pointer);
}
void operator delete[](void* pointer) noexcept {
  release(pointer);
}
void operator delete(void* pointer, std::size_t) noexcept {
  release(pointer);
}
void operator delete[](void* pointer, std::size_t) noexcept {
  release(pointer);
}
void operator delete(void* pointer, const std::nothrow_t&) noexcept {
  release(pointer);
}
void operator delete[](void* pointer, const std::nothrow_t&) noexcept {
  release(pointer);
}
void operator delete(void* pointer, std::align_val_t) noexcept {
  release(pointer);
}
void operator delete[](void* pointer, std::align_val_t) noexcept {
  release(pointer);
}
void operator delete(void* pointer, std::size_t, std::align_val_t) noexcept {
  release(pointer);
}
void operator delete[](void* pointer, std::size_t, std::align_val_t) noexcept {
  release(pointer);
}
void operator delete(void* pointer, std::align_val_t, const std::nothrow_t&) noexcept {
  release(pointer);
}
void operator delete[](void* pointer, std::align_val_t, const std::nothrow_t&) noexcept {
  release(pointer);
}

namespace gyro {
namespace {

// identity and triple capture graphs that do no kernel work (they return their inputs); add is
// one tiny op; chain is a straight-line function of 100 bytecode instructions (`gyro dis`: 98
// run, then the implicit `return None`).
// Each function also has a compiled twin (`*_c`); `warm_c` is compiled only to warm the
// process-wide state (backend registry, interned names) before entry_bytes is measured.
constexpr const char* kProgram = R"(
def identity(x):
    return x

def triple(x, y, z):
    return x, y, z

def add(x, y):
    return x + y

def chain(x, y):
    t1 = x * y
    t2 = t1 + x
    t3 = relu(t2)
    t4 = t3 * 0.5
    t5 = t4 - y
    t6 = sigmoid(t5)
    t7 = t6 + t1
    t8 = tanh(t7)
    t9 = t8 * t2
    t10 = t9 + 1.0
    t11 = exp(t10)
    t12 = t11 / t10
    t13 = t12 - t3
    t14 = relu(t13)
    t15 = t14 * t4
    t16 = t15 + t5
    t17 = sigmoid(t16)
    t18 = t17 * 2.0
    t19 = t18 - t6
    t20 = tanh(t19)
    t21 = t20 + t7
    t22 = t21 * t8
    t23 = t22 - 0.25
    t24 = t23 + t9
    return t24

def shaped(x, y, z):
    return x.reshape(-1) * y + z

def shaped_guards(x, y, z):
    t = x.reshape(-1) * y + z
    return x, y, z

def flat_pair(x, y):
    return x.reshape(-1) + y.reshape(-1)

def tiles(x, y):
    return x.reshape(-1, 8) + y.reshape(-1, 1)

identity_c = compile(identity)
triple_c = compile(triple)
add_c = compile(add)
chain_c = compile(chain)
chain_d = compile(chain, dynamic=True)
shaped_c = compile(shaped, dynamic=False)
shaped_d = compile(shaped, dynamic=True)
shaped_guards_c = compile(shaped_guards, dynamic=False)
shaped_guards_d = compile(shaped_guards, dynamic=True)
flat_pair_d = compile(flat_pair, dynamic=True)
tiles_d = compile(tiles, dynamic=True)
warm_c = compile(triple)

a = arange(4.0)
b = arange(4.0) + 1
c = arange(4.0) * 2
p = ones(2, 4)
q = arange(8.0)
r = arange(8.0) + 1
u = ones(2, 6)
v = ones(3, 4)
w = ones(16, 3)
d = arange(6.0)

# What pruning the shape guards of a dynamic compile asked Z3 (from explain's figures).
def z3_queries(fn, *args):
    stats = explain(compile(fn, dynamic=True))(*args).shape_guard_stats
    return int(stats[0].split("; z3 ")[1].split(" ")[0])

def shape_guards(fn, *args):
    return len([g for g in explain(compile(fn, dynamic=True))(*args).guards if g.startswith("SHAPE")])

chain_z3 = z3_queries(chain, a, b)
shaped_z3 = z3_queries(shaped, p, q, r)
shaped_guards = shape_guards(shaped, p, q, r)
flat_pair_z3 = z3_queries(flat_pair, u, v)
tiles_z3 = z3_queries(tiles, w, d)
)";

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "capture_bench setup failed: %s\n", message.c_str());
  std::abort();
}

// One interpreter with the program above run once, shared by every benchmark.
struct Program {
  Interpreter vm;
  Value globals;

  Program() {
    if (auto status = lang::install_prelude(vm); !status.ok()) fail(status.error().to_string());
    auto code = lang::compile_source(kProgram, "capture_bench.gy");
    if (!code.ok()) fail(code.error().to_string());
    auto result = vm.run_module(Module{"capture_bench", *code});
    if (!result) fail(vm.format_exception(vm.exception()));
    globals = *result;
  }

  Value global(const std::string& name) const {
    auto found = globals.as<DictObject>().table.get(make_str(name));
    if (!found.ok() || !found->has_value()) fail("no global " + name);
    return **found;
  }

  Value builtin(const std::string& name) const {
    auto found = vm.builtins().as<DictObject>().table.get(make_str(name));
    if (!found.ok() || !found->has_value()) fail("no builtin " + name);
    return **found;
  }

  Value call(const Value& callable, std::span<const Value> args) {
    auto result = vm.call(callable, args);
    if (!result) fail(vm.format_exception(vm.exception()));
    return *result;
  }
};

Program& program() {
  static Program instance;
  return instance;
}

// Calls `function_name` on `arg_names` in a loop (after one untimed call, which compiles a
// compiled function) and reports the heap allocations per call. (A function that returns a
// tuple allocates two: the tuple and its items; they are the call's output.)
void run_calls(benchmark::State& state, const char* function_name,
               std::vector<const char*> arg_names) {
  Program& p = program();
  Value function = p.global(function_name);
  std::vector<Value> args;
  for (const char* name : arg_names) args.push_back(p.global(name));
  benchmark::DoNotOptimize(p.call(function, args));  // the miss: trace and compile

  uint64_t allocations_before = g_heap.allocations;
  for (auto _ : state) {
    std::optional<Value> result = p.vm.call(function, args);
    benchmark::DoNotOptimize(result);
  }
  state.counters["allocs_per_call"] = static_cast<double>(g_heap.allocations - allocations_before) /
                                      static_cast<double>(state.iterations());
}

// 1. Cache hits against the interpreted call of the same function.
void BM_hit_identity_1_input(benchmark::State& state) {
  run_calls(state, "identity_c", {"a"});
}
void BM_interpreted_identity_1_input(benchmark::State& state) {
  run_calls(state, "identity", {"a"});
}
void BM_hit_triple_3_inputs(benchmark::State& state) {
  run_calls(state, "triple_c", {"a", "b", "c"});
}
void BM_interpreted_triple_3_inputs(benchmark::State& state) {
  run_calls(state, "triple", {"a", "b", "c"});
}
void BM_hit_add_4_elements(benchmark::State& state) {
  run_calls(state, "add_c", {"a", "b"});
}
void BM_interpreted_add_4_elements(benchmark::State& state) {
  run_calls(state, "add", {"a", "b"});
}

// A cache hit whose entry has symbolic relations: shaped_d (dynamic=True) on x [2, 4], y [8],
// z [8] checks TENSOR_MATCH x: [s0, s1], y: [s2], z: [s2] (duck-shaped), then SHAPE s0 >= 2,
// s1 >= 2, s0*s1 == s2 (s2 >= 2 is pruned); its static twin checks sizes by value. Both run
// the same two 8-element kernels as the interpreted call.
void BM_hit_shaped_3_inputs_symbolic(benchmark::State& state) {
  state.counters["shape_guards"] = static_cast<double>(program().global("shaped_guards").as_int());
  run_calls(state, "shaped_d", {"p", "q", "r"});
}
void BM_hit_shaped_3_inputs_static(benchmark::State& state) {
  run_calls(state, "shaped_c", {"p", "q", "r"});
}
void BM_interpreted_shaped_3_inputs(benchmark::State& state) {
  run_calls(state, "shaped", {"p", "q", "r"});
}
// The same guards without the kernels: shaped_guards computes shaped's value but returns its
// inputs (the dead graph is dropped), so the hit is guards + dispatch + the result tuple, as in
// BM_hit_triple_3_inputs.
void BM_hit_shaped_guards_3_inputs_symbolic(benchmark::State& state) {
  run_calls(state, "shaped_guards_d", {"p", "q", "r"});
}
void BM_hit_shaped_guards_3_inputs_static(benchmark::State& state) {
  run_calls(state, "shaped_guards_c", {"p", "q", "r"});
}

// 2. The first call of a function (trace + guards + backend compile + run) minus its
// interpreted call, both timed in the same iteration; reset() makes every iteration
// recompile. The time also covers dropping the previous entry, which the call does first.
// `z3_global` names the Z3 queries one such compile made (explain's pruning figures).
void first_compile(benchmark::State& state, const char* interpreted_name, const char* compiled_name,
                   std::vector<const char*> arg_names, const char* z3_global) {
  Program& p = program();
  Value interpreted = p.global(interpreted_name), compiled = p.global(compiled_name);
  std::vector<Value> args;
  for (const char* name : arg_names) args.push_back(p.global(name));
  benchmark::DoNotOptimize(p.call(interpreted, args));
  double first_call_seconds = 0, interpreted_seconds = 0;
  for (auto _ : state) {
    p.vm.reset_compiled();
    auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(p.call(interpreted, args));
    auto middle = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(p.call(compiled, args));
    auto end = std::chrono::steady_clock::now();
    double interpreted_time = std::chrono::duration<double>(middle - start).count();
    double first_call_time = std::chrono::duration<double>(end - middle).count();
    interpreted_seconds += interpreted_time;
    first_call_seconds += first_call_time;
    state.SetIterationTime(first_call_time - interpreted_time);
  }
  auto iterations = static_cast<double>(state.iterations());
  state.counters["first_call_us"] = first_call_seconds / iterations * 1e6;
  state.counters["interpreted_us"] = interpreted_seconds / iterations * 1e6;
  if (z3_global) state.counters["z3_queries"] = static_cast<double>(p.global(z3_global).as_int());
}

// The 100-instruction chain, static and with dynamic=True (one symbol, a and b duck-shaped:
// the only relation is s0 >= 2).
void BM_first_compile_chain(benchmark::State& state) {
  first_compile(state, "chain", "chain_c", {"a", "b"}, nullptr);
}
void BM_first_compile_chain_dynamic(benchmark::State& state) {
  first_compile(state, "chain", "chain_d", {"a", "b"}, "chain_z3");
}
// Relations between products: x [2, 6] and y [3, 4] flattened and added guard
// s0*s1 == s2*s3 beside four ranges (the cheap layers settle them).
void BM_first_compile_flat_pair_dynamic(benchmark::State& state) {
  first_compile(state, "flat_pair", "flat_pair_d", {"u", "v"}, "flat_pair_z3");
}
// Relations that reach Z3: x [16, 3] viewed as rows of 8 broadcast against y [6] as a column
// guard (s0*s1) % 8 == 0 and (s0*s1) // 8 == s2; showing that s2 >= 2 is needed takes
// s0*s1 == 8, which no mutation of one size reaches.
void BM_first_compile_tiles_dynamic(benchmark::State& state) {
  first_compile(state, "tiles", "tiles_d", {"w", "d"}, "tiles_z3");
}

// 2b. A warm start: the same first call when the persistent compile cache holds the entry (a
// second program, whose cache was loaded from an artifact the first one saved). The miss
// installs the saved entry (identity guards resolved, graph rebuilt, backend compile) instead
// of tracing. Compare with the BM_first_compile_* of the same function (budget: <= 10%).
void warm_start(benchmark::State& state, const char* interpreted_name, const char* compiled_name,
                std::vector<const char*> arg_names) {
  Program& p = program();
  std::vector<Value> args;
  for (const char* name : arg_names) args.push_back(p.global(name));
  p.vm.reset_compiled();
  benchmark::DoNotOptimize(p.call(p.global(compiled_name), args));
  const std::string path = std::string("/tmp/gyro_capture_bench_") + compiled_name + ".gyk";
  auto saved = p.vm.persistent_cache().save(path);
  if (!saved.ok() || saved->saved < 1) fail(std::string(compiled_name) + " was not saved");
  Program warm;
  if (!warm.vm.persistent_cache().load(path, [](std::string) {}).ok()) fail("load_cache failed");
  std::remove(path.c_str());
  Value interpreted = warm.global(interpreted_name), compiled = warm.global(compiled_name);
  std::vector<Value> warm_args;
  for (const char* name : arg_names) warm_args.push_back(warm.global(name));
  double first_call_seconds = 0;
  for (auto _ : state) {
    warm.vm.reset_compiled();
    auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(warm.call(interpreted, warm_args));
    auto middle = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(warm.call(compiled, warm_args));
    auto end = std::chrono::steady_clock::now();
    const double first_call_time = std::chrono::duration<double>(end - middle).count();
    first_call_seconds += first_call_time;
    state.SetIterationTime(first_call_time -
                           std::chrono::duration<double>(middle - start).count());
  }
  state.counters["first_call_us"] =
      first_call_seconds / static_cast<double>(state.iterations()) * 1e6;
}
void BM_warm_start_chain(benchmark::State& state) {
  warm_start(state, "chain", "chain_c", {"a", "b"});
}
void BM_warm_start_chain_dynamic(benchmark::State& state) {
  warm_start(state, "chain", "chain_d", {"a", "b"});
}
void BM_warm_start_tiles_dynamic(benchmark::State& state) {
  warm_start(state, "tiles", "tiles_d", {"w", "d"});
}

// 3. The heap one cache entry of a 3-input function keeps: the live heap bytes a first
// call adds (with its result released) minus what an interpreted call adds: the entry, its
// capture (sources, guard program, graph, result plan), source keys and executable (run plan,
// input checks), and the slot in the function's entry list. Each iteration
// makes a fresh compile(triple) and drops it afterwards; `trace_bytes` is everything the first
// call allocates (tracing temporaries included) minus the interpreted call's allocations. The
// time is that of the first call.
void BM_entry_bytes_triple_3_inputs(benchmark::State& state) {
  Program& p = program();
  Value compile = p.builtin("compile"), triple = p.global("triple");
  std::vector<Value> args{p.global("a"), p.global("b"), p.global("c")};
  benchmark::DoNotOptimize(p.call(p.global("warm_c"), args));
  benchmark::DoNotOptimize(p.call(triple, args));

  auto heap_delta = [&](const Value& function, int64_t& live, uint64_t& gross) {
    int64_t live_before = g_heap.live_bytes;
    uint64_t gross_before = g_heap.allocated_bytes;
    { Value result = p.call(function, args); }
    live += g_heap.live_bytes - live_before;
    gross += g_heap.allocated_bytes - gross_before;
  };
  int64_t interpreted_live = 0, compiled_live = 0;
  uint64_t interpreted_gross = 0, compiled_gross = 0;
  Value fresh;
  for (auto _ : state) {
    state.PauseTiming();
    heap_delta(triple, interpreted_live, interpreted_gross);
    // reset() keeps config.accumulated_recompile_limit (256 entries per interpreter) from
    // turning later iterations into run-only calls that make no entry at all.
    p.vm.reset_compiled();
    fresh = p.call(compile, std::vector<Value>{triple});  // drops the last one, untimed
    state.ResumeTiming();
    heap_delta(fresh, compiled_live, compiled_gross);
  }
  auto iterations = static_cast<double>(state.iterations());
  state.counters["entry_bytes"] =
      static_cast<double>(compiled_live - interpreted_live) / iterations;
  state.counters["trace_bytes"] =
      (static_cast<double>(compiled_gross) - static_cast<double>(interpreted_gross)) / iterations;
}

#define GYRO_CAPTURE_BENCH(name) \
  BENCHMARK(name)->Repetitions(5)->ReportAggregatesOnly(true)->DisplayAggregatesOnly(true)

GYRO_CAPTURE_BENCH(BM_hit_identity_1_input);
GYRO_CAPTURE_BENCH(BM_interpreted_identity_1_input);
GYRO_CAPTURE_BENCH(BM_hit_triple_3_inputs);
GYRO_CAPTURE_BENCH(BM_interpreted_triple_3_inputs);
GYRO_CAPTURE_BENCH(BM_hit_add_4_elements);
GYRO_CAPTURE_BENCH(BM_interpreted_add_4_elements);
GYRO_CAPTURE_BENCH(BM_hit_shaped_3_inputs_symbolic);
GYRO_CAPTURE_BENCH(BM_hit_shaped_3_inputs_static);
GYRO_CAPTURE_BENCH(BM_interpreted_shaped_3_inputs);
GYRO_CAPTURE_BENCH(BM_hit_shaped_guards_3_inputs_symbolic);
GYRO_CAPTURE_BENCH(BM_hit_shaped_guards_3_inputs_static);
GYRO_CAPTURE_BENCH(BM_first_compile_chain)->UseManualTime()->Unit(benchmark::kMicrosecond);
GYRO_CAPTURE_BENCH(BM_first_compile_chain_dynamic)->UseManualTime()->Unit(benchmark::kMicrosecond);
GYRO_CAPTURE_BENCH(BM_first_compile_flat_pair_dynamic)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
GYRO_CAPTURE_BENCH(BM_first_compile_tiles_dynamic)->UseManualTime()->Unit(benchmark::kMicrosecond);
GYRO_CAPTURE_BENCH(BM_warm_start_chain)->UseManualTime()->Unit(benchmark::kMicrosecond);
GYRO_CAPTURE_BENCH(BM_warm_start_chain_dynamic)->UseManualTime()->Unit(benchmark::kMicrosecond);
GYRO_CAPTURE_BENCH(BM_warm_start_tiles_dynamic)->UseManualTime()->Unit(benchmark::kMicrosecond);
GYRO_CAPTURE_BENCH(BM_entry_bytes_triple_3_inputs)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gyro

BENCHMARK_MAIN();
