// GraphBuilder: meta inference, errors, CSE, constant sharing and constant folding.
#include <vector>

#include "ir/graph_builder.h"
#include "tests/unit/test_support.h"

using namespace gyro;
using namespace gyro::testing;

namespace {

TensorMeta f32(Dims sizes) {
  return {DType::Float32, sizes, false};
}

// A folder that records its calls and returns uninitialized tensors of the right meta (ir has
// no kernels; backends' tests fold with the real ones).
struct FakeFolder {
  int calls = 0;
  ConstantFolder folder() {
    return [this](OpKind op, std::span<const Tensor> inputs, const Attrs& attrs) {
      ++calls;
      // Only what the tests fold: unary ops, and zeros (whose first attribute is the size).
      Tensor result =
          inputs.empty()
              ? Tensor::empty(Dims(std::span<const int64_t>(attrs[0].ints)), DType::Float32).value()
              : Tensor::empty(inputs[0].sizes(), inputs[0].dtype()).value();
      return Expected<std::vector<Tensor>>(std::vector<Tensor>{result});
    };
  }
};

TEST(GraphBuilder, InfersMetaOfCalls) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", f32({3, 4}));
  ValueId y = b.placeholder("y", {DType::Int64, {4}, false});
  ValueId sum = b.call1(OpKind::add, {x, y}).value();
  EXPECT_EQ(b.meta(sum).dtype, DType::Float32);
  EXPECT_EQ(b.meta(sum).sizes, (Dims{3, 4}));
  ValueId reduced = b.call1(OpKind::sum, {sum}, {L({1})}, {{"keepdim", B(true)}}).value();
  EXPECT_EQ(b.meta(reduced).sizes, (Dims{3, 1}));
  ValueId cmp = b.call1(OpKind::lt, {x, y}).value();
  EXPECT_EQ(b.meta(cmp).dtype, DType::Bool);
  b.set_outputs({reduced, cmp});
  Graph g = b.finish();
  EXPECT_EQ(g.inputs().size(), 2u);
  EXPECT_EQ(g.producer(g.inputs()[1]).source, "y");
  EXPECT_EQ(g.producer(g.inputs()[1]).input_index, 1);
  EXPECT_EQ(g.outputs().size(), 2u);
  EXPECT_EQ(g.num_calls(), 3);
}

TEST(GraphBuilder, BindsAttributesWithDefaults) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", f32({2, 6}));
  ValueId s = b.call1(OpKind::sum, {x}, {}, {{"dim", I(0)}}).value();
  const Node& node = b.graph().producer(s);
  ASSERT_EQ(node.attrs.size(), 2u);
  EXPECT_EQ(node.attrs[0].kind, AttrKind::kInts);  // a lone int binds as [int]
  EXPECT_EQ(node.attrs[1].kind, AttrKind::kBool);  // keepdim's default
}

TEST(GraphBuilder, MultiOutputCallHasOneValuePerOutput) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", f32({5, 2}));
  auto parts = b.call(OpKind::split, std::vector<ValueId>{x}, std::vector<Attr>{I(2)}).value();
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(b.meta(parts[0]).sizes, (Dims{2, 2}));
  EXPECT_EQ(b.meta(parts[2]).sizes, (Dims{1, 2}));
  EXPECT_EQ(b.graph().output_index(parts[2]), 2);
  EXPECT_EQ(b.graph().producer_index(parts[0]), b.graph().producer_index(parts[2]));
}

TEST(GraphBuilder, InvalidCallsReturnErrors) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", f32({3, 4}));
  ValueId y = b.placeholder("y", f32({5}));
  EXPECT_TRUE(fails_with(b.call1(OpKind::add, {x, y}), ErrorKind::RuntimeError,
                         "must match the size of tensor b"));
  EXPECT_TRUE(fails_with(b.call1(OpKind::relu, {x, y}), ErrorKind::TypeError,
                         "relu() takes 1 tensor argument but 2 were given"));
  EXPECT_TRUE(fails_with(b.call1(OpKind::sum, {x}, {}, {{"dims", I(0)}}), ErrorKind::TypeError,
                         "unexpected keyword argument 'dims'"));
  EXPECT_TRUE(fails_with(b.call1(OpKind::split, {x}, {I(2)}), ErrorKind::TypeError, "call call()"));
  EXPECT_EQ(b.graph().num_calls(), 0);  // failed calls add nothing
}

TEST(GraphBuilder, CseReusesEqualPureCalls) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", f32({3}));
  ValueId y = b.placeholder("y", f32({3}));
  ValueId a = b.call1(OpKind::mul, {x, y}).value();
  EXPECT_EQ(b.call1(OpKind::mul, {x, y}).value(), a);
  EXPECT_NE(b.call1(OpKind::mul, {y, x}).value(), a);  // same inputs in another order: a new call
  ValueId s0 = b.call1(OpKind::sum, {x}, {L({0})}).value();
  EXPECT_EQ(b.call1(OpKind::sum, {x}, {}, {{"dim", I(0)}}).value(), s0);  // binds the same
  EXPECT_NE(b.call1(OpKind::sum, {x}, {L({0}), B(true)}).value(), s0);
  EXPECT_EQ(b.graph().num_calls(), 4);
}

TEST(GraphBuilder, CseSkipsRandomOps) {
  GraphBuilder b;
  ValueId r1 = b.call1(OpKind::rand, {}, {L({3})}).value();
  ValueId r2 = b.call1(OpKind::rand, {}, {L({3})}).value();
  EXPECT_NE(r1, r2);
  ValueId a1 = b.call1(OpKind::add, {r1, r2}).value();
  EXPECT_EQ(b.call1(OpKind::add, {r1, r2}).value(), a1);  // pure ops on random values still merge
}

TEST(GraphBuilder, CseCanBeTurnedOff) {
  GraphBuilder b(GraphBuilderOptions{.cse = false});
  ValueId x = b.placeholder("x", f32({3}));
  EXPECT_NE(b.call1(OpKind::neg, {x}).value(), b.call1(OpKind::neg, {x}).value());
}

TEST(GraphBuilder, SmallEqualConstantsShareOneValue) {
  GraphBuilder b;
  ValueId a = b.constant(Tensor::scalar(2.5, DType::Float64, true));
  EXPECT_EQ(b.constant(Tensor::scalar(2.5, DType::Float64, true)), a);
  EXPECT_NE(b.constant(Tensor::scalar(2.5, DType::Float64, false)), a);  // not wrapped
  EXPECT_NE(b.constant(Tensor::scalar(2.5, DType::Float32, true)), a);
  EXPECT_NE(b.constant(Tensor::scalar(-0.0, DType::Float64, true)),
            b.constant(Tensor::scalar(0.0, DType::Float64, true)));
  ValueId v = b.constant(iota({2, 3}));
  EXPECT_EQ(b.constant(iota({2, 3})), v);
  EXPECT_NE(b.constant(iota({3, 2})), v);
  EXPECT_TRUE(b.meta(a).wrapped_number);
  ValueId big1 = b.constant(iota({100}));
  EXPECT_NE(b.constant(iota({100})), big1);  // large constants are not compared
}

TEST(GraphBuilder, FoldsCallsOnSmallConstants) {
  FakeFolder fake;
  GraphBuilder b(GraphBuilderOptions{.fold = fake.folder()});
  ValueId c = b.constant(iota({4}));
  ValueId folded = b.call1(OpKind::neg, {c}).value();
  EXPECT_EQ(fake.calls, 1);
  EXPECT_TRUE(b.is_constant(folded));
  EXPECT_EQ(b.meta(folded).sizes, (Dims{4}));
  EXPECT_FALSE(b.meta(folded).wrapped_number);
  EXPECT_EQ(b.graph().num_calls(), 0);
  // Creation ops have no inputs, so they fold too (when small).
  EXPECT_TRUE(b.is_constant(b.call1(OpKind::zeros, {}, {L({2})}).value()));
  EXPECT_EQ(fake.calls, 2);
}

TEST(GraphBuilder, DoesNotFoldPlaceholdersLargeOrRandom) {
  FakeFolder fake;
  GraphBuilder b(GraphBuilderOptions{.fold = fake.folder()});
  ValueId x = b.placeholder("x", f32({4}));
  ValueId c = b.constant(iota({4}));
  EXPECT_FALSE(b.is_constant(b.call1(OpKind::add, {x, c}).value()));
  ValueId big = b.constant(iota({65}));
  EXPECT_FALSE(b.is_constant(b.call1(OpKind::neg, {big}).value()));
  EXPECT_FALSE(b.is_constant(b.call1(OpKind::zeros, {}, {L({65})}).value()));  // big output
  EXPECT_FALSE(b.is_constant(b.call1(OpKind::rand, {}, {L({2})}).value()));
  EXPECT_EQ(fake.calls, 0);
}

TEST(GraphBuilder, FoldingErrorsAreReturned) {
  GraphBuilder b(GraphBuilderOptions{
      .fold = [](OpKind, std::span<const Tensor>, const Attrs&) -> Expected<std::vector<Tensor>> {
        return make_error(ErrorKind::ZeroDivisionError, "floordiv: integer division by zero");
      }});
  ValueId c = b.constant(Tensor::integer(1));
  ValueId z = b.constant(Tensor::integer(0));
  EXPECT_TRUE(fails_with(b.call1(OpKind::floordiv, {c, z}), ErrorKind::ZeroDivisionError,
                         "integer division by zero"));
}

}  // namespace
