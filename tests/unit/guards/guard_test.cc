// Sources name values as the user wrote them; guards order cheap kinds first and explain
// their failures in Dynamo's words; a guard program keeps them compact and gives them back.
#include "guards/guard.h"

#include <gtest/gtest.h>

#include "guards/guard_program.h"

using namespace gyro;
using namespace gyro::guards;

TEST(Sources, AreInternedAndNamedAsWritten) {
  SourceTable sources;
  SourceId self = sources.local(0, "self");
  SourceId weight = sources.attribute(sources.attribute(self, "linear"), "weight");
  SourceId xs = sources.local(1, "xs");
  EXPECT_EQ(sources.describe(weight), "self.linear.weight");
  EXPECT_EQ(sources.describe(sources.item(xs, 2)), "xs[2]");
  EXPECT_EQ(sources.describe(sources.length(xs)), "len(xs)");
  EXPECT_EQ(sources.describe(sources.global("scale")), "scale");
  EXPECT_EQ(sources.describe(sources.stack_slot(1)), "stack[1]");
  // The same source twice is one id; parents always come before their children.
  EXPECT_EQ(sources.attribute(sources.attribute(self, "linear"), "weight"), weight);
  EXPECT_LT(self, weight);
  EXPECT_EQ(sources.size(), 8u);
}

TEST(Guards, OrderPutsCheapKindsFirstThenSources) {
  std::vector<Guard> guards;
  guards.push_back({GuardKind::TENSOR_MATCH, 0});
  guards.push_back({GuardKind::TYPE_MATCH, 2});
  guards.push_back({GuardKind::LENGTH, 1});
  guards.push_back({GuardKind::TYPE_MATCH, 1});
  auto ordered = order_guards(guards);
  ASSERT_EQ(ordered.size(), 4u);
  EXPECT_EQ(ordered[0].kind, GuardKind::TYPE_MATCH);
  EXPECT_EQ(ordered[0].source, 1);
  EXPECT_EQ(ordered[1].source, 2);
  EXPECT_EQ(ordered[2].kind, GuardKind::LENGTH);
  EXPECT_EQ(ordered[3].kind, GuardKind::TENSOR_MATCH);
}

TEST(Guards, TensorMismatchesSayWhatChanged) {
  TensorMatch expected{DType::Float32, Dims{3, 4}, Dims{4, 1}};
  auto same = Tensor::empty(Dims{3, 4}, DType::Float32);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(tensor_mismatch("x", expected, *same), "");
  auto taller = Tensor::empty(Dims{4, 4}, DType::Float32);
  EXPECT_EQ(tensor_mismatch("x", expected, *taller),
            "tensor 'x' size mismatch at index 0. expected 3, actual 4");
  auto doubles = Tensor::empty(Dims{3, 4}, DType::Float64);
  EXPECT_EQ(tensor_mismatch("x", expected, *doubles),
            "tensor 'x' dtype mismatch. expected float32, actual float64");
  auto flat = Tensor::empty(Dims{12}, DType::Float32);
  EXPECT_EQ(tensor_mismatch("x", expected, *flat),
            "tensor 'x' rank mismatch. expected 2, actual 1");
  auto wide = Tensor::empty(Dims{4, 3}, DType::Float32);
  Tensor transposed = wide->as_strided(Dims{3, 4}, Dims{1, 3}, 0);
  EXPECT_EQ(tensor_mismatch("x", expected, transposed),
            "tensor 'x' stride mismatch at index 0. expected 4, actual 1");
}

TEST(Guards, OtherKindsExplainThemselves) {
  EXPECT_EQ(type_mismatch("b", "Tensor", "int"),
            "expected type of 'b' to be Tensor, but found int");
  EXPECT_EQ(length_mismatch("xs", 3), "len(xs) == 3");
  EXPECT_EQ(constant_mismatch("n", Constant::integer(2)), "n == 2");
  EXPECT_EQ(aliasing_mismatch("a", "b"), "tensors 'a' and 'b' share storage");
  SourceTable sources;
  Guard guard{GuardKind::TENSOR_MATCH, sources.local(0, "x")};
  guard.tensor = {DType::Float64, Dims{2}, Dims{1}};
  EXPECT_EQ(describe(sources, guard), "TENSOR_MATCH x: float64[2] stride=[1]");
  EXPECT_EQ(guard_kind_name(GuardKind::NO_ALIASING), "NO_ALIASING");
}

TEST(GuardProgram, ChecksAreSmallAndDecodeToTheGuardsRecorded) {
  static_assert(sizeof(GuardCheck) == 24);
  SourceTable sources;
  SourceId x = sources.local(0, "x"), n = sources.local(1, "n"), s = sources.local(2, "s");
  std::vector<Guard> recorded;
  Guard tensor(GuardKind::TENSOR_MATCH, x);
  tensor.tensor = {DType::Float64, Dims{3, 4}, Dims{4, 1}};
  recorded.push_back(tensor);
  Guard integer(GuardKind::CONSTANT_MATCH, n);
  integer.constant = Constant::integer(-7);
  recorded.push_back(integer);
  Guard real(GuardKind::CONSTANT_MATCH, n);
  real.constant = Constant::real(-0.0);
  recorded.push_back(real);
  Guard text(GuardKind::CONSTANT_MATCH, s);
  text.constant = Constant::string("relu");
  recorded.push_back(text);
  Guard type(GuardKind::TYPE_MATCH, s);
  type.identity = &sources;
  type.type_name = "Net";
  recorded.push_back(type);
  Guard length(GuardKind::LENGTH, sources.length(s));
  length.length = 5;
  recorded.push_back(length);
  Guard aliasing(GuardKind::NO_ALIASING, x);
  aliasing.unaliased = {n, s};
  recorded.push_back(aliasing);

  GuardProgram program;
  for (const Guard& guard : recorded) program.push_back(guard);
  program = order_guards(std::move(program));
  std::vector<Guard> ordered = order_guards(recorded);
  ASSERT_EQ(program.size(), ordered.size());
  std::size_t index = 0;
  for (const Guard& guard : program) {
    EXPECT_EQ(describe(sources, guard), describe(sources, ordered[index])) << index;
    EXPECT_EQ(guard.kind, ordered[index].kind);
    EXPECT_EQ(guard.source, ordered[index].source);
    EXPECT_EQ(guard.identity, ordered[index].identity);
    ++index;
  }
  EXPECT_EQ(describe(sources, program[0]), "TYPE_MATCH s: Net");
  EXPECT_EQ(describe(sources, program[program.size() - 1]), "NO_ALIASING x: n, s");
  // -0.0 keeps its sign through the check's bits.
  bool saw_negative_zero = false;
  for (const Guard& guard : program)
    saw_negative_zero = saw_negative_zero || (guard.constant.kind() == Constant::Kind::kFloat &&
                                              guard.constant.repr() == "-0.0");
  EXPECT_TRUE(saw_negative_zero);
}
