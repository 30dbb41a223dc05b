// The cycle collector: cycles nothing reaches are freed (on its own while a program runs, and
// on request), cycles something still reaches are left whole, and compiled functions' captures
// do not hide the cycles they close.
#include <gtest/gtest.h>

#include <vector>

#include "interp/interpreter.h"
#include "tests/unit/lang/script_program.h"

using namespace gyro;

namespace {

constexpr std::string_view kProgram = R"(
class Node:
    def __init__(self):
        self.me = self
        self.items = [self]

class Child(Node):
    def __init__(self):
        super().__init__()
        self.parent_method = self.get_items

    def get_items(self):
        return self.items

def make_cycles(n):
    for i in range(n):
        a = []
        a.append(a)
        d = {}
        d['d'] = d
        c = Child()
        def inner():
            return inner
    return n

def make_kept():
    kept = [1]
    kept.append(kept)
    return kept

class Scaler(Module):
    def __init__(self):
        super().__init__()
        self.scale = full((4,), 2.0)

    def forward(self, x):
        return x * self.scale

def compiled_modules(n):
    for i in range(n):
        m = Scaler()
        m.forward = compile(m.forward)
        m(ones(4))
    return n

class Holder:
    pass

def compiled_closure():
    holder = Holder()
    holder.scale = 2.0
    def scaled(x):
        return x * holder.scale
    holder.scaled = scaled
    def run(x):
        return holder.scaled(x)
    holder.fn = compile(run)
    holder.fn(ones(4))

def compiled_closures(n):
    for i in range(n):
        compiled_closure()
    return n
)";

Value call(ScriptProgram& program, const char* name, std::vector<Value> args) {
  auto result = program.vm.call(program.global(name), args);
  EXPECT_TRUE(result.has_value()) << program.vm.format_exception(program.vm.exception());
  return result ? *result : Value();
}

TEST(CycleCollector, FreesTheCyclesNothingReaches) {
  ScriptProgram program(kProgram, "cycles");
  call(program, "make_cycles", {Value::integer(10)});
  program.vm.collect_cycles();
  const int64_t baseline = program.vm.cycle_heap().tracked();
  // Each iteration leaves a list, a dict, a Child (its dicts, a bound method) and a function
  // with its closure on cycles: several objects that reference counting alone never frees.
  call(program, "make_cycles", {Value::integer(100)});
  EXPECT_GE(program.vm.cycle_heap().tracked(), baseline + 500);
  EXPECT_GE(program.vm.collect_cycles(), 500);
  EXPECT_EQ(program.vm.cycle_heap().tracked(), baseline);
  EXPECT_EQ(program.vm.collect_cycles(), 0);
}

TEST(CycleCollector, RunsOnItsOwnWhileAProgramMakesGarbage) {
  ScriptProgram program(kProgram, "cycles");
  const int64_t collections = program.vm.cycle_heap().collections();
  // 20000 iterations leave over 100000 objects on cycles; the VM collects every 10000 or so
  // container allocations, so far fewer are ever tracked at once.
  call(program, "make_cycles", {Value::integer(20000)});
  EXPECT_GT(program.vm.cycle_heap().collections(), collections + 5);
  EXPECT_LT(program.vm.cycle_heap().tracked(), 40000);
}

TEST(CycleCollector, LeavesReachableCyclesWhole) {
  ScriptProgram program(kProgram, "cycles");
  Value kept = call(program, "make_kept", {});
  ASSERT_TRUE(kept.is(ObjectKind::List));
  EXPECT_EQ(kept.as_object()->use_count(), 2);  // the host's and its own
  program.vm.collect_cycles();
  const auto& items = kept.as<ListObject>().items;
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].as_int(), 1);
  EXPECT_TRUE(identical(items[1], kept));
  EXPECT_EQ(kept.as_object()->use_count(), 2);
  // Classes and functions the module's globals hold survive too, and still work.
  call(program, "make_cycles", {Value::integer(3)});
}

TEST(CycleCollector, SeesTheCyclesCompiledCapturesClose) {
  // A module whose forward is compiled in place: the compiled function's capture guards the
  // module by identity, so the capture holds the module that holds the compiled function.
  ScriptProgram program(kProgram, "cycles");
  call(program, "compiled_modules", {Value::integer(2)});
  program.vm.collect_cycles();
  const int64_t baseline = program.vm.cycle_heap().tracked();
  call(program, "compiled_modules", {Value::integer(20)});
  EXPECT_GE(program.vm.collect_cycles(), 20);
  EXPECT_EQ(program.vm.cycle_heap().tracked(), baseline);
  // A compiled closure over an object that holds it, calling a function of that object: the
  // capture keeps the function it inlined (guarded by identity), which closes over the object.
  call(program, "compiled_closures", {Value::integer(2)});
  program.vm.collect_cycles();
  const int64_t closures_baseline = program.vm.cycle_heap().tracked();
  call(program, "compiled_closures", {Value::integer(20)});
  EXPECT_GE(program.vm.collect_cycles(), 20);
  EXPECT_EQ(program.vm.cycle_heap().tracked(), closures_baseline);
}

TEST(CycleCollector, ValuesTheHostHoldsOutliveTheInterpreter) {
  Value kept, function;
  {
    ScriptProgram program(kProgram, "cycles");
    kept = call(program, "make_kept", {});
    function = program.global("make_cycles");
  }
  // The interpreter emptied what its modules reached (a function's globals), as CPython
  // clears its modules at exit, so the function no longer keeps the module alive...
  ASSERT_TRUE(function.is(ObjectKind::Function));
  EXPECT_EQ(function.as<FunctionObject>().globals.as<DictObject>().table.size(), 0u);
  // ...and left the host's own list whole and untracked: breaking its cycle is the host's
  // part (LeakSanitizer checks that nothing else is left).
  ASSERT_TRUE(kept.is(ObjectKind::List));
  ASSERT_EQ(kept.as<ListObject>().items.size(), 2u);
  EXPECT_TRUE(identical(kept.as<ListObject>().items[1], kept));
  kept.as<ListObject>().items.clear();
}

}  // namespace
