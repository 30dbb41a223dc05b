// The walls the fuzz targets that run programs put around them: a step budget, a recursion
// limit, no file access, a cap on tensor memory, and print() writing nothing. Anything an
// input does past these walls is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "interp/interpreter.h"
#include "interp/python_ops.h"
#include "ir/storage.h"
#include "lang/prelude.h"

namespace gyro::fuzz {

inline constexpr uint64_t kStepBudget = 100'000;
inline constexpr int kMaxCallDepth = 200;
inline constexpr std::size_t kTensorMemoryLimit = std::size_t{256} << 20;
inline constexpr int64_t kRepeatLimit = int64_t{1} << 20;  // items of one `seq * n`

// A fresh interpreter per input, so that no state (globals, config knobs, marks, the random
// stream) leaks from one input into the next and every finding replays alone.
// `write` hears print() (nothing by default); the prelude (torch.nn's modules) is optional
// since installing it costs more than many inputs' runs.
inline std::unique_ptr<Interpreter> make_sandboxed_interpreter(
    std::function<void(std::string_view)> write = {}, bool prelude = true) {
  static const bool limited =
      (set_tensor_memory_limit(kTensorMemoryLimit), set_repeat_limit(kRepeatLimit), true);
  (void)limited;
  if (!write) write = [](std::string_view) {};
  auto vm = std::make_unique<Interpreter>(std::move(write));
  vm->set_log_callback([](std::string_view) {});
  vm->limits().step_budget = kStepBudget;
  vm->limits().max_call_depth = kMaxCallDepth;
  vm->limits().file_access = false;
  if (prelude) (void)lang::install_prelude(*vm);
  return vm;
}

// Runs a module's code in a sandboxed VM, then again in another with every function compiled
// (compile_all), so the tracer, guards and backends meet what the VM meets.
inline void run_interpreted_and_compiled(const std::shared_ptr<const Code>& code) {
  for (bool compiled : {false, true}) {
    auto vm = make_sandboxed_interpreter();
    vm->compile_config().compile_all = compiled;
    (void)vm->run_module(Module{"fuzz", code});
  }
}

}  // namespace gyro::fuzz
