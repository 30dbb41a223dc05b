// Eager creation kernels: zeros/ones/full, arange, linspace, eye, rand/randn and tensor(...).
#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "ir/random.h"
#include "tests/unit/backends/test_util.h"

namespace gyro {
namespace {

using namespace gyro::testing;

// ---------------------------------------------------------------- zeros, ones, full

TEST(CreationZeros, DefaultsToFloat32) {
  Tensor t = ok(OpKind::zeros, {}, {L({2, 3})});
  EXPECT_EQ(t.dtype(), DType::Float32);
  EXPECT_EQ(t.sizes(), (Dims{2, 3}));
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_TRUE(all_close(t, {0, 0, 0, 0, 0, 0}));
}

TEST(CreationZeros, TakesADTypeAndALoneIntSize) {
  Tensor t = ok(OpKind::zeros, {}, {I(3)}, {{"dtype", DT(DType::Int64)}});
  EXPECT_EQ(t.dtype(), DType::Int64);
  EXPECT_EQ(t.sizes(), (Dims{3}));
  EXPECT_EQ(t.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 0}));
}

TEST(CreationZeros, ZeroDimAndEmpty) {
  Tensor scalar = ok(OpKind::zeros, {}, {L({})});
  EXPECT_EQ(scalar.dim(), 0);
  EXPECT_EQ(scalar.numel(), 1);
  EXPECT_EQ(scalar.item(), 0.0);
  Tensor empty = ok(OpKind::ones, {}, {L({2, 0})});
  EXPECT_EQ(empty.sizes(), (Dims{2, 0}));
  EXPECT_EQ(empty.numel(), 0);
}

TEST(CreationZeros, NegativeSizeIsRuntimeError) {
  EXPECT_TRUE(fails_with(op(OpKind::zeros, {}, {L({-1})}), ErrorKind::RuntimeError,
                         "negative dimension -1"));
  EXPECT_TRUE(fails_with(op(OpKind::full, {}, {L({2, -3}), I(1)}), ErrorKind::RuntimeError,
                         "negative dimension -3"));
}

TEST(CreationOnes, EveryDType) {
  EXPECT_TRUE(all_close(ok(OpKind::ones, {}, {L({2})}), {1, 1}));
  Tensor b = ok(OpKind::ones, {}, {L({2})}, {{"dtype", DT(DType::Bool)}});
  EXPECT_EQ(b.dtype(), DType::Bool);
  EXPECT_TRUE(all_close(b, {1, 1}));
  Tensor i = ok(OpKind::ones, {}, {L({2})}, {{"dtype", DT(DType::Int64)}});
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{1, 1}));
  Tensor d = ok(OpKind::ones, {}, {L({1})}, {{"dtype", DT(DType::Float64)}});
  EXPECT_EQ(d.dtype(), DType::Float64);
}

TEST(CreationFull, DTypeFollowsTheFillValue) {
  // torch.full((2,), 7) -> int64; 2.5 -> float32; True -> bool.
  Tensor i = ok(OpKind::full, {}, {L({2}), I(7)});
  EXPECT_EQ(i.dtype(), DType::Int64);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{7, 7}));
  Tensor f = ok(OpKind::full, {}, {L({2, 2}), F(2.5)});
  EXPECT_EQ(f.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(f, {2.5, 2.5, 2.5, 2.5}));
  Tensor b = ok(OpKind::full, {}, {L({1}), B(true)});
  EXPECT_EQ(b.dtype(), DType::Bool);
  EXPECT_TRUE(all_close(b, {1}));
}

TEST(CreationFull, ExplicitDTypeConvertsTheFillValue) {
  Tensor d = ok(OpKind::full, {}, {L({2}), I(3), DT(DType::Float64)});
  EXPECT_EQ(d.dtype(), DType::Float64);
  EXPECT_TRUE(all_close(d, {3, 3}));
  Tensor truncated = ok(OpKind::full, {}, {L({1}), F(-2.7)}, {{"dtype", DT(DType::Int64)}});
  EXPECT_EQ(truncated.to_vector<int64_t>(), (std::vector<int64_t>{-2}));
  Tensor big = ok(OpKind::full, {}, {L({1}), I(int64_t{1} << 60)});
  EXPECT_EQ(big.to_vector<int64_t>()[0], int64_t{1} << 60);
  Tensor nan = ok(OpKind::full, {}, {L({1}), F(NAN)}, {{"dtype", DT(DType::Bool)}});
  EXPECT_TRUE(all_close(nan, {1}));
}

// ---------------------------------------------------------------- arange

TEST(CreationArange, IntegerArgumentsGiveInt64) {
  Tensor t = ok(OpKind::arange, {}, {I(5)});
  EXPECT_EQ(t.dtype(), DType::Int64);
  EXPECT_EQ(t.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(ok(OpKind::arange, {}, {I(2), I(5)}).to_vector<int64_t>(),
            (std::vector<int64_t>{2, 3, 4}));
}

TEST(CreationArange, NegativeStep) {
  // torch.arange(5, 0, -2) -> [5, 3, 1].
  EXPECT_EQ(ok(OpKind::arange, {}, {I(5), I(0), I(-2)}).to_vector<int64_t>(),
            (std::vector<int64_t>{5, 3, 1}));
  EXPECT_TRUE(all_close(ok(OpKind::arange, {}, {F(1.0), F(0.0), F(-0.25)}), {1, 0.75, 0.5, 0.25}));
}

TEST(CreationArange, AnyFloatArgumentGivesFloat32) {
  Tensor t = ok(OpKind::arange, {}, {I(1), F(2.5), F(0.5)});
  EXPECT_EQ(t.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(t, {1.0, 1.5, 2.0}));
  Tensor from_float = ok(OpKind::arange, {}, {F(5.0)});
  EXPECT_EQ(from_float.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(from_float, {0, 1, 2, 3, 4}));
}

TEST(CreationArange, ExplicitDType) {
  // torch.arange(0, 2.5, 0.5, dtype=torch.int64) -> [0, 0, 1, 1, 2].
  Tensor t = ok(OpKind::arange, {}, {I(0), F(2.5), F(0.5)}, {{"dtype", DT(DType::Int64)}});
  EXPECT_EQ(t.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 1, 1, 2}));
  Tensor d = ok(OpKind::arange, {}, {I(3)}, {{"dtype", DT(DType::Float64)}});
  EXPECT_EQ(d.dtype(), DType::Float64);
  EXPECT_TRUE(all_close(d, {0, 1, 2}));
}

TEST(CreationArange, IntegerRangesAreExactBeyondDoublePrecision) {
  // torch.arange(2**53 + 1, 2**53 + 4) has 3 elements and torch.arange(2**60, 2**60 + 5, 2)
  // has 3: for int64 PyTorch computes the length in integer arithmetic.
  const int64_t start = (int64_t{1} << 53) + 1;
  Tensor t = ok(OpKind::arange, {}, {I(start), I(start + 3)});
  EXPECT_EQ(t.to_vector<int64_t>(), (std::vector<int64_t>{start, start + 1, start + 2}));
  const int64_t big = int64_t{1} << 60;
  Tensor stepped = ok(OpKind::arange, {}, {I(big), I(big + 5), I(2)});
  EXPECT_EQ(stepped.to_vector<int64_t>(), (std::vector<int64_t>{big, big + 2, big + 4}));
}

TEST(CreationArange, EmptyRange) {
  Tensor t = ok(OpKind::arange, {}, {I(3), I(3)});
  EXPECT_EQ(t.sizes(), (Dims{0}));
  EXPECT_EQ(t.dtype(), DType::Int64);
}

TEST(CreationArange, ErrorsHaveTorchsMessages) {
  EXPECT_TRUE(fails_with(op(OpKind::arange, {}, {I(0), I(5), I(0)}), ErrorKind::RuntimeError,
                         "step must be nonzero"));
  EXPECT_TRUE(fails_with(op(OpKind::arange, {}, {I(0), I(5), I(-1)}), ErrorKind::RuntimeError,
                         "upper bound and larger bound inconsistent with step sign"));
  EXPECT_TRUE(fails_with(op(OpKind::arange, {}, {I(0), F(NAN)}), ErrorKind::RuntimeError,
                         "unsupported range"));
}

// ---------------------------------------------------------------- linspace

TEST(CreationLinspace, EvenlySpacedWithExactEndpoints) {
  Tensor t = ok(OpKind::linspace, {}, {I(0), I(1), I(5)});
  EXPECT_EQ(t.dtype(), DType::Float32);
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1}));
  EXPECT_EQ(ok(OpKind::linspace, {}, {I(-1), I(1), I(5)}).to_vector<float>(),
            (std::vector<float>{-1, -0.5f, 0, 0.5f, 1}));
}

TEST(CreationLinspace, EndpointsAreExactForInexactSteps) {
  // torch.linspace(0.1, 0.7, 7): first 0.1f, last 0.7f exactly.
  Tensor t = ok(OpKind::linspace, {}, {F(0.1), F(0.7), I(7)});
  auto v = t.to_vector<float>();
  ASSERT_EQ(v.size(), 7u);
  EXPECT_EQ(v.front(), 0.1f);
  EXPECT_EQ(v.back(), 0.7f);
  EXPECT_TRUE(all_close(t, {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}, 1e-6));
  Tensor d = ok(OpKind::linspace, {}, {F(0.1), F(0.7), I(7)}, {{"dtype", DT(DType::Float64)}});
  EXPECT_EQ(d.to_vector<double>().front(), 0.1);
  EXPECT_EQ(d.to_vector<double>().back(), 0.7);
}

TEST(CreationLinspace, OneStepIsTheStart) {
  // torch.linspace(2, 5, 1) -> tensor([2.]).
  EXPECT_TRUE(all_close(ok(OpKind::linspace, {}, {I(2), I(5), I(1)}), {2}));
}

TEST(CreationLinspace, ZeroStepsIsEmpty) {
  Tensor t = ok(OpKind::linspace, {}, {I(2), I(5), I(0)});
  EXPECT_EQ(t.sizes(), (Dims{0}));
  EXPECT_TRUE(fails_with(op(OpKind::linspace, {}, {I(0), I(1), I(-1)}), ErrorKind::RuntimeError,
                         "number of steps must be non-negative"));
}

TEST(CreationLinspace, IntegerDTypeTruncates) {
  // torch.linspace(0, 10, 4, dtype=torch.int64) -> [0, 3, 6, 10].
  Tensor t = ok(OpKind::linspace, {}, {I(0), I(10), I(4)}, {{"dtype", DT(DType::Int64)}});
  EXPECT_EQ(t.to_vector<int64_t>(), (std::vector<int64_t>{0, 3, 6, 10}));
}

TEST(CreationLinspace, Decreasing) {
  EXPECT_TRUE(all_close(ok(OpKind::linspace, {}, {I(3), I(-3), I(4)}), {3, 1, -1, -3}));
}

// ---------------------------------------------------------------- eye

TEST(CreationEye, Square) {
  Tensor t = ok(OpKind::eye, {}, {I(3)});
  EXPECT_EQ(t.sizes(), (Dims{3, 3}));
  EXPECT_EQ(t.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(t, {1, 0, 0, 0, 1, 0, 0, 0, 1}));
}

TEST(CreationEye, Rectangular) {
  EXPECT_TRUE(all_close(ok(OpKind::eye, {}, {I(2), I(3)}), {1, 0, 0, 0, 1, 0}));
  EXPECT_TRUE(all_close(ok(OpKind::eye, {}, {I(3), I(2)}), {1, 0, 0, 1, 0, 0}));
  Tensor i = ok(OpKind::eye, {}, {I(2)}, {{"dtype", DT(DType::Int64)}});
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 0, 1}));
  Tensor b = ok(OpKind::eye, {}, {I(2)}, {{"dtype", DT(DType::Bool)}});
  EXPECT_TRUE(all_close(b, {1, 0, 0, 1}));
}

TEST(CreationEye, EmptyAndErrors) {
  EXPECT_EQ(ok(OpKind::eye, {}, {I(0)}).sizes(), (Dims{0, 0}));
  EXPECT_EQ(ok(OpKind::eye, {}, {I(2), I(0)}).sizes(), (Dims{2, 0}));
  EXPECT_TRUE(fails_with(op(OpKind::eye, {}, {I(-1)}), ErrorKind::RuntimeError,
                         "n must be greater or equal to 0, got -1"));
}

// ---------------------------------------------------------------- rand, randn

TEST(CreationRand, ShapeDTypeAndRange) {
  eager::manual_seed(0);
  Tensor t = ok(OpKind::rand, {}, {L({3, 4})});
  EXPECT_EQ(t.sizes(), (Dims{3, 4}));
  EXPECT_EQ(t.dtype(), DType::Float32);
  for (double v : values(t)) {
    EXPECT_GE(v, 0.0);
    EXPECT_LT(v, 1.0);
  }
}

TEST(CreationRand, ManualSeedMakesItDeterministic) {
  eager::manual_seed(1234);
  auto first = values(ok(OpKind::rand, {}, {L({8})}));
  auto second = values(ok(OpKind::rand, {}, {L({8})}));
  EXPECT_NE(first, second);
  eager::manual_seed(1234);
  EXPECT_EQ(values(ok(OpKind::rand, {}, {L({8})})), first);
  EXPECT_EQ(values(ok(OpKind::rand, {}, {L({8})})), second);
  eager::manual_seed(1235);
  EXPECT_NE(values(ok(OpKind::rand, {}, {L({8})})), first);
}

TEST(CreationRand, ValuesFollowTheStreamSpec) {
  eager::manual_seed(42);
  ok(OpKind::rand, {}, {L({5})});  // counters 0..4
  auto t = ok(OpKind::rand, {}, {L({3})}).to_vector<float>();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(t[i], uniform_float(42, 5 + i)) << i;
  EXPECT_FLOAT_EQ(t[0], 0.314847469329834f);
}

TEST(CreationRand, OffsetAdvancesByNumel) {
  eager::manual_seed(7);
  EXPECT_EQ(default_generator().offset(), 0u);
  ok(OpKind::rand, {}, {L({2, 3})});
  EXPECT_EQ(default_generator().offset(), 6u);
  ok(OpKind::randn, {}, {L({4})});
  EXPECT_EQ(default_generator().offset(), 10u);
  ok(OpKind::rand, {}, {L({0, 3})});
  EXPECT_EQ(default_generator().offset(), 10u);
}

TEST(CreationRand, TwoCallsEqualOneCallOfTheConcatenation) {
  eager::manual_seed(99);
  auto head = values(ok(OpKind::rand, {}, {L({3})}));
  auto tail = values(ok(OpKind::rand, {}, {L({2, 2})}));
  head.insert(head.end(), tail.begin(), tail.end());
  eager::manual_seed(99);
  EXPECT_EQ(values(ok(OpKind::rand, {}, {L({7})})), head);
}

TEST(CreationRand, Float64UsesTheDoubleTransform) {
  eager::manual_seed(42);
  ok(OpKind::rand, {}, {L({5})});
  Tensor t = ok(OpKind::rand, {}, {L({2})}, {{"dtype", DT(DType::Float64)}});
  EXPECT_EQ(t.dtype(), DType::Float64);
  auto v = t.to_vector<double>();
  EXPECT_EQ(v[0], uniform_double(42, 5));
  EXPECT_EQ(v[1], uniform_double(42, 6));
  EXPECT_DOUBLE_EQ(v[0], 0.314847471493638);
}

TEST(CreationRand, IntegerDTypeIsRejected) {
  EXPECT_TRUE(fails_with(op(OpKind::rand, {}, {L({2})}, {{"dtype", DT(DType::Int64)}}),
                         ErrorKind::RuntimeError, "floating point"));
  EXPECT_TRUE(fails_with(op(OpKind::randn, {}, {L({2})}, {{"dtype", DT(DType::Bool)}}),
                         ErrorKind::RuntimeError, "floating point"));
}

TEST(CreationRandn, ShapeDTypeAndDeterminism) {
  eager::manual_seed(5);
  Tensor t = ok(OpKind::randn, {}, {L({2, 3})});
  EXPECT_EQ(t.sizes(), (Dims{2, 3}));
  EXPECT_EQ(t.dtype(), DType::Float32);
  eager::manual_seed(5);
  EXPECT_EQ(values(ok(OpKind::randn, {}, {L({2, 3})})), values(t));
  eager::manual_seed(42);
  ok(OpKind::randn, {}, {L({5})});
  Tensor d = ok(OpKind::randn, {}, {L({1})}, {{"dtype", DT(DType::Float64)}});
  EXPECT_EQ(d.dtype(), DType::Float64);
  EXPECT_EQ(d.item(), normal_double(42, 5));
  EXPECT_NEAR(d.item(), 2.354609398105752, 1e-12);
}

TEST(CreationRandn, RoughlyStandardNormal) {
  eager::manual_seed(2024);
  auto v = values(ok(OpKind::randn, {}, {L({100000})}));
  double sum = 0, sum_sq = 0;
  for (double x : v) {
    sum += x;
    sum_sq += x * x;
  }
  double mean = sum / v.size();
  double std = std::sqrt(sum_sq / v.size() - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.02);
  EXPECT_NEAR(std, 1.0, 0.02);
}

// ---------------------------------------------------------------- tensor(nested lists)

TEST(CreationTensor, FromNestedLists) {
  Tensor t = T({{1, 2}, {3, 4}});
  EXPECT_EQ(t.sizes(), (Dims{2, 2}));
  EXPECT_EQ(t.dtype(), DType::Int64);
  EXPECT_EQ(t.to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 4}));
  Tensor f = T({{1, 2.5}}, DType::Float64);
  EXPECT_EQ(f.dtype(), DType::Float64);
  EXPECT_TRUE(all_close(f, {1, 2.5}));
  EXPECT_EQ(T({true, false}).dtype(), DType::Bool);
  EXPECT_TRUE(fails_with(tensor_from_nested({{1, 2}, {3, 4, 5}}), ErrorKind::ValueError,
                         "expected sequence of length 2 at dim 1 (got 3)"));
}

TEST(CreationTensor, ResultsFeedOps) {
  Tensor sum = ok(OpKind::add, {T({{1, 2}, {3, 4}}), T({10, 20})});
  EXPECT_EQ(sum.to_vector<int64_t>(), (std::vector<int64_t>{11, 22, 13, 24}));
}

}  // namespace
}  // namespace gyro
