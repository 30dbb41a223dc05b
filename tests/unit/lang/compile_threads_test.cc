// Host threads calling one compiled function at once: every call gets what the VM computes,
// and each resume point is traced and compiled once (the interpreter's host lock).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
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

// A float32 tensor of `n` elements that differ per thread and per call.
Value input(int thread, int call, int n) {
  std::vector<float> values;
  for (int i = 0; i < n; ++i) values.push_back(static_cast<float>(thread * 7 + call % 13 - i));
  auto tensor = Tensor::from_vector(values, Dims{n});
  EXPECT_TRUE(tensor.ok());
  return make_tensor(*tensor);
}

// Each of kThreads threads calls `fast` and `plain` (the VM) on the same fresh inputs, without
// holding the host lock itself: the values it passes and gets back are its own, and the
// shared function values are only read through const references. Returns the mismatches.
int race(Program& program, const Value& fast, const Value& plain) {
  std::atomic<int> mismatches{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (int call = 0; call < kCallsPerThread; ++call) {
        std::vector<Value> args{input(t, call, 3), input(t + 1, call, 3)};
        auto compiled = program.vm.call(fast, args);
        auto reference = program.vm.call(plain, args);
        if (!compiled || !reference || !compiled->is(ObjectKind::TensorBox) ||
            !reference->is(ObjectKind::TensorBox) ||
            compiled->as<TensorBoxObject>().tensor.to_vector<float>() !=
                reference->as<TensorBoxObject>().tensor.to_vector<float>())
          ++mismatches;
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
  EXPECT_EQ(race(program, fast, plain), 0);
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
  EXPECT_EQ(race(program, fast, plain), 0);
  EXPECT_EQ(program.counter("frame_count"), 2);  // the frame's start and its resume point
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
