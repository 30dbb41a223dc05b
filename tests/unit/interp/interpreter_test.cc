// The reference VM's host-facing behaviour: limits, interrupts, errors and calls from C++.
#include <gtest/gtest.h>

#include <thread>

#include "interp/interpreter.h"
#include "interp/python_ops.h"
#include "ir/assembler.h"

using namespace gyro;

namespace {

Module assemble_module(std::string_view text) {
  auto code = assemble(text, "test.gya");
  EXPECT_TRUE(code.ok()) << code.error().to_string();
  return Module{"test", code.ok() ? *code : nullptr};
}

// while True: try: pass  except Exception: pass  -- an endless loop that catches everything.
constexpr std::string_view kEndlessLoop = R"(
code #0 '<module>'
  file 'loop.gy' line 1 args 0 flags 0 stack 0
  consts: None
  names: 'Exception'
  locals:
  cells:
  frees:
   1     0 SETUP_EXCEPT 3
         1 POP_BLOCK
         2 JUMP 0
   2     3 LOAD_GLOBAL Exception
         4 CHECK_EXC_MATCH
         5 POP_JUMP_IF_FALSE 8
         6 POP_EXCEPT
         7 JUMP 0
         8 RERAISE
end
)";

// def f(): return f()  ;  f()
constexpr std::string_view kInfiniteRecursion = R"(
code #0 '<module>'
  file 'rec.gy' line 1 args 0 flags 0 stack 0
  consts: <code #1 f>
  names: 'f'
  locals:
  cells:
  frees:
   1     0 LOAD_CONST 0
         1 MAKE_FUNCTION 0
         2 STORE_GLOBAL f
   2     3 LOAD_GLOBAL f
         4 CALL 0
         5 RETURN_VALUE
end
code #1 'f'
  file 'rec.gy' line 3 args 0 flags 0 stack 0
  consts:
  names: 'f'
  locals:
  cells:
  frees:
   4     0 LOAD_GLOBAL f
         1 CALL 0
         2 RETURN_VALUE
end
)";

// def f(x): return f(x=x): calls by keyword go through the C++ call path (script-to-script
// positional calls run inside the loop and use no native stack).
constexpr std::string_view kNativeRecursion = R"(
code #0 '<module>'
  file 'rec.gy' line 1 args 0 flags 0 stack 0
  consts: <code #1 f>, 1, 'x'
  names: 'f'
  locals:
  cells:
  frees:
   1     0 LOAD_CONST 0
         1 MAKE_FUNCTION 0
         2 STORE_GLOBAL f
   2     3 LOAD_GLOBAL f
         4 LOAD_CONST 1
         5 CALL 1
         6 RETURN_VALUE
end
code #1 'f'
  file 'rec.gy' line 3 args 1 flags 0 stack 0
  consts: 'x'
  names: 'f'
  locals: 'x'
  cells:
  frees:
   4     0 LOAD_GLOBAL f
         1 LOAD_FAST x
         2 LOAD_CONST 0
         3 BUILD_TUPLE 1
         4 CALL_KW 1
         5 RETURN_VALUE
end
)";

}  // namespace

TEST(Interpreter, StepBudgetStopsARunThatCatchesEverything) {
  Interpreter vm;
  vm.limits().step_budget = 10'000;
  Module module = assemble_module(kEndlessLoop);
  EXPECT_FALSE(vm.run_module(module).has_value());
  EXPECT_EQ(type_name(vm.exception()), "RuntimeError");
  EXPECT_EQ(str(vm.exception()), "step budget of 10000 instructions exhausted");
}

TEST(Interpreter, InterruptFromAnotherThreadStopsTheRun) {
  Interpreter vm;
  Module module = assemble_module(kEndlessLoop);
  std::thread stopper([&vm] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    vm.interrupt();
  });
  EXPECT_FALSE(vm.run_module(module).has_value());
  stopper.join();
  EXPECT_EQ(type_name(vm.exception()), "KeyboardInterrupt");
}

TEST(Interpreter, RecursionLimitRaisesRecursionError) {
  Interpreter vm;
  vm.limits().max_call_depth = 50;
  Module module = assemble_module(kInfiniteRecursion);
  EXPECT_FALSE(vm.run_module(module).has_value());
  Error error = vm.exception_as_error();
  EXPECT_EQ(error.kind, ErrorKind::RecursionError);
  EXPECT_EQ(error.message, "maximum recursion depth exceeded");
  std::string traceback = vm.format_exception(vm.exception());
  EXPECT_EQ(
      traceback.rfind("RecursionError: maximum recursion depth exceeded\n"),
      traceback.size() - std::string("RecursionError: maximum recursion depth exceeded\n").size());
  EXPECT_NE(traceback.find("File \"rec.gy\", line 4, in f"), std::string::npos);
}

TEST(Interpreter, NativeStackBudgetRaisesRecursionErrorBeforeAnOverflow) {
  // A host thread with a small stack lowers max_stack_bytes; recursion then stops cleanly.
  Interpreter vm;
  vm.limits().max_stack_bytes = 64 << 10;
  Module module = assemble_module(kNativeRecursion);
  EXPECT_FALSE(vm.run_module(module).has_value());
  EXPECT_EQ(vm.exception_as_error().kind, ErrorKind::RecursionError);
  // Far fewer frames than max_call_depth allows: the byte budget stopped it.
  EXPECT_LT(vm.exception().as<InstanceObject>().traceback.size(), 1000u);
}

TEST(Interpreter, HostsCallScriptFunctionsWithKeywords) {
  Interpreter vm;
  // def scale(x, factor=2): return x * factor
  Module module = assemble_module(R"(
code #0 '<module>'
  file 'host.gy' line 1 args 0 flags 0 stack 0
  consts: 2, <code #1 scale>, None
  names: 'scale'
  locals:
  cells:
  frees:
   1     0 LOAD_CONST 0
         1 BUILD_TUPLE 1
         2 LOAD_CONST 1
         3 MAKE_FUNCTION 1
         4 STORE_GLOBAL scale
         5 LOAD_CONST 2
         6 RETURN_VALUE
end
code #1 'scale'
  file 'host.gy' line 1 args 2 flags 0 stack 0
  consts:
  names:
  locals: 'x', 'factor'
  cells:
  frees:
   1     0 LOAD_FAST x
         1 LOAD_FAST factor
         2 BINARY_OP *
         3 RETURN_VALUE
end
)");
  auto globals = vm.run_module(module);
  ASSERT_TRUE(globals.has_value());
  auto scale = globals->as<DictObject>().table.get(make_str("scale"));
  ASSERT_TRUE(scale.ok() && scale->has_value());
  const Value args[] = {Value::integer(21)};
  auto doubled = vm.call(**scale, args);
  ASSERT_TRUE(doubled.has_value());
  EXPECT_EQ(doubled->as_int(), 42);
  const KeywordArg kwargs[] = {{"factor", Value::integer(3)}};
  auto tripled = vm.call(**scale, args, kwargs);
  ASSERT_TRUE(tripled.has_value());
  EXPECT_EQ(tripled->as_int(), 63);
  const KeywordArg wrong[] = {{"scale", Value::integer(3)}};
  EXPECT_FALSE(vm.call(**scale, args, wrong).has_value());
  EXPECT_EQ(str(vm.exception()), "scale() got an unexpected keyword argument 'scale'");
  EXPECT_FALSE(vm.call(**scale, {}).has_value());
  EXPECT_EQ(str(vm.exception()), "scale() missing 1 required positional argument: 'x'");
}

TEST(Interpreter, PrintGoesToTheHostWriter) {
  std::string captured;
  Interpreter vm([&](std::string_view text) { captured += text; });
  auto print = vm.builtins().as<DictObject>().table.get(make_str("print"));
  ASSERT_TRUE(print.ok() && print->has_value());
  const Value args[] = {make_str("a"), Value::integer(1), Value::real(0.5)};
  const KeywordArg kwargs[] = {{"sep", make_str("-")}, {"end", make_str("!")}};
  ASSERT_TRUE(vm.call(**print, args, kwargs).has_value());
  EXPECT_EQ(captured, "a-1-0.5!");
}
