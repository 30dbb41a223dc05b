// The limits a host puts on untrusted programs: no file access (every builtin that opens a
// file raises OSError and touches nothing) and a cap on tensor memory (MemoryError, and the
// memory counted back when tensors go).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "interp/interpreter.h"
#include "interp/python_ops.h"
#include "ir/storage.h"
#include "lang/compiler.h"

using namespace gyro;

namespace {

// Runs `source` on `vm`; returns the uncaught exception's last line ("" when none).
std::string run(Interpreter& vm, const std::string& source) {
  auto code = lang::compile_source(source, "limits.gy");
  EXPECT_TRUE(code.ok()) << code.error().to_string();
  if (!code.ok()) return "does not compile";
  if (vm.run_module(Module{"limits", *code})) return "";
  std::string text = vm.format_exception(vm.exception());
  text.erase(text.find_last_not_of('\n') + 1);
  return text.substr(text.rfind('\n') + 1);
}

TEST(HostLimits, WithoutFileAccessEveryFileBuiltinRaisesOSErrorAndWritesNothing) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "gyro_host_limits_test.bin";
  std::filesystem::remove(path);
  Interpreter vm([](std::string_view) {});
  vm.limits().file_access = false;
  const std::string p = fmt::format("'{}'", path.string());
  const std::pair<std::string, std::string> calls[] = {
      {fmt::format("save_file({{'a': ones(2)}}, {})", p), "save_file"},
      {fmt::format("load_file({})", p), "load_file"},
      {fmt::format("save([1, 2], {})", p), "save"},
      {fmt::format("load({})", p), "load"},
      {fmt::format("save_cache({})", p), "save_cache"},
      {fmt::format("load_cache({})", p), "load_cache"}};
  for (const auto& [call, name] : calls) {
    EXPECT_EQ(run(vm, call),
              fmt::format("OSError: {}(): file access is disabled (InterpreterLimits::file_access)",
                          name));
    EXPECT_FALSE(std::filesystem::exists(path)) << call;
  }
  vm.limits().file_access = true;
  EXPECT_EQ(run(vm, fmt::format("save([1, 2], {0})\nassert load({0}) == [1, 2]", p)), "");
  std::filesystem::remove(path);
}

TEST(HostLimits, TensorMemoryPastTheLimitIsAMemoryErrorAndFreedMemoryCountsBack) {
  const std::size_t before = tensor_memory_in_use();
  set_tensor_memory_limit(before + (std::size_t{8} << 20));
  {
    Interpreter vm([](std::string_view) {});
    EXPECT_EQ(run(vm, "a = zeros(1024, 1024)\nb = zeros(1024, 1024)\nc = zeros(1024, 1024)"),
              "MemoryError: cannot allocate 4194304 bytes for a float32 tensor of size "
              "[1024, 1024]");
    EXPECT_EQ(tensor_memory_in_use(), before + (std::size_t{8} << 20));
  }
  // The interpreter took its module's tensors with it; small tensors never fail.
  EXPECT_EQ(tensor_memory_in_use(), before);
  {
    Interpreter vm([](std::string_view) {});
    EXPECT_EQ(run(vm, "t = zeros(1024, 1024)\nu = ones(1024, 1024)\ns = ones(3).sum()"), "");
    EXPECT_EQ(run(vm, "t = zeros(4096, 4096)"),
              "MemoryError: cannot allocate 67108864 bytes for a float32 tensor of size "
              "[4096, 4096]");
  }
  set_tensor_memory_limit(0);
  Interpreter vm([](std::string_view) {});
  EXPECT_EQ(run(vm, "t = zeros(4096, 4096)"), "");
}

TEST(HostLimits, RepetitionsPastTheRepeatLimitAreAMemoryError) {
  set_repeat_limit(1000);
  Interpreter vm([](std::string_view) {});
  EXPECT_EQ(run(vm, "a = [1, 2] * 499\nb = (0,) * 999\nc = 'ab' * 3999"), "");
  EXPECT_EQ(run(vm, "a = [1, 2] * 500"), "MemoryError: repeated list would be too large");
  EXPECT_EQ(run(vm, "b = (0,) * 1000"), "MemoryError: repeated tuple would be too large");
  EXPECT_EQ(run(vm, "c = 'ab' * 4000"), "MemoryError: repeated string would be too large");
  EXPECT_EQ(run(vm, "d = [0]\nd *= 1000"), "MemoryError: repeated list would be too large");
  // Empty sequences repeat to empty at once, whatever the count (found by fuzz_c_api: the
  // copy loop ran the count out, a hang under ASan).
  EXPECT_EQ(run(vm, "e = [] * 9223372036854775807\nf = '' * 9223372036854775807\n"
                    "assert e == [] and f == ''"),
            "");
  set_repeat_limit(int64_t{1} << 36);
  EXPECT_EQ(run(vm, "a = [1, 2] * 500"), "");
}


// A compiled loop whose body breaks the graph on every pass runs the VM one instruction at a
// time between graph runs; the step budget and the interrupt flag still stop it (they were
// only looked at between longer VM runs, so such a loop ran forever; found by fuzz_script).
constexpr std::string_view kEndlessCompiledLoop = R"(
@compile
def spin(x):
    while True:
        x = x + 0
        if x.sum() > 20:
            break
    return x

spin(zeros(1))
)";

TEST(HostLimits, StepBudgetStopsACompiledLoopThatBreaksOnEveryPass) {
  Interpreter vm([](std::string_view) {});
  vm.limits().step_budget = 5'000;
  EXPECT_EQ(run(vm, std::string(kEndlessCompiledLoop)),
            "RuntimeError: step budget of 5000 instructions exhausted");
  EXPECT_GE(vm.compile_stats().graphs, 1);
}

TEST(HostLimits, InterruptStopsACompiledLoopThatBreaksOnEveryPass) {
  Interpreter vm([](std::string_view) {});
  std::thread stopper([&vm] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    vm.interrupt();
  });
  EXPECT_EQ(run(vm, std::string(kEndlessCompiledLoop)), "KeyboardInterrupt");
  stopper.join();
}

}  // namespace
