// Dtype table and promotion: names, sizes, categories, promote_types and PyTorch's result_type.
#include "ir/dtype.h"

#include <initializer_list>
#include <iterator>
#include <string>
#include <type_traits>
#include <utility>

#include <gtest/gtest.h>

namespace gyro {
namespace {

using Priority = ResultType::Priority;
constexpr DType kBool = DType::Bool;
constexpr DType kInt64 = DType::Int64;
constexpr DType kFloat32 = DType::Float32;
constexpr DType kFloat64 = DType::Float64;

// result_type over (dtype, priority) operands, added in the given order.
DType result_of(std::initializer_list<std::pair<DType, Priority>> operands) {
  ResultType result;
  for (const auto& [dtype, priority] : operands) result.add(dtype, priority);
  return result.result();
}

// The same operands added in reverse order: result_type must not depend on operand order.
DType result_of_reversed(std::initializer_list<std::pair<DType, Priority>> operands) {
  ResultType result;
  for (auto it = std::rbegin(operands); it != std::rend(operands); ++it)
    result.add(it->first, it->second);
  return result.result();
}

std::pair<DType, Priority> dim(DType d) {
  return {d, Priority::kDimensioned};
}
std::pair<DType, Priority> zero_dim(DType d) {
  return {d, Priority::kZeroDim};
}
std::pair<DType, Priority> wrapped(DType d) {
  return {d, Priority::kWrappedNumber};
}

TEST(DTypeNames, MatchPyTorchSpelling) {
  EXPECT_EQ(kNumDTypes, 4);
  EXPECT_EQ(dtype_name(kBool), "bool");
  EXPECT_EQ(dtype_name(kInt64), "int64");
  EXPECT_EQ(dtype_name(kFloat32), "float32");
  EXPECT_EQ(dtype_name(kFloat64), "float64");
}

TEST(DTypeNames, RoundTripThroughFromName) {
  for (DType d : {kBool, kInt64, kFloat32, kFloat64}) {
    auto parsed = dtype_from_name(dtype_name(d));
    ASSERT_TRUE(parsed.has_value()) << dtype_name(d);
    EXPECT_EQ(*parsed, d);
  }
}

TEST(DTypeNames, UnknownNamesAreRejected) {
  EXPECT_FALSE(dtype_from_name("float").has_value());  // torch.float is an alias, not a name here
  EXPECT_FALSE(dtype_from_name("Float32").has_value());
  EXPECT_FALSE(dtype_from_name("int32").has_value());
  EXPECT_FALSE(dtype_from_name("").has_value());
}

TEST(DTypeNames, FmtFormatsTheName) {
  EXPECT_EQ(fmt::format("{}", kFloat64), "float64");
  EXPECT_EQ(fmt::format("[{}]", kBool), "[bool]");
}

TEST(DTypeSizes, MatchElementTypes) {
  EXPECT_EQ(dtype_size(kBool), 1u);
  EXPECT_EQ(dtype_size(kInt64), 8u);
  EXPECT_EQ(dtype_size(kFloat32), 4u);
  EXPECT_EQ(dtype_size(kFloat64), 8u);
}

TEST(DTypeSizes, CTypeOfMapsEachDType) {
  static_assert(std::is_same_v<ctype_t<DType::Bool>, bool>);
  static_assert(std::is_same_v<ctype_t<DType::Int64>, int64_t>);
  static_assert(std::is_same_v<ctype_t<DType::Float32>, float>);
  static_assert(std::is_same_v<ctype_t<DType::Float64>, double>);
  for (DType d : {kBool, kInt64, kFloat32, kFloat64}) {
    std::size_t size = visit_dtype(d, [](auto tag) { return sizeof(tag); });
    EXPECT_EQ(size, dtype_size(d)) << dtype_name(d);
  }
}

TEST(DTypeCategories, OrderBoolIntegralFloating) {
  EXPECT_EQ(dtype_category(kBool), DTypeCategory::kBoolCategory);
  EXPECT_EQ(dtype_category(kInt64), DTypeCategory::kIntegralCategory);
  EXPECT_EQ(dtype_category(kFloat32), DTypeCategory::kFloatingCategory);
  EXPECT_EQ(dtype_category(kFloat64), DTypeCategory::kFloatingCategory);
  EXPECT_TRUE(is_floating(kFloat32));
  EXPECT_TRUE(is_floating(kFloat64));
  EXPECT_FALSE(is_floating(kInt64));
  EXPECT_FALSE(is_floating(kBool));
  EXPECT_TRUE(is_integral(kInt64, /*include_bool=*/false));
  EXPECT_FALSE(is_integral(kBool, /*include_bool=*/false));
  EXPECT_TRUE(is_integral(kBool, /*include_bool=*/true));
  EXPECT_FALSE(is_integral(kFloat32, /*include_bool=*/true));
}

TEST(DTypePromoteTypes, FollowsTheLattice) {
  // torch.promote_types over {bool, int64, float32, float64}.
  const DType all[] = {kBool, kInt64, kFloat32, kFloat64};
  const DType expected[4][4] = {
      {kBool, kInt64, kFloat32, kFloat64},
      {kInt64, kInt64, kFloat32, kFloat64},
      {kFloat32, kFloat32, kFloat32, kFloat64},
      {kFloat64, kFloat64, kFloat64, kFloat64},
  };
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j)
      EXPECT_EQ(promote_types(all[i], all[j]), expected[i][j])
          << dtype_name(all[i]) << " with " << dtype_name(all[j]);
}

TEST(DTypeResultType, SingleOperandIsItsOwnDType) {
  for (DType d : {kBool, kInt64, kFloat32, kFloat64}) {
    EXPECT_EQ(result_of({dim(d)}), d);
    EXPECT_EQ(result_of({zero_dim(d)}), d);
  }
}

TEST(DTypeResultType, DimensionedTensorsPromoteNormally) {
  EXPECT_EQ(result_of({dim(kFloat32), dim(kFloat64)}), kFloat64);
  EXPECT_EQ(result_of({dim(kInt64), dim(kFloat32)}), kFloat32);
  EXPECT_EQ(result_of({dim(kBool), dim(kInt64)}), kInt64);
  EXPECT_EQ(result_of({dim(kBool), dim(kBool)}), kBool);
}

TEST(DTypeResultType, WrappedFloatRaisesIntToDefaultFloat) {
  // torch.tensor([1, 2]) + 2.5 -> float32 (a Python float counts as the default dtype).
  EXPECT_EQ(result_of({dim(kInt64), wrapped(kFloat64)}), kFloat32);
  EXPECT_EQ(result_of({dim(kInt64), wrapped(kFloat32)}), kFloat32);
  EXPECT_EQ(result_of({dim(kBool), wrapped(kFloat64)}), kFloat32);
}

TEST(DTypeResultType, WrappedNumberNeverWidensWithinCategory) {
  EXPECT_EQ(result_of({dim(kFloat32), wrapped(kFloat64)}), kFloat32);
  EXPECT_EQ(result_of({dim(kFloat64), wrapped(kFloat32)}), kFloat64);
  EXPECT_EQ(result_of({dim(kInt64), wrapped(kInt64)}), kInt64);
  EXPECT_EQ(result_of({dim(kInt64), wrapped(kBool)}), kInt64);
  EXPECT_EQ(result_of({dim(kFloat32), wrapped(kInt64)}), kFloat32);
}

TEST(DTypeResultType, WrappedIntRaisesBoolToInt64) {
  // torch.tensor([True]) + 2 -> int64; + True stays bool.
  EXPECT_EQ(result_of({dim(kBool), wrapped(kInt64)}), kInt64);
  EXPECT_EQ(result_of({dim(kBool), wrapped(kBool)}), kBool);
}

TEST(DTypeResultType, ZeroDimOfSameCategoryDoesNotWiden) {
  // torch.tensor([1.]) + torch.tensor(2.5, dtype=torch.float64) -> float32.
  EXPECT_EQ(result_of({dim(kFloat32), zero_dim(kFloat64)}), kFloat32);
  EXPECT_EQ(result_of({dim(kFloat32), zero_dim(kInt64)}), kFloat32);
}

TEST(DTypeResultType, ZeroDimOfHigherCategoryKeepsItsWidth) {
  // torch.tensor([1]) + torch.tensor(2.5, dtype=torch.float64) -> float64 (unlike a wrapped 2.5).
  EXPECT_EQ(result_of({dim(kInt64), zero_dim(kFloat64)}), kFloat64);
  EXPECT_EQ(result_of({dim(kInt64), zero_dim(kFloat32)}), kFloat32);
  EXPECT_EQ(result_of({dim(kBool), zero_dim(kInt64)}), kInt64);
}

TEST(DTypeResultType, ZeroDimTensorsAmongThemselvesPromoteNormally) {
  // torch.result_type(torch.tensor(1.0), torch.tensor(1.0, dtype=torch.float64)) -> float64.
  EXPECT_EQ(result_of({zero_dim(kFloat32), zero_dim(kFloat64)}), kFloat64);
  EXPECT_EQ(result_of({zero_dim(kInt64), zero_dim(kFloat64)}), kFloat64);
}

TEST(DTypeResultType, ZeroDimAgainstWrappedNumbers) {
  // torch.tensor(3) + 1.5 -> float32; torch.tensor(3.5, dtype=float64) + 1 -> float64.
  EXPECT_EQ(result_of({zero_dim(kInt64), wrapped(kFloat64)}), kFloat32);
  EXPECT_EQ(result_of({zero_dim(kFloat64), wrapped(kInt64)}), kFloat64);
  EXPECT_EQ(result_of({zero_dim(kFloat64), wrapped(kFloat64)}), kFloat64);
  EXPECT_EQ(result_of({zero_dim(kBool), wrapped(kFloat64)}), kFloat32);
}

TEST(DTypeResultType, OnlyWrappedNumbers) {
  // torch.result_type(2, 2.5) -> float32; torch.result_type(True, 2) -> int64.
  EXPECT_EQ(result_of({wrapped(kInt64), wrapped(kFloat64)}), kFloat32);
  EXPECT_EQ(result_of({wrapped(kBool), wrapped(kInt64)}), kInt64);
  EXPECT_EQ(result_of({wrapped(kInt64), wrapped(kInt64)}), kInt64);
}

TEST(DTypeResultType, ThreePriorities) {
  EXPECT_EQ(result_of({dim(kBool), zero_dim(kInt64), wrapped(kFloat64)}), kFloat32);
  EXPECT_EQ(result_of({dim(kInt64), zero_dim(kFloat64), wrapped(kFloat64)}), kFloat64);
  EXPECT_EQ(result_of({dim(kFloat32), zero_dim(kFloat64), wrapped(kInt64)}), kFloat32);
  EXPECT_EQ(result_of({dim(kBool), zero_dim(kBool), wrapped(kInt64)}), kInt64);
}

TEST(DTypeResultType, IndependentOfOperandOrder) {
  const std::initializer_list<std::pair<DType, Priority>> cases[] = {
      {dim(kInt64), zero_dim(kFloat64)},
      {dim(kFloat32), zero_dim(kFloat64)},
      {dim(kBool), wrapped(kInt64)},
      {dim(kInt64), wrapped(kFloat64), zero_dim(kFloat32)},
      {wrapped(kFloat64), dim(kBool), dim(kInt64)},
  };
  for (const auto& operands : cases) EXPECT_EQ(result_of(operands), result_of_reversed(operands));
}

}  // namespace
}  // namespace gyro
