// The vectorized backend's plan: which nodes each kernel fuses, what a run allocates, options.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/backend.h"
#include "backends/eager/eager.h"
#include "ir/allocator.h"
#include "ir/graph_builder.h"

using namespace gyro;

namespace {

Tensor random_tensor(std::vector<int64_t> sizes, uint64_t seed) {
  eager::manual_seed(seed);
  std::initializer_list<Attr> attrs = {Attr::list(std::move(sizes))};
  return eager::run1(OpKind::rand, {}, attrs).value();
}

ValueId call(GraphBuilder& b, OpKind op, std::initializer_list<ValueId> inputs,
             std::initializer_list<Attr> attrs = {}) {
  return b.call1(op, inputs, attrs).value();
}

// relu(x*a + b) * sigmoid(x) - 0.5 over placeholders shaped like `inputs`.
Graph chain5(const std::vector<Tensor>& inputs) {
  GraphBuilder b;
  std::vector<ValueId> in;
  for (std::size_t k = 0; k < inputs.size(); ++k)
    in.push_back(b.placeholder("in" + std::to_string(k), TensorMeta::of(inputs[k])));
  ValueId t = call(b, OpKind::relu, {call(b, OpKind::add, {call(b, OpKind::mul, {in[0], in[1]}), in[2]})});
  t = call(b, OpKind::mul, {t, call(b, OpKind::sigmoid, {in[0]})});
  ValueId half = b.constant(Tensor::scalar(0.5, DType::Float32, /*wrapped=*/true));
  b.set_outputs({call(b, OpKind::sub, {t, half})});
  return b.finish();
}

// Large buffers (>= 1 MiB) a run takes from the allocator: each is a fresh or cached buffer.
uint64_t large_allocations(const Executable& executable, const std::vector<Tensor>& inputs) {
  const BufferCacheStats before = buffer_cache_stats();
  auto outputs = executable.run(inputs).value();
  const BufferCacheStats after = buffer_cache_stats();
  return (after.hits + after.misses) - (before.hits + before.misses);
}

TEST(VectorizedPlan, Chain5IsOneKernel) {
  std::vector<Tensor> inputs = {random_tensor({64}, 0), random_tensor({64}, 1),
                                random_tensor({64}, 2)};
  Executable e = compile_graph("vectorized", chain5(inputs), inputs).value();
  EXPECT_EQ(e.description(),
            "kernel 0: fused [mul, add, relu, sigmoid, mul_1, sub] (4 inputs, 1 output)\n");
}

// Only the output is allocated: the five intermediates live in per-thread blocks.
TEST(VectorizedPlan, Chain5AllocatesOnlyItsOutput) {
  const int64_t n = int64_t{1} << 20;  // 4 MiB per array: every buffer is a large one
  std::vector<Tensor> inputs = {random_tensor({n}, 0), random_tensor({n}, 1),
                                random_tensor({n}, 2)};
  Graph graph = chain5(inputs);
  for (int64_t threads : {1, 2}) {
    Executable vectorized =
        compile_graph("vectorized", graph, inputs, {{"threads", threads}}).value();
    EXPECT_EQ(large_allocations(vectorized, inputs), 1u) << threads << " threads";
  }
  // Eager writes each op's result: the contrast shows the count measures intermediates.
  Executable eager = compile_graph("eager", graph, inputs).value();
  EXPECT_GE(large_allocations(eager, inputs), 5u);
}

// Buffers at kernel boundaries and outputs come back to the allocator's cache after their last
// use, so once an executable of static shapes has run, later runs map no fresh memory.
TEST(VectorizedPlan, LaterRunsReuseBuffers) {
  std::vector<Tensor> inputs = {random_tensor({512, 1024}, 0)};  // 2 MiB
  GraphBuilder b;
  ValueId x = b.placeholder("x", TensorMeta::of(inputs[0]));
  ValueId s = b.call1(OpKind::softmax, {call(b, OpKind::exp, {x})}, {Attr::integer(-1)}).value();
  b.set_outputs({call(b, OpKind::mul, {s, x})});
  Executable e = compile_graph("vectorized", b.finish(), inputs).value();
  (void)e.run(inputs).value();
  for (int run = 0; run < 3; ++run) {
    const uint64_t misses = buffer_cache_stats().misses;
    auto outputs = e.run(inputs).value();
    EXPECT_EQ(buffer_cache_stats().misses, misses) << "run " << run;
  }
}

TEST(VectorizedPlan, MlpFusesTheBiasAndActivationIntoTheFirstGemm) {
  std::vector<Tensor> inputs = {random_tensor({8, 16}, 0), random_tensor({16, 32}, 1),
                                random_tensor({32}, 2), random_tensor({32, 4}, 3)};
  GraphBuilder b;
  std::vector<ValueId> in;
  for (std::size_t k = 0; k < inputs.size(); ++k)
    in.push_back(b.placeholder("in" + std::to_string(k), TensorMeta::of(inputs[k])));
  ValueId h = call(b, OpKind::relu, {call(b, OpKind::add, {call(b, OpKind::matmul, {in[0], in[1]}), in[2]})});
  b.set_outputs({call(b, OpKind::matmul, {h, in[3]})});
  Executable e = compile_graph("vectorized", b.finish(), inputs).value();
  EXPECT_EQ(e.description(),
            "kernel 0: rows matmul + epilogue [add, relu] (3 inputs, 1 output)\n"
            "kernel 1: rows matmul_1 (2 inputs, 1 output)\n");
}

// GEMMs are split into one panel per thread at multiples of 48 rows, where Eigen sums each
// element in the same order for any split: 1, 2 and 3 threads agree bit for bit.
TEST(VectorizedPlan, GemmPanelsGiveTheSameBitsOnAnyThreadCount) {
  for (int64_t rows : {1, 47, 48, 49, 95, 96, 97, 145, 300}) {
    std::vector<Tensor> inputs = {random_tensor({rows, 70}, 0), random_tensor({70, 90}, 1),
                                  random_tensor({90}, 2)};
    GraphBuilder b;
    std::vector<ValueId> in;
    for (std::size_t k = 0; k < inputs.size(); ++k)
      in.push_back(b.placeholder("in" + std::to_string(k), TensorMeta::of(inputs[k])));
    b.set_outputs({call(b, OpKind::relu, {call(b, OpKind::add, {call(b, OpKind::matmul, {in[0], in[1]}), in[2]})})});
    Graph graph = b.finish();
    std::vector<std::vector<float>> results;
    for (int64_t threads : {1, 2, 3})  // 3: panels that do not match the cores
      results.push_back(compile_graph("vectorized", graph, inputs, {{"threads", threads}})
                            .value()
                            .run(inputs)
                            .value()[0]
                            .to_vector<float>());
    EXPECT_EQ(results[0], results[1]) << rows << " rows";
    EXPECT_EQ(results[0], results[2]) << rows << " rows";
  }
}

// A node outside a group that reads one of its values closes the group: the group runs first,
// and its value is materialized for that node.
TEST(VectorizedPlan, AReaderOutsideClosesTheGroup) {
  std::vector<Tensor> inputs = {random_tensor({4, 3}, 0)};
  GraphBuilder b;
  ValueId x = b.placeholder("x", TensorMeta::of(inputs[0]));
  ValueId e = call(b, OpKind::exp, {x});
  ValueId c = b.call1(OpKind::cat, {e, x}, {Attr::integer(0)}).value();
  ValueId s = call(b, OpKind::sin, {e});
  b.set_outputs({c, s});
  Graph graph = b.finish();
  Executable v = compile_graph("vectorized", graph, inputs).value();
  EXPECT_EQ(v.description(),
            "kernel 0: fused [exp] (1 input, 1 output)\n"
            "kernel 1: fused [sin] (1 input, 1 output)\n"
            "eager: cat\n");
  auto got = v.run(inputs).value();
  auto want = compile_graph("eager", graph, inputs).value().run(inputs).value();
  ASSERT_EQ(got.size(), 2u);
  for (int k = 0; k < 2; ++k) EXPECT_EQ(got[k].to_vector<float>(), want[k].to_vector<float>());
}

// x.t().contiguous() + 1: the copy is fused into the add's loads (it gathers the transposed x)
// when only the group reads it; returned, it stays an eager call (it may alias its input).
TEST(VectorizedPlan, AContiguousCopyIsReadInPlace) {
  std::vector<Tensor> inputs = {random_tensor({37, 45}, 0)};
  for (bool copy_returned : {false, true}) {
    GraphBuilder b;
    ValueId x = b.placeholder("x", TensorMeta::of(inputs[0]));
    ValueId t = b.call1(OpKind::transpose, {x}, {Attr::integer(0), Attr::integer(1)}).value();
    ValueId c = call(b, OpKind::contiguous, {t});
    ValueId one = b.constant(Tensor::scalar(1.0, DType::Float32, /*wrapped=*/true));
    ValueId y = call(b, OpKind::add, {c, one});
    ValueId m = b.call1(OpKind::sum, {y}, {Attr::list({1})}).value();
    if (copy_returned)
      b.set_outputs({y, m, c});
    else
      b.set_outputs({y, m});
    Graph graph = b.finish();
    Executable v = compile_graph("vectorized", graph, inputs).value();
    EXPECT_EQ(v.description(),
              copy_returned
                  ? "kernel 0: fused [add] -> sum (2 inputs, 2 outputs)\neager: transpose, contiguous\n"
                  : "kernel 0: fused [add] -> sum, reading [contiguous] in place (2 inputs, 2 outputs)\n"
                    "eager: transpose\n");
    auto got = v.run(inputs).value();
    auto want = compile_graph("eager", graph, inputs).value().run(inputs).value();
    ASSERT_EQ(got.size(), want.size());
    EXPECT_EQ(got[0].to_vector<float>(), want[0].to_vector<float>());
    auto sums = got[1].to_vector<double>(), expected = want[1].to_vector<double>();
    for (std::size_t i = 0; i < sums.size(); ++i) EXPECT_NEAR(sums[i], expected[i], 1e-4);
    if (copy_returned) {
      EXPECT_EQ(got[2].to_vector<float>(), want[2].to_vector<float>());
    }
  }
}

TEST(VectorizedPlan, ThreadsMustBeAPositiveInt) {
  std::vector<Tensor> inputs = {random_tensor({4}, 0), random_tensor({4}, 1),
                                random_tensor({4}, 2)};
  Graph graph = chain5(inputs);
  for (OptionValue bad : {OptionValue(int64_t{0}), OptionValue(std::string("2"))}) {
    auto compiled = compile_graph("vectorized", graph, inputs, {{"threads", bad}});
    ASSERT_FALSE(compiled.ok());
    EXPECT_EQ(compiled.error().to_string(),
              "ValueError: vectorized: option 'threads' must be an int from 1 to 1024");
  }
}

}  // namespace
