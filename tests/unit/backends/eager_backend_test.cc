// The eager backend against eager::run op by op (bit for bit), constant folding with the eager
// folder, and the builder's errors against eager's.
#include <cstring>
#include <vector>

#include "backends/backend.h"
#include "backends/graph_runner.h"
#include "ir/graph_builder.h"
#include "tests/unit/backends/test_util.h"

using namespace gyro;
using namespace gyro::testing;

namespace {

TensorMeta meta_of(const Tensor& t) {
  return {t.dtype(), t.sizes(), false};
}

::testing::AssertionResult bit_identical(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.sizes() != b.sizes())
    return ::testing::AssertionFailure()
           << "meta differs: " << a.to_string() << " vs " << b.to_string();
  bool same = true;
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto va = a.to_vector<T>(), vb = b.to_vector<T>();
    for (std::size_t i = 0; i < va.size(); ++i) {
      T x = va[i], y = vb[i];
      same = same && std::memcmp(&x, &y, sizeof(T)) == 0;  // bitwise: NaN == NaN, -0 != 0
    }
  });
  if (!same) return ::testing::AssertionFailure() << a.to_string() << " vs " << b.to_string();
  return ::testing::AssertionSuccess();
}

std::vector<Tensor> run_eager(const Graph& g, std::vector<Tensor> inputs) {
  auto exe = compile_graph("eager", g, inputs);
  EXPECT_TRUE(exe.ok()) << exe.error().to_string();
  auto out = exe->run(inputs);
  EXPECT_TRUE(out.ok()) << out.error().to_string();
  return out.ok() ? std::move(out).value() : std::vector<Tensor>{};
}

TEST(EagerBackend, ElementwiseChainMatchesOpByOp) {
  Tensor x = irregular_tensor({8, 33}), y = irregular_tensor({33}, 1);
  GraphBuilder b;
  ValueId px = b.placeholder("x", meta_of(x)), py = b.placeholder("y", meta_of(y));
  ValueId two = b.constant(Tensor::scalar(2.5, DType::Float64, true));
  ValueId v = b.call1(OpKind::mul, {px, py}).value();
  v = b.call1(OpKind::add, {v, two}).value();
  v = b.call1(OpKind::tanh, {v}).value();
  v = b.call1(OpKind::sub, {v, px}).value();
  v = b.call1(OpKind::exp, {v}).value();
  b.set_outputs({v});
  auto out = run_eager(b.finish(), {x, y});

  Tensor e = ok(OpKind::mul, {x, y});
  e = ok(OpKind::add, {e, number(2.5, DType::Float64)});
  e = ok(OpKind::tanh, {e});
  e = ok(OpKind::sub, {e, x});
  e = ok(OpKind::exp, {e});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(bit_identical(out[0], e));
}

TEST(EagerBackend, MatmulBiasRelu) {
  Tensor x = irregular_tensor({16, 24}), w = irregular_tensor({24, 10}, 2),
         bias = irregular_tensor({10}, 3);
  GraphBuilder b;
  ValueId px = b.placeholder("x", meta_of(x)), pw = b.placeholder("w", meta_of(w));
  ValueId pb = b.placeholder("b", meta_of(bias));
  ValueId v = b.call1(OpKind::matmul, {px, pw}).value();
  v = b.call1(OpKind::add, {v, pb}).value();
  b.set_outputs({b.call1(OpKind::relu, {v}).value()});
  auto out = run_eager(b.finish(), {x, w, bias});
  Tensor e = ok(OpKind::relu, {ok(OpKind::add, {ok(OpKind::matmul, {x, w}), bias})});
  EXPECT_TRUE(bit_identical(out.at(0), e));
}

TEST(EagerBackend, Reductions) {
  Tensor x = irregular_tensor({5, 7, 9}, 0, DType::Float64);
  GraphBuilder b;
  ValueId px = b.placeholder("x", meta_of(x));
  ValueId s = b.call1(OpKind::sum, {px}, {L({1})}).value();
  ValueId m = b.call1(OpKind::mean, {px}, {L({0, 2})}, {{"keepdim", B(true)}}).value();
  ValueId a = b.call1(OpKind::argmax, {px}, {I(2)}).value();
  ValueId v = b.call1(OpKind::var, {px}).value();
  ValueId l = b.call1(OpKind::logsumexp, {px}, {L({-1})}).value();
  b.set_outputs({s, m, a, v, l});
  auto out = run_eager(b.finish(), {x});
  ASSERT_EQ(out.size(), 5u);
  EXPECT_TRUE(bit_identical(out[0], ok(OpKind::sum, {x}, {L({1})})));
  EXPECT_TRUE(bit_identical(out[1], ok(OpKind::mean, {x}, {L({0, 2}), B(true)})));
  EXPECT_TRUE(bit_identical(out[2], ok(OpKind::argmax, {x}, {I(2)})));
  EXPECT_TRUE(bit_identical(out[3], ok(OpKind::var, {x})));
  EXPECT_TRUE(bit_identical(out[4], ok(OpKind::logsumexp, {x}, {L({-1})})));
}

TEST(EagerBackend, MultiOutputOp) {
  Tensor x = irregular_tensor({7, 3});
  GraphBuilder b;
  ValueId px = b.placeholder("x", meta_of(x));
  auto parts = b.call(OpKind::split, std::vector<ValueId>{px}, std::vector<Attr>{I(3)}).value();
  ValueId cat =
      b.call(OpKind::cat, std::vector<ValueId>{parts[2], parts[0]}, std::vector<Attr>{I(0)})
          .value()[0];
  b.set_outputs({parts[1], cat});
  auto out = run_eager(b.finish(), {x});
  auto expected = eager::run(OpKind::split, {&x, 1}, std::vector<Attr>{I(3)}).value();
  const Tensor cat_inputs[] = {expected[2], expected[0]};
  EXPECT_TRUE(bit_identical(out.at(0), expected[1]));
  EXPECT_TRUE(bit_identical(out.at(1),
                            eager::run1(OpKind::cat, cat_inputs, std::vector<Attr>{I(0)}).value()));
  EXPECT_TRUE(out[0].shares_storage(x));  // views stay views, as in eager
}

TEST(EagerBackend, GraphWithConstants) {
  Tensor x = irregular_tensor({4, 4});
  Tensor table = irregular_tensor({4}, 5);
  GraphBuilder b;
  ValueId px = b.placeholder("x", meta_of(x));
  ValueId c = b.constant(table);
  ValueId v = b.call1(OpKind::mul, {px, c}).value();
  b.set_outputs({v, c});
  auto out = run_eager(b.finish(), {x});
  EXPECT_TRUE(bit_identical(out.at(0), ok(OpKind::mul, {x, table})));
  // A returned constant is a fresh copy: the caller cannot mutate the graph's tensor.
  EXPECT_TRUE(bit_identical(out.at(1), table));
  EXPECT_FALSE(out[1].shares_storage(table));
}

TEST(EagerBackend, RandomOpsDrawInNodeOrder) {
  GraphBuilder b;
  ValueId r1 = b.call1(OpKind::rand, {}, {L({3})}).value();
  ValueId r2 = b.call1(OpKind::randn, {}, {L({3})}).value();
  b.set_outputs({b.call1(OpKind::add, {r1, r2}).value()});
  Graph g = b.finish();
  eager::manual_seed(7);
  auto out = run_eager(g, {});
  eager::manual_seed(7);
  Tensor e1 = ok(OpKind::rand, {}, {L({3})});
  Tensor e2 = ok(OpKind::randn, {}, {L({3})});
  EXPECT_TRUE(bit_identical(out.at(0), ok(OpKind::add, {e1, e2})));
}

TEST(EagerBackend, RunTimeErrorsPassThrough) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", {DType::Int64, {2}, false});
  ValueId y = b.placeholder("y", {DType::Int64, {2}, false});
  b.set_outputs({b.call1(OpKind::floordiv, {x, y}).value()});
  const std::vector<Tensor> inputs = {T({4, 5}), T({1, 0})};
  auto exe = compile_graph("eager", b.finish(), inputs).value();
  EXPECT_TRUE(fails_with(exe.run(inputs), ErrorKind::ZeroDivisionError, "division by zero"));
}

TEST(EagerBackend, ExecutableChecksItsInputs) {
  GraphBuilder b;
  ValueId x = b.placeholder("x", {DType::Float32, {2}, false});
  b.set_outputs({x});
  Graph g = b.finish();
  Tensor good = irregular_tensor({2}), bad = irregular_tensor({3});
  EXPECT_TRUE(fails_with(compile_graph("eager", g, {}), ErrorKind::ValueError,
                         "the graph takes 1 input tensor but 0 were given"));
  auto exe = compile_graph("eager", g, {&good, 1}).value();
  EXPECT_TRUE(fails_with(exe.run({&bad, 1}), ErrorKind::ValueError,
                         "input 0 is f32[3] but the graph expects f32[2]"));
  EXPECT_TRUE(exe.run({&good, 1}).value()[0].shares_storage(good));
}

TEST(ConstantFolding, EagerFolderMakesConstantsWithEagerValues) {
  GraphBuilder b(GraphBuilderOptions{.fold = eager_constant_folder()});
  Tensor c = irregular_tensor({2, 3});
  ValueId v = b.call1(OpKind::exp, {b.constant(c)}).value();
  v = b.call1(OpKind::mul, {v, b.constant(Tensor::scalar(3, DType::Float64, true))}).value();
  ValueId x = b.placeholder("x", {DType::Float32, {2, 3}, false});
  ValueId out = b.call1(OpKind::add, {x, v}).value();
  b.set_outputs({out});
  EXPECT_TRUE(b.is_constant(v));
  Tensor expected_v = ok(OpKind::mul, {ok(OpKind::exp, {c}), number(3, DType::Float64)});
  EXPECT_TRUE(bit_identical(b.constant_value(v), expected_v));
  Graph g = b.finish();
  EXPECT_EQ(g.num_calls(), 1);
  Tensor input = irregular_tensor({2, 3}, 4);
  EXPECT_TRUE(bit_identical(run_eager(g, {input}).at(0), ok(OpKind::add, {input, expected_v})));
}

TEST(ConstantFolding, FoldingErrorIsEagersError) {
  GraphBuilder b(GraphBuilderOptions{.fold = eager_constant_folder()});
  ValueId one = b.constant(T({1, 2}));
  ValueId zero = b.constant(T({0, 1}));
  auto folded = b.call1(OpKind::floordiv, {one, zero});
  const Tensor args[] = {T({1, 2}), T({0, 1})};
  auto eager_result = eager::run1(OpKind::floordiv, args);
  ASSERT_FALSE(folded.ok());
  ASSERT_FALSE(eager_result.ok());
  EXPECT_EQ(folded.error().to_string(), eager_result.error().to_string());
}

// The builder's validation errors are eager::run's, kind and message.
TEST(BuilderErrors, MatchEager) {
  struct Case {
    OpKind op;
    std::vector<Tensor> inputs;
    std::vector<Attr> attrs;
  };
  const std::vector<Case> cases = {
      {OpKind::add, {irregular_tensor({3, 4}), irregular_tensor({5})}, {}},
      {OpKind::matmul, {irregular_tensor({3, 4}), irregular_tensor({5, 2})}, {}},
      {OpKind::mean, {T({1, 2})}, {}},
      {OpKind::sum, {irregular_tensor({3})}, {L({2})}},
      {OpKind::reshape, {irregular_tensor({6})}, {L({4, -1})}},
      {OpKind::gelu, {irregular_tensor({2})}, {Attr::string("fast")}},
      {OpKind::relu, {irregular_tensor({2}), irregular_tensor({2})}, {}},
      {OpKind::transpose, {irregular_tensor({2})}, {I(0)}},
  };
  for (const Case& c : cases) {
    GraphBuilder b;
    std::vector<ValueId> values;
    for (std::size_t i = 0; i < c.inputs.size(); ++i)
      values.push_back(b.placeholder("in" + std::to_string(i), meta_of(c.inputs[i])));
    auto built = b.call(c.op, values, c.attrs);
    auto ran = eager::run(c.op, c.inputs, c.attrs);
    ASSERT_FALSE(ran.ok()) << op_name(c.op);
    ASSERT_FALSE(built.ok()) << op_name(c.op) << ": eager says " << ran.error().to_string();
    EXPECT_EQ(built.error().to_string(), ran.error().to_string());
  }
}

}  // namespace
