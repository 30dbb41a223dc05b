// Graph passes: the pass table, run_passes, dead-code elimination and the decomposition pass.
#include <string_view>
#include <vector>

#include "ir/graph_builder.h"
#include "ir/graph_printer.h"
#include "ir/passes.h"
#include "tests/unit/test_support.h"

using namespace gyro;
using namespace gyro::testing;

namespace {

TensorMeta f32(Dims sizes) {
  return {DType::Float32, sizes, false};
}

TEST(Passes, TableListsEveryPassOnce) {
  std::vector<std::string_view> names;
  for (const PassInfo& pass : all_passes()) names.push_back(pass.name);
  EXPECT_EQ(names, (std::vector<std::string_view>{"dce", "decompose"}));
  EXPECT_NE(find_pass("dce"), nullptr);
  EXPECT_EQ(find_pass("nope"), nullptr);
}

TEST(Passes, UnknownPassIsAnError) {
  GraphBuilder b;
  b.set_outputs({b.placeholder("x", f32({2}))});
  EXPECT_TRUE(fails_with(run_passes(b.finish(), {"dce", "fuse"}), ErrorKind::ValueError,
                         "unknown graph pass 'fuse' (known: dce, decompose)"));
}

TEST(Dce, RemovesUnusedCallsAndConstantsKeepsPlaceholders) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", f32({3}));
  ValueId unused_input = b.placeholder("y", f32({3}));
  ValueId dead = b.call1(OpKind::exp, {x}).value();
  b.call1(OpKind::mul, {dead, b.constant(iota({3}))}).value();
  ValueId live = b.call1(OpKind::neg, {x}).value();
  b.set_outputs({live});
  Graph g = run_passes(b.finish(), {"dce"}).value();
  EXPECT_EQ(print_graph(g),
            "def forward(x: \"f32[3]\", y: \"f32[3]\"):\n"
            "    neg: \"f32[3]\" = gyro.neg(x)\n"
            "    return (neg,)\n");
  (void)unused_input;
}

TEST(Dce, KeepsRandomCallsBecauseTheyAdvanceTheGenerator) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", f32({2}));
  b.call1(OpKind::rand, {}, {L({2})}).value();
  ValueId r = b.call1(OpKind::randn, {}, {L({2})}).value();
  b.set_outputs({b.call1(OpKind::add, {x, r}).value()});
  EXPECT_FALSE(eliminate_dead_code(b.graph()).has_value());  // nothing to remove
}

TEST(Dce, KeepsMultiOutputCallsWhenAnyOutputIsUsed) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", f32({4}));
  auto parts = b.call(OpKind::chunk, std::vector<ValueId>{x}, std::vector<Attr>{I(2)}).value();
  b.call1(OpKind::exp, {parts[0]}).value();
  b.set_outputs({parts[1]});
  Graph g = eliminate_dead_code(b.graph()).value();
  EXPECT_EQ(print_graph(g),
            "def forward(x: \"f32[4]\"):\n"
            "    chunk = gyro.chunk(x, chunks=2)\n"
            "    getitem: \"f32[2]\" = chunk[0]\n"
            "    getitem_1: \"f32[2]\" = chunk[1]\n"
            "    return (getitem_1,)\n");
}

TEST(Decompose, SoftmaxBecomesPrimitiveOps) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", f32({2, 3}));
  b.set_outputs({b.call1(OpKind::softmax, {x}, {I(-1)}).value()});
  Graph g = run_passes(b.finish(), {"decompose", "dce"}).value();
  EXPECT_EQ(print_graph(g),
            "def forward(x: \"f32[2, 3]\"):\n"
            "    max: \"f32[2, 1]\" = gyro.max(x, dim=[-1], keepdim=True)\n"
            "    sub: \"f32[2, 3]\" = gyro.sub(x, max)\n"
            "    exp: \"f32[2, 3]\" = gyro.exp(sub)\n"
            "    sum: \"f32[2, 1]\" = gyro.sum(exp, dim=[-1], keepdim=True)\n"
            "    reciprocal: \"f32[2, 1]\" = gyro.reciprocal(sum)\n"
            "    mul: \"f32[2, 3]\" = gyro.mul(exp, reciprocal)\n"
            "    return (mul,)\n");
}

TEST(Decompose, LinearAndLayerNorm) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", f32({4, 3}));
  ValueId w = b.placeholder("w", f32({5, 3}));
  ValueId bias = b.placeholder("b", f32({5}));
  ValueId y = b.call1(OpKind::linear, {x, w, bias}).value();
  b.set_outputs({b.call1(OpKind::layer_norm, {y}, {L({5})}, {{"eps", F(1e-6)}}).value()});
  Graph g = run_passes(b.finish(), {"decompose", "dce"}).value();
  EXPECT_EQ(print_graph(g),
            "def forward(x: \"f32[4, 3]\", w: \"f32[5, 3]\", b: \"f32[5]\"):\n"
            "    transpose: \"f32[3, 5]\" = gyro.transpose(w, dim0=0, dim1=1)\n"
            "    matmul: \"f32[4, 5]\" = gyro.matmul(x, transpose)\n"
            "    add: \"f32[4, 5]\" = gyro.add(matmul, b)\n"
            "    mean: \"f32[4, 1]\" = gyro.mean(add, dim=[-1], keepdim=True)\n"
            "    sub: \"f32[4, 5]\" = gyro.sub(add, mean)\n"
            "    mul: \"f32[4, 5]\" = gyro.mul(sub, sub)\n"
            "    mean_1: \"f32[4, 1]\" = gyro.mean(mul, dim=[-1], keepdim=True)\n"
            "    add_1: \"f32[4, 1]\" = gyro.add(mean_1, 1e-06)\n"
            "    rsqrt: \"f32[4, 1]\" = gyro.rsqrt(add_1)\n"
            "    mul_1: \"f32[4, 5]\" = gyro.mul(sub, rsqrt)\n"
            "    return (mul_1,)\n");
}

TEST(Decompose, KeepsOpsWithoutAPrimitiveForm) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", f32({3}));
  ValueId y = b.call1(OpKind::gelu, {x}).value();  // exact gelu needs erf
  b.set_outputs({b.call1(OpKind::exp, {y}).value()});
  EXPECT_FALSE(decompose_composites(b.graph()).has_value());
}

TEST(Decompose, KeepsLayerNormWithMismatchedWeightDtype) {
  // The eager kernel rejects it at run time; the decomposition must not make it succeed.
  GraphBuilder b;
  ValueId x = b.placeholder("x", f32({2, 3}));
  ValueId w = b.placeholder("w", {DType::Float64, {3}, false});
  b.set_outputs({b.call1(OpKind::layer_norm, {x, w}, {L({3})}).value()});
  Graph g = run_passes(b.finish(), {"decompose", "dce"}).value();
  EXPECT_EQ(g.num_calls(), 1);
  EXPECT_EQ(g.node(2).op, OpKind::layer_norm);
}

}  // namespace
