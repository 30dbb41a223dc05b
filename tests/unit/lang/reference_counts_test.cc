// Every way a VM instruction can end (fast paths, slow paths, jumps, calls made inside the
// loop, exceptions unwinding frames) releases the references it took: a shared object's count
// is back where it started after a program has passed it through all of them many times.
#include <gtest/gtest.h>

#include "interp/interpreter.h"
#include "lang/compiler.h"

using namespace gyro;

namespace {

constexpr std::string_view kProgram = R"(
class Box:
    def __init__(self, item):
        self.item = item

    def get(self):
        return self.item


def echo(x):
    return x


def fails(x):
    raise ValueError(x)


def run(shared):
    box = Box(shared)
    for i in range(50):
        if shared:
            pass
        while not shared:
            pass
        x = shared if i % 2 else echo(shared)
        y = box.get()
        box.item = y
        z = [shared, x][0] and shared or x
        for item in [shared]:
            w = item
        try:
            fails(shared)
        except ValueError as e:
            v = e
        keyed = {'k': shared}['k']
        t = (shared, shared)
    return 'done'
)";

TEST(ReferenceCounts, ProgramsReleaseEveryReferenceTheyTake) {
  Interpreter vm;
  auto code = lang::compile_source(kProgram, "counts.gy");
  ASSERT_TRUE(code.ok()) << code.error().to_string();
  auto globals = vm.run_module(Module{"counts", *code});
  ASSERT_TRUE(globals.has_value()) << vm.format_exception(vm.exception());
  auto run = globals->as<DictObject>().table.get(make_str("run"));
  ASSERT_TRUE(run.ok() && run->has_value());
  Value shared = make_list({Value::integer(1)});
  ASSERT_EQ(shared.as_object()->use_count(), 1);
  auto result = vm.call(**run, std::vector<Value>{shared});
  ASSERT_TRUE(result.has_value()) << vm.format_exception(vm.exception());
  EXPECT_EQ(shared.as_object()->use_count(), 1);
}

}  // namespace
