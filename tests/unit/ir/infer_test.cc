// Meta inference and attribute binding: output dtypes and sizes per rule, and every call error.
#include "ir/infer.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ir/tensor.h"
#include "tests/unit/test_support.h"

namespace gyro {
namespace {

using namespace gyro::testing;

TensorMeta meta(DType dtype, Dims sizes) {
  return TensorMeta{dtype, sizes, false};
}
TensorMeta f32(Dims sizes) {
  return meta(DType::Float32, sizes);
}
TensorMeta i64(Dims sizes) {
  return meta(DType::Int64, sizes);
}
TensorMeta boolean(Dims sizes) {
  return meta(DType::Bool, sizes);
}
// A Python number wrapped for the call (float numbers arrive as float64, as from a script).
TensorMeta number(DType dtype) {
  return TensorMeta{dtype, {}, true};
}

// bind_attrs then infer_meta, as a runner does.
Expected<OutputMeta> infer(OpKind op, std::vector<TensorMeta> inputs,
                           std::vector<Attr> positional = {}, std::vector<NamedAttr> named = {}) {
  auto attrs = bind_attrs(op, static_cast<int>(inputs.size()), positional, named);
  if (!attrs.ok()) return attrs.error();
  return infer_meta(op, inputs, *attrs);
}

Expected<Attrs> bind(OpKind op, int num_inputs, std::vector<Attr> positional,
                     std::vector<NamedAttr> named = {}) {
  return bind_attrs(op, num_inputs, positional, named);
}

// The single output's sizes, or a failure naming the error.
::testing::AssertionResult sizes_are(const Expected<OutputMeta>& result, Dims expected) {
  if (!result.ok()) return ::testing::AssertionFailure() << result.error().to_string();
  if (result->sizes.size() != 1)
    return ::testing::AssertionFailure() << result->sizes.size() << " outputs";
  if (!(result->sizes[0] == expected))
    return ::testing::AssertionFailure()
           << "sizes " << to_string(result->sizes[0]) << ", expected " << to_string(expected);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult dtypes_are(const Expected<OutputMeta>& result, DType out,
                                      DType compute) {
  if (!result.ok()) return ::testing::AssertionFailure() << result.error().to_string();
  if (result->dtype != out || result->compute_dtype != compute)
    return ::testing::AssertionFailure()
           << "got " << dtype_name(result->dtype) << " computed in "
           << dtype_name(result->compute_dtype) << ", expected " << dtype_name(out)
           << " computed in " << dtype_name(compute);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult dtype_is(const Expected<OutputMeta>& result, DType out) {
  if (!result.ok()) return ::testing::AssertionFailure() << result.error().to_string();
  if (result->dtype != out)
    return ::testing::AssertionFailure()
           << "got " << dtype_name(result->dtype) << ", expected " << dtype_name(out);
  return ::testing::AssertionSuccess();
}

// ---------------------------------------------------------------- attribute binding

TEST(InferBindAttrs, PositionalValuesBindInSchemaOrder) {
  auto attrs = bind(OpKind::transpose, 1, {I(0), I(-1)});
  ASSERT_TRUE(attrs.ok()) << attrs.error().to_string();
  ASSERT_EQ(attrs->size(), 2u);
  EXPECT_EQ((*attrs)[0].kind, AttrKind::kInt);
  EXPECT_EQ((*attrs)[0].i, 0);
  EXPECT_EQ((*attrs)[1].i, -1);
}

TEST(InferBindAttrs, NamedValuesBindByNameAndDefaultsFillTheRest) {
  // slice(dim:int=0 start:int?=None end:int?=None step:int=1)
  auto attrs = bind(OpKind::slice, 1, {}, {{"step", I(2)}, {"end", I(5)}});
  ASSERT_TRUE(attrs.ok()) << attrs.error().to_string();
  ASSERT_EQ(attrs->size(), 4u);
  EXPECT_EQ((*attrs)[0].i, 0);
  EXPECT_TRUE((*attrs)[1].is_none());
  EXPECT_EQ((*attrs)[2].i, 5);
  EXPECT_EQ((*attrs)[3].i, 2);
}

TEST(InferBindAttrs, PositionalThenNamed) {
  auto attrs = bind(OpKind::sum, 1, {I(1)}, {{"keepdim", B(true)}});
  ASSERT_TRUE(attrs.ok()) << attrs.error().to_string();
  EXPECT_EQ((*attrs)[0].kind, AttrKind::kInts);
  EXPECT_EQ((*attrs)[1].kind, AttrKind::kBool);
  EXPECT_TRUE((*attrs)[1].as_bool());
}

TEST(InferBindAttrs, DefaultsMatchTheSchema) {
  auto attrs = bind(OpKind::sum, 1, {});
  ASSERT_TRUE(attrs.ok()) << attrs.error().to_string();
  EXPECT_TRUE((*attrs)[0].is_none());
  EXPECT_EQ((*attrs)[1].kind, AttrKind::kBool);
  EXPECT_FALSE((*attrs)[1].as_bool());

  auto norm = bind(OpKind::layer_norm, 1, {L({4})});
  ASSERT_TRUE(norm.ok()) << norm.error().to_string();
  EXPECT_EQ((*norm)[1].kind, AttrKind::kFloat);
  EXPECT_DOUBLE_EQ((*norm)[1].f, 1e-05);

  auto flat = bind(OpKind::flatten, 1, {});
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ((*flat)[0].i, 0);
  EXPECT_EQ((*flat)[1].i, -1);
}

TEST(InferBindAttrs, LoneIntWidensToIntList) {
  auto attrs = bind(OpKind::sum, 1, {I(1)});
  ASSERT_TRUE(attrs.ok()) << attrs.error().to_string();
  EXPECT_EQ((*attrs)[0].kind, AttrKind::kInts);
  EXPECT_EQ((*attrs)[0].ints, std::vector<int64_t>{1});

  auto zeros = bind(OpKind::zeros, 0, {I(3)});
  ASSERT_TRUE(zeros.ok()) << zeros.error().to_string();
  EXPECT_EQ((*zeros)[0].ints, std::vector<int64_t>{3});
}

TEST(InferBindAttrs, IntWidensToFloat) {
  auto attrs = bind(OpKind::layer_norm, 1, {L({4}), I(1)});
  ASSERT_TRUE(attrs.ok()) << attrs.error().to_string();
  EXPECT_EQ((*attrs)[1].kind, AttrKind::kFloat);
  EXPECT_DOUBLE_EQ((*attrs)[1].f, 1.0);
}

TEST(InferBindAttrs, BoolIsNotAnInt) {
  // PyTorch's argument parser refuses a bool where an int is expected: x.transpose(True, 0)
  // raises TypeError ("got (bool, int), but expected ... (int dim0, int dim1)").
  EXPECT_TRUE(fails_with(bind(OpKind::transpose, 1, {B(true), I(0)}), ErrorKind::TypeError,
                         "transpose(): argument 'dim0' must be int, not True"));
}

TEST(InferBindAttrs, BoolWidensToFloat) {
  // A bool is accepted where a float is expected: torch.layer_norm(x, [4], eps=True) runs.
  auto attrs = bind(OpKind::layer_norm, 1, {L({4})}, {{"eps", B(true)}});
  ASSERT_TRUE(attrs.ok()) << attrs.error().to_string();
  EXPECT_EQ((*attrs)[1].kind, AttrKind::kFloat);
  EXPECT_DOUBLE_EQ((*attrs)[1].f, 1.0);
}

TEST(InferBindAttrs, ScalarKeepsItsKind) {
  for (const Attr& value : {I(2), F(2.5), B(true)}) {
    auto attrs = bind(OpKind::full, 0, {L({2}), value});
    ASSERT_TRUE(attrs.ok()) << attrs.error().to_string();
    EXPECT_EQ((*attrs)[1].kind, value.kind);
  }
}

TEST(InferBindAttrs, StringChoices) {
  auto defaulted = bind(OpKind::gelu, 1, {});
  ASSERT_TRUE(defaulted.ok()) << defaulted.error().to_string();
  EXPECT_EQ((*defaulted)[0].kind, AttrKind::kString);
  EXPECT_EQ((*defaulted)[0].text, "none");
  auto tanh = bind(OpKind::gelu, 1, {}, {{"approximate", Attr::string("tanh")}});
  ASSERT_TRUE(tanh.ok()) << tanh.error().to_string();
  EXPECT_EQ((*tanh)[0].text, "tanh");
  // torch: "approximate argument must be either none or tanh." (a RuntimeError there).
  auto unknown = bind(OpKind::gelu, 1, {Attr::string("erf")});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("approximate"), std::string::npos)
      << unknown.error().to_string();
  EXPECT_TRUE(fails_with(bind(OpKind::gelu, 1, {I(1)}), ErrorKind::TypeError,
                         "gelu(): argument 'approximate' must be str, not 1"));
}

TEST(InferBindAttrs, OptionalAcceptsNone) {
  auto attrs = bind(OpKind::clamp, 1, {None(), F(1.0)});
  ASSERT_TRUE(attrs.ok()) << attrs.error().to_string();
  EXPECT_TRUE((*attrs)[0].is_none());
}

TEST(InferBindAttrs, UnknownKeywordIsTypeError) {
  EXPECT_TRUE(fails_with(bind(OpKind::sum, 1, {}, {{"foo", I(0)}}), ErrorKind::TypeError,
                         "sum() got an unexpected keyword argument 'foo'"));
}

TEST(InferBindAttrs, DuplicateArgumentIsTypeError) {
  EXPECT_TRUE(fails_with(bind(OpKind::transpose, 1, {I(0), I(1)}, {{"dim0", I(1)}}),
                         ErrorKind::TypeError,
                         "transpose() got multiple values for argument 'dim0'"));
  EXPECT_TRUE(fails_with(bind(OpKind::sum, 1, {}, {{"keepdim", B(true)}, {"keepdim", B(false)}}),
                         ErrorKind::TypeError, "got multiple values for argument 'keepdim'"));
}

TEST(InferBindAttrs, MissingRequiredArgumentIsTypeError) {
  EXPECT_TRUE(fails_with(bind(OpKind::transpose, 1, {I(0)}), ErrorKind::TypeError,
                         "transpose() missing required argument 'dim1'"));
  EXPECT_TRUE(fails_with(bind(OpKind::reshape, 1, {}), ErrorKind::TypeError,
                         "reshape() missing required argument 'shape'"));
}

TEST(InferBindAttrs, TooManyPositionalValuesIsTypeError) {
  EXPECT_TRUE(fails_with(bind(OpKind::transpose, 1, {I(0), I(1), I(2)}), ErrorKind::TypeError,
                         "transpose() takes 2 attribute arguments but 3 were given"));
  EXPECT_TRUE(fails_with(bind(OpKind::neg, 1, {I(0)}), ErrorKind::TypeError,
                         "neg() takes 0 attribute arguments but 1 were given"));
}

TEST(InferBindAttrs, WrongKindsAreTypeErrors) {
  EXPECT_TRUE(fails_with(bind(OpKind::transpose, 1, {F(1.5), I(0)}), ErrorKind::TypeError,
                         "transpose(): argument 'dim0' must be int, not 1.5"));
  EXPECT_TRUE(fails_with(bind(OpKind::sum, 1, {}, {{"keepdim", I(1)}}), ErrorKind::TypeError,
                         "sum(): argument 'keepdim' must be bool, not 1"));
  EXPECT_TRUE(fails_with(bind(OpKind::to, 1, {I(3)}), ErrorKind::TypeError,
                         "to(): argument 'dtype' must be dtype, not 3"));
  EXPECT_TRUE(fails_with(bind(OpKind::reshape, 1, {F(2.0)}), ErrorKind::TypeError,
                         "reshape(): argument 'shape' must be int[], not 2"));
  EXPECT_TRUE(fails_with(bind(OpKind::full, 0, {L({2}), L({1})}), ErrorKind::TypeError,
                         "full(): argument 'fill_value' must be scalar, not [1]"));
  EXPECT_TRUE(fails_with(bind(OpKind::layer_norm, 1, {L({4}), L({1})}), ErrorKind::TypeError,
                         "argument 'eps' must be float"));
  EXPECT_TRUE(fails_with(bind(OpKind::zeros, 0, {L({2}), I(1)}), ErrorKind::TypeError,
                         "argument 'dtype' must be dtype"));
}

TEST(InferBindAttrs, NoneForRequiredIsTypeError) {
  EXPECT_TRUE(fails_with(bind(OpKind::transpose, 1, {None(), I(0)}), ErrorKind::TypeError,
                         "transpose(): argument 'dim0' must be int, not None"));
}

TEST(InferBindAttrs, WrongTensorCountIsTypeError) {
  EXPECT_TRUE(fails_with(bind(OpKind::add, 1, {}), ErrorKind::TypeError,
                         "add() takes 2 tensor arguments but 1 were given"));
  EXPECT_TRUE(fails_with(bind(OpKind::neg, 2, {}), ErrorKind::TypeError,
                         "neg() takes 1 tensor argument but 2 were given"));
  EXPECT_TRUE(fails_with(bind(OpKind::linear, 1, {}), ErrorKind::TypeError,
                         "linear() takes 2 to 3 tensor arguments but 1 were given"));
  EXPECT_TRUE(fails_with(bind(OpKind::cat, 0, {}), ErrorKind::TypeError,
                         "cat() takes 1 to any tensor arguments but 0 were given"));
  EXPECT_TRUE(fails_with(bind(OpKind::zeros, 1, {L({2})}), ErrorKind::TypeError,
                         "zeros() takes 0 tensor arguments but 1 were given"));
  EXPECT_TRUE(bind(OpKind::cat, 5, {}).ok());
}

// ---------------------------------------------------------------- dtype rules

TEST(InferDTypeRules, SameKeepsTheInputDType) {
  EXPECT_TRUE(
      dtypes_are(infer(OpKind::neg, {meta(DType::Float64, {2})}), DType::Float64, DType::Float64));
  EXPECT_TRUE(dtypes_are(infer(OpKind::floor, {i64({2})}), DType::Int64, DType::Int64));
  EXPECT_TRUE(dtype_is(infer(OpKind::transpose, {i64({2, 3})}, {I(0), I(1)}), DType::Int64));
}

TEST(InferDTypeRules, PromoteUsesResultType) {
  EXPECT_TRUE(dtypes_are(infer(OpKind::add, {i64({2}), f32({2})}), DType::Float32, DType::Float32));
  EXPECT_TRUE(dtypes_are(infer(OpKind::add, {i64({2}), number(DType::Float64)}), DType::Float32,
                         DType::Float32));
  EXPECT_TRUE(dtypes_are(infer(OpKind::mul, {f32({2}), meta(DType::Float64, {})}), DType::Float32,
                         DType::Float32));
  EXPECT_TRUE(dtypes_are(infer(OpKind::sub, {i64({2}), meta(DType::Float64, {})}), DType::Float64,
                         DType::Float64));
  EXPECT_TRUE(dtypes_are(infer(OpKind::add, {boolean({2}), number(DType::Int64)}), DType::Int64,
                         DType::Int64));
  EXPECT_TRUE(
      dtypes_are(infer(OpKind::add, {boolean({2}), boolean({2})}), DType::Bool, DType::Bool));
}

TEST(InferDTypeRules, PromoteToFloatIsTrueDivision) {
  EXPECT_TRUE(dtypes_are(infer(OpKind::div, {i64({2}), i64({2})}), DType::Float32, DType::Float32));
  EXPECT_TRUE(
      dtypes_are(infer(OpKind::div, {boolean({2}), boolean({2})}), DType::Float32, DType::Float32));
  EXPECT_TRUE(dtypes_are(infer(OpKind::div, {meta(DType::Float64, {2}), i64({2})}), DType::Float64,
                         DType::Float64));
}

TEST(InferDTypeRules, ToFloatRaisesIntegralInputs) {
  EXPECT_TRUE(dtypes_are(infer(OpKind::exp, {i64({2})}), DType::Float32, DType::Float32));
  EXPECT_TRUE(dtypes_are(infer(OpKind::sqrt, {boolean({2})}), DType::Float32, DType::Float32));
  EXPECT_TRUE(
      dtypes_are(infer(OpKind::sin, {meta(DType::Float64, {2})}), DType::Float64, DType::Float64));
  EXPECT_TRUE(dtypes_are(infer(OpKind::reciprocal, {i64({2})}), DType::Float32, DType::Float32));
}

TEST(InferDTypeRules, ToBoolComputesInTheInputDType) {
  EXPECT_TRUE(dtypes_are(infer(OpKind::logical_not, {f32({2})}), DType::Bool, DType::Float32));
  EXPECT_TRUE(dtypes_are(infer(OpKind::any, {i64({2})}), DType::Bool, DType::Int64));
}

TEST(InferDTypeRules, ToInt64ComputesInTheInputDType) {
  EXPECT_TRUE(
      dtypes_are(infer(OpKind::argmax, {f32({2, 3})}, {I(1)}), DType::Int64, DType::Float32));
}

TEST(InferDTypeRules, CompareOutputsBoolAndComputesPromoted) {
  EXPECT_TRUE(dtypes_are(infer(OpKind::lt, {i64({2}), number(DType::Float64)}), DType::Bool,
                         DType::Float32));
  EXPECT_TRUE(dtypes_are(infer(OpKind::eq, {i64({2}), i64({2})}), DType::Bool, DType::Int64));
  EXPECT_TRUE(dtypes_are(infer(OpKind::logical_and, {f32({2}), boolean({2})}), DType::Bool,
                         DType::Float32));
}

TEST(InferDTypeRules, SumLikeWidensIntegralToInt64) {
  EXPECT_TRUE(dtype_is(infer(OpKind::sum, {boolean({3})}), DType::Int64));
  EXPECT_TRUE(dtype_is(infer(OpKind::prod, {i64({3})}), DType::Int64));
  EXPECT_TRUE(dtype_is(infer(OpKind::sum, {f32({3})}), DType::Float32));
  EXPECT_TRUE(dtype_is(infer(OpKind::sum, {meta(DType::Float64, {3})}), DType::Float64));
}

TEST(InferDTypeRules, WherePromotesTheBranches) {
  EXPECT_TRUE(dtypes_are(infer(OpKind::where, {boolean({2}), i64({2}), number(DType::Float64)}),
                         DType::Float32, DType::Float32));
  EXPECT_TRUE(dtypes_are(infer(OpKind::where, {boolean({2}), i64({2}), i64({})}), DType::Int64,
                         DType::Int64));
}

TEST(InferDTypeRules, WhereRejectsANonBoolCondition) {
  // PyTorch raises RuntimeError: "where expected condition to be a boolean tensor, but got a
  // tensor with dtype Float".
  EXPECT_TRUE(fails_with(infer(OpKind::where, {f32({2}), f32({2}), f32({2})}),
                         ErrorKind::RuntimeError,
                         "where expected condition to be a boolean tensor"));
}

TEST(InferDTypeRules, ClampPromotesWithItsBounds) {
  // torch.clamp(torch.tensor([1, 2, 3]), min=1.5) -> float32.
  EXPECT_TRUE(
      dtypes_are(infer(OpKind::clamp, {i64({3})}, {F(1.5)}), DType::Float32, DType::Float32));
  EXPECT_TRUE(
      dtypes_are(infer(OpKind::clamp, {i64({3})}, {I(1), I(2)}), DType::Int64, DType::Int64));
  EXPECT_TRUE(dtypes_are(infer(OpKind::clamp, {meta(DType::Float64, {3})}, {None(), I(2)}),
                         DType::Float64, DType::Float64));
  // torch.clamp(torch.tensor([True]), min=0) -> int64.
  EXPECT_TRUE(dtypes_are(infer(OpKind::clamp, {boolean({1})}, {I(0)}), DType::Int64, DType::Int64));
}

TEST(InferDTypeRules, SameOperandsRejectsMixedDTypes) {
  EXPECT_TRUE(dtype_is(infer(OpKind::matmul, {f32({2, 3}), f32({3, 4})}), DType::Float32));
  EXPECT_TRUE(fails_with(infer(OpKind::matmul, {f32({2, 3}), meta(DType::Float64, {3, 4})}),
                         ErrorKind::RuntimeError,
                         "expected both operands to have the same dtype, but got float32 != "
                         "float64"));
  EXPECT_TRUE(fails_with(infer(OpKind::linear, {f32({2, 3}), f32({4, 3}), i64({4})}),
                         ErrorKind::RuntimeError, "same dtype"));
}

TEST(InferDTypeRules, FromAttrTakesTheDTypeAttribute) {
  EXPECT_TRUE(dtypes_are(infer(OpKind::to, {i64({2})}, {DT(DType::Float64)}), DType::Float64,
                         DType::Float64));
  EXPECT_TRUE(dtype_is(infer(OpKind::to, {f32({2})}, {DT(DType::Bool)}), DType::Bool));
}

TEST(InferDTypeRules, FromAttrOrFloatDefaultsToFloat32) {
  EXPECT_TRUE(dtype_is(infer(OpKind::zeros, {}, {L({2})}), DType::Float32));
  EXPECT_TRUE(dtype_is(infer(OpKind::ones, {}, {L({2}), DT(DType::Int64)}), DType::Int64));
  EXPECT_TRUE(dtype_is(infer(OpKind::eye, {}, {I(2)}), DType::Float32));
  EXPECT_TRUE(dtype_is(infer(OpKind::linspace, {}, {I(0), I(1), I(3)}), DType::Float32));
  EXPECT_TRUE(dtype_is(infer(OpKind::randn, {}, {L({2}), DT(DType::Float64)}), DType::Float64));
}

TEST(InferDTypeRules, FromFillValueFollowsThePythonNumber) {
  // torch.full((2,), 1) -> int64; 1.5 -> float32; True -> bool.
  EXPECT_TRUE(dtype_is(infer(OpKind::full, {}, {L({2}), I(1)}), DType::Int64));
  EXPECT_TRUE(dtype_is(infer(OpKind::full, {}, {L({2}), F(1.5)}), DType::Float32));
  EXPECT_TRUE(dtype_is(infer(OpKind::full, {}, {L({2}), B(true)}), DType::Bool));
  EXPECT_TRUE(
      dtype_is(infer(OpKind::full, {}, {L({2}), I(1), DT(DType::Float64)}), DType::Float64));
}

TEST(InferDTypeRules, FromRangeArgsIsInt64UnlessAnyIsFloat) {
  EXPECT_TRUE(dtype_is(infer(OpKind::arange, {}, {I(5)}), DType::Int64));
  EXPECT_TRUE(dtype_is(infer(OpKind::arange, {}, {F(5.0)}), DType::Float32));
  EXPECT_TRUE(dtype_is(infer(OpKind::arange, {}, {I(0), I(1), F(0.5)}), DType::Float32));
  EXPECT_TRUE(dtype_is(infer(OpKind::arange, {}, {I(0), F(1.0)}), DType::Float32));
  EXPECT_TRUE(
      dtype_is(infer(OpKind::arange, {}, {I(5)}, {{"dtype", DT(DType::Float64)}}), DType::Float64));
}

TEST(InferDTypeRules, CatAndStackPromote) {
  EXPECT_TRUE(dtype_is(infer(OpKind::cat, {i64({2}), f32({1})}), DType::Float32));
  EXPECT_TRUE(dtype_is(infer(OpKind::stack, {boolean({2}), i64({2})}), DType::Int64));
  // A skipped empty 1-D input still takes part in promotion (torch gives float64 here).
  EXPECT_TRUE(
      dtype_is(infer(OpKind::cat, {meta(DType::Float64, {0}), i64({1, 2})}), DType::Float64));
}

// ---------------------------------------------------------------- dtype support checks

TEST(InferDTypeSupport, NegOfBoolHasTorchsMessage) {
  EXPECT_TRUE(fails_with(infer(OpKind::neg, {boolean({2})}), ErrorKind::RuntimeError,
                         "Negation, the `-` operator, on a bool tensor is not supported. If you "
                         "are trying to invert a mask, use the `~` or `logical_not()` operator "
                         "instead."));
}

TEST(InferDTypeSupport, SubOfTwoBoolsHasTorchsMessage) {
  EXPECT_TRUE(fails_with(infer(OpKind::sub, {boolean({2}), boolean({2})}), ErrorKind::RuntimeError,
                         "Subtraction, the `-` operator, with two bool tensors is not supported. "
                         "Use the `^` or `logical_xor()` operator instead."));
}

TEST(InferDTypeSupport, SubWithOneBoolOperandIsRejected) {
  // torch.tensor([True]) - torch.tensor([1]) and torch.tensor([1]) - True raise RuntimeError:
  // "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to
  // invert a mask, use the `~` or `logical_not()` operator instead."
  const char* message = "Subtraction, the `-` operator, with a bool tensor is not supported.";
  EXPECT_TRUE(
      fails_with(infer(OpKind::sub, {boolean({2}), i64({2})}), ErrorKind::RuntimeError, message));
  EXPECT_TRUE(fails_with(infer(OpKind::sub, {i64({2}), number(DType::Bool)}),
                         ErrorKind::RuntimeError, message));
}

TEST(InferDTypeSupport, FloatingOnlyOpsRejectIntegers) {
  EXPECT_TRUE(fails_with(infer(OpKind::mean, {i64({3})}), ErrorKind::RuntimeError,
                         "mean(): expected a floating point tensor, but got int64"));
  EXPECT_TRUE(fails_with(infer(OpKind::gelu, {i64({3})}), ErrorKind::RuntimeError,
                         "expected a floating point tensor"));
  EXPECT_TRUE(fails_with(infer(OpKind::rand, {}, {L({2}), DT(DType::Int64)}),
                         ErrorKind::RuntimeError, "expected a floating point tensor"));
  EXPECT_TRUE(fails_with(infer(OpKind::lerp, {i64({2}), i64({2}), i64({2})}),
                         ErrorKind::RuntimeError, "expected a floating point tensor"));
  EXPECT_TRUE(
      dtype_is(infer(OpKind::lerp, {f32({2}), f32({2}), number(DType::Float64)}), DType::Float32));
}

TEST(InferDTypeSupport, LerpDoesNotPromote) {
  // torch.lerp does no type promotion: integer start/end fail even with a float weight
  // ("lerp_kernel_scalar" not implemented for 'Long'), and mixed start/end dtypes fail with
  // "expected dtype float for `end` but got dtype long int".
  EXPECT_TRUE(fails_with(infer(OpKind::lerp, {i64({2}), i64({2}), number(DType::Float64)}),
                         ErrorKind::RuntimeError, ""));
  EXPECT_TRUE(fails_with(infer(OpKind::lerp, {f32({2}), i64({2}), number(DType::Float64)}),
                         ErrorKind::RuntimeError, "expected dtype"));
}

TEST(InferDTypeSupport, NoBoolOpsRejectBool) {
  for (OpKind op : {OpKind::relu, OpKind::floor, OpKind::ceil, OpKind::round}) {
    EXPECT_TRUE(fails_with(infer(op, {boolean({2})}), ErrorKind::RuntimeError, "bool"))
        << op_name(op);
  }
  for (OpKind op : {OpKind::floordiv, OpKind::remainder, OpKind::pow}) {
    EXPECT_TRUE(
        fails_with(infer(op, {boolean({2}), boolean({2})}), ErrorKind::RuntimeError, "bool"))
        << op_name(op);
  }
  EXPECT_TRUE(fails_with(infer(OpKind::matmul, {boolean({2, 2}), boolean({2, 2})}),
                         ErrorKind::RuntimeError, "bool"));
  EXPECT_TRUE(fails_with(infer(OpKind::argmax, {boolean({2})}), ErrorKind::RuntimeError, "bool"));
}

// ---------------------------------------------------------------- shape rules

TEST(InferBroadcast, AlignsTrailingDims) {
  EXPECT_TRUE(sizes_are(infer(OpKind::add, {f32({3, 1}), f32({4})}), {3, 4}));
  EXPECT_TRUE(sizes_are(infer(OpKind::add, {f32({2, 1, 5}), f32({3, 1})}), {2, 3, 5}));
  EXPECT_TRUE(sizes_are(infer(OpKind::add, {f32({}), f32({2})}), {2}));
  EXPECT_TRUE(sizes_are(infer(OpKind::add, {f32({}), f32({})}), {}));
  EXPECT_TRUE(sizes_are(infer(OpKind::add, {f32({0}), f32({1})}), {0}));
  EXPECT_TRUE(sizes_are(infer(OpKind::neg, {f32({2, 0, 3})}), {2, 0, 3}));
  EXPECT_TRUE(
      sizes_are(infer(OpKind::where, {boolean({2, 1, 1}), f32({1, 3, 1}), f32({4})}), {2, 3, 4}));
  EXPECT_TRUE(sizes_are(infer(OpKind::clamp, {f32({2, 3})}, {F(0.0)}), {2, 3}));
}

TEST(InferBroadcast, MismatchHasTorchsMessage) {
  EXPECT_TRUE(fails_with(infer(OpKind::add, {f32({2, 3}), f32({4})}), ErrorKind::RuntimeError,
                         "The size of tensor a (3) must match the size of tensor b (4) at "
                         "non-singleton dimension 1"));
  EXPECT_TRUE(fails_with(infer(OpKind::mul, {f32({2}), f32({0})}), ErrorKind::RuntimeError,
                         "The size of tensor a (2) must match the size of tensor b (0) at "
                         "non-singleton dimension 0"));
}

TEST(InferSameAsInput, KeepsSizes) {
  EXPECT_TRUE(sizes_are(infer(OpKind::clone, {f32({2, 3})}), {2, 3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::contiguous, {f32({})}), {}));
  EXPECT_TRUE(sizes_are(infer(OpKind::softmax, {f32({2, 3})}, {I(-1)}), {2, 3}));
}

TEST(InferReduce, RemovesOrKeepsDims) {
  EXPECT_TRUE(sizes_are(infer(OpKind::sum, {f32({2, 3, 4})}, {I(1)}), {2, 4}));
  EXPECT_TRUE(sizes_are(infer(OpKind::sum, {f32({2, 3, 4})}, {I(1), B(true)}), {2, 1, 4}));
  EXPECT_TRUE(sizes_are(infer(OpKind::sum, {f32({2, 3, 4})}, {L({0, -1})}), {3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::sum, {f32({2, 3, 4})}), {}));
  EXPECT_TRUE(sizes_are(infer(OpKind::sum, {f32({2, 3, 4})}, {None(), B(true)}), {1, 1, 1}));
  EXPECT_TRUE(sizes_are(infer(OpKind::argmax, {f32({2, 3})}, {I(-1)}), {2}));
  // A 0-d input accepts dim 0 or -1 and stays 0-d (torch.tensor(1.).sum(0, keepdim=True)).
  EXPECT_TRUE(sizes_are(infer(OpKind::sum, {f32({})}, {I(0), B(true)}), {}));
}

TEST(InferReduce, DimOutOfRangeIsIndexError) {
  EXPECT_TRUE(fails_with(infer(OpKind::sum, {f32({2, 3, 4})}, {I(3)}), ErrorKind::IndexError,
                         "Dimension out of range (expected to be in range of [-3, 2], but got 3)"));
  EXPECT_TRUE(fails_with(infer(OpKind::sum, {f32({})}, {I(1)}), ErrorKind::IndexError,
                         "Dimension out of range (expected to be in range of [-1, 0], but got 1)"));
}

TEST(InferReduce, RepeatedDimIsRuntimeError) {
  EXPECT_TRUE(fails_with(infer(OpKind::sum, {f32({2, 3})}, {L({0, -2})}), ErrorKind::RuntimeError,
                         "dim 0 appears multiple times in the list of dims"));
}

TEST(InferLayerNorm, ChecksTheNormalizedShape) {
  EXPECT_TRUE(sizes_are(infer(OpKind::layer_norm, {f32({2, 4})}, {L({4})}), {2, 4}));
  EXPECT_TRUE(
      sizes_are(infer(OpKind::layer_norm, {f32({2, 3, 4}), f32({3, 4}), f32({3, 4})}, {L({3, 4})}),
                {2, 3, 4}));
  EXPECT_TRUE(fails_with(infer(OpKind::layer_norm, {f32({2, 4})}, {L({3})}),
                         ErrorKind::RuntimeError,
                         "Given normalized_shape=[3], expected input with shape [*, 3], but got "
                         "input of size[2, 4]"));
  EXPECT_TRUE(fails_with(infer(OpKind::layer_norm, {f32({2, 4}), f32({3})}, {L({4})}),
                         ErrorKind::RuntimeError, "weight"));
}

TEST(InferMatmul, VectorAndMatrixCombinations) {
  EXPECT_TRUE(sizes_are(infer(OpKind::matmul, {f32({3}), f32({3})}), {}));
  EXPECT_TRUE(sizes_are(infer(OpKind::matmul, {f32({3}), f32({3, 4})}), {4}));
  EXPECT_TRUE(sizes_are(infer(OpKind::matmul, {f32({2, 3}), f32({3})}), {2}));
  EXPECT_TRUE(sizes_are(infer(OpKind::matmul, {f32({2, 3}), f32({3, 4})}), {2, 4}));
}

TEST(InferMatmul, BatchDimsBroadcast) {
  EXPECT_TRUE(sizes_are(infer(OpKind::matmul, {f32({2, 3, 4}), f32({4, 5})}), {2, 3, 5}));
  EXPECT_TRUE(sizes_are(infer(OpKind::matmul, {f32({2, 1, 3, 4}), f32({5, 4, 2})}), {2, 5, 3, 2}));
  EXPECT_TRUE(sizes_are(infer(OpKind::matmul, {f32({4}), f32({2, 4, 5})}), {2, 5}));
  EXPECT_TRUE(sizes_are(infer(OpKind::matmul, {f32({2, 3, 4}), f32({4})}), {2, 3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::matmul, {f32({2, 0}), f32({0, 3})}), {2, 3}));
}

TEST(InferMatmul, ErrorsHaveTorchsMessages) {
  EXPECT_TRUE(fails_with(infer(OpKind::matmul, {f32({}), f32({3})}), ErrorKind::RuntimeError,
                         "both arguments to matmul need to be at least 1D, but they are 0D and "
                         "1D"));
  EXPECT_TRUE(fails_with(infer(OpKind::matmul, {f32({3}), f32({4})}), ErrorKind::RuntimeError,
                         "inconsistent tensor size, expected tensor [3] and src [4] to have the "
                         "same number of elements, but got 3 and 4 elements respectively"));
  EXPECT_TRUE(fails_with(infer(OpKind::matmul, {f32({2, 3}), f32({4, 5})}), ErrorKind::RuntimeError,
                         "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"));
  EXPECT_TRUE(fails_with(infer(OpKind::matmul, {f32({3}), f32({4, 5})}), ErrorKind::RuntimeError,
                         "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)"));
  EXPECT_TRUE(fails_with(infer(OpKind::matmul, {f32({2, 2, 3}), f32({4, 5})}),
                         ErrorKind::RuntimeError, "[2, 2, 3]"));
  EXPECT_TRUE(fails_with(infer(OpKind::matmul, {f32({2, 3, 4}), f32({3, 4, 5})}),
                         ErrorKind::RuntimeError, "must match the size of tensor b"));
}

TEST(InferLinear, OutputReplacesTheLastDim) {
  EXPECT_TRUE(sizes_are(infer(OpKind::linear, {f32({2, 3}), f32({4, 3})}), {2, 4}));
  EXPECT_TRUE(sizes_are(infer(OpKind::linear, {f32({2, 3}), f32({4, 3}), f32({4})}), {2, 4}));
  EXPECT_TRUE(sizes_are(infer(OpKind::linear, {f32({3}), f32({4, 3})}), {4}));
  EXPECT_TRUE(sizes_are(infer(OpKind::linear, {f32({5, 2, 3}), f32({4, 3}), f32({})}), {5, 2, 4}));
}

TEST(InferLinear, ErrorsNameTheShapes) {
  // torch.nn.functional.linear(torch.ones(2, 3), torch.ones(4, 5)).
  EXPECT_TRUE(fails_with(infer(OpKind::linear, {f32({2, 3}), f32({4, 5})}), ErrorKind::RuntimeError,
                         "mat1 and mat2 shapes cannot be multiplied (2x3 and 5x4)"));
  EXPECT_TRUE(fails_with(infer(OpKind::linear, {f32({2, 3}), f32({4, 3}), f32({3})}),
                         ErrorKind::RuntimeError, "must match"));
  EXPECT_TRUE(fails_with(infer(OpKind::linear, {f32({2, 3}), f32({3})}), ErrorKind::RuntimeError,
                         "linear"));
}

TEST(InferReshape, InfersMinusOne) {
  EXPECT_TRUE(sizes_are(infer(OpKind::reshape, {f32({2, 3})}, {L({3, -1})}), {3, 2}));
  EXPECT_TRUE(sizes_are(infer(OpKind::view, {f32({2, 3})}, {L({-1})}), {6}));
  EXPECT_TRUE(sizes_are(infer(OpKind::reshape, {f32({2, 3})}, {L({1, 6, 1})}), {1, 6, 1}));
  EXPECT_TRUE(sizes_are(infer(OpKind::reshape, {f32({})}, {L({1, -1})}), {1, 1}));
  EXPECT_TRUE(sizes_are(infer(OpKind::reshape, {f32({1})}, {L({})}), {}));
  EXPECT_TRUE(sizes_are(infer(OpKind::reshape, {f32({0, 3})}, {L({-1, 3})}), {0, 3}));
}

TEST(InferReshape, InvalidShapesHaveTorchsMessages) {
  EXPECT_TRUE(fails_with(infer(OpKind::reshape, {f32({6})}, {L({-1, 4})}), ErrorKind::RuntimeError,
                         "shape '[-1, 4]' is invalid for input of size 6"));
  EXPECT_TRUE(fails_with(infer(OpKind::view, {f32({6})}, {L({4})}), ErrorKind::RuntimeError,
                         "shape '[4]' is invalid for input of size 6"));
  EXPECT_TRUE(fails_with(infer(OpKind::reshape, {f32({6})}, {L({0, -1})}), ErrorKind::RuntimeError,
                         "shape '[0, -1]' is invalid for input of size 6"));
  EXPECT_TRUE(fails_with(infer(OpKind::reshape, {f32({6})}, {L({-1, -1})}), ErrorKind::RuntimeError,
                         "only one dimension can be inferred"));
  EXPECT_TRUE(fails_with(infer(OpKind::reshape, {f32({6})}, {L({-2, -3})}), ErrorKind::RuntimeError,
                         "invalid shape dimension -2"));
}

TEST(InferTranspose, SwapsTwoDims) {
  EXPECT_TRUE(sizes_are(infer(OpKind::transpose, {f32({2, 3, 4})}, {I(0), I(2)}), {4, 3, 2}));
  EXPECT_TRUE(sizes_are(infer(OpKind::transpose, {f32({2, 3, 4})}, {I(-1), I(1)}), {2, 4, 3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::transpose, {f32({})}, {I(0), I(-1)}), {}));
  EXPECT_TRUE(fails_with(infer(OpKind::transpose, {f32({2, 3})}, {I(0), I(2)}),
                         ErrorKind::IndexError,
                         "Dimension out of range (expected to be in range of [-2, 1], but got 2)"));
}

TEST(InferPermute, ReordersDims) {
  EXPECT_TRUE(sizes_are(infer(OpKind::permute, {f32({2, 3, 4})}, {L({2, 0, 1})}), {4, 2, 3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::permute, {f32({2, 3, 4})}, {L({-1, -3, -2})}), {4, 2, 3}));
}

TEST(InferPermute, RejectsDuplicatesAndWrongCounts) {
  EXPECT_TRUE(fails_with(infer(OpKind::permute, {f32({2, 3})}, {L({0, 0})}),
                         ErrorKind::RuntimeError, "permute(): duplicate dims are not allowed."));
  EXPECT_TRUE(fails_with(infer(OpKind::permute, {f32({2, 3})}, {L({1, -1})}),
                         ErrorKind::RuntimeError, "duplicate dims are not allowed"));
  EXPECT_TRUE(fails_with(infer(OpKind::permute, {f32({2, 3})}, {L({0})}), ErrorKind::RuntimeError,
                         "permute"));
  EXPECT_TRUE(fails_with(infer(OpKind::permute, {f32({2, 3})}, {L({0, 2})}), ErrorKind::IndexError,
                         "Dimension out of range"));
}

TEST(InferSqueeze, DropsSizeOneDims) {
  EXPECT_TRUE(sizes_are(infer(OpKind::squeeze, {f32({1, 3, 1})}), {3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::squeeze, {f32({1, 3, 1})}, {I(0)}), {3, 1}));
  EXPECT_TRUE(sizes_are(infer(OpKind::squeeze, {f32({1, 3, 1})}, {I(1)}), {1, 3, 1}));
  EXPECT_TRUE(sizes_are(infer(OpKind::squeeze, {f32({1, 3, 1})}, {I(-1)}), {1, 3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::squeeze, {f32({1, 3, 1})}, {L({0, 2})}), {3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::squeeze, {f32({1, 1})}), {}));
  EXPECT_TRUE(fails_with(infer(OpKind::squeeze, {f32({1, 3, 1})}, {I(3)}), ErrorKind::IndexError,
                         "Dimension out of range (expected to be in range of [-3, 2], but got 3)"));
}

TEST(InferUnsqueeze, InsertsASizeOneDim) {
  EXPECT_TRUE(sizes_are(infer(OpKind::unsqueeze, {f32({2, 3})}, {I(0)}), {1, 2, 3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::unsqueeze, {f32({2, 3})}, {I(2)}), {2, 3, 1}));
  EXPECT_TRUE(sizes_are(infer(OpKind::unsqueeze, {f32({2, 3})}, {I(-1)}), {2, 3, 1}));
  EXPECT_TRUE(sizes_are(infer(OpKind::unsqueeze, {f32({})}, {I(0)}), {1}));
  EXPECT_TRUE(fails_with(infer(OpKind::unsqueeze, {f32({2, 3})}, {I(3)}), ErrorKind::IndexError,
                         "Dimension out of range (expected to be in range of [-3, 2], but got 3)"));
}

TEST(InferFlatten, MergesARangeOfDims) {
  EXPECT_TRUE(sizes_are(infer(OpKind::flatten, {f32({2, 3, 4})}), {24}));
  EXPECT_TRUE(sizes_are(infer(OpKind::flatten, {f32({2, 3, 4})}, {I(1)}), {2, 12}));
  EXPECT_TRUE(sizes_are(infer(OpKind::flatten, {f32({2, 3, 4})}, {I(0), I(1)}), {6, 4}));
  EXPECT_TRUE(sizes_are(infer(OpKind::flatten, {f32({})}), {1}));
  EXPECT_TRUE(fails_with(infer(OpKind::flatten, {f32({2, 3})}, {I(1), I(0)}),
                         ErrorKind::RuntimeError,
                         "flatten() has invalid args: start_dim cannot come after end_dim"));
}

TEST(InferExpand, BroadcastsSizeOneDims) {
  EXPECT_TRUE(sizes_are(infer(OpKind::expand, {f32({3, 1})}, {L({2, 3, 4})}), {2, 3, 4}));
  EXPECT_TRUE(sizes_are(infer(OpKind::expand, {f32({3, 1})}, {L({-1, 5})}), {3, 5}));
  EXPECT_TRUE(sizes_are(infer(OpKind::expand, {f32({})}, {L({2})}), {2}));
  EXPECT_TRUE(sizes_are(infer(OpKind::expand, {f32({1})}, {L({0})}), {0}));
}

TEST(InferExpand, ErrorsHaveTorchsMessages) {
  EXPECT_TRUE(
      fails_with(infer(OpKind::expand, {f32({2, 3})}, {L({3, 3})}), ErrorKind::RuntimeError,
                 "The expanded size of the tensor (3) must match the existing size (2) at "
                 "non-singleton dimension 0.  Target sizes: [3, 3].  Tensor sizes: [2, 3]"));
  EXPECT_TRUE(fails_with(infer(OpKind::expand, {f32({3})}, {L({-1, 3})}), ErrorKind::RuntimeError,
                         "the expanded size of the tensor (-1) isn't allowed in a leading, "
                         "non-existing dimension 0"));
  EXPECT_TRUE(fails_with(infer(OpKind::expand, {f32({2, 3})}, {L({3})}), ErrorKind::RuntimeError,
                         "the number of sizes provided (1) must be greater or equal to the number "
                         "of dimensions in the tensor (2)"));
}

TEST(InferSlice, BoundsClampAndStep) {
  // x[2:8:3] of 10 elements has 2; x[-3:] has 3; x[1:100:2] of 5 has 2; x[4:1] is empty.
  EXPECT_TRUE(sizes_are(infer(OpKind::slice, {f32({10})}, {I(0), I(2), I(8), I(3)}), {2}));
  EXPECT_TRUE(sizes_are(infer(OpKind::slice, {f32({10})}, {I(0), I(-3)}), {3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::slice, {f32({5})}, {I(0), I(1), I(100), I(2)}), {2}));
  EXPECT_TRUE(sizes_are(infer(OpKind::slice, {f32({5})}, {I(0), I(-100), I(-2)}), {3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::slice, {f32({5})}, {I(0), I(4), I(1)}), {0}));
  EXPECT_TRUE(sizes_are(infer(OpKind::slice, {f32({2, 6})}, {I(1), None(), None(), I(4)}), {2, 2}));
}

TEST(InferSlice, Errors) {
  EXPECT_TRUE(fails_with(infer(OpKind::slice, {f32({5})}, {I(0), I(0), I(5), I(0)}),
                         ErrorKind::ValueError, "slice step must be positive"));
  EXPECT_TRUE(fails_with(infer(OpKind::slice, {f32({5})}, {I(0), I(0), I(5), I(-1)}),
                         ErrorKind::ValueError, "slice step must be positive"));
  EXPECT_TRUE(fails_with(infer(OpKind::slice, {f32({})}), ErrorKind::IndexError,
                         "slice() cannot be applied to a 0-dim tensor."));
  EXPECT_TRUE(fails_with(infer(OpKind::slice, {f32({5})}, {I(1)}), ErrorKind::IndexError,
                         "Dimension out of range"));
}

TEST(InferSelect, RemovesTheDim) {
  EXPECT_TRUE(sizes_are(infer(OpKind::select, {f32({2, 3})}, {I(1), I(-1)}), {2}));
  EXPECT_TRUE(sizes_are(infer(OpKind::select, {f32({2})}, {I(0), I(1)}), {}));
  EXPECT_TRUE(fails_with(infer(OpKind::select, {f32({2, 3})}, {I(1), I(3)}), ErrorKind::IndexError,
                         "index 3"));
  EXPECT_TRUE(fails_with(infer(OpKind::select, {f32({2, 3})}, {I(1), I(-4)}), ErrorKind::IndexError,
                         "index -4"));
  EXPECT_TRUE(fails_with(infer(OpKind::select, {f32({})}, {I(0), I(0)}), ErrorKind::IndexError,
                         "select() cannot be applied to a 0-dim tensor."));
}

TEST(InferCat, SumsTheCatDim) {
  EXPECT_TRUE(sizes_are(infer(OpKind::cat, {f32({2, 3}), f32({4, 3})}), {6, 3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::cat, {f32({2, 3}), f32({2, 1})}, {I(-1)}), {2, 4}));
  EXPECT_TRUE(sizes_are(infer(OpKind::cat, {f32({2, 3})}), {2, 3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::cat, {f32({0, 3}), f32({2, 3})}), {2, 3}));
}

TEST(InferCat, SkipsEmptyOneDimInputs) {
  EXPECT_TRUE(sizes_are(infer(OpKind::cat, {f32({0}), f32({1, 2})}), {1, 2}));
  EXPECT_TRUE(sizes_are(infer(OpKind::cat, {f32({1, 2}), f32({0}), f32({1, 2})}), {2, 2}));
  EXPECT_TRUE(sizes_are(infer(OpKind::cat, {f32({0}), f32({0})}), {0}));
}

TEST(InferCat, ErrorsHaveTorchsMessages) {
  EXPECT_TRUE(fails_with(infer(OpKind::cat, {i64({1, 2}), i64({1, 3})}), ErrorKind::RuntimeError,
                         "Sizes of tensors must match except in dimension 0. Expected size 2 but "
                         "got size 3 for tensor number 1 in the list."));
  EXPECT_TRUE(fails_with(infer(OpKind::cat, {i64({1, 2}), i64({2})}), ErrorKind::RuntimeError,
                         "Tensors must have same number of dimensions: got 2 and 1"));
  EXPECT_TRUE(fails_with(infer(OpKind::cat, {i64({}), i64({})}), ErrorKind::RuntimeError,
                         "zero-dimensional tensor (at position 0) cannot be concatenated"));
  EXPECT_TRUE(fails_with(infer(OpKind::cat, {i64({1, 2})}, {I(2)}), ErrorKind::IndexError,
                         "Dimension out of range (expected to be in range of [-2, 1], but got 2)"));
}

TEST(InferStack, InsertsTheCountDim) {
  EXPECT_TRUE(sizes_are(infer(OpKind::stack, {f32({2, 3}), f32({2, 3})}), {2, 2, 3}));
  EXPECT_TRUE(
      sizes_are(infer(OpKind::stack, {f32({2, 3}), f32({2, 3}), f32({2, 3})}, {I(1)}), {2, 3, 3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::stack, {f32({2, 3}), f32({2, 3})}, {I(-1)}), {2, 3, 2}));
  EXPECT_TRUE(sizes_are(infer(OpKind::stack, {f32({}), f32({})}), {2}));
}

TEST(InferStack, Errors) {
  EXPECT_TRUE(fails_with(infer(OpKind::stack, {f32({2}), f32({3})}), ErrorKind::RuntimeError,
                         "stack expects each tensor to be equal size, but got [2] at entry 0 and "
                         "[3] at entry 1"));
  EXPECT_TRUE(fails_with(infer(OpKind::stack, {f32({2}), f32({2})}, {I(2)}), ErrorKind::IndexError,
                         "Dimension out of range (expected to be in range of [-2, 1], but got 2)"));
}

TEST(InferSplit, PieceSizes) {
  auto split = infer(OpKind::split, {f32({5, 2})}, {I(2)});
  ASSERT_TRUE(split.ok()) << split.error().to_string();
  ASSERT_EQ(split->sizes.size(), 3u);
  EXPECT_EQ(split->sizes[0], (Dims{2, 2}));
  EXPECT_EQ(split->sizes[2], (Dims{1, 2}));

  auto with_sizes = infer(OpKind::split_with_sizes, {f32({2, 5})}, {L({1, 4}), I(1)});
  ASSERT_TRUE(with_sizes.ok()) << with_sizes.error().to_string();
  ASSERT_EQ(with_sizes->sizes.size(), 2u);
  EXPECT_EQ(with_sizes->sizes[0], (Dims{2, 1}));
  EXPECT_EQ(with_sizes->sizes[1], (Dims{2, 4}));

  // torch.chunk(torch.arange(6), 4) gives 3 chunks of 2.
  auto chunk = infer(OpKind::chunk, {f32({6})}, {I(4)});
  ASSERT_TRUE(chunk.ok()) << chunk.error().to_string();
  ASSERT_EQ(chunk->sizes.size(), 3u);
  for (const Dims& piece : chunk->sizes) EXPECT_EQ(piece, (Dims{2}));

  auto whole = infer(OpKind::split, {f32({3})}, {I(10)});
  ASSERT_TRUE(whole.ok());
  ASSERT_EQ(whole->sizes.size(), 1u);
  EXPECT_EQ(whole->sizes[0], (Dims{3}));
}

TEST(InferSplit, ErrorsHaveTorchsMessages) {
  EXPECT_TRUE(fails_with(infer(OpKind::split, {f32({5})}, {I(0)}), ErrorKind::RuntimeError,
                         "split_size can only be 0 if dimension size is 0, but got dimension size "
                         "of 5"));
  EXPECT_TRUE(fails_with(infer(OpKind::split_with_sizes, {f32({5})}, {L({2, 2})}),
                         ErrorKind::RuntimeError,
                         "split_with_sizes expects split_sizes to sum exactly to 5"));
  EXPECT_TRUE(fails_with(infer(OpKind::split_with_sizes, {f32({5})}, {L({2, -1, 4})}),
                         ErrorKind::RuntimeError,
                         "split_with_sizes expects split_sizes have only non-negative entries, "
                         "but got split_sizes=[2, -1, 4]"));
  EXPECT_TRUE(fails_with(infer(OpKind::chunk, {f32({5})}, {I(0)}), ErrorKind::RuntimeError,
                         "chunk expects `chunks` to be greater than 0, got: 0"));
  EXPECT_TRUE(fails_with(infer(OpKind::split, {f32({})}, {I(1)}), ErrorKind::RuntimeError,
                         "expects at least a 1-dimensional tensor"));
}

TEST(InferSizeAttr, CreationSizes) {
  EXPECT_TRUE(sizes_are(infer(OpKind::zeros, {}, {L({2, 3})}), {2, 3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::ones, {}, {I(4)}), {4}));
  EXPECT_TRUE(sizes_are(infer(OpKind::full, {}, {L({}), F(1.0)}), {}));
  EXPECT_TRUE(sizes_are(infer(OpKind::rand, {}, {L({0, 5})}), {0, 5}));
}

TEST(InferSizeAttr, Errors) {
  EXPECT_TRUE(fails_with(infer(OpKind::zeros, {}, {L({2, -1})}), ErrorKind::RuntimeError,
                         "negative dimension -1"));
  EXPECT_TRUE(fails_with(infer(OpKind::zeros, {}, {L({int64_t{1} << 40, int64_t{1} << 40})}),
                         ErrorKind::RuntimeError, "overflow"));
}

TEST(InferArange, Length) {
  EXPECT_TRUE(sizes_are(infer(OpKind::arange, {}, {I(5)}), {5}));
  EXPECT_TRUE(sizes_are(infer(OpKind::arange, {}, {I(1), F(2.5), F(0.5)}), {3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::arange, {}, {I(5), I(0), I(-2)}), {3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::arange, {}, {I(3), I(3)}), {0}));
}

TEST(InferArange, ErrorsHaveTorchsMessages) {
  EXPECT_TRUE(fails_with(infer(OpKind::arange, {}, {I(0), I(5), I(0)}), ErrorKind::RuntimeError,
                         "step must be nonzero"));
  EXPECT_TRUE(fails_with(infer(OpKind::arange, {}, {I(0), I(5), I(-1)}), ErrorKind::RuntimeError,
                         "upper bound and larger bound inconsistent with step sign"));
  EXPECT_TRUE(fails_with(infer(OpKind::arange, {}, {I(0), F(INFINITY)}), ErrorKind::RuntimeError,
                         "unsupported range"));
}

TEST(InferLinspace, LengthIsSteps) {
  EXPECT_TRUE(sizes_are(infer(OpKind::linspace, {}, {I(0), I(1), I(7)}), {7}));
  EXPECT_TRUE(sizes_are(infer(OpKind::linspace, {}, {I(0), I(1), I(0)}), {0}));
  EXPECT_TRUE(fails_with(infer(OpKind::linspace, {}, {I(0), I(1), I(-1)}), ErrorKind::RuntimeError,
                         "number of steps must be non-negative"));
}

TEST(InferEye, SquareOrRectangular) {
  EXPECT_TRUE(sizes_are(infer(OpKind::eye, {}, {I(3)}), {3, 3}));
  EXPECT_TRUE(sizes_are(infer(OpKind::eye, {}, {I(2), I(4)}), {2, 4}));
  EXPECT_TRUE(sizes_are(infer(OpKind::eye, {}, {I(0)}), {0, 0}));
  EXPECT_TRUE(fails_with(infer(OpKind::eye, {}, {I(-1)}), ErrorKind::RuntimeError,
                         "n must be greater or equal to 0, got -1"));
  EXPECT_TRUE(fails_with(infer(OpKind::eye, {}, {I(2), I(-3)}), ErrorKind::RuntimeError,
                         "m must be greater or equal to 0, got -3"));
}

TEST(InferRank, ResultsAboveEightDimsAreRejected) {
  const Dims eight{1, 1, 1, 1, 1, 1, 1, 2};
  const std::vector<int64_t> nine{1, 1, 1, 1, 1, 1, 1, 1, 2};
  EXPECT_TRUE(sizes_are(infer(OpKind::reshape, {f32(eight)}, {L({2, 1, 1, 1, 1, 1, 1, 1})}),
                        {2, 1, 1, 1, 1, 1, 1, 1}));
  EXPECT_TRUE(fails_with(infer(OpKind::reshape, {f32({2})}, {L(nine)}), ErrorKind::RuntimeError,
                         "at most 8"));
  EXPECT_TRUE(
      fails_with(infer(OpKind::view, {f32({2})}, {L(nine)}), ErrorKind::RuntimeError, "at most 8"));
  EXPECT_TRUE(fails_with(infer(OpKind::expand, {f32({2})}, {L(nine)}), ErrorKind::RuntimeError,
                         "at most 8"));
  EXPECT_TRUE(fails_with(infer(OpKind::unsqueeze, {f32(eight)}, {I(0)}), ErrorKind::RuntimeError,
                         "at most 8"));
  EXPECT_TRUE(fails_with(infer(OpKind::stack, {f32(eight), f32(eight)}), ErrorKind::RuntimeError,
                         "at most 8"));
  EXPECT_TRUE(
      fails_with(infer(OpKind::zeros, {}, {L(nine)}), ErrorKind::RuntimeError, "at most 8"));
  EXPECT_TRUE(
      fails_with(infer(OpKind::randn, {}, {L(nine)}), ErrorKind::RuntimeError, "at most 8"));
}

TEST(InferMeta, OfReadsATensorsMeta) {
  TensorMeta wrapped = TensorMeta::of(Tensor::scalar(2.5, DType::Float64, /*wrapped=*/true));
  EXPECT_TRUE(wrapped.wrapped_number);
  EXPECT_TRUE(wrapped.sizes.empty());
  EXPECT_EQ(wrapped.dtype, DType::Float64);
  TensorMeta plain = TensorMeta::of(Tensor::empty({2, 3}, DType::Int64).value());
  EXPECT_FALSE(plain.wrapped_number);
  EXPECT_EQ(plain.sizes, (Dims{2, 3}));
  EXPECT_EQ(plain.dtype, DType::Int64);
  // A wrapped number and a 0-d tensor promote differently against an int64 tensor.
  EXPECT_TRUE(dtype_is(infer(OpKind::add, {i64({2}), number(DType::Float64)}), DType::Float32));
  EXPECT_TRUE(dtype_is(infer(OpKind::add, {i64({2}), meta(DType::Float64, {})}), DType::Float64));
}

}  // namespace
}  // namespace gyro
