// Host threads calling one compiled function at once: every call gets what the VM computes,
// and each resume point is traced and compiled once (the interpreter's host lock). The tsan
// preset runs these under ThreadSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "interp/interpreter.h"
#include "lang/compiler.h"
#include "lang/prelude.h"
#include "tests/unit/lang/script_program.h"

using namespace gyro;

namespace {

constexpr int kThreads = 4;
constexpr int kCallsPerThread = 200;

struct Program : ScriptProgram {
  explicit Program(std::string_view source) : ScriptProgram(source, "threads") {}
  int64_t counter(const char* field) {
    auto value = vm.get_attribute(global("cnt"), field);
    EXPECT_TRUE(value && value->is_int());
    return value->as_int();
  }
};

// A float32 tensor of `n` elements that differ per thread and per call: small integers, so
// that sums and products are exact in any order of evaluation.
Value input(int thread, int call, int n) {
  std::vector<float> values;
  for (int i = 0; i < n; ++i) values.push_back(static_cast<float>(thread * 7 + call % 13 - i % 50));
  auto tensor = Tensor::from_vector(values, Dims{n});
  EXPECT_TRUE(tensor.ok());
  return make_tensor(*tensor);
}

// A compiled function and the plain function it wraps (the VM's reference).
using Pair = std::pair<Value, Value>;

// Each of kThreads threads calls every pair's compiled and plain function (the VM) on the same
// fresh inputs of `length(thread, call)` elements, without holding the host lock itself: the
// values it passes and gets back are its own, and the shared function values are only read
// through const references. Returns the mismatches.
int race(Program& program, const std::vector<Pair>& pairs,
         const std::function<int(int, int)>& length = [](int, int) { return 3; }) {
  std::atomic<int> mismatches{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (int call = 0; call < kCallsPerThread; ++call) {
        const int n = length(t, call);
        std::vector<Value> args{input(t, call, n), input(t + 1, call, n)};
        for (const auto& [fast, plain] : pairs) {
          auto compiled = program.vm.call(fast, args);
          auto reference = program.vm.call(plain, args);
          if (!compiled || !reference || !compiled->is(ObjectKind::TensorBox) ||
              !reference->is(ObjectKind::TensorBox) ||
              compiled->as<TensorBoxObject>().tensor.to_vector<float>() !=
                  reference->as<TensorBoxObject>().tensor.to_vector<float>())
            ++mismatches;
        }
      }
    });
  }
  go.store(true);
  for (std::thread& thread : threads) thread.join();
  return mismatches.load();
}

}  // namespace

TEST(CompileThreads, ConcurrentCallsMatchTheVmAndCompileOnce) {
  Program program(R"(
cnt = CompileCounter()

def f(x, y):
    z = x * y + 1.0
    return z.relu() - y

fast = compile(f, backend=cnt)
)");
  const Value fast = program.global("fast");
  const Value plain = program.global("f");
  EXPECT_EQ(race(program, {{fast, plain}}), 0);
  EXPECT_EQ(program.counter("frame_count"), 1);
  EXPECT_EQ(program.counter("op_count"), 4);
}

TEST(CompileThreads, EachResumePointAfterABreakCompilesOnce) {
  Program program(R"(
cnt = CompileCounter()

def f(x, y):
    z = x * y
    graph_break()
    return z.exp() + x

fast = compile(f, backend=cnt)
)");
  const Value fast = program.global("fast");
  const Value plain = program.global("f");
  EXPECT_EQ(race(program, {{fast, plain}}), 0);
  EXPECT_EQ(program.counter("frame_count"), 2);  // the frame's start and its resume point
}

TEST(CompileThreads, NewShapesAndResetFromAnotherThreadKeepCallsCorrect) {
  // Lengths change from call to call, so traces add entries (static ones for `g`; for `f` a
  // symbolic one after its first recompile) while another thread keeps calling reset() under
  // the host lock, which makes every function trace again. 131075 elements split the vectorized
  // backend's loops over its thread pool (64 blocks of 1024 per worker at least).
  Program program(R"(
def f(x, y):
    z = x * y + 1.0
    return z.relu() - y

def g(x, y):
    s = (x - y).abs().sum()
    graph_break()
    return x + s

fast_f = compile(f)
fast_g = compile(g, dynamic=False)
)");
  const std::vector<Pair> pairs{{program.global("fast_f"), program.global("f")},
                                {program.global("fast_g"), program.global("g")}};
  std::atomic<bool> done{false};
  std::atomic<int> resets{0};
  std::thread resetter([&] {
    while (!done.load()) {
      {
        Interpreter::HostLock lock(program.vm);
        program.vm.reset_compiled();
      }
      ++resets;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  // Mostly short inputs (sanitizer builds are slow), a long one every 40th call.
  auto length = [](int thread, int call) {
    constexpr int kShort[] = {3, 5, 8};
    return call % 40 == 39 ? 131075 : kShort[(thread + call) % 3];
  };
  EXPECT_EQ(race(program, pairs, length), 0);
  done.store(true);
  resetter.join();
  EXPECT_GT(resets.load(), 0);
}

TEST(CompileThreads, HostLockNestsOnTheThreadThatHoldsIt) {
  Program program("def f(x):\n    return x + 1\n");
  const Value plain = program.global("f");
  Interpreter::HostLock outer(program.vm);
  Interpreter::HostLock inner(program.vm);  // no deadlock: the owner enters again
  auto result = program.vm.call(plain, std::vector<Value>{Value::integer(1)});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->as_int(), 2);
}
