// SymDim arithmetic and comparisons, and every shape rule over symbolic sizes: the hints match
// infer_meta, and the expressions match it under other bindings that satisfy the facts.
#include "ir/sym_dim.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ir/infer.h"
#include "tests/unit/test_support.h"

namespace gyro {
namespace {

using namespace gyro::testing;

// Answers each condition by evaluating it on the hints, and records it (or its negation) as a
// fact unless it is already one: the smallest decider a shape env can be.
class HintDecider : public SymDecider {
 public:
  SymContext& context() override { return context_; }
  bool decide(SymId condition) override {
    auto value = context_.evaluate(condition, bindings_);
    EXPECT_TRUE(value.ok()) << context_.print(condition);
    const bool truth = value.ok() && *value != 0;
    const SymId fact = truth ? condition : context_.logical_not(condition);
    if (std::find(facts_.begin(), facts_.end(), fact) == facts_.end()) facts_.push_back(fact);
    return truth;
  }

  // A new symbol s<n> with `hint`.
  SymDim symbol(int64_t hint) {
    const int index = static_cast<int>(bindings_.size());
    bindings_.push_back(hint);
    return SymDim(hint, context_.symbol(index), this);
  }
  SymDims symbols(const Dims& sizes) {
    SymDims out;
    for (int64_t size : sizes) out.push_back(symbol(size));
    return out;
  }

  const std::vector<int64_t>& bindings() const { return bindings_; }
  const std::vector<SymId>& facts() const { return facts_; }
  std::vector<std::string> printed_facts() const {
    std::vector<std::string> out;
    for (SymId fact : facts_) out.push_back(context_.print(fact));
    return out;
  }
  bool facts_hold(std::span<const int64_t> bindings) const {
    return std::all_of(facts_.begin(), facts_.end(), [&](SymId fact) {
      auto value = context_.evaluate(fact, bindings);
      return value.ok() && *value != 0;
    });
  }

 private:
  SymContext context_;
  std::vector<int64_t> bindings_;
  std::vector<SymId> facts_;
};

// ---- SymDim operators ----

TEST(SymDim, PlainSizesStayPlainWithPythonsDivision) {
  SymDim seven(7), two(2), minus_seven(-7);
  EXPECT_FALSE((seven + two).is_symbolic());
  EXPECT_EQ((seven + two).hint, 9);
  EXPECT_EQ((seven - two).hint, 5);
  EXPECT_EQ((seven * two).hint, 14);
  EXPECT_EQ((seven / two).hint, 3);
  EXPECT_EQ((minus_seven / two).hint, -4);
  EXPECT_EQ((minus_seven % two).hint, 1);
  EXPECT_EQ((seven % SymDim(-2)).hint, -1);
  EXPECT_EQ(sym_min(seven, two).hint, 2);
  EXPECT_EQ(sym_max(seven, two).hint, 7);
  EXPECT_TRUE(seven > two);
  EXPECT_TRUE(two <= two);
  EXPECT_FALSE(seven == two);
}

TEST(SymDim, SymbolicArithmeticBuildsExpressionsWithHints) {
  HintDecider decider;
  SymContext& c = decider.context();
  SymDim s0 = decider.symbol(6), s1 = decider.symbol(4);
  SymDim sum = s0 + s1;
  EXPECT_EQ(sum.hint, 10);
  EXPECT_EQ(c.print(sum.expr), "s0 + s1");
  EXPECT_EQ(sum.decider, &decider);
  SymDim scaled = SymDim(3) * s0;  // the decider comes from whichever side has one
  EXPECT_EQ(scaled.hint, 18);
  EXPECT_EQ(c.print(scaled.expr), "3*s0");
  EXPECT_EQ((s0 / SymDim(4)).hint, 1);
  EXPECT_EQ(c.print((s0 / SymDim(4)).expr), "s0 // 4");
  EXPECT_EQ((s0 % s1).hint, 2);
  EXPECT_EQ(c.print(sym_min(s0, s1).expr), "min(s0, s1)");
  EXPECT_EQ(sym_max(s0, s1).hint, 6);
  // An expression that folds is a plain size again.
  SymDim zero = s0 - s0;
  EXPECT_FALSE(zero.is_symbolic());
  EXPECT_EQ(zero.hint, 0);
  SymDim total(0);
  total += s1;
  EXPECT_EQ(total.expr, s1.expr);
  EXPECT_TRUE(decider.facts().empty());
}

TEST(SymDim, ComparisonsAreDecidedByTheHintsAndRecorded) {
  HintDecider decider;
  SymDim s0 = decider.symbol(6), s1 = decider.symbol(4);
  EXPECT_TRUE(s0 == s0);  // folds: no fact
  EXPECT_TRUE(s0 + SymDim(1) > s0);
  EXPECT_TRUE(decider.facts().empty());
  EXPECT_TRUE(s0 > s1);
  EXPECT_FALSE(s0 == SymDim(1));
  EXPECT_TRUE(s1 <= SymDim(4));
  EXPECT_FALSE(s0 < SymDim(2));
  EXPECT_TRUE(s0 != s1);
  EXPECT_TRUE(s1 >= SymDim(4));
  EXPECT_EQ(decider.printed_facts(), (std::vector<std::string>{"s1 < s0", "s0 != 1", "s1 <= 4",
                                                               "s0 >= 2", "s0 != s1", "s1 >= 4"}));
}

TEST(SymDim, HelpersConvertBetweenPlainAndSymbolicDims) {
  HintDecider decider;
  SymDims plain = plain_dims(Dims{2, 3});
  EXPECT_FALSE(any_symbolic(plain));
  EXPECT_EQ(hints(plain), (Dims{2, 3}));
  SymDims mixed{SymDim(2), decider.symbol(5)};
  EXPECT_TRUE(any_symbolic(mixed));
  EXPECT_EQ(hints(mixed), (Dims{2, 5}));
}

TEST(SymDimDeathTest, DivisionByAPlainZeroIsAGyroBug) {
  EXPECT_DEATH((void)(SymDim(4) / SymDim(0)), "divided by a size of 0");
  EXPECT_DEATH((void)(SymDim(4) % SymDim(0)), "modulo a size of 0");
}

// ---- every shape rule over symbolic sizes ----

struct Case {
  OpKind op;
  std::vector<Dims> shapes;
  std::vector<Attr> positional = {};
  std::vector<NamedAttr> named = {};
};

std::string describe(const Case& c) {
  std::string text = std::string(op_name(c.op)) + "(";
  for (const Dims& shape : c.shapes) text += to_string(shape) + " ";
  return text + ")";
}

// Float inputs, except where's condition.
std::vector<TensorMeta> metas(const Case& c, const std::vector<Dims>& shapes) {
  std::vector<TensorMeta> out;
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    DType dtype = c.op == OpKind::where && k == 0 ? DType::Bool : DType::Float32;
    out.push_back(TensorMeta{dtype, shapes[k], false});
  }
  return out;
}

std::vector<Case> all_cases() {
  return {
      // kBroadcast
      {OpKind::add, {{2, 3}, {3}}},
      {OpKind::add, {{2, 1}, {1, 4}}},
      {OpKind::add, {{2, 3}, {2, 3}}},
      {OpKind::add, {{1}, {1}}},
      {OpKind::add, {{0, 3}, {1, 3}}},
      {OpKind::add, {{2, 3}, {4}}},
      {OpKind::neg, {{5, 2}}},
      {OpKind::where, {{2, 1}, {1, 3}, {2, 3}}},
      // kSameAsInput
      {OpKind::slice_scatter, {{4, 3}, {2, 3}}},
      // kSameAlongDim
      {OpKind::softmax, {{2, 3}}, {I(1)}},
      {OpKind::log_softmax, {{2, 3}}, {I(-2)}},
      {OpKind::softmax, {{3}}, {I(1)}},
      // kReduce
      {OpKind::sum, {{2, 3, 4}}, {L({1})}, {{"keepdim", B(true)}}},
      {OpKind::sum, {{2, 3}}},
      {OpKind::mean, {{2, 3}}, {L({-1})}},
      {OpKind::sum, {{2, 3}}, {L({5})}},
      // kLayerNorm
      {OpKind::layer_norm, {{2, 3, 4}}, {L({3, 4})}},
      {OpKind::layer_norm, {{2, 3, 4}, {3, 4}, {3, 4}}, {L({3, 4})}},
      {OpKind::layer_norm, {{2, 3, 5}}, {L({3, 4})}},
      {OpKind::layer_norm, {{2, 4}, {3}}, {L({4})}},
      {OpKind::layer_norm, {{4}}, {L({2, 4})}},
      // kMatmul
      {OpKind::matmul, {{3}, {3}}},
      {OpKind::matmul, {{3}, {4}}},
      {OpKind::matmul, {{2, 3}, {3, 4}}},
      {OpKind::matmul, {{3}, {2, 3, 4}}},
      {OpKind::matmul, {{2, 3, 4}, {4}}},
      {OpKind::matmul, {{5, 2, 3}, {3, 4}}},
      {OpKind::matmul, {{5, 1, 2, 3}, {4, 3, 2}}},
      {OpKind::matmul, {{2, 3}, {4, 5}}},
      {OpKind::matmul, {{5, 2, 3}, {5, 4, 2}}},
      {OpKind::matmul, {{2, 2, 3}, {3, 3, 4}}},
      // kLinear
      {OpKind::linear, {{5, 3}, {4, 3}}},
      {OpKind::linear, {{5, 3}, {4, 3}, {4}}},
      {OpKind::linear, {{2, 5, 3}, {4, 3}, {1}}},
      {OpKind::linear, {{5, 3}, {4, 2}}},
      {OpKind::linear, {{5, 0}, {4, 2}}},
      {OpKind::linear, {{5, 3}, {4, 3}, {5}}},
      {OpKind::linear, {{5, 3}, {4, 3}, {5, 4}}},
      {OpKind::linear, {{5, 3}, {3}}},
      // kReshape
      {OpKind::reshape, {{2, 3}}, {L({-1})}},
      {OpKind::reshape, {{2, 3}}, {L({3, -1})}},
      {OpKind::view, {{2, 3, 4}}, {L({4, -1, 2})}},
      {OpKind::reshape, {{2, 3}}, {L({6})}},
      {OpKind::reshape, {{2, 3}}, {L({4, -1})}},
      {OpKind::reshape, {{2, 3}}, {L({5})}},
      {OpKind::reshape, {{0, 3}}, {L({0, -1})}},
      {OpKind::reshape, {{0, 3}}, {L({5, 0})}},
      {OpKind::reshape, {{2, 3}}, {L({-1, -1})}},
      {OpKind::reshape, {{}}, {L({1, -1})}},
      // kTranspose, kPermute
      {OpKind::transpose, {{2, 3, 4}}, {I(0), I(2)}},
      {OpKind::transpose, {{2, 3}}, {I(0), I(2)}},
      {OpKind::permute, {{2, 3, 4}}, {L({2, 0, 1})}},
      {OpKind::permute, {{2, 3, 4}}, {L({2, 0})}},
      // kSqueeze, kUnsqueeze
      {OpKind::squeeze, {{2, 1, 3}}},
      {OpKind::squeeze, {{2, 1, 3}}, {L({1})}},
      {OpKind::squeeze, {{2, 1, 3}}, {L({0})}},
      {OpKind::squeeze, {{1}}},
      {OpKind::unsqueeze, {{2, 3}}, {I(1)}},
      {OpKind::unsqueeze, {{2, 3}}, {I(4)}},
      // kFlatten
      {OpKind::flatten, {{2, 3, 4}}},
      {OpKind::flatten, {{2, 3, 4}}, {I(1)}},
      {OpKind::flatten, {{2, 3, 4}}, {I(0), I(1)}},
      {OpKind::flatten, {{}}},
      {OpKind::flatten, {{2, 3}}, {I(1), I(0)}},
      // kExpand
      {OpKind::expand, {{3, 1}}, {L({2, 3, 4})}},
      {OpKind::expand, {{3, 1}}, {L({-1, 5})}},
      {OpKind::expand, {{1}}, {L({0})}},
      {OpKind::expand, {{3}}, {L({3})}},
      {OpKind::expand, {{2, 3}}, {L({3, 3})}},
      {OpKind::expand, {{3}}, {L({-1, 3})}},
      // kSlice
      {OpKind::slice, {{10, 4}}, {I(0), I(2), I(8), I(3)}},
      {OpKind::slice, {{10}}, {I(0), I(-3)}},
      {OpKind::slice, {{10}}, {I(0), None(), I(-1)}},
      {OpKind::slice, {{5}}, {I(0), I(1), I(100), I(2)}},
      {OpKind::slice, {{5}}, {I(0), I(-100), I(-2)}},
      {OpKind::slice, {{5}}, {I(0), I(4), I(1)}},
      {OpKind::slice, {{5}}, {I(0), I(20)}},
      {OpKind::slice, {{2, 6}}, {I(1), None(), None(), I(4)}},
      {OpKind::slice, {{0}}, {I(0), I(1)}},
      {OpKind::slice, {{7}}, {I(0), I(-7), I(3)}},
      {OpKind::slice, {{5}}, {I(0), I(0), I(5), I(0)}},
      {OpKind::slice, {{}}},
      // kSelect
      {OpKind::select, {{3, 4}}, {I(0), I(2)}},
      {OpKind::select, {{3, 4}}, {I(0), I(-3)}},
      {OpKind::select, {{3, 4}}, {I(1), I(-1)}},
      {OpKind::select, {{3, 4}}, {I(0), I(3)}},
      {OpKind::select, {{3, 4}}, {I(0), I(-4)}},
      // kCat
      {OpKind::cat, {{2, 3}, {4, 3}}},
      {OpKind::cat, {{2, 3}, {2, 5}}, {I(1)}},
      {OpKind::cat, {{0}, {2, 3}}},
      {OpKind::cat, {{0}, {0}}},
      {OpKind::cat, {{2, 3}, {0}, {1, 3}}},
      {OpKind::cat, {{0, 3}, {2, 3}}},
      {OpKind::cat, {{2, 3}, {2, 4}}},
      {OpKind::cat, {{2, 3}, {2}}},
      {OpKind::cat, {{2}, {3}, {4}, {5}, {6}}},
      // kStack
      {OpKind::stack, {{2, 3}, {2, 3}}, {I(1)}},
      {OpKind::stack, {{2, 3}, {2, 4}}},
      // kSplit
      {OpKind::split, {{10, 3}}, {I(3)}},
      {OpKind::split, {{9}}, {I(3)}},
      {OpKind::split, {{2}}, {I(5)}},
      {OpKind::split, {{0}}, {I(3)}},
      {OpKind::split, {{0}}, {I(0)}},
      {OpKind::split, {{5}}, {I(0)}},
      {OpKind::split, {{3, 7}}, {I(2), I(1)}},
      {OpKind::split_with_sizes, {{5}}, {L({2, 3})}},
      {OpKind::split_with_sizes, {{5}}, {L({2, 2})}},
      {OpKind::chunk, {{10}}, {I(3)}},
      {OpKind::chunk, {{5}}, {I(4)}},
      {OpKind::chunk, {{0}}, {I(3)}},
      {OpKind::chunk, {{1}}, {I(3)}},
      {OpKind::chunk, {{3, 7}}, {I(3), I(1)}},
      // kSizeAttr, kArange, kLinspace, kEye: plain sizes from attributes
      {OpKind::zeros, {}, {L({2, 3})}},
      {OpKind::arange, {}, {I(5)}},
      {OpKind::arange, {}, {I(1), I(10), I(3)}},
      {OpKind::linspace, {}, {F(0), F(1), I(5)}},
      {OpKind::eye, {}, {I(2), I(4)}},
      {OpKind::eye, {}, {I(-1)}},
  };
}

// One case run symbolically: every input dim a fresh symbol whose hint is the concrete size.
struct SymbolicRun {
  HintDecider decider;
  std::vector<SymDims> inputs;
  Expected<std::vector<SymDims>> result = std::vector<SymDims>{};
};

void run_symbolic(const Case& c, const Attrs& attrs, SymbolicRun& run) {
  for (const Dims& shape : c.shapes) run.inputs.push_back(run.decider.symbols(shape));
  run.result = infer_sym_sizes(c.op, run.inputs, attrs);
}

// The concrete shapes that `bindings` give the case's inputs (symbols numbered in order).
std::vector<Dims> shapes_under(const Case& c, std::span<const int64_t> bindings) {
  std::vector<Dims> out;
  std::size_t next = 0;
  for (const Dims& shape : c.shapes) {
    Dims bound;
    for (int i = 0; i < shape.size(); ++i) bound.push_back(bindings[next++]);
    out.push_back(bound);
  }
  return out;
}

TEST(InferSymSizes, CasesCoverEveryShapeRule) {
  std::set<ShapeRule> covered;
  for (const Case& c : all_cases()) covered.insert(op_info(c.op).shape_rule);
  EXPECT_EQ(covered.size(), static_cast<std::size_t>(ShapeRule::kEye) + 1);
}

TEST(InferSymSizes, HintsAndErrorsMatchInferMeta) {
  for (const Case& c : all_cases()) {
    SCOPED_TRACE(describe(c));
    auto attrs = bind_attrs(c.op, static_cast<int>(c.shapes.size()), c.positional, c.named);
    ASSERT_TRUE(attrs.ok()) << attrs.error().to_string();
    auto concrete = infer_meta(c.op, metas(c, c.shapes), *attrs);
    SymbolicRun run;
    run_symbolic(c, *attrs, run);
    ASSERT_EQ(run.result.ok(), concrete.ok())
        << (concrete.ok() ? run.result.error().to_string() : concrete.error().to_string());
    if (!concrete.ok()) {
      EXPECT_EQ(run.result.error().kind, concrete.error().kind);
      EXPECT_EQ(run.result.error().message, concrete.error().message);
      continue;
    }
    ASSERT_EQ(run.result->size(), concrete->sizes.size());
    for (std::size_t k = 0; k < concrete->sizes.size(); ++k)
      EXPECT_EQ(to_string(hints((*run.result)[k])), to_string(concrete->sizes[k]));
  }
}

// Other bindings for the symbols: maps of the hint values (so that equal hints stay equal)
// that scale or shift them, then random ones, with both 0 and 1 kept or not.
std::vector<std::vector<int64_t>> candidate_bindings(const std::vector<int64_t>& hints_in) {
  std::vector<std::vector<int64_t>> out;
  auto mapped = [&](auto f) {
    std::vector<int64_t> values;
    for (int64_t hint : hints_in) values.push_back(f(hint));
    out.push_back(values);
  };
  for (int64_t k : {2, 3, 5}) {
    mapped([k](int64_t v) { return v * k; });
    mapped([k](int64_t v) { return v + k; });
    mapped([k](int64_t v) { return v <= 1 ? v : v * k; });
    mapped([k](int64_t v) { return v <= 1 ? v : v + k; });
  }
  std::mt19937 random(1234);
  std::uniform_int_distribution<int64_t> value(0, 13);
  for (int trial = 0; trial < 600; ++trial) {
    std::map<int64_t, int64_t> by_hint;  // consistent on even trials, independent on odd ones
    std::vector<int64_t> values;
    for (int64_t hint : hints_in) {
      if (trial % 2 == 0) {
        auto [it, fresh] = by_hint.try_emplace(hint, 0);
        if (fresh) it->second = value(random);
        values.push_back(it->second);
      } else {
        values.push_back(value(random));
      }
    }
    out.push_back(values);
  }
  return out;
}

TEST(InferSymSizes, ExpressionsMatchInferMetaUnderOtherBindingsThatKeepTheFacts) {
  int cases_with_symbols = 0, cases_rebound = 0;
  for (const Case& c : all_cases()) {
    SCOPED_TRACE(describe(c));
    auto attrs = bind_attrs(c.op, static_cast<int>(c.shapes.size()), c.positional, c.named);
    ASSERT_TRUE(attrs.ok());
    SymbolicRun run;
    run_symbolic(c, *attrs, run);
    const std::vector<int64_t>& hint_values = run.decider.bindings();
    if (hint_values.empty()) continue;
    ++cases_with_symbols;
    bool rebound = false;
    for (const auto& bindings : candidate_bindings(hint_values)) {
      if (bindings == hint_values || !run.decider.facts_hold(bindings)) continue;
      rebound = true;
      SCOPED_TRACE(fmt::format("bindings [{}]", fmt::join(bindings, ", ")));
      auto concrete = infer_meta(c.op, metas(c, shapes_under(c, bindings)), *attrs);
      ASSERT_EQ(concrete.ok(), run.result.ok());
      if (!concrete.ok()) {
        EXPECT_EQ(concrete.error().kind, run.result.error().kind);
        continue;
      }
      ASSERT_EQ(concrete->sizes.size(), run.result->size());
      for (std::size_t k = 0; k < concrete->sizes.size(); ++k) {
        const SymDims& symbolic = (*run.result)[k];
        Dims evaluated;
        for (const SymDim& dim : symbolic) {
          auto value =
              run.decider.context().evaluate(dim.expression(run.decider.context()), bindings);
          ASSERT_TRUE(value.ok()) << value.error().to_string();
          evaluated.push_back(*value);
        }
        EXPECT_EQ(to_string(evaluated), to_string(concrete->sizes[k]));
      }
    }
    cases_rebound += rebound;
  }
  // Some facts pin a symbol to a constant (expand [3] to [3]: s0 == 3); most leave room.
  EXPECT_GE(cases_rebound * 10, cases_with_symbols * 8)
      << cases_rebound << " of " << cases_with_symbols << " cases found other bindings";
}

// ---- the facts and expressions particular rules give ----

// The single output of op on `inputs`, with its facts.
SymDims one_output(OpKind op, const std::vector<SymDims>& inputs, std::vector<Attr> positional) {
  auto attrs = bind_attrs(op, static_cast<int>(inputs.size()), positional);
  EXPECT_TRUE(attrs.ok());
  auto result = infer_sym_sizes(op, inputs, *attrs);
  EXPECT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_EQ(result->size(), 1u);
  return result->front();
}

TEST(InferSymSizesFacts, BroadcastingASymbolicDimWithOne) {
  HintDecider decider;
  SymDims out = one_output(OpKind::add, {decider.symbols({3}), plain_dims({1})}, {});
  EXPECT_EQ(out[0].expr, decider.context().symbol(0));
  EXPECT_EQ(decider.printed_facts(), std::vector<std::string>{"s0 != 1"});

  // A symbol whose hint is 1 is specialized to 1, like PyTorch's 0/1 specialization.
  HintDecider one;
  out = one_output(OpKind::add, {one.symbols({3}), one.symbols({1})}, {});
  EXPECT_EQ(out[0].expr, one.context().symbol(0));
  EXPECT_EQ(one.printed_facts(), (std::vector<std::string>{"s0 != 1", "s1 == 1"}));
}

TEST(InferSymSizesFacts, BroadcastingTwoSymbolicDimsEquatesThem) {
  HintDecider decider;
  SymDims out = one_output(OpKind::mul, {decider.symbols({4}), decider.symbols({4})}, {});
  EXPECT_EQ(out[0].expr, decider.context().symbol(0));
  EXPECT_EQ(decider.printed_facts(), (std::vector<std::string>{"s0 != 1", "s1 != 1", "s0 == s1"}));
}

TEST(InferSymSizesFacts, ReshapeMinusOneIsTheProduct) {
  HintDecider decider;
  SymContext& c = decider.context();
  SymDims out = one_output(OpKind::reshape, {decider.symbols({2, 3})}, {L({-1})});
  EXPECT_EQ(out[0].expr, c.mul(c.symbol(0), c.symbol(1)));
  EXPECT_EQ(out[0].hint, 6);
  EXPECT_TRUE(decider.facts().empty());  // numel % 1 folds

  HintDecider halves;
  SymContext& h = halves.context();
  out = one_output(OpKind::view, {halves.symbols({4, 3})}, {L({2, -1})});
  EXPECT_EQ(h.print(out[1].expr), "(s0*s1) // 2");
  EXPECT_EQ(halves.printed_facts(), std::vector<std::string>{"(s0*s1) % 2 == 0"});
}

TEST(InferSymSizesFacts, FlattenMultipliesTheMergedDims) {
  HintDecider decider;
  SymContext& c = decider.context();
  SymDims out = one_output(OpKind::flatten, {decider.symbols({2, 3, 4})}, {I(1)});
  ASSERT_EQ(out.size(), 2);
  EXPECT_EQ(out[0].expr, c.symbol(0));
  EXPECT_EQ(out[1].expr, c.mul(c.symbol(1), c.symbol(2)));
  EXPECT_TRUE(decider.facts().empty());
}

TEST(InferSymSizesFacts, CatSumsTheCatDim) {
  HintDecider decider;
  SymContext& c = decider.context();
  SymDims out = one_output(OpKind::cat, {decider.symbols({2, 5}), decider.symbols({3, 5})}, {});
  EXPECT_EQ(out[0].expr, c.add(c.symbol(0), c.symbol(2)));
  EXPECT_EQ(c.print(out[0].expr), "s0 + s2");
  EXPECT_EQ(out[1].expr, c.symbol(1));
  EXPECT_EQ(decider.printed_facts(), std::vector<std::string>{"s1 == s3"});
}

TEST(InferSymSizesFacts, SliceClampsWithMinAndMaxAndRecordsNothing) {
  HintDecider decider;
  SymContext& c = decider.context();
  SymDims out = one_output(OpKind::slice, {decider.symbols({10})}, {I(0), I(1)});
  EXPECT_EQ(out[0].hint, 9);
  EXPECT_EQ(c.print(out[0].expr), "max(s0 - min(s0, 1), 0)");
  out = one_output(OpKind::slice, {decider.symbols({10})}, {I(0), I(-3), None(), I(2)});
  EXPECT_EQ(out[0].hint, 2);
  EXPECT_TRUE(decider.facts().empty());
}

TEST(InferSymSizesFacts, SplitFixesThePieceCountByTheLastPiece) {
  HintDecider decider;
  SymContext& c = decider.context();
  auto attrs = bind_attrs(OpKind::split, 1, std::vector<Attr>{I(3)});
  ASSERT_TRUE(attrs.ok());
  const std::vector<SymDims> inputs = {decider.symbols({10})};
  auto result = infer_sym_sizes(OpKind::split, inputs, *attrs);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->size(), 4u);
  EXPECT_FALSE((*result)[0][0].is_symbolic());
  EXPECT_EQ((*result)[0][0].hint, 3);
  EXPECT_EQ(c.print((*result)[3][0].expr), "s0 - 9");
  EXPECT_EQ(decider.printed_facts(), (std::vector<std::string>{"s0 >= 10", "s0 <= 12"}));
}

TEST(InferSymSizesFacts, ErrorsShowTheHints) {
  HintDecider decider;
  auto attrs = bind_attrs(OpKind::add, 2, std::vector<Attr>{});
  ASSERT_TRUE(attrs.ok());
  const std::vector<SymDims> inputs = {decider.symbols({2}), decider.symbols({3})};
  auto result = infer_sym_sizes(OpKind::add, inputs, *attrs);
  EXPECT_TRUE(fails_with(result, ErrorKind::RuntimeError,
                         "The size of tensor a (2) must match the size of tensor b (3) at "
                         "non-singleton dimension 0"));
  EXPECT_EQ(decider.printed_facts(), (std::vector<std::string>{"s0 != 1", "s1 != 1", "s0 != s1"}));
}

}  // namespace
}  // namespace gyro
