// Opaque calls (allow_in_graph's node kind) without the VM: built, printed, counted, kept or
// dropped by the passes, and run by the eager and aot_eager backends, with a C++ function.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "backends/backend.h"
#include "backends/eager/eager.h"
#include "ir/graph_builder.h"
#include "ir/graph_printer.h"
#include "ir/passes.h"

using namespace gyro;

namespace {

// twice(x, 2.0): x + x, counting its calls; `wrong_shape` makes it return one element more.
class Twice final : public OpaqueFunction {
 public:
  explicit Twice(bool wrong_shape = false) : wrong_shape_(wrong_shape) {}
  const std::string& name() const override { return name_; }
  std::string format_arguments(std::span<const std::string> inputs) const override {
    return inputs[0] + ", 2.0";
  }
  Expected<std::vector<Tensor>> call(std::span<const Tensor> inputs) const override {
    ++calls;
    if (wrong_shape_) return std::vector<Tensor>{Tensor::empty(Dims{4}, DType::Float32).value()};
    const Tensor both[] = {inputs[0], inputs[0]};
    GYRO_ASSIGN_OR_RETURN(Tensor sum, eager::run1(OpKind::add, both));
    return std::vector<Tensor>{sum};
  }
  mutable int calls = 0;

 private:
  std::string name_ = "twice";
  bool wrong_shape_;
};

const TensorMeta kVector3{DType::Float32, Dims{3}, false};

// x -> twice(x).softmax(0), with a dead twice(x) besides.
Graph make_graph(std::shared_ptr<const OpaqueFunction> function, bool dead_call = false) {
  GraphBuilder builder;
  ValueId x = builder.placeholder("x", kVector3);
  ValueId doubled =
      builder.opaque_call(function, std::vector<ValueId>{x}, std::vector<TensorMeta>{kVector3})[0];
  if (dead_call)
    builder.opaque_call(function, std::vector<ValueId>{x}, std::vector<TensorMeta>{kVector3});
  ValueId soft = builder.call1(OpKind::softmax, {doubled}, {Attr::integer(0)}).value();
  builder.set_outputs({soft});
  return builder.finish();
}

Tensor iota3() {
  return Tensor::from_vector(std::vector<float>{1, 2, 3}, Dims{3}).value();
}

}  // namespace

TEST(OpaqueCall, PrintsAsItsFunctionAndCountsAsACall) {
  Graph graph = make_graph(std::make_shared<Twice>());
  EXPECT_EQ(graph.num_calls(), 2);
  EXPECT_EQ(print_graph(graph),
            "def forward(x: \"f32[3]\"):\n"
            "    twice: \"f32[3]\" = twice(x, 2.0)\n"
            "    softmax: \"f32[3]\" = gyro.softmax(twice, dim=0)\n"
            "    return (softmax,)\n");
  EXPECT_NE(graph_to_dot(graph).find("twice = twice(x, 2.0)"), std::string::npos);
}

TEST(OpaqueCall, EagerAndAotEagerRunTheFunctionOncePerCall) {
  auto twice = std::make_shared<Twice>();
  Graph graph = make_graph(twice, /*dead_call=*/true);
  const Tensor inputs[] = {iota3()};
  for (std::string_view backend : {"eager", "aot_eager"}) {
    auto executable = compile_graph(backend, graph, inputs);
    ASSERT_TRUE(executable.ok()) << executable.error().to_string();
    auto outputs = executable->run(inputs);
    ASSERT_TRUE(outputs.ok()) << outputs.error().to_string();
    const std::vector<Tensor> doubled = {
        eager::run1(OpKind::add, std::vector<Tensor>{iota3(), iota3()}).value()};
    const std::vector<Attr> dim = {Attr::integer(0)};
    Tensor expected = eager::run1(OpKind::softmax, doubled, dim).value();
    EXPECT_EQ((*outputs)[0].to_vector<float>(), expected.to_vector<float>()) << backend;
  }
  // eager runs the dead call too; aot_eager's dce drops it (opaque functions are pure).
  EXPECT_EQ(twice->calls, 3);
}

TEST(OpaqueCall, DceDropsAnUnusedCallAndKeepsTheFunction) {
  auto twice = std::make_shared<Twice>();
  Graph graph = run_passes(make_graph(twice, /*dead_call=*/true), {"dce"}).value();
  EXPECT_EQ(graph.num_calls(), 2);
  EXPECT_EQ(graph.node(1).kind, NodeKind::kOpaqueCall);
  EXPECT_EQ(graph.node(1).opaque.get(), twice.get());
}

TEST(OpaqueCall, AResultOfOtherSizesThanTracedIsARuntimeError) {
  Graph graph = make_graph(std::make_shared<Twice>(/*wrong_shape=*/true));
  const Tensor inputs[] = {iota3()};
  auto outputs = compile_graph("eager", graph, inputs)->run(inputs);
  ASSERT_FALSE(outputs.ok());
  EXPECT_EQ(outputs.error().kind, ErrorKind::RuntimeError);
  EXPECT_EQ(outputs.error().message,
            "twice() (allow_in_graph) returned f32[4] where its traced call returned f32[3]");
}
