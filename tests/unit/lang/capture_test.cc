// The symbolic evaluator on compiled gyro script: what it captures, which guards it records
// (only on what the trace read), and why it stops.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "interp/python_ops.h"
#include "interp/tracer.h"
#include "lang/compiler.h"
#include "lang/prelude.h"
#include "tests/unit/lang/script_program.h"

using namespace gyro;

namespace {

struct Traced : ScriptProgram {
  explicit Traced(std::string_view source) : ScriptProgram(source, "capture") {}
  std::variant<Capture, TraceStop> trace(const std::string& function, std::vector<Value> locals) {
    return trace_frame(vm, global(function), locals);
  }
};

Value tensor_of(Dims sizes) {
  auto tensor = Tensor::empty(sizes, DType::Float32);
  EXPECT_TRUE(tensor.ok());
  return make_tensor(*tensor);
}

std::vector<std::string> guard_lines(const Capture& capture) {
  std::vector<std::string> lines;
  for (const auto& guard : capture.guards)
    lines.push_back(guards::describe(capture.sources, guard));
  return lines;
}

}  // namespace

TEST(Capture, StraightLineTensorWorkBecomesOneProgram) {
  Traced t(R"(
def f(x, y, scale):
    z = (x + y) * scale
    return relu(z).sum(1), z.shape
)");
  auto traced = t.trace("f", {tensor_of({2, 3}), tensor_of({3}), Value::real(0.5)});
  ASSERT_TRUE(std::holds_alternative<Capture>(traced)) << std::get<TraceStop>(traced).describe();
  const Capture& capture = std::get<Capture>(traced);
  EXPECT_EQ(capture.describe(),
            "def forward(x: \"f32[2, 3]\", y: \"f32[3]\"):\n"
            "    add: \"f32[2, 3]\" = gyro.add(x, y)\n"
            "    mul: \"f32[2, 3]\" = gyro.mul(add, 0.5)\n"
            "    relu: \"f32[2, 3]\" = gyro.relu(mul)\n"
            "    sum: \"f32[2]\" = gyro.sum(relu, dim=[1])\n"
            "    return (sum,)\n");
  EXPECT_EQ(capture.inputs.size(), 2u);
  // The float argument is baked in, so it is guarded; the builtin relu by identity.
  EXPECT_EQ(
      guard_lines(capture),
      (std::vector<std::string>{
          "ID_MATCH relu: builtin_function_or_method", "CONSTANT_MATCH scale == 0.5",
          "TENSOR_MATCH x: float32[2, 3] stride=[3, 1]", "TENSOR_MATCH y: float32[3] stride=[1]"}));
}

TEST(Capture, GuardsOnlyWhatTheTraceRead) {
  Traced t(R"(
def f(x, unused, flag):
    if flag:
        return x * 2
    return x
)");
  auto traced = t.trace("f", {tensor_of({4}), tensor_of({4}), Value::boolean(true)});
  ASSERT_TRUE(std::holds_alternative<Capture>(traced));
  EXPECT_EQ(guard_lines(std::get<Capture>(traced)),
            (std::vector<std::string>{"CONSTANT_MATCH flag == True",
                                      "TENSOR_MATCH x: float32[4] stride=[1]"}));
}

TEST(Capture, ModulesAreInlinedThroughTheirAttributes) {
  Traced t(R"(
manual_seed(0)
model = Sequential(Linear(3, 2), ReLU())

def run(m, x):
    return m(x)
)");
  auto traced = t.trace("run", {t.global("model"), tensor_of({5, 3})});
  ASSERT_TRUE(std::holds_alternative<Capture>(traced)) << std::get<TraceStop>(traced).describe();
  const Capture& capture = std::get<Capture>(traced);
  EXPECT_EQ(capture.describe(),
            "def forward(x: \"f32[5, 3]\", m__order_0_bias: \"f32[2]\", "
            "m__order_0_weight: \"f32[2, 3]\"):\n"
            "    linear: \"f32[5, 2]\" = gyro.linear(x, m__order_0_weight, m__order_0_bias)\n"
            "    relu: \"f32[5, 2]\" = gyro.relu(linear)\n"
            "    return (relu,)\n");
  auto lines = guard_lines(capture);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "LENGTH len(m._order) == 2"), lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(),
                      "TENSOR_MATCH m._order[0].weight: float32[2, 3] stride=[3, 1]"),
            lines.end());
}

TEST(Capture, StopsSayWhyAndWhere) {
  Traced t(R"(
def branchy(x):
    if x.sum() > 0:
        return x
    return x + 1

def item(x):
    return x.sum().item()

def broken(x):
    graph_break()
    return x

def out_of_range(x):
    y = x * 2
    return y.shape[5]
)");
  // After tensor work, a break ends the capture there: the VM resumes at the instruction.
  auto expect_break = [&](const std::string& fn, const std::string& reason, int line) {
    auto traced = t.trace(fn, {tensor_of({2})});
    ASSERT_TRUE(std::holds_alternative<Capture>(traced)) << fn;
    const Capture& capture = std::get<Capture>(traced);
    EXPECT_GE(capture.resume_pc, 0) << fn;
    EXPECT_GE(capture.graph.num_calls(), 1) << fn;
    EXPECT_NE(capture.break_reason.find(reason), std::string::npos) << capture.break_reason;
    EXPECT_NE(capture.break_reason.find(fmt::format(":{})", line)), std::string::npos)
        << capture.break_reason;
  };
  expect_break("branchy", "DataDependentBranch", 3);
  expect_break("item", "TensorToPython", 8);
  // Before any tensor work the break still ends a capture (an empty graph), as a Dynamo
  // resume function follows one: the code after the break is traced at its resume point.
  auto traced = t.trace("broken", {tensor_of({2})});
  ASSERT_TRUE(std::holds_alternative<Capture>(traced));
  EXPECT_EQ(std::get<Capture>(traced).graph.num_calls(), 0);
  EXPECT_GE(std::get<Capture>(traced).resume_pc, 0);
  EXPECT_NE(std::get<Capture>(traced).break_reason.find("GraphBreakCall"), std::string::npos);
  EXPECT_NE(std::get<Capture>(traced).break_reason.find(":11)"), std::string::npos);
  // A user error, even after tensor work, leaves the frame to the VM, which raises it.
  auto failed = t.trace("out_of_range", {tensor_of({2})});
  ASSERT_TRUE(std::holds_alternative<TraceStop>(failed));
  EXPECT_EQ(std::get<TraceStop>(failed).reason, BreakReason::UserError);
  EXPECT_EQ(std::get<TraceStop>(failed).line, 16);
}

// A native function the host added is opaque: the graph breaks at its call and the VM calls
// it, so the compiled result is the VM's.
std::optional<Value> host_double(Interpreter& vm, std::span<const Value> args,
                                 std::span<const KeywordArg>) {
  auto doubled = vm.call(vm.builtins().as<DictObject>().table.get(make_str("mul"))->value(),
                         std::vector<Value>{args[0], Value::integer(2)});
  return doubled;
}

TEST(Capture, HostFunctionsBreakTheGraph) {
  Traced t(R"(
def uses_host(x):
    y = x + 1
    return host_double(y) + 1

fast = compile(uses_host)
)");
  Value host = Value::object(new BuiltinObject("host_double", host_double, Value()));
  ASSERT_TRUE(t.globals.as<DictObject>().table.set(make_str("host_double"), host).ok());
  auto traced = t.trace("uses_host", {tensor_of({2})});
  ASSERT_TRUE(std::holds_alternative<Capture>(traced));
  const Capture& capture = std::get<Capture>(traced);
  EXPECT_NE(capture.break_reason.find("HostFunction"), std::string::npos) << capture.break_reason;
  EXPECT_NE(capture.break_reason.find("host_double()"), std::string::npos);
  // Compiled: one graph before the call, one after it; the values are the VM's.
  auto ones = Tensor::from_vector(std::vector<float>{1, 2}, Dims{2});
  ASSERT_TRUE(ones.ok());
  auto result = t.vm.call(t.global("fast"), std::vector<Value>{make_tensor(*ones)});
  ASSERT_TRUE(result) << t.vm.format_exception(t.vm.exception());
  EXPECT_EQ(repr(*result), "tensor([5., 7.])");
}

// A hit on plain positional arguments skips entering a frame; it must agree with the same
// entry reached through a frame (keyword arguments), and meet the recursion limit where a
// frame would.
TEST(CompiledCall, HitsWithoutAFrameAgreeWithHitsThroughOne) {
  Traced t(R"(
def pair(x, y):
    return x + y, y

def plain(x, y):
    return x + y, y

fast = compile(pair)
a = ones(2)
b = arange(2.0)
first = fast(a, b)
hit = fast(a, b)
framed = fast(a, y=b)
same = hit[0].tolist() == framed[0].tolist() and hit[1] is b and framed[1] is b

def nest(f, n):
    if n == 0:
        return f(a, b)
    return nest(f, n - 1)

def deepest(f):
    n = 0
    while True:
        try:
            nest(f, n)
        except RecursionError:
            return n
        n = n + 1

depths = (deepest(plain), deepest(fast))
)");
  EXPECT_TRUE(t.global("same").as_bool());
  const auto& depths = t.global("depths").as<TupleObject>().items;
  EXPECT_EQ(depths[0].as_int(), depths[1].as_int());
}
