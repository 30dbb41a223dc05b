// Symbolic attributes (Attr::syms): the builder keeps them where the shape rule reads sizes,
// CSE tells apart equal hints of different symbols, folding leaves them alone, printing shows
// the expressions, and the eager runner (and aot_eager's copies) evaluate them on every run.
#include <algorithm>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/graph_runner.h"
#include "ir/graph_builder.h"
#include "ir/graph_printer.h"
#include "tests/unit/backends/test_util.h"

using namespace gyro;

namespace {

// Decides each condition on the hints and remembers it: the smallest shape env.
class HintDecider : public SymDecider {
 public:
  SymContext& context() override { return context_; }
  bool decide(SymId condition) override {
    auto value = context_.evaluate(condition, hints_);
    EXPECT_TRUE(value.ok()) << context_.print(condition);
    const bool truth = value.ok() && *value != 0;
    facts_.push_back(context_.print(truth ? condition : context_.logical_not(condition)));
    return truth;
  }
  SymDim symbol(int64_t hint) {
    const int index = static_cast<int>(hints_.size());
    hints_.push_back(hint);
    return SymDim(hint, context_.symbol(index), this);
  }
  const std::vector<std::string>& facts() const { return facts_; }

 private:
  SymContext context_;
  std::vector<int64_t> hints_;
  std::vector<std::string> facts_;
};

// An int attribute (or one element of a list) carrying `dim`'s expression.
Attr sym_int(const SymDim& dim) {
  Attr attr = Attr::integer(dim.hint);
  attr.syms = {dim.expr};
  return attr;
}
Attr sym_list(std::initializer_list<SymDim> dims) {
  std::vector<int64_t> values;
  std::vector<SymId> syms;
  for (const SymDim& dim : dims) {
    values.push_back(dim.hint);
    syms.push_back(dim.expr);
  }
  Attr attr = Attr::list(std::move(values));
  attr.syms = std::move(syms);
  return attr;
}

GraphBuilderOptions symbolic_options(HintDecider& decider) {
  return GraphBuilderOptions{.cse = true, .fold = eager_constant_folder(), .shapes = &decider};
}

}  // namespace

TEST(SymbolicAttrs, CseTellsApartEqualHintsOfDifferentSymbols) {
  HintDecider decider;
  GraphBuilder builder(symbolic_options(decider));
  const SymDim n = decider.symbol(3), m = decider.symbol(3), k = decider.symbol(4);
  ValueId x = builder.placeholder("x", {DType::Float32, Dims{3, 4}, false}, SymDims{n, k});
  ValueId y = builder.placeholder("y", {DType::Float32, Dims{3, 4}, false}, SymDims{m, k});
  auto by_n = builder.call1(OpKind::reshape, {x}, {sym_list({n, SymDim(-1)})});
  auto by_m = builder.call1(OpKind::reshape, {x}, {sym_list({m, SymDim(-1)})});
  auto by_n_again = builder.call1(OpKind::reshape, {x}, {sym_list({n, SymDim(-1)})});
  auto plain = builder.call1(OpKind::reshape, {x}, {Attr::list({3, -1})});
  ASSERT_TRUE(by_n.ok() && by_m.ok() && by_n_again.ok() && plain.ok());
  EXPECT_NE(*by_n, *by_m);
  EXPECT_EQ(*by_n, *by_n_again);
  EXPECT_NE(*by_n, *plain);
  (void)y;
  // reshape(s0, -1) of s0*s2 elements: the inferred size is exactly s2 (no fact needed for it).
  EXPECT_EQ(builder.graph().symbolic_sizes_text(*by_n), "s0, s2");
  Graph graph = builder.finish();
  const std::string printed = print_graph(graph);
  EXPECT_NE(printed.find("gyro.reshape(x, shape=[s0, -1])"), std::string::npos) << printed;
  EXPECT_NE(printed.find("gyro.reshape(x, shape=[s1, -1])"), std::string::npos) << printed;
}

TEST(SymbolicAttrs, CreationOpsWithSymbolicSizesAreNotFolded) {
  HintDecider decider;
  GraphBuilder builder(symbolic_options(decider));
  const SymDim n = decider.symbol(5);
  ValueId x = builder.placeholder("x", {DType::Float32, Dims{5}, false}, SymDims{n});
  auto zeros = builder.call1(OpKind::zeros, {}, {sym_list({n})});
  auto fixed = builder.call1(OpKind::zeros, {}, {Attr::list({5})});
  ASSERT_TRUE(zeros.ok() && fixed.ok());
  EXPECT_FALSE(builder.is_constant(*zeros));
  EXPECT_TRUE(builder.is_constant(*fixed));
  EXPECT_EQ(builder.graph().symbolic_sizes_text(*zeros), "s0");
  (void)x;
}

TEST(SymbolicAttrs, UnreadableSymbolsAndOtherAttributesAreSpecialized) {
  HintDecider decider;
  GraphBuilder builder(symbolic_options(decider));
  const SymDim n = decider.symbol(4);
  const SymDim int_argument = decider.symbol(2);  // no placeholder dim reads it
  ValueId x = builder.placeholder("x", {DType::Float32, Dims{4, 3}, false}, SymDims{n, 3});
  // A symbol no input dim gives: its hint, guarded.
  auto view = builder.call1(OpKind::view, {x}, {sym_list({int_argument, SymDim(-1)})});
  ASSERT_TRUE(view.ok());
  EXPECT_FALSE(builder.graph().producer(*view).attrs[0].is_symbolic());
  // transpose reads no attribute as a size: dim0 = s0 is specialized.
  auto transposed = builder.call1(OpKind::transpose, {x}, {Attr::integer(0), sym_int(n - 3)});
  ASSERT_TRUE(transposed.ok());
  EXPECT_FALSE(builder.graph().producer(*transposed).attrs[1].is_symbolic());
  EXPECT_NE(std::find(decider.facts().begin(), decider.facts().end(), "s1 == 2"),
            decider.facts().end());
  EXPECT_NE(std::find(decider.facts().begin(), decider.facts().end(), "s0 == 4"),
            decider.facts().end());
}

TEST(SymbolicAttrs, TheRunnerEvaluatesAttributesPerRun) {
  HintDecider decider;
  GraphBuilder builder(symbolic_options(decider));
  const SymDim n = decider.symbol(3), k = decider.symbol(4);
  ValueId x = builder.placeholder("x", {DType::Float32, Dims{3, 4}, false}, SymDims{n, k});
  auto flat = builder.call1(OpKind::view, {x}, {sym_list({n * k})});
  auto counts = builder.call1(OpKind::arange, {}, {sym_int(n)});
  auto head = builder.call1(OpKind::slice, {*flat},
                            {Attr::integer(0), Attr::none(), sym_int(n + 1)});
  // Unused: aot_eager's dce copies the graph, which must keep the symbolic attributes.
  auto unused = builder.call1(OpKind::neg, {x});
  ASSERT_TRUE(flat.ok() && counts.ok() && head.ok() && unused.ok());
  builder.set_outputs({*flat, *counts, *head});
  Graph graph = builder.finish();
  ASSERT_NE(graph.sym_context(), nullptr);

  for (const std::string backend : {"eager", "aot_eager"}) {
    Tensor example = *Tensor::empty(Dims{3, 4}, DType::Float32);
    auto exe = compile_graph(backend, graph, std::vector<Tensor>{example});
    ASSERT_TRUE(exe.ok()) << exe.error().to_string();
    for (int64_t rows : {2, 5, 7}) {
      Tensor input = *Tensor::empty(Dims{rows, 4}, DType::Float32);
      auto out = exe->run_checked_elsewhere(std::vector<Tensor>{input});
      ASSERT_TRUE(out.ok()) << backend << ": " << out.error().to_string();
      EXPECT_EQ((*out)[0].sizes(), Dims{rows * 4}) << backend;
      EXPECT_EQ((*out)[1].sizes(), Dims{rows}) << backend;
      EXPECT_EQ((*out)[2].sizes(), Dims{rows + 1}) << backend;
    }
  }
}
