// The C++ wrapper (gyro.hpp): RAII values, calls with C++ arguments, errors as exceptions, host
// functions as std::function.
#include <gtest/gtest.h>

#include <string>

#include "gyro/gyro.hpp"

namespace {

using gyro::embed::Error;
using gyro::embed::Value;
using gyro::embed::Vm;

TEST(CppApi, LoadsCallsAndConverts) {
  Vm vm;
  Value module = vm.load_script("def add(a, b):\n    return a + b\n", "add.gy");
  Value add = module["add"];
  EXPECT_EQ(add(vm.from(40), vm.from(2)).to_int(), 42);
  EXPECT_EQ(add(vm.from("gy"), vm.from("ro")).to_string(), "gyro");
  EXPECT_DOUBLE_EQ(add(vm.from(0.5), vm.from(1)).to_float(), 1.5);
  Value list = vm.list({vm.from(1), vm.from("two")});
  EXPECT_EQ(list.length(), 2);
  EXPECT_EQ(list.repr(), "[1, 'two']");
  Value copy = list;  // a second handle to the same list
  EXPECT_EQ(copy.item(1).to_string(), "two");
}

TEST(CppApi, ErrorsAreExceptionsWithTheirType) {
  Vm vm;
  Value module = vm.load_script("def f(x):\n    return 1 / x\n", "f.gy");
  try {
    module["f"](vm.from(0));
    FAIL() << "no exception";
  } catch (const Error& error) {
    EXPECT_EQ(error.status(), GYRO_ERROR_EXCEPTION);
    EXPECT_EQ(error.exception_type(), "ZeroDivisionError");
    EXPECT_NE(std::string(error.what()).find("division by zero"), std::string::npos);
  }
  EXPECT_THROW(vm.load_script("def (", "broken.gy"), Error);
  EXPECT_THROW(vm.from("x").to_int(), Error);
}

TEST(CppApi, HostFunctionsTakeAndReturnValuesAndRaise) {
  Vm vm;
  vm.set_builtin("greet", vm.host_function("greet", [](Vm& vm, std::span<const Value> args) {
    if (args.size() != 1) throw Error(GYRO_ERROR_EXCEPTION, "greet() takes a name", "TypeError");
    return vm.from("hello " + args[0].to_string());
  }));
  Value module = vm.load_script(
      "def run(name):\n    return greet(name)\n\n"
      "def wrong():\n    try:\n        greet()\n    except TypeError as e:\n"
      "        return str(e)\n",
      "host.gy");
  EXPECT_EQ(module["run"](vm.from("gyro")).to_string(), "hello gyro");
  EXPECT_EQ(module["wrong"]().to_string(), "greet() takes a name");
}

TEST(CppApi, CompilesAndReportsStats) {
  Vm vm;
  Value module = vm.load_script("def f(n):\n    return ones(n).sum()\n", "stats.gy");
  Value compiled = vm.compile(module["f"], {.backend = "eager", .dynamic = 0});
  EXPECT_EQ(compiled(vm.from(3)).repr(), "tensor(3.)");
  EXPECT_EQ(compiled(vm.from(3)).repr(), "tensor(3.)");
  const gyro_stats stats = vm.stats();
  EXPECT_EQ(stats.graphs, 1);
  EXPECT_EQ(stats.cache_hits, 1);
  EXPECT_NE(vm.explain(module["f"], {vm.from(2)}).find("Graph Count: 1"), std::string::npos);
}

}  // namespace
