// repr(tensor) against the text PyTorch 1.13 prints for the same tensors (captured verbatim).
#include <gtest/gtest.h>

#include "backends/eager/eager.h"
#include "interp/tensor_repr.h"
#include "ir/nested.h"

using namespace gyro;

namespace {

Tensor literal(const NestedList& data, std::optional<DType> dtype = std::nullopt) {
  return tensor_from_nested(data, dtype).value();
}

Tensor arange(double end, std::vector<int64_t> shape, DType dtype = DType::Float32) {
  const Attr attrs[] = {Attr::real(end), Attr::none(), Attr::integer(1), Attr::of_dtype(dtype)};
  Tensor flat = eager::run1(OpKind::arange, {}, attrs).value();
  const Tensor inputs[] = {flat};
  const Attr reshape[] = {Attr::list(shape)};
  return eager::run1(OpKind::reshape, inputs, reshape).value();
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

TEST(TensorRepr, FixedPointPadsToACommonWidth) {
  EXPECT_EQ(tensor_repr(literal({1.5, 2.25, -3.0})), "tensor([ 1.5000,  2.2500, -3.0000])");
  EXPECT_EQ(tensor_repr(literal({0.1, 0.25})), "tensor([0.1000, 0.2500])");
}

TEST(TensorRepr, IntegralFloatsPrintWithATrailingDot) {
  EXPECT_EQ(tensor_repr(literal({1.0, 2.0, 3.0})), "tensor([1., 2., 3.])");
  EXPECT_EQ(tensor_repr(literal({0.0, 0.0, 0.0})), "tensor([0., 0., 0.])");
  EXPECT_EQ(tensor_repr(literal({-0.0, 1.0})), "tensor([-0., 1.])");
}

TEST(TensorRepr, ScientificForWideRanges) {
  EXPECT_EQ(tensor_repr(literal({1e-5, 1.0, 100.0})),
            "tensor([1.0000e-05, 1.0000e+00, 1.0000e+02])");
  EXPECT_EQ(tensor_repr(literal({1e9, 1.0})), "tensor([1.0000e+09, 1.0000e+00])");
  EXPECT_EQ(tensor_repr(literal({1.0, 10000.0})), "tensor([1.0000e+00, 1.0000e+04])");
}

TEST(TensorRepr, NonFiniteValues) {
  EXPECT_EQ(tensor_repr(literal({kNaN, 1.0, kInf})), "tensor([nan, 1., inf])");
  EXPECT_EQ(tensor_repr(literal({kNaN, 1.0, -kInf})), "tensor([nan, 1., -inf])");
}

TEST(TensorRepr, DtypesAndScalars) {
  EXPECT_EQ(tensor_repr(literal({1.5, 2.0}, DType::Float64)),
            "tensor([1.5000, 2.0000], dtype=torch.float64)");
  EXPECT_EQ(tensor_repr(literal({1, -20, 300})), "tensor([  1, -20, 300])");
  EXPECT_EQ(tensor_repr(literal({true, false})), "tensor([ True, False])");
  EXPECT_EQ(tensor_repr(Tensor::scalar(3.5, DType::Float32)), "tensor(3.5000)");
  EXPECT_EQ(tensor_repr(Tensor::integer(3)), "tensor(3)");
  EXPECT_EQ(tensor_repr(Tensor::scalar(2.0, DType::Float64)), "tensor(2., dtype=torch.float64)");
}

TEST(TensorRepr, MatricesAndCubes) {
  EXPECT_EQ(tensor_repr(literal({{1.5, 2.0}, {3.0, -4.25}})),
            "tensor([[ 1.5000,  2.0000],\n"
            "        [ 3.0000, -4.2500]])");
  EXPECT_EQ(tensor_repr(arange(8, {2, 2, 2})),
            "tensor([[[0., 1.],\n"
            "         [2., 3.]],\n"
            "\n"
            "        [[4., 5.],\n"
            "         [6., 7.]]])");
}

TEST(TensorRepr, EmptyTensorsStateSizeAndDtype) {
  EXPECT_EQ(tensor_repr(Tensor::empty({0}, DType::Float32).value()), "tensor([])");
  EXPECT_EQ(tensor_repr(Tensor::empty({2, 0}, DType::Float32).value()), "tensor([], size=(2, 0))");
  EXPECT_EQ(tensor_repr(Tensor::empty({0}, DType::Int64).value()), "tensor([], dtype=torch.int64)");
}

TEST(TensorRepr, LongRowsWrapAtEightyColumns) {
  EXPECT_EQ(tensor_repr(arange(30, {30})),
            "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
            "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n"
            "        28., 29.])");
  EXPECT_EQ(tensor_repr(arange(40, {40}, DType::Int64)),
            "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
            "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n"
            "        36, 37, 38, 39])");
}

TEST(TensorRepr, LargeTensorsAreSummarized) {
  EXPECT_EQ(tensor_repr(arange(2000, {2000})),
            "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
            "        1.9990e+03])");
  EXPECT_EQ(tensor_repr(arange(2000, {40, 50})),
            "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,\n"
            "         4.9000e+01],\n"
            "        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,\n"
            "         9.9000e+01],\n"
            "        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,\n"
            "         1.4900e+02],\n"
            "        ...,\n"
            "        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,\n"
            "         1.8990e+03],\n"
            "        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,\n"
            "         1.9490e+03],\n"
            "        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,\n"
            "         1.9990e+03]])");
}

TEST(TensorRepr, StridedViewsPrintTheirOwnElements) {
  Tensor matrix = literal({{1.0, 2.0}, {3.0, 4.0}});
  Tensor transposed = matrix.as_strided({2, 2}, {1, 2}, 0);
  EXPECT_EQ(tensor_repr(transposed), "tensor([[1., 3.],\n        [2., 4.]])");
}
