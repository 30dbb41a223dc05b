// The persistent compile cache: entries saved by one interpreter serve another (a warm start
// with no compile and the same output), loaded guards accept exactly what the originals did,
// misses are logged rather than errors, and damaged artifacts are rejected without effect.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include <xxhash.h>

#include "interp/compile_api.h"
#include "interp/guard_check.h"
#include "interp/interpreter.h"
#include "interp/objects.h"
#include "interp/persistent_cache.h"
#include "ir/version.h"
#include "lang/compiler.h"
#include "lang/prelude.h"

using namespace gyro;

namespace {

// A script run in a fresh interpreter, with its printed output and log messages kept. A cache
// file given is loaded before the script runs.
struct ScriptRun {
  std::string output;
  std::vector<std::string> logs;
  Interpreter vm{[this](std::string_view text) { output += text; }};
  Value globals;

  explicit ScriptRun(std::string_view source, const std::string& load_from = "") {
    vm.set_log_callback([this](std::string_view message) { logs.emplace_back(message); });
    vm.set_logs("cache");
    EXPECT_TRUE(lang::install_prelude(vm).ok());
    if (!load_from.empty()) {
      auto loaded = vm.persistent_cache().load(load_from, [](std::string) {});
      EXPECT_TRUE(loaded.ok()) << loaded.error().to_string();
    }
    auto code = lang::compile_source(source, "program.gy");
    EXPECT_TRUE(code.ok()) << code.error().to_string();
    if (!code.ok()) return;
    auto result = vm.run_module(Module{"program", *code});
    EXPECT_TRUE(result.has_value()) << vm.format_exception(vm.exception());
    if (result) globals = *result;
  }
  Value global(const std::string& name) {
    auto found = globals.as<DictObject>().table.get(make_str(name));
    EXPECT_TRUE(found.ok() && found->has_value()) << name;
    return found.ok() && found->has_value() ? **found : Value();
  }
  int count(std::string_view fragment) const {
    int n = 0;
    for (const std::string& message : logs) n += message.find(fragment) != std::string::npos;
    return n;
  }
  PersistentCache::SaveReport save(const std::string& path) {
    auto report = vm.persistent_cache().save(path);
    EXPECT_TRUE(report.ok()) << report.error().to_string();
    return report.ok() ? *report : PersistentCache::SaveReport{};
  }
};

std::string temp_path(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) / name).string();
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Compiled functions of most shapes an entry takes: helpers and builtins (identity guards),
// modules (class and method fingerprints, super() closures), a graph break (resume plans of
// locals and stack), side effects on arguments, an in-place write back to an input, results
// that are tuples, lists, constants and dtypes, several dtypes and a non-contiguous input.
constexpr std::string_view kProgram = R"(
compiles = []

def count_compile(name):
    compiles.append(name)

on_compile_start(count_compile)

def helper(x):
    return relu(x) * 2

def f(x, y):
    return helper(x + y).sum()

class MLP(Module):
    def __init__(self):
        super().__init__()
        self.l1 = Linear(4, 8)
        self.l2 = Linear(8, 2)
    def forward(self, x):
        return self.l2(self.l1(x).relu())

def with_break(x, log):
    y = x.exp()
    log.append(len(log))
    graph_break()
    print("between", y.shape)
    z = y * 3
    return z, [z.sum(), 1.5, "s"], x.dtype

def in_place(x):
    x.add_(1)
    return x.mean()

def mixed(a, b):
    return (a.to(float64) * b).sum(0)

class Pair:
    def __init__(self, value):
        self.value = value
        self.twice = value * 2

def make_pair(x):
    return Pair(x + 1), x.sum()

def shaped(x, y, n):
    z = x.reshape(-1, 2) * n
    return z.sum(0) + y[: x.shape[0]].sum(), x.shape[0] * 2 + n

manual_seed(0)
cnt = CompileCounter()
g = compile(f, backend=cnt, dynamic=False)
m = MLP()
m.compile()
b = compile(with_break)
p = compile(in_place)
mx = compile(mixed, backend="eager")
sh = compile(shaped, dynamic=True)
mp = compile(make_pair)

x = arange(12.0).reshape(3, 4)
for step in range(2):
    print(g(x, x), g(x.transpose(0, 1), ones(4, 3)))
    print(m(x))
    log = []
    print(b(x, log), log)
    t = ones(2, 3)
    print(p(t), t)
    print(mx(x, arange(4)))
    print(sh(ones(4 + step, 6), arange(10.0), 3 + step), sh(ones(6, 4 + 2 * step), arange(9.0), 5))
    pair, total = mp(x)
    print(type(pair).__name__, pair.value, pair.twice, total)
print(cnt.frame_count, len(compiles))
)";

}  // namespace

TEST(CompileCache, WarmStartRunsEveryEntryWithoutCompilingAndPrintsTheSame) {
  const std::string path = temp_path("warm.gyk");
  ScriptRun cold(kProgram);
  auto report = cold.save(path);
  EXPECT_TRUE(report.not_saved.empty()) << report.not_saved.front();
  // f twice, forward, with_break (two entries), in_place, mixed, shaped (symbolic sizes and
  // ints), make_pair (an object made in the trace)
  EXPECT_GE(report.saved, 9);
  EXPECT_EQ(cold.count("loaded from the compile cache"), 0);

  ScriptRun warm(kProgram, path);
  EXPECT_EQ(warm.count("tracing a new entry"), 0);
  EXPECT_EQ(warm.count("loaded from the compile cache"), report.saved);
  // Same output, except the last line: no compile, so no CompileCounter frames either.
  const std::string last_line_cold = cold.output.substr(cold.output.rfind('\n', cold.output.size() - 2) + 1);
  EXPECT_NE(last_line_cold, "0 0\n");
  EXPECT_EQ(warm.output.substr(0, warm.output.size() - 4),
            cold.output.substr(0, cold.output.size() - last_line_cold.size()));
  EXPECT_TRUE(warm.output.ends_with("\n0 0\n")) << warm.output;
}

class LoadedGuards : public ::testing::TestWithParam<const char*> {};

TEST_P(LoadedGuards, AcceptExactlyWhatTheOriginalsAccept) {
  const std::string kSource = std::string(R"(
def helper(x):
    return relu(x) * 2

def f(x, y, n, flag):
    if flag:
        return helper(x + y) * n
    return x - y

g = compile(f, dynamic=)") + GetParam() + R"()
g(ones(3, 4), ones(3, 4), 2, True)
)";
  const std::string path = temp_path(std::string("equivalence_") + GetParam() + ".gyk");
  ScriptRun original(kSource);
  original.save(path);
  ScriptRun loaded(kSource, path);
  ASSERT_EQ(loaded.count("loaded from the compile cache"), 1);

  auto& original_fn = original.global("g").as<CompiledFunctionObject>();
  auto& loaded_fn = loaded.global("g").as<CompiledFunctionObject>();
  ASSERT_EQ(original_fn.entries.size(), 1u);
  ASSERT_EQ(loaded_fn.entries.size(), 1u);
  auto passes = [](Interpreter& vm, const CompiledFunctionObject& fn, std::span<const Value> args) {
    const CompileEntry& entry = *fn.entries[0];
    GuardSubject subject{args, {}, &fn.function.as<FunctionObject>().globals.as<DictObject>().table,
                         &vm.builtins().as<DictObject>().table,
                         &fn.function.as<FunctionObject>().closure};
    SourceLoader loader(entry.capture->sources, entry.keys, subject);
    return guards_pass(entry.capture->guards, loader);
  };
  std::mt19937 random(7);
  auto pick = [&](int n) { return static_cast<int>(random() % n); };
  int accepted = 0;
  for (int trial = 0; trial < 400; ++trial) {
    Dims sizes{1 + pick(4), 1 + pick(5)};
    DType dtype = pick(4) == 0 ? DType::Float64 : DType::Float32;
    Tensor a = Tensor::empty(sizes, dtype).value();
    Tensor c = Tensor::empty(pick(3) == 0 ? Dims{sizes[1], sizes[0]} : sizes, DType::Float32).value();
    if (pick(3) == 0) c = c.as_strided({c.size(1), c.size(0)}, {1, c.size(1)}, 0);  // transposed
    std::vector<Value> args{make_tensor(a), pick(5) == 0 ? Value::integer(1) : make_tensor(c),
                            pick(3) == 0 ? Value::integer(pick(4)) : Value::integer(2),
                            pick(4) == 0 ? Value::boolean(false) : Value::boolean(true)};
    const bool expected = passes(original.vm, original_fn, args);
    EXPECT_EQ(passes(loaded.vm, loaded_fn, args), expected) << "trial " << trial;
    accepted += expected;
  }
  EXPECT_GT(accepted, 0);  // the random inputs reach both sides of the guards
  EXPECT_LT(accepted, 400);
}
// Static guards, and symbolic ones (sizes and the int bind symbols; SHAPE relations).
INSTANTIATE_TEST_SUITE_P(CompileCache, LoadedGuards, ::testing::Values("False", "True"));

TEST(CompileCache, EntriesThatCannotBeSavedSayWhy) {
  ScriptRun run(R"(
def make():
    scale = ones(1)
    def inner(x):
        return x * scale
    return inner
inner = make()

def f(x):
    return inner(x) + 1

g = compile(f)
g(ones(3))

def pure(x):
    return x.sin()
allow_in_graph(pure)
def h(x):
    return pure(x) + 1
k = compile(h)
k(ones(2))
)");
  auto report = run.save(temp_path("unsaveable.gyk"));
  EXPECT_EQ(report.saved, 0);
  ASSERT_EQ(report.not_saved.size(), 2u);
  EXPECT_NE(report.not_saved[0].find("f (program.gy:9) at pc 0: guard ID_MATCH on 'inner' pins "
                                     "a function whose defaults or closure cells are not "
                                     "constants"),
            std::string::npos)
      << report.not_saved[0];
  EXPECT_NE(report.not_saved[1].find("allow_in_graph"), std::string::npos) << report.not_saved[1];
}

TEST(CompileCache, AnotherBackendOrLibraryVersionIsALoggedMissNotAnError) {
  constexpr std::string_view kEager = "def f(x):\n    return x + 1\ng = compile(f, backend='eager')\ng(ones(2))\n";
  constexpr std::string_view kVectorized = "def f(x):\n    return x + 1\ng = compile(f)\ng(ones(2))\n";
  const std::string path = temp_path("key.gyk");
  ScriptRun(kEager).save(path);
  ScriptRun other(kVectorized, path);
  EXPECT_EQ(other.count("tracing a new entry"), 1);
  EXPECT_EQ(other.count("is a miss: saved with backend=eager"), 1);

  // The same file claiming another library version: every entry is a miss, logged.
  std::vector<uint8_t> bytes = read_bytes(path);
  const std::string version = kGyroVersion;
  auto at = std::search(bytes.begin(), bytes.end(), version.begin(), version.end());
  ASSERT_NE(at, bytes.end());
  *at = '9';
  const uint64_t checksum = XXH3_64bits(bytes.data() + kCacheArtifactHeaderSize,
                                        bytes.size() - kCacheArtifactHeaderSize);
  for (int i = 0; i < 8; ++i) bytes[24 + i] = static_cast<uint8_t>(checksum >> (8 * i));
  PersistentCache cache;
  std::vector<std::string> logged;
  auto loaded = cache.load_image(bytes, "v.gyk", [&](std::string m) { logged.push_back(m); });
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(*loaded, 0);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0].find("written by gyro 9"), std::string::npos) << logged[0];
  EXPECT_TRUE(cache.empty());
}

TEST(CompileCache, DamagedArtifactsAreRejectedCleanlyAndLoadNothing) {
  const std::string path = temp_path("small.gyk");
  ScriptRun(R"(
def f(x, n):
    return (x * n).sum(), [n, "s"]
g = compile(f)
g(ones(2, 3), 3)
def v(x, n):
    return x.reshape(-1, 2)[: x.shape[0] - 1] * n, x.shape[0] + n
w = compile(v, dynamic=True)
w(ones(4, 6), 3)
)").save(path);
  const std::vector<uint8_t> good = read_bytes(path);
  ASSERT_GT(good.size(), kCacheArtifactHeaderSize);
  auto ignore = [](std::string) {};
  {
    PersistentCache cache;
    auto loaded = cache.load_image(good, "good.gyk", ignore);
    ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
    EXPECT_EQ(*loaded, 2);
  }
  // Truncation at every byte boundary.
  for (std::size_t size = 0; size < good.size(); ++size) {
    PersistentCache cache;
    auto loaded = cache.load_image(std::span(good).first(size), "cut.gyk", ignore);
    ASSERT_FALSE(loaded.ok()) << "truncated to " << size;
    EXPECT_EQ(loaded.error().kind, ErrorKind::ValueError);
    EXPECT_TRUE(loaded.error().message.starts_with("cut.gyk: ")) << loaded.error().message;
    EXPECT_TRUE(cache.empty());
  }
  // A changed byte anywhere: the checksum or a header check catches it, except in the minor
  // version and the reserved bytes, and a major version this library does not read (a miss).
  for (std::size_t offset = 0; offset < good.size(); ++offset) {
    std::vector<uint8_t> bad = good;
    bad[offset] ^= 0x5a;
    PersistentCache cache;
    auto loaded = cache.load_image(bad, "bad.gyk", ignore);
    const bool tolerated = (offset >= 8 && offset < 12) || (offset >= 32 && offset < 48);
    EXPECT_EQ(loaded.ok(), tolerated) << "offset " << offset;
    if (!loaded.ok()) {
      EXPECT_TRUE(cache.empty());
    }
  }
  // The decoder's own checks, behind a valid checksum: every change is an error or an entry
  // that decodes (which the guards then judge); never a crash.
  int rejected = 0;
  for (std::size_t offset = kCacheArtifactHeaderSize; offset < good.size(); ++offset) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      std::vector<uint8_t> bad = good;
      bad[offset] ^= flip;
      const uint64_t checksum = XXH3_64bits(bad.data() + kCacheArtifactHeaderSize,
                                            bad.size() - kCacheArtifactHeaderSize);
      for (int i = 0; i < 8; ++i) bad[24 + i] = static_cast<uint8_t>(checksum >> (8 * i));
      PersistentCache cache;
      auto loaded = cache.load_image(bad, "flip.gyk", ignore);
      if (!loaded.ok()) {
        ++rejected;
        EXPECT_TRUE(cache.empty());
      }
    }
  }
  EXPECT_GT(rejected, 0);
  // Not an artifact at all, and a missing file.
  PersistentCache cache;
  std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!'};
  auto wrong = cache.load_image(text, "text.gyk", ignore);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("not a gyro compile-cache artifact"), std::string::npos);
  auto missing = cache.load(temp_path("missing.gyk"), ignore);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::FileNotFoundError);
}

// Review findings: a warm start must keep what the trace saw of object identity, tell script
// backends apart, and report its graph breaks.
TEST(CompileCache, TwoObjectsWithOneFingerprintAreNotConfused) {
  // K1 and K2 are identical classes (one fingerprint); the entry saved for a K1 instance
  // pinned K1 twice (the global and the instance's class): a K2 instance must not pass.
  auto program = [](const char* which) {
    return fmt::format(R"(
def make():
    class K:
        pass
    return K
K1 = make()
K2 = make()

def f(obj, x):
    if isinstance(obj, K1):
        return x * 2
    return x * 3

g = compile(f)
print(g({}(), ones(2)))
)",
                       which);
  };
  const std::string path = temp_path("identity_groups.gyk");
  ScriptRun original(program("K1"));
  original.save(path);
  ScriptRun other(program("K2"), path);
  EXPECT_EQ(other.count("loaded from the compile cache"), 0);
  EXPECT_EQ(other.output, "tensor([3., 3.])\n");
  ScriptRun same(program("K1"), path);
  EXPECT_EQ(same.count("loaded from the compile cache"), 1);
  EXPECT_EQ(same.output, "tensor([2., 2.])\n");
}

TEST(CompileCache, ScriptBackendsAreKeyedByWhatTheyAre) {
  auto program = [](const char* backend) {
    return fmt::format(R"(
class Permissive:
    def __call__(self, gm, example_inputs):
        return gm

class Strict:
    def __call__(self, gm, example_inputs):
        raise RuntimeError("this backend refuses every graph")

def f(x):
    return x + 1

g = compile(f, backend={}())
try:
    print(g(ones(2)))
except RuntimeError as e:
    print(e)
)",
                       backend);
  };
  const std::string path = temp_path("script_backends.gyk");
  ScriptRun permissive(program("Permissive"));
  EXPECT_EQ(permissive.save(path).saved, 1);
  ScriptRun strict(program("Strict"), path);
  EXPECT_EQ(strict.count("loaded from the compile cache"), 0);
  EXPECT_EQ(strict.output, "this backend refuses every graph\n");
  ScriptRun again(program("Permissive"), path);  // the same backend: no call, a warm start
  EXPECT_EQ(again.count("loaded from the compile cache"), 1);
}

TEST(CompileCache, ExplainAfterAWarmStartReportsTheGraphBreak) {
  constexpr std::string_view kSource = R"(
def f(x):
    y = x + 1
    graph_break()
    return y * 2

g = compile(f)
g(ones(2))
print(len(explain(g)(ones(2)).break_reasons) > 0)
)";
  const std::string path = temp_path("breaks.gyk");
  ScriptRun cold(kSource);
  cold.save(path);
  ScriptRun warm(kSource, path);
  EXPECT_GE(warm.count("loaded from the compile cache"), 1);
  auto& compiled = warm.global("g").as<CompiledFunctionObject>();
  ASSERT_EQ(compiled.break_reasons.size(), 1u);
  EXPECT_NE(compiled.break_reasons[0].find("graph_break()"), std::string::npos);
}

// Results made again after the graph as views of other results (the third chunk of y, with y)
// and tuples shared inside a result load from a saved cache and build the same values; a
// view's output index is the view op's, not the graph's (such a file was rejected whole).
TEST(CompileCache, ViewsOfResultsAndSharedTuplesLoadAndRunAsTraced) {
  constexpr std::string_view kViews = R"(
def f(x):
    y = x * 2
    a, b, c = y.chunk(3)
    pair = (c, y)
    return y, c, (pair, pair)

g = compile(f, backend="eager")
y, c, nested = g(arange(6).float())
c.fill_(-1)
print(y.tolist(), nested[0] is nested[1], nested[0][0] is c)
)";
  const std::string path = temp_path("views.gyk");
  ScriptRun cold(kViews);
  auto report = cold.save(path);
  EXPECT_EQ(report.saved, 1);
  ScriptRun warm(kViews, path);
  EXPECT_EQ(warm.count("tracing a new entry"), 0);
  EXPECT_EQ(warm.count("loaded from the compile cache"), 1);
  EXPECT_EQ(cold.output, "[0.0, 2.0, 4.0, 6.0, -1.0, -1.0] True True\n");
  EXPECT_EQ(warm.output, cold.output);
}
