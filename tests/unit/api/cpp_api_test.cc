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

namespace {

using gyro::embed::Builder;

TEST(CppApi, BuildsBytecodeFromTheHost) {
  // def clamp_sum(a, b): return a + b if a + b < 10 else 10, built instruction by instruction.
  Builder builder;
  Builder::Code& top = builder.code("<module>");
  Builder::Code& clamp = builder.code("clamp_sum");
  clamp.parameters({"a", "b"});
  clamp.line(2);
  clamp.emit("LOAD_FAST", clamp.local("a"));
  clamp.emit("LOAD_FAST", clamp.local("b"));
  clamp.emit("BINARY_OP", "+");
  clamp.emit("COPY", 1u);
  clamp.emit("LOAD_CONST", clamp.constant(int64_t{10}));
  clamp.emit("COMPARE_OP", "<");
  const size_t jump = clamp.emit("POP_JUMP_IF_FALSE", 0u);
  clamp.emit("RETURN_VALUE");
  clamp.patch(jump, static_cast<uint32_t>(clamp.next_offset()));
  clamp.line(3);
  clamp.emit("POP_TOP");
  clamp.emit("LOAD_CONST", clamp.constant(int64_t{10}));
  clamp.emit("RETURN_VALUE");
  top.emit("LOAD_CONST", top.constant(clamp));
  top.emit("MAKE_FUNCTION", 0u);
  top.emit("STORE_GLOBAL", top.name("clamp_sum"));
  top.emit("LOAD_CONST", top.constant("it's \\ built\n"));
  top.emit("STORE_GLOBAL", top.name("label"));
  top.emit("LOAD_CONST", top.constant_none());
  top.emit("RETURN_VALUE");
  Vm vm;
  Value module = vm.load_built(builder, "built.gya");
  EXPECT_EQ(module["clamp_sum"](vm.from(3), vm.from(4)).to_int(), 7);
  EXPECT_EQ(module["clamp_sum"](vm.from(30), vm.from(4)).to_int(), 10);
  EXPECT_EQ(module["label"].to_string(), "it's \\ built\n");
  // A mistake is the verifier's error, with the place.
  Builder broken;
  Builder::Code& bad = broken.code("<module>");
  bad.emit("POP_TOP");
  bad.emit("RETURN_VALUE");
  try {
    vm.load_built(broken, "broken.gya");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.status(), GYRO_ERROR_SYNTAX);
    EXPECT_NE(std::string(error.what()).find("broken.gya"), std::string::npos) << error.what();
  }
}

}  // namespace
