// The fx-style code printer, value names and Graphviz dot output, compared as exact strings.
#include <string>
#include <vector>

#include "ir/graph_builder.h"
#include "ir/graph_printer.h"
#include "tests/unit/test_support.h"

using namespace gyro;
using namespace gyro::testing;

namespace {

TensorMeta meta(DType dtype, Dims sizes) {
  return {dtype, sizes, false};
}

TEST(GraphPrinter, MetaStrings) {
  EXPECT_EQ(meta_to_string(meta(DType::Float32, {3, 4})), "f32[3, 4]");
  EXPECT_EQ(meta_to_string(meta(DType::Float64, {})), "f64[]");
  EXPECT_EQ(meta_to_string(meta(DType::Int64, {0})), "i64[0]");
  EXPECT_EQ(meta_to_string(meta(DType::Bool, {2, 1})), "b8[2, 1]");
}

TEST(GraphPrinter, ElementwiseChain) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", meta(DType::Float32, {3, 4}));
  ValueId y = b.placeholder("y", meta(DType::Float32, {4}));
  ValueId add = b.call1(OpKind::add, {x, y}).value();
  ValueId relu = b.call1(OpKind::relu, {add}).value();
  b.set_outputs({relu});
  EXPECT_EQ(print_graph(b.finish()),
            "def forward(x: \"f32[3, 4]\", y: \"f32[4]\"):\n"
            "    add: \"f32[3, 4]\" = gyro.add(x, y)\n"
            "    relu: \"f32[3, 4]\" = gyro.relu(add)\n"
            "    return (relu,)\n");
}

TEST(GraphPrinter, NamesAreUniqueAndAttributesAreKeywords) {
  GraphBuilder b;
  ValueId w = b.placeholder("self.linear.weight", meta(DType::Float32, {2, 3}));
  ValueId x = b.placeholder("xs[0]", meta(DType::Float32, {3}));
  ValueId g = b.placeholder("gyro", meta(DType::Float32, {3}));
  ValueId t =
      b.call1(OpKind::mul, {x, b.constant(Tensor::scalar(0.5, DType::Float64, true))}).value();
  ValueId t2 = b.call1(OpKind::mul, {t, g}).value();
  ValueId s = b.call1(OpKind::sum, {w}, {L({1})}, {{"keepdim", B(true)}}).value();
  ValueId s2 = b.call1(OpKind::sum, {t2}).value();
  ValueId c = b.call1(OpKind::to, {s2}, {DT(DType::Float64)}).value();
  ValueId act = b.call1(OpKind::gelu, {w}, {Attr::string("tanh")}).value();
  ValueId clamp = b.call1(OpKind::clamp, {t}, {}, {{"max", I(2)}}).value();
  b.set_outputs({s, c, act, clamp, x});
  EXPECT_EQ(print_graph(b.finish(), "fn"),
            "def fn(self_linear_weight: \"f32[2, 3]\", xs_0: \"f32[3]\", gyro_1: \"f32[3]\"):\n"
            "    mul: \"f32[3]\" = gyro.mul(xs_0, 0.5)\n"
            "    mul_1: \"f32[3]\" = gyro.mul(mul, gyro_1)\n"
            "    sum: \"f32[2, 1]\" = gyro.sum(self_linear_weight, dim=[1], keepdim=True)\n"
            "    sum_1: \"f32[]\" = gyro.sum(mul_1)\n"
            "    to: \"f64[]\" = gyro.to(sum_1, dtype=gyro.float64)\n"
            "    gelu: \"f32[2, 3]\" = gyro.gelu(self_linear_weight, approximate='tanh')\n"
            "    clamp: \"f32[3]\" = gyro.clamp(mul, max=2)\n"
            "    return (sum, to, gelu, clamp, xs_0)\n");
}

TEST(GraphPrinter, MultiOutputCallsAndConstants) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", meta(DType::Float32, {5}));
  auto parts = b.call(OpKind::chunk, std::vector<ValueId>{x}, std::vector<Attr>{I(2)}).value();
  ValueId c = b.constant(Tensor::from_vector<int64_t>({1, 2, 3, 4}, {2, 2}).value());
  ValueId big = b.constant(iota({20}));
  ValueId flag = b.constant(Tensor::scalar(1, DType::Bool, true));
  ValueId masked = b.call1(OpKind::mul, {parts[1], flag}).value();
  b.set_outputs({parts[0], masked, c, big});
  EXPECT_EQ(print_graph(b.finish()),
            "def forward(x: \"f32[5]\"):\n"
            "    chunk = gyro.chunk(x, chunks=2)\n"
            "    getitem: \"f32[3]\" = chunk[0]\n"
            "    getitem_1: \"f32[2]\" = chunk[1]\n"
            "    const: \"i64[2, 2]\" = gyro.tensor([[1, 2], [3, 4]])\n"
            "    const_1: \"f32[20]\" = self.const_1\n"
            "    mul: \"f32[2]\" = gyro.mul(getitem_1, True)\n"
            "    return (getitem, mul, const, const_1)\n");
}

TEST(GraphPrinter, EmptyGraphAndValueNames) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", meta(DType::Float32, {}));
  b.set_outputs({});
  Graph g = b.finish();
  EXPECT_EQ(print_graph(g), "def forward(x: \"f32[]\"):\n    return ()\n");
  EXPECT_EQ(value_names(g), std::vector<std::string>{"x"});
  (void)x;
}

TEST(GraphPrinter, Dot) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", meta(DType::Float32, {4}));
  auto parts = b.call(OpKind::split, std::vector<ValueId>{x}, std::vector<Attr>{I(2)}).value();
  ValueId sum = b.call1(OpKind::add, {parts[0], parts[1]}).value();
  ValueId out = b.call1(OpKind::mul, {sum, b.constant(Tensor::integer(3, true))}).value();
  b.set_outputs({out, x});
  EXPECT_EQ(graph_to_dot(b.finish()),
            "digraph forward {\n"
            "  node [shape=box, fontname=\"monospace\"];\n"
            "  n0 [label=\"x\\nf32[4]\", shape=ellipse];\n"
            "  n1 [label=\"split = gyro.split(x, split_size=2)\\nf32[2], f32[2]\"];\n"
            "  n2 [label=\"add = gyro.add(getitem, getitem_1)\\nf32[2]\"];\n"
            "  n3 [label=\"3\", shape=note];\n"
            "  n4 [label=\"mul = gyro.mul(add, 3)\\nf32[2]\"];\n"
            "  n0 -> n1;\n"
            "  n1 -> n2 [label=\"[0]\"];\n"
            "  n1 -> n2 [label=\"[1]\"];\n"
            "  n2 -> n4;\n"
            "  n3 -> n4;\n"
            "  output [label=\"return\", shape=ellipse];\n"
            "  n4 -> output;\n"
            "  n0 -> output;\n"
            "}\n");
}

}  // namespace
