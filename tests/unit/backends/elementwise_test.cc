// Eager elementwise kernels against PyTorch: values, broadcasting, promotion, NaN, int rules.
#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/backends/test_util.h"

namespace gyro {
namespace {

using namespace gyro::testing;

// ---------------------------------------------------------------- unary ops

TEST(ElementwiseNeg, FloatsAndInts) {
  Tensor f = ok(OpKind::neg, {T({1.5, -2.0, 0.0})});
  EXPECT_EQ(f.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(f, {-1.5, 2.0, 0.0}));
  EXPECT_TRUE(std::signbit(f.to_vector<float>()[2]));  // -0.0
  Tensor i = ok(OpKind::neg, {T({int64_t{3}, kInt64Min})});
  EXPECT_EQ(i.dtype(), DType::Int64);
  EXPECT_EQ(ints(i), (std::vector<int64_t>{-3, kInt64Min}));  // -INT64_MIN wraps
}

TEST(ElementwiseNeg, BoolHasTorchsMessage) {
  EXPECT_TRUE(fails_with(op(OpKind::neg, {T({true, false})}), ErrorKind::RuntimeError,
                         "Negation, the `-` operator, on a bool tensor is not supported. If you "
                         "are trying to invert a mask, use the `~` or `logical_not()` operator "
                         "instead."));
}

TEST(ElementwiseAbs, FloatsAndInts) {
  EXPECT_TRUE(
      all_close(ok(OpKind::abs, {T({-1.5, 2.0, -0.0, -kInf, kNaN})}), {1.5, 2.0, 0.0, kInf, kNaN}));
  Tensor i = ok(OpKind::abs, {T({int64_t{-3}, int64_t{0}, int64_t{5}, kInt64Min})});
  EXPECT_EQ(ints(i), (std::vector<int64_t>{3, 0, 5, kInt64Min}));
}

TEST(ElementwiseAbs, BoolIsRejected) {
  // torch.abs(torch.tensor([True, False])) raises RuntimeError: "abs_cpu" not implemented for
  // 'Bool'.
  EXPECT_TRUE(fails_with(op(OpKind::abs, {T({true, false})}), ErrorKind::RuntimeError, ""));
}

TEST(ElementwiseFloatUnary, ExpLogSqrtRsqrt) {
  EXPECT_TRUE(all_close(ok(OpKind::exp, {T({0.0, 1.0, -1.0, 100.0})}),
                        {1.0, std::exp(1.0), std::exp(-1.0), kInf}));
  EXPECT_TRUE(all_close(ok(OpKind::log, {T({1.0, 2.0, 4.0, 0.0, -1.0})}),
                        {0.0, std::log(2.0), std::log(4.0), -kInf, kNaN}));
  EXPECT_TRUE(
      all_close(ok(OpKind::sqrt, {T({4.0, 2.0, 0.0, -1.0})}), {2.0, std::sqrt(2.0), 0.0, kNaN}));
  EXPECT_TRUE(all_close(ok(OpKind::rsqrt, {T({4.0, 0.25, 0.0, -1.0})}), {0.5, 2.0, kInf, kNaN}));
}

TEST(ElementwiseFloatUnary, TrigAndActivations) {
  EXPECT_TRUE(
      all_close(ok(OpKind::sin, {T({0.0, 1.0, -2.0})}), {0.0, std::sin(1.0), std::sin(-2.0)}));
  EXPECT_TRUE(all_close(ok(OpKind::cos, {T({0.0, 1.0, 3.14159265})}), {1.0, std::cos(1.0), -1.0}));
  EXPECT_TRUE(all_close(ok(OpKind::tanh, {T({0.0, 1.0, -1.0, 20.0})}),
                        {0.0, std::tanh(1.0), -std::tanh(1.0), 1.0}));
  EXPECT_TRUE(all_close(ok(OpKind::sigmoid, {T({0.0, 1.0, -1.0, 100.0, -100.0})}),
                        {0.5, 0.7310585786300049, 0.2689414213699951, 1.0, 0.0}));
  EXPECT_TRUE(
      all_close(ok(OpKind::silu, {T({1.0, -1.0, 0.5, 2.0})}),
                {0.7310585786300049, -0.2689414213699951, 0.3112296656009273, 1.7615941559557646}));
}

TEST(ElementwiseFloatUnary, IntegersPromoteToFloat32) {
  Tensor e = ok(OpKind::exp, {T({0, 1})});
  EXPECT_EQ(e.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(e, {1.0, std::exp(1.0)}));
  Tensor s = ok(OpKind::sqrt, {T({true, false})});
  EXPECT_EQ(s.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(s, {1, 0}));
  Tensor d = ok(OpKind::log, {T({1.0, 2.0}, DType::Float64)});
  EXPECT_EQ(d.dtype(), DType::Float64);
  EXPECT_TRUE(all_close(d, {0.0, std::log(2.0)}, 1e-12));
}

TEST(ElementwiseGelu, DefaultIsTheExactErfForm) {
  // torch.nn.functional.gelu's default (approximate='none') is 0.5 x (1 + erf(x / sqrt(2))):
  // gelu([1, -1, 0.5, 2]) = [0.841345, -0.158655, 0.345731, 1.954500].
  std::vector<double> expected;
  for (double x : {1.0, -1.0, 0.5, 2.0})
    expected.push_back(0.5 * x * (1 + std::erf(x / std::sqrt(2.0))));
  EXPECT_TRUE(all_close(ok(OpKind::gelu, {T({1.0, -1.0, 0.5, 2.0})}), expected, 1e-6));
  EXPECT_TRUE(all_close(
      ok(OpKind::gelu, {T({1.0, -1.0, 0.5, 2.0}, DType::Float64)}),
      {0.841344746068543, -0.15865525393145702, 0.34573123063700656, 1.9544997361036416}, 1e-9));
}

TEST(ElementwiseGelu, TanhApproximation) {
  // torch.nn.functional.gelu(x, approximate='tanh') on float64.
  Tensor t = ok(OpKind::gelu, {T({1.0, -1.0, 0.5, 2.0}, DType::Float64)}, {},
                {{"approximate", Attr::string("tanh")}});
  EXPECT_TRUE(all_close(
      t, {0.8411919906082768, -0.15880800939172324, 0.34571400982514394, 1.954597694087775}, 1e-9));
}

TEST(ElementwiseGelu, IntegersAreRejected) {
  EXPECT_TRUE(fails_with(op(OpKind::gelu, {T({1, 2})}), ErrorKind::RuntimeError, "floating point"));
  EXPECT_TRUE(fails_with(op(OpKind::silu, {T({1, 2})}), ErrorKind::RuntimeError, "floating point"));
}

TEST(ElementwiseRelu, ClampsNegativesAndKeepsNaN) {
  EXPECT_TRUE(all_close(ok(OpKind::relu, {T({kNaN, -2.0, 0.0, 3.0})}), {kNaN, 0, 0, 3}));
  Tensor i = ok(OpKind::relu, {T({-1, 2})});
  EXPECT_EQ(i.dtype(), DType::Int64);
  EXPECT_EQ(ints(i), (std::vector<int64_t>{0, 2}));
  EXPECT_TRUE(fails_with(op(OpKind::relu, {T({true})}), ErrorKind::RuntimeError, "bool"));
}

TEST(ElementwiseRounding, FloorCeil) {
  EXPECT_TRUE(all_close(ok(OpKind::floor, {T({-1.5, 1.2, -0.2, kInf})}), {-2, 1, -1, kInf}));
  EXPECT_TRUE(all_close(ok(OpKind::ceil, {T({-1.5, 1.2, -0.2, kNaN})}), {-1, 2, -0.0, kNaN}));
}

TEST(ElementwiseRounding, RoundHalfToEven) {
  // torch.round([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999]) -> [0, 2, 2, -0, -2, 2].
  EXPECT_TRUE(all_close(ok(OpKind::round, {T({0.5, 1.5, 2.5, -0.5, -1.5, 2.4999})}),
                        {0, 2, 2, -0.0, -2, 2}));
  EXPECT_TRUE(
      all_close(ok(OpKind::round, {T({-2.5, 3.5, 1e10 + 0.5}, DType::Float64)}), {-2, 4, 1e10}, 0));
}

TEST(ElementwiseRounding, IntegersPassThroughAndBoolIsRejected) {
  for (OpKind kind : {OpKind::floor, OpKind::ceil, OpKind::round}) {
    Tensor t = ok(kind, {T({int64_t{-1}, kInt64Max})});
    EXPECT_EQ(t.dtype(), DType::Int64) << op_name(kind);
    EXPECT_EQ(ints(t), (std::vector<int64_t>{-1, kInt64Max})) << op_name(kind);
    EXPECT_TRUE(fails_with(op(kind, {T({true})}), ErrorKind::RuntimeError, "bool"));
  }
}

TEST(ElementwiseSign, NaNIsZero) {
  EXPECT_TRUE(all_close(ok(OpKind::sign, {T({kNaN, -2.0, 0.0, 3.0, -kInf})}), {0, -1, 0, 1, -1}));
  EXPECT_EQ(ints(ok(OpKind::sign, {T({-3, 0, 5})})), (std::vector<int64_t>{-1, 0, 1}));
  Tensor b = ok(OpKind::sign, {T({true, false})});
  EXPECT_EQ(b.dtype(), DType::Bool);
  EXPECT_TRUE(all_close(b, {1, 0}));
}

TEST(ElementwiseLogicalNot, OutputsBool) {
  Tensor f = ok(OpKind::logical_not, {T({0.0, kNaN, 2.0})});
  EXPECT_EQ(f.dtype(), DType::Bool);
  EXPECT_TRUE(all_close(f, {1, 0, 0}));
  EXPECT_TRUE(all_close(ok(OpKind::logical_not, {T({0, 3})}), {1, 0}));
  EXPECT_TRUE(all_close(ok(OpKind::logical_not, {T({true, false})}), {0, 1}));
}

TEST(ElementwiseReciprocal, IntegersPromote) {
  Tensor r = ok(OpKind::reciprocal, {T({0, 2})});
  EXPECT_EQ(r.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(r, {kInf, 0.5}));
  EXPECT_TRUE(all_close(ok(OpKind::reciprocal, {T({-4.0, 0.1})}), {-0.25, 10.0}));
}

// ---------------------------------------------------------------- add, sub, mul, div

TEST(ElementwiseAdd, ValuesAndBroadcasting) {
  // [3, 1] + [4] -> [3, 4].
  Tensor t = ok(OpKind::add, {T({{1.0}, {2.0}, {3.0}}), T({10.0, 20.0, 30.0, 40.0})});
  EXPECT_EQ(t.sizes(), (Dims{3, 4}));
  EXPECT_TRUE(all_close(t, {11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43}));
  Tensor m = ok(OpKind::mul, {T({{1, 2}, {3, 4}}), T({{10}, {100}})});
  EXPECT_EQ(ints(m), (std::vector<int64_t>{10, 20, 300, 400}));
}

TEST(ElementwiseAdd, BroadcastMismatchHasTorchsMessage) {
  EXPECT_TRUE(fails_with(op(OpKind::add, {T({{1, 2, 3}, {4, 5, 6}}), T({1, 2, 3, 4})}),
                         ErrorKind::RuntimeError,
                         "The size of tensor a (3) must match the size of tensor b (4) at "
                         "non-singleton dimension 1"));
}

TEST(ElementwiseAdd, TypePromotion) {
  Tensor int_float = ok(OpKind::add, {T({1, 2}), T({0.5, 0.25})});
  EXPECT_EQ(int_float.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(int_float, {1.5, 2.25}));
  Tensor bool_int = ok(OpKind::add, {T({true, false}), T({1, 2})});
  EXPECT_EQ(bool_int.dtype(), DType::Int64);
  EXPECT_EQ(ints(bool_int), (std::vector<int64_t>{2, 2}));
  Tensor f32_f64 = ok(OpKind::add, {T({1.0}), T({2.0}, DType::Float64)});
  EXPECT_EQ(f32_f64.dtype(), DType::Float64);
}

TEST(ElementwiseAdd, WrappedNumbersAndZeroDimTensors) {
  // torch.tensor([1, 2]) + 2.5 -> float32 [3.5, 4.5].
  Tensor t = ok(OpKind::add, {T({1, 2}), number(2.5)});
  EXPECT_EQ(t.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(t, {3.5, 4.5}));
  EXPECT_EQ(ok(OpKind::add, {T({1.0}), number(2.5, DType::Float64)}).dtype(), DType::Float32);
  EXPECT_EQ(ok(OpKind::add, {T({1, 2}), number(2, DType::Int64)}).dtype(), DType::Int64);
  // bool tensor + 2 -> int64 [3, 2].
  Tensor b = ok(OpKind::add, {T({true, false}), number(2, DType::Int64)});
  EXPECT_EQ(b.dtype(), DType::Int64);
  EXPECT_EQ(ints(b), (std::vector<int64_t>{3, 2}));
  // 0-d tensors: float32 + float64 0-d stays float32; int64 + float64 0-d is float64.
  Tensor zero_dim = Tensor::scalar(2.5, DType::Float64);
  EXPECT_EQ(ok(OpKind::add, {T({1.0}), zero_dim}).dtype(), DType::Float32);
  Tensor widened = ok(OpKind::add, {T({1}), zero_dim});
  EXPECT_EQ(widened.dtype(), DType::Float64);
  EXPECT_TRUE(all_close(widened, {3.5}));
  // The number may come first.
  EXPECT_TRUE(all_close(ok(OpKind::sub, {number(10, DType::Int64), T({1, 2})}), {9, 8}));
}

TEST(ElementwiseAdd, BoolPlusBoolIsLogicalOr) {
  Tensor t = ok(OpKind::add, {T({true, true, false}), T({true, false, false})});
  EXPECT_EQ(t.dtype(), DType::Bool);
  EXPECT_TRUE(all_close(t, {1, 1, 0}));
  EXPECT_TRUE(all_close(ok(OpKind::mul, {T({true, true}), T({true, false})}), {1, 0}));
}

TEST(ElementwiseAdd, Int64OverflowWraps) {
  EXPECT_EQ(ints(ok(OpKind::add, {T({kInt64Max}), number(1, DType::Int64)})),
            (std::vector<int64_t>{kInt64Min}));
  EXPECT_EQ(ints(ok(OpKind::sub, {T({kInt64Min}), number(1, DType::Int64)})),
            (std::vector<int64_t>{kInt64Max}));
  EXPECT_EQ(ints(ok(OpKind::mul, {T({int64_t{1} << 62}), T({4})})), (std::vector<int64_t>{0}));
}

TEST(ElementwiseSub, BoolBoolHasTorchsMessage) {
  EXPECT_TRUE(fails_with(op(OpKind::sub, {T({true}), T({false})}), ErrorKind::RuntimeError,
                         "Subtraction, the `-` operator, with two bool tensors is not supported. "
                         "Use the `^` or `logical_xor()` operator instead."));
}

TEST(ElementwiseSub, OneBoolOperandIsRejected) {
  // torch.tensor([True]) - torch.tensor([1]) and torch.tensor([1, 2]) - True both raise
  // "Subtraction, the `-` operator, with a bool tensor is not supported. ..."
  EXPECT_TRUE(fails_with(op(OpKind::sub, {T({true}), T({1})}), ErrorKind::RuntimeError,
                         "with a bool tensor is not supported"));
  EXPECT_TRUE(fails_with(op(OpKind::sub, {T({1, 2}), number(1, DType::Bool)}),
                         ErrorKind::RuntimeError, "with a bool tensor is not supported"));
}

TEST(ElementwiseDiv, IsTrueDivision) {
  Tensor t = ok(OpKind::div, {T({1, 2, -1, 0}), T({2, 0, 0, 0})});
  EXPECT_EQ(t.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(t, {0.5, kInf, -kInf, kNaN}));
  Tensor d = ok(OpKind::div, {T({1.0}, DType::Float64), T({3})});
  EXPECT_EQ(d.dtype(), DType::Float64);
  EXPECT_TRUE(all_close(d, {1.0 / 3.0}, 1e-15));
  EXPECT_EQ(ok(OpKind::div, {T({true}), T({true})}).dtype(), DType::Float32);
}

// ---------------------------------------------------------------- floordiv, remainder, pow

TEST(ElementwiseFloorDiv, IntegersRoundTowardNegativeInfinity) {
  // torch.tensor([7, -7, 7, -7]) // torch.tensor([2, 2, -2, -2]) -> [3, -4, -4, 3].
  Tensor t = ok(OpKind::floordiv, {T({7, -7, 7, -7}), T({2, 2, -2, -2})});
  EXPECT_EQ(t.dtype(), DType::Int64);
  EXPECT_EQ(ints(t), (std::vector<int64_t>{3, -4, -4, 3}));
  EXPECT_EQ(ints(ok(OpKind::floordiv, {T({5, -5}), number(-1, DType::Int64)})),
            (std::vector<int64_t>{-5, 5}));
}

TEST(ElementwiseFloorDiv, FloatsFollowPython) {
  EXPECT_TRUE(
      all_close(ok(OpKind::floordiv, {T({7.0, -7.0, 7.0, -7.0}), T({2.0, 2.0, -2.0, -2.0})}),
                {3, -4, -4, 3}));
  // 1.0 // 0.1 == 9.0 in Python and PyTorch (not 10).
  EXPECT_TRUE(all_close(ok(OpKind::floordiv, {T({1.0}), number(0.1)}), {9}));
  EXPECT_TRUE(all_close(ok(OpKind::floordiv, {T({1.0}, DType::Float64), number(0.1)}), {9}));
  EXPECT_TRUE(all_close(ok(OpKind::floordiv, {T({-0.5, 0.5}), T({1.0, -1.0})}), {-1, -1}));
  // int // float promotes: torch.tensor([5]) // 2.0 -> [2.].
  Tensor mixed = ok(OpKind::floordiv, {T({5}), number(2.0)});
  EXPECT_EQ(mixed.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(mixed, {2}));
}

TEST(ElementwiseFloorDiv, FloatDivisionByZeroIsIEEE) {
  EXPECT_TRUE(all_close(ok(OpKind::floordiv, {T({1.0, -1.0, 0.0}), T({0.0, 0.0, 0.0})}),
                        {kInf, -kInf, kNaN}));
}

TEST(ElementwiseFloorDiv, IntegerDivisionByZeroIsZeroDivisionError) {
  EXPECT_TRUE(
      fails_with(op(OpKind::floordiv, {T({1, 2}), T({1, 0})}), ErrorKind::ZeroDivisionError, ""));
  EXPECT_TRUE(fails_with(op(OpKind::floordiv, {T({1}), number(0, DType::Int64)}),
                         ErrorKind::ZeroDivisionError, ""));
  EXPECT_TRUE(
      fails_with(op(OpKind::floordiv, {T({true}), T({false})}), ErrorKind::RuntimeError, "bool"));
}

TEST(ElementwiseRemainder, TakesTheDivisorsSign) {
  // torch.tensor([7, -7, 7, -7]) % torch.tensor([2, 2, -2, -2]) -> [1, 1, -1, -1].
  EXPECT_EQ(ints(ok(OpKind::remainder, {T({7, -7, 7, -7}), T({2, 2, -2, -2})})),
            (std::vector<int64_t>{1, 1, -1, -1}));
  EXPECT_EQ(ints(ok(OpKind::remainder, {T({-7}), number(3, DType::Int64)})),
            (std::vector<int64_t>{2}));
  EXPECT_EQ(ints(ok(OpKind::remainder, {T({int64_t{5}, kInt64Min}), number(-1, DType::Int64)})),
            (std::vector<int64_t>{0, 0}));
  EXPECT_TRUE(
      all_close(ok(OpKind::remainder, {T({7.5, -7.5, 7.5, -7.5}), T({2.0, 2.0, -2.0, -2.0})}),
                {1.5, 0.5, -0.5, -1.5}));
  EXPECT_TRUE(all_close(ok(OpKind::remainder, {T({5}), number(2.5)}), {0}));
}

TEST(ElementwiseRemainder, ByZero) {
  EXPECT_TRUE(all_close(ok(OpKind::remainder, {T({1.0, -1.0}), T({0.0, 0.0})}), {kNaN, kNaN}));
  EXPECT_TRUE(
      fails_with(op(OpKind::remainder, {T({1}), T({0})}), ErrorKind::ZeroDivisionError, ""));
}

TEST(ElementwisePow, Integers) {
  Tensor t = ok(OpKind::pow, {T({-2, 3, 0, 5}), T({3, 2, 0, 1})});
  EXPECT_EQ(t.dtype(), DType::Int64);
  EXPECT_EQ(ints(t), (std::vector<int64_t>{-8, 9, 1, 5}));
  // 3 ** 40 wraps in int64, as torch.tensor([3]) ** torch.tensor([40]) does.
  EXPECT_EQ(ints(ok(OpKind::pow, {T({3}), T({40})})),
            (std::vector<int64_t>{int64_t{-6289078614652622815}}));
}

TEST(ElementwisePow, FloatsAndPromotion) {
  EXPECT_TRUE(all_close(ok(OpKind::pow, {T({2.0, -8.0, 4.0}), T({0.5, 1.0 / 3, -1.0})}),
                        {std::sqrt(2.0), kNaN, 0.25}));
  Tensor half = ok(OpKind::pow, {T({1, 2}), number(0.5)});
  EXPECT_EQ(half.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(half, {1.0, std::sqrt(2.0)}));
  EXPECT_TRUE(all_close(ok(OpKind::pow, {T({1.0, 2.0}), number(2, DType::Int64)}), {1, 4}));
}

TEST(ElementwisePow, IntegerNegativeExponentIsRuntimeError) {
  // torch.tensor([2]) ** -1: "Integers to negative integer powers are not allowed."
  EXPECT_TRUE(fails_with(op(OpKind::pow, {T({2}), number(-1, DType::Int64)}),
                         ErrorKind::RuntimeError,
                         "Integers to negative integer powers are not allowed."));
  EXPECT_TRUE(fails_with(op(OpKind::pow, {T({true}), T({true})}), ErrorKind::RuntimeError, "bool"));
}

TEST(ElementwisePow, IntegerNegativeTensorExponentTruncates) {
  // torch.tensor([2, 1, -1, 0, -1, 3]) ** torch.tensor([-1, -3, -3, -2, -2, 0])
  //   -> [0, 1, -1, 0, 1, 1]: only the Python-number exponent is refused.
  EXPECT_TRUE(all_close(ok(OpKind::pow, {T({2, 1, -1, 0, -1, 3}), T({-1, -3, -3, -2, -2, 0})}),
                        {0, 1, -1, 0, 1, 1}));
  // A 0-d tensor exponent is a tensor too: pow(b, tensor(-1)).
  EXPECT_TRUE(
      all_close(ok(OpKind::pow, {T({2, 1, -1}), Tensor::scalar(-1, DType::Int64)}), {0, 1, -1}));
}

// ---------------------------------------------------------------- maximum, minimum

TEST(ElementwiseExtremum, PropagateNaNFromEitherSide) {
  EXPECT_TRUE(all_close(ok(OpKind::maximum, {T({kNaN, 1.0, 3.0}), T({1.0, kNaN, 2.0})}),
                        {kNaN, kNaN, 3.0}));
  EXPECT_TRUE(all_close(ok(OpKind::minimum, {T({kNaN, 1.0, 3.0}), T({1.0, kNaN, 2.0})}),
                        {kNaN, kNaN, 2.0}));
}

TEST(ElementwiseExtremum, IntegersBoolsAndPromotion) {
  EXPECT_EQ(ints(ok(OpKind::minimum, {T({1, 5}), T({3, 2})})), (std::vector<int64_t>{1, 2}));
  Tensor mixed = ok(OpKind::maximum, {T({1, 5}), T({3.5, 2.0})});
  EXPECT_EQ(mixed.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(mixed, {3.5, 5}));
  Tensor b = ok(OpKind::maximum, {T({true, false}), T({false, false})});
  EXPECT_EQ(b.dtype(), DType::Bool);
  EXPECT_TRUE(all_close(b, {1, 0}));
}

// ---------------------------------------------------------------- comparisons and logic

TEST(ElementwiseCompare, OutputBoolAndCompareInThePromotedType) {
  Tensor eq = ok(OpKind::eq, {T({1, 2}), number(2.0)});
  EXPECT_EQ(eq.dtype(), DType::Bool);
  EXPECT_TRUE(all_close(eq, {0, 1}));
  EXPECT_TRUE(all_close(ok(OpKind::lt, {T({1, 2}), T({1.5})}), {1, 0}));
  EXPECT_TRUE(all_close(ok(OpKind::le, {T({1, 2, 3}), T({2, 2, 2})}), {1, 1, 0}));
  EXPECT_TRUE(all_close(ok(OpKind::gt, {T({1, 2, 3}), T({2, 2, 2})}), {0, 0, 1}));
  EXPECT_TRUE(all_close(ok(OpKind::ge, {T({1, 2, 3}), T({2, 2, 2})}), {0, 1, 1}));
  EXPECT_TRUE(all_close(ok(OpKind::ne, {T({1, 2, 3}), T({2, 2, 2})}), {1, 0, 1}));
  // Int64 comparisons are exact beyond 2^53.
  int64_t big = int64_t{1} << 53;
  EXPECT_TRUE(all_close(ok(OpKind::eq, {T({big + 1}), T({big})}), {0}));
}

TEST(ElementwiseCompare, NaNIsUnordered) {
  Tensor nan = T({kNaN});
  EXPECT_TRUE(all_close(ok(OpKind::eq, {nan, nan}), {0}));
  EXPECT_TRUE(all_close(ok(OpKind::ne, {nan, nan}), {1}));
  EXPECT_TRUE(all_close(ok(OpKind::lt, {nan, number(1.0)}), {0}));
  EXPECT_TRUE(all_close(ok(OpKind::ge, {nan, number(1.0)}), {0}));
}

TEST(ElementwiseLogical, AndOrTreatNonZeroAsTrue) {
  Tensor a = ok(OpKind::logical_and, {T({1.0, 0.0, kNaN}), T({2, 2, 2})});
  EXPECT_EQ(a.dtype(), DType::Bool);
  EXPECT_TRUE(all_close(a, {1, 0, 1}));
  EXPECT_TRUE(all_close(ok(OpKind::logical_or, {T({0.0, 0.0}), T({false, true})}), {0, 1}));
  EXPECT_TRUE(all_close(ok(OpKind::logical_or, {T({{0}, {1}}), T({0, 0})}), {0, 0, 1, 1}));
}

// ---------------------------------------------------------------- where, clamp, lerp

TEST(ElementwiseWhere, BroadcastsAllThree) {
  // torch.where([[True], [False]], [1, 2, 3], torch.tensor(0)) -> [[1, 2, 3], [0, 0, 0]].
  Tensor t = ok(OpKind::where, {T({{true}, {false}}), T({1, 2, 3}), T(0)});
  EXPECT_EQ(t.sizes(), (Dims{2, 3}));
  EXPECT_EQ(t.dtype(), DType::Int64);
  EXPECT_EQ(ints(t), (std::vector<int64_t>{1, 2, 3, 0, 0, 0}));
}

TEST(ElementwiseWhere, PromotesTheBranches) {
  Tensor t = ok(OpKind::where, {T({true, false}), T({1, 2}), number(2.5)});
  EXPECT_EQ(t.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(t, {1.0, 2.5}));
}

TEST(ElementwiseWhere, ConditionMustBeBool) {
  // PyTorch raises RuntimeError: "where expected condition to be a boolean tensor, but got a
  // tensor with dtype Float".
  EXPECT_TRUE(fails_with(op(OpKind::where, {T({1.0, 0.0}), T({1.0, 2.0}), T({3.0, 4.0})}),
                         ErrorKind::RuntimeError,
                         "where expected condition to be a boolean tensor"));
}

TEST(ElementwiseClamp, Bounds) {
  EXPECT_EQ(ints(ok(OpKind::clamp, {T({1, 5, 9})}, {I(2), I(6)})), (std::vector<int64_t>{2, 5, 6}));
  EXPECT_EQ(ints(ok(OpKind::clamp, {T({1, 5, 9})}, {}, {{"max", I(6)}})),
            (std::vector<int64_t>{1, 5, 6}));
  EXPECT_TRUE(all_close(ok(OpKind::clamp, {T({-1.0, 0.5, 2.0})}, {F(0.0)}), {0, 0.5, 2}));
}

TEST(ElementwiseClamp, FloatBoundPromotesIntegers) {
  // torch.clamp(torch.tensor([1, 2, 3]), min=1.5) -> float32 [1.5, 2, 3].
  Tensor t = ok(OpKind::clamp, {T({1, 2, 3})}, {}, {{"min", F(1.5)}});
  EXPECT_EQ(t.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(t, {1.5, 2, 3}));
  // torch.clamp(torch.tensor([True]), min=0) -> int64 [1].
  Tensor b = ok(OpKind::clamp, {T({true})}, {I(0)});
  EXPECT_EQ(b.dtype(), DType::Int64);
  EXPECT_EQ(ints(b), (std::vector<int64_t>{1}));
}

TEST(ElementwiseClamp, NaNPropagatesAndMinAboveMaxGivesMax) {
  EXPECT_TRUE(
      all_close(ok(OpKind::clamp, {T({1.0, kNaN, 3.0})}, {F(1.5), F(2.5)}), {1.5, kNaN, 2.5}));
  EXPECT_TRUE(
      all_close(ok(OpKind::clamp, {T({1.0, 2.0, 3.0})}, {F(2.5), F(1.5)}), {1.5, 1.5, 1.5}));
}

TEST(ElementwiseClamp, NeedsABound) {
  EXPECT_TRUE(fails_with(op(OpKind::clamp, {T({1.0})}), ErrorKind::RuntimeError,
                         "torch.clamp: At least one of 'min' or 'max' must not be None"));
}

TEST(ElementwiseLerp, Values) {
  EXPECT_TRUE(
      all_close(ok(OpKind::lerp, {T({1.0, 2.0}), T({3.0, 6.0}), number(0.25)}), {1.5, 3.0}));
  EXPECT_TRUE(
      all_close(ok(OpKind::lerp, {T({0.0, 10.0}), T({10.0, 20.0}), T({0.75, 1.0})}), {7.5, 20.0}));
  // Exact at both ends.
  Tensor ends = ok(OpKind::lerp, {T({0.1, 0.1}), T({0.7, 0.7}), T({0.0, 1.0})});
  EXPECT_EQ(ends.to_vector<float>(), (std::vector<float>{0.1f, 0.7f}));
  EXPECT_TRUE(fails_with(op(OpKind::lerp, {T({1, 2}), T({3, 6}), T({1, 1})}),
                         ErrorKind::RuntimeError, "floating point"));
}

// ---------------------------------------------------------------- to(dtype)

TEST(ElementwiseTo, FloatToInt64Truncates) {
  Tensor t = ok(OpKind::to, {T({1.7, -1.7, kNaN, kInf, -kInf, 1e19})}, {DT(DType::Int64)});
  EXPECT_EQ(t.dtype(), DType::Int64);
  EXPECT_EQ(ints(t), (std::vector<int64_t>{1, -1, kInt64Min, kInt64Min, kInt64Min, kInt64Min}));
}

TEST(ElementwiseTo, ToAndFromBool) {
  Tensor b = ok(OpKind::to, {T({kNaN, 0.0, -0.5})}, {DT(DType::Bool)});
  EXPECT_EQ(b.dtype(), DType::Bool);
  EXPECT_TRUE(all_close(b, {1, 0, 1}));
  EXPECT_TRUE(all_close(ok(OpKind::to, {T({3, 0, -2})}, {DT(DType::Bool)}), {1, 0, 1}));
  Tensor d = ok(OpKind::to, {T({true, false})}, {DT(DType::Float64)});
  EXPECT_EQ(d.dtype(), DType::Float64);
  EXPECT_TRUE(all_close(d, {1, 0}));
}

TEST(ElementwiseTo, WidthChanges) {
  Tensor big = ok(OpKind::to, {T({(int64_t{1} << 53) + 1})}, {DT(DType::Float64)});
  EXPECT_EQ(ints(ok(OpKind::to, {big}, {DT(DType::Int64)})),
            (std::vector<int64_t>{int64_t{1} << 53}));
  Tensor narrowed = ok(OpKind::to, {T({0.1}, DType::Float64)}, {DT(DType::Float32)});
  EXPECT_EQ(narrowed.to_vector<float>()[0], 0.1f);
}

TEST(ElementwiseTo, SameDTypeReturnsTheInput) {
  Tensor t = T({1.0, 2.0});
  Tensor same = ok(OpKind::to, {t}, {DT(DType::Float32)});
  EXPECT_TRUE(same.shares_storage(t));
  Tensor other = ok(OpKind::to, {t}, {DT(DType::Float64)});
  EXPECT_FALSE(other.shares_storage(t));
}

TEST(ElementwiseTo, StridedInputKeepsLogicalOrder) {
  Tensor t = ok(OpKind::to, {transposed(T({{1, 2, 3}, {4, 5, 6}}))}, {DT(DType::Float32)});
  EXPECT_EQ(t.sizes(), (Dims{3, 2}));
  EXPECT_TRUE(all_close(t, {1, 4, 2, 5, 3, 6}));
}

// ---------------------------------------------------------------- strided, empty, 0-d operands

TEST(ElementwiseStrided, TransposedInput) {
  Tensor t = ok(OpKind::add, {transposed(T({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}})), number(10.0)});
  EXPECT_EQ(t.sizes(), (Dims{3, 2}));
  EXPECT_TRUE(all_close(t, {11, 14, 12, 15, 13, 16}));
  Tensor both =
      ok(OpKind::sub, {transposed(T({{1, 2}, {3, 4}})), transposed(T({{10, 20}, {30, 40}}))});
  EXPECT_EQ(ints(both), (std::vector<int64_t>{-9, -27, -18, -36}));
}

TEST(ElementwiseStrided, SteppedSliceInput) {
  Tensor base = ok(OpKind::arange, {}, {I(10)});
  Tensor stepped = ok(OpKind::slice, {base}, {I(0), I(1), None(), I(3)});  // [1, 4, 7]
  EXPECT_EQ(ints(ok(OpKind::mul, {stepped, number(2, DType::Int64)})),
            (std::vector<int64_t>{2, 8, 14}));
  Tensor mixed = ok(OpKind::add, {stepped, number(0.5)});
  EXPECT_EQ(mixed.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(mixed, {1.5, 4.5, 7.5}));
}

TEST(ElementwiseStrided, ExpandedInput) {
  Tensor column = ok(OpKind::expand, {T({{1}, {2}})}, {L({2, 3})});
  Tensor t = ok(OpKind::add, {column, T({10, 20, 30})});
  EXPECT_EQ(ints(t), (std::vector<int64_t>{11, 21, 31, 12, 22, 32}));
}

TEST(ElementwiseStrided, LargeTransposedInputAcrossBlocks) {
  constexpr int64_t kCols = 3000;
  Tensor base = ok(OpKind::arange, {}, {I(3 * kCols)}, {{"dtype", DT(DType::Float32)}});
  Tensor matrix = ok(OpKind::reshape, {base}, {L({3, kCols})});
  Tensor t = ok(OpKind::add, {transposed(matrix), T({100.0, 200.0, 300.0})});
  ASSERT_EQ(t.sizes(), (Dims{kCols, 3}));
  std::vector<double> expected;
  for (int64_t i = 0; i < kCols; ++i)
    for (int64_t j = 0; j < 3; ++j) expected.push_back(j * kCols + i + 100.0 * (j + 1));
  EXPECT_TRUE(all_close(t, expected));
}

TEST(ElementwiseStrided, LargeBroadcastAcrossBlocks) {
  constexpr int64_t kCols = 5000;
  Tensor row = ok(OpKind::arange, {}, {I(kCols)});
  Tensor t = ok(OpKind::mul, {T({{1}, {-2}}), ok(OpKind::unsqueeze, {row}, {I(0)})});
  ASSERT_EQ(t.sizes(), (Dims{2, kCols}));
  std::vector<double> expected;
  for (int64_t sign : {1, -2})
    for (int64_t j = 0; j < kCols; ++j) expected.push_back(static_cast<double>(sign * j));
  EXPECT_TRUE(all_close(t, expected));
}

TEST(ElementwiseEmpty, EmptyOperands) {
  Tensor empty = ok(OpKind::zeros, {}, {L({0, 3})});
  Tensor sum = ok(OpKind::add, {empty, T({1.0, 2.0, 3.0})});
  EXPECT_EQ(sum.sizes(), (Dims{0, 3}));
  EXPECT_EQ(sum.numel(), 0);
  EXPECT_EQ(ok(OpKind::neg, {empty}).sizes(), (Dims{0, 3}));
  Tensor cmp = ok(OpKind::lt, {ok(OpKind::zeros, {}, {L({0})}), T({1.0})});
  EXPECT_EQ(cmp.sizes(), (Dims{0}));
  EXPECT_EQ(cmp.dtype(), DType::Bool);
  EXPECT_EQ(
      ok(OpKind::floordiv, {ok(OpKind::zeros, {}, {L({0})}, {{"dtype", DT(DType::Int64)}}), T({0})})
          .numel(),
      0);
}

TEST(ElementwiseZeroDim, ZeroDimOperands) {
  Tensor t = ok(OpKind::mul, {T(3.0), T(2.0)});
  EXPECT_EQ(t.dim(), 0);
  EXPECT_EQ(t.item(), 6.0);
  Tensor b = ok(OpKind::add, {T(3.0), T({1.0, 2.0})});
  EXPECT_EQ(b.sizes(), (Dims{2}));
  EXPECT_TRUE(all_close(b, {4, 5}));
  EXPECT_EQ(ok(OpKind::exp, {T(0.0)}).item(), 1.0);
}

// ---------------------------------------------------------------- run_into and copy_into

TEST(ElementwiseRunInto, WritesIntoTheGivenBuffer) {
  Tensor out = Tensor::empty({2, 2}, DType::Float32).value();
  const void* data = out.raw_data();
  const Tensor inputs[] = {T({{1.0, 2.0}, {3.0, 4.0}}), T({10.0, 20.0})};
  ASSERT_TRUE(eager::run_into(OpKind::add, inputs, {}, out).ok());
  EXPECT_EQ(out.raw_data(), data);
  EXPECT_TRUE(all_close(out, {11, 22, 13, 24}));
}

TEST(ElementwiseRunInto, StridedBuffer) {
  Tensor buffer = Tensor::empty({2, 2}, DType::Float32).value();
  Tensor view = transposed(buffer);
  const Tensor inputs[] = {T({{1.0, 2.0}, {3.0, 4.0}}), number(1.0)};
  ASSERT_TRUE(eager::run_into(OpKind::add, inputs, {}, view).ok());
  EXPECT_TRUE(all_close(view, {2, 3, 4, 5}));
  EXPECT_TRUE(all_close(buffer, {2, 4, 3, 5}));
}

TEST(ElementwiseRunInto, RejectsAMismatchedBuffer) {
  const Tensor inputs[] = {T({1.0, 2.0}), T({1.0, 2.0})};
  Tensor wrong_shape = Tensor::empty({3}, DType::Float32).value();
  EXPECT_TRUE(fails_with(eager::run_into(OpKind::add, inputs, {}, wrong_shape),
                         ErrorKind::ValueError, "output buffer"));
  Tensor wrong_dtype = Tensor::empty({2}, DType::Float64).value();
  EXPECT_TRUE(fails_with(eager::run_into(OpKind::add, inputs, {}, wrong_dtype),
                         ErrorKind::ValueError, "output buffer"));
}

TEST(ElementwiseRunInto, RejectsAMismatchedBufferForViewOps) {
  // Regression: ops that produce their own results (views, reshape, to) copied into the buffer
  // without checking its shape, reading past the result.
  const Tensor inputs[] = {T({1.0, 2.0, 3.0, 4.0})};
  const Attr shape[] = {Attr::list({2, 2})};
  Tensor wrong_shape = Tensor::empty({4, 4}, DType::Float32).value();
  EXPECT_TRUE(fails_with(eager::run_into(OpKind::reshape, inputs, shape, wrong_shape),
                         ErrorKind::ValueError, "output buffer"));
  Tensor right = Tensor::empty({2, 2}, DType::Float32).value();
  ASSERT_TRUE(eager::run_into(OpKind::reshape, inputs, shape, right).ok());
  EXPECT_TRUE(all_close(right, {1, 2, 3, 4}));
}

TEST(ElementwiseCopyInto, BroadcastsAndConverts) {
  Tensor dst = Tensor::empty({2, 3}, DType::Float32).value();
  ASSERT_TRUE(eager::copy_into(dst, T({1, 2, 3})).ok());
  EXPECT_TRUE(all_close(dst, {1, 2, 3, 1, 2, 3}));
  ASSERT_TRUE(eager::copy_into(transposed(dst), T({{7}, {8}, {9}})).ok());
  EXPECT_TRUE(all_close(dst, {7, 8, 9, 7, 8, 9}));
  EXPECT_TRUE(fails_with(eager::copy_into(dst, T({1, 2})), ErrorKind::RuntimeError, "size"));
  EXPECT_TRUE(fails_with(eager::copy_into(dst, T({{{1, 2, 3}}, {{1, 2, 3}}, {{1, 2, 3}}})),
                         ErrorKind::RuntimeError, "does not broadcast"));
}

TEST(ElementwiseErrors, UndefinedInputIsValueError) {
  EXPECT_TRUE(
      fails_with(op(OpKind::add, {T({1.0}), Tensor()}), ErrorKind::ValueError, "undefined"));
}

}  // namespace
}  // namespace gyro
