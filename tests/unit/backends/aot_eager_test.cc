// aot_eager (decompositions, then eager) against the eager backend, op by op and on a block.
#include <cmath>
#include <vector>

#include "backends/backend.h"
#include "ir/graph_builder.h"
#include "ir/passes.h"
#include "tests/unit/backends/test_util.h"

using namespace gyro;
using namespace gyro::testing;

namespace {

// The documented tolerance of aot_eager against eager: decompositions reorder sums and
// divide where the fused kernels multiply by a reciprocal, so float32 results agree to a few
// ulps (relative 1e-5, plus 1e-6 absolute near zero); float64 to 1e-12.
::testing::AssertionResult close(const Tensor& got, const Tensor& want) {
  if (got.dtype() != want.dtype() || got.sizes() != want.sizes())
    return ::testing::AssertionFailure() << got.to_string() << " vs " << want.to_string();
  const double rel = got.dtype() == DType::Float64 ? 1e-12 : 1e-5;
  auto a = got.to_vector<double>(), b = want.to_vector<double>();
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!(std::abs(a[i] - b[i]) <= rel * std::abs(b[i]) + rel / 10) &&
        !(std::isnan(a[i]) && std::isnan(b[i])))
      return ::testing::AssertionFailure() << "at " << i << ": " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

struct Compared {
  std::vector<Tensor> eager, aot;
  int aot_calls = 0;
};

Compared compare(const Graph& g, const std::vector<Tensor>& inputs) {
  Compared result;
  result.eager = compile_graph("eager", g, inputs).value().run(inputs).value();
  result.aot = compile_graph("aot_eager", g, inputs).value().run(inputs).value();
  return result;
}

// A graph of one call of `op` on placeholders shaped like `inputs`.
Graph one_call(OpKind op, const std::vector<Tensor>& inputs, std::vector<Attr> attrs = {},
               std::vector<NamedAttr> named = {}) {
  GraphBuilder b;
  std::vector<ValueId> values;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    values.push_back(
        b.placeholder("in" + std::to_string(i), {inputs[i].dtype(), inputs[i].sizes(), false}));
  b.set_outputs({b.call1(op, values, attrs, named).value()});
  return b.finish();
}

void expect_decomposed_close(OpKind op, const std::vector<Tensor>& inputs,
                             std::vector<Attr> attrs = {}, std::vector<NamedAttr> named = {}) {
  Graph g = one_call(op, inputs, attrs, named);
  Graph lowered = run_passes(g, {"decompose", "dce"}).value();
  for (const Node& node : lowered.nodes())
    EXPECT_FALSE(node.kind == NodeKind::kCall && node.op == op) << op_name(op) << " remained";
  Compared c = compare(g, inputs);
  EXPECT_TRUE(close(c.aot.at(0), c.eager.at(0))) << op_name(op);
}

TEST(AotEager, Softmax) {
  expect_decomposed_close(OpKind::softmax, {irregular_tensor({4, 9})}, {I(1)});
  expect_decomposed_close(OpKind::softmax, {irregular_tensor({3, 5, 2})}, {I(1)});
  expect_decomposed_close(OpKind::softmax, {irregular_tensor({4, 9}, 0, DType::Float64)}, {I(0)});
}

TEST(AotEager, LogSoftmax) {
  expect_decomposed_close(OpKind::log_softmax, {irregular_tensor({4, 9})}, {I(-1)});
  expect_decomposed_close(OpKind::log_softmax, {irregular_tensor({6, 3}, 1, DType::Float64)},
                          {I(0)});
}

TEST(AotEager, LayerNorm) {
  expect_decomposed_close(OpKind::layer_norm, {irregular_tensor({5, 8})}, {L({8})});
  expect_decomposed_close(OpKind::layer_norm,
                          {irregular_tensor({2, 3, 4}), irregular_tensor({3, 4}, 1)}, {L({3, 4})});
  expect_decomposed_close(
      OpKind::layer_norm,
      {irregular_tensor({4, 6}, 0, DType::Float64), irregular_tensor({6}, 1, DType::Float64),
       irregular_tensor({6}, 2, DType::Float64)},
      {L({6})}, {{"eps", F(1e-3)}});
}

TEST(AotEager, GeluTanhSiluLinearStdFlatten) {
  expect_decomposed_close(OpKind::gelu, {irregular_tensor({3, 7})}, {Attr::string("tanh")});
  expect_decomposed_close(OpKind::silu, {irregular_tensor({3, 7})});
  expect_decomposed_close(OpKind::linear, {irregular_tensor({4, 6}), irregular_tensor({3, 6}, 1)});
  expect_decomposed_close(OpKind::linear, {irregular_tensor({2, 4, 6}), irregular_tensor({3, 6}, 1),
                                           irregular_tensor({3}, 2)});
  expect_decomposed_close(OpKind::std, {irregular_tensor({4, 6})}, {L({1})});
  expect_decomposed_close(OpKind::flatten, {irregular_tensor({2, 3, 4})}, {I(1)});
}

TEST(AotEager, ExactWhereTheArithmeticIsTheSame) {
  // linear is GEMM on the transposed weight view plus the bias, the same arithmetic eager does;
  // silu, std and flatten too.
  for (auto [op, inputs] : std::vector<std::pair<OpKind, std::vector<Tensor>>>{
           {OpKind::linear,
            {irregular_tensor({4, 6}), irregular_tensor({3, 6}, 1), irregular_tensor({3}, 2)}},
           {OpKind::silu, {irregular_tensor({5, 5})}},
           {OpKind::flatten, {irregular_tensor({2, 3})}}}) {
    Compared c = compare(one_call(op, inputs), inputs);
    EXPECT_TRUE(c.aot.at(0).to_vector<double>() == c.eager.at(0).to_vector<double>())
        << op_name(op);
  }
}

TEST(AotEager, TransformerBlock) {
  // layer_norm -> linear -> gelu(tanh) -> linear -> residual add -> softmax
  Tensor x = irregular_tensor({4, 8}), w1 = irregular_tensor({16, 8}, 1),
         b1 = irregular_tensor({16}, 2);
  Tensor w2 = irregular_tensor({8, 16}, 3), b2 = irregular_tensor({8}, 4);
  GraphBuilder b;
  auto ph = [&](const char* name, const Tensor& t) {
    return b.placeholder(name, {t.dtype(), t.sizes(), false});
  };
  ValueId px = ph("x", x), pw1 = ph("w1", w1), pb1 = ph("b1", b1), pw2 = ph("w2", w2),
          pb2 = ph("b2", b2);
  ValueId h = b.call1(OpKind::layer_norm, {px}, {L({8})}).value();
  h = b.call1(OpKind::linear, {h, pw1, pb1}).value();
  h = b.call1(OpKind::gelu, {h}, {Attr::string("tanh")}).value();
  h = b.call1(OpKind::linear, {h, pw2, pb2}).value();
  h = b.call1(OpKind::add, {h, px}).value();
  b.set_outputs({b.call1(OpKind::softmax, {h}, {I(-1)}).value()});
  const std::vector<Tensor> inputs = {x, w1, b1, w2, b2};
  Compared c = compare(b.finish(), inputs);
  EXPECT_TRUE(close(c.aot.at(0), c.eager.at(0)));
}

}  // namespace
