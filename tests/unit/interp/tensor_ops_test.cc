// Python operators with a tensor operand: they dispatch to the eager ops (numbers become wrapped
// scalars), compare elementwise, and reject what PyTorch (or gyro, for now) does not support.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "interp/objects.h"
#include "interp/python_ops.h"
#include "tests/unit/test_support.h"

namespace gyro {
namespace {

using gyro::testing::fails_with;

Value floats(std::vector<double> values, const Dims& sizes) {
  return make_tensor(Tensor::from_vector(values, sizes).value());
}
Value bools(std::vector<bool> values) {
  const int64_t count = static_cast<int64_t>(values.size());
  return make_tensor(Tensor::from_vector(values, {count}).value());
}

// The tensor an operator returned (an empty tensor, after a failure, when it returned none).
Tensor tensor_of(const Expected<Value>& result) {
  EXPECT_TRUE(result.ok()) << result.error().to_string();
  if (!result.ok()) return Tensor();
  EXPECT_TRUE(result->is(ObjectKind::TensorBox)) << repr(*result);
  if (!result->is(ObjectKind::TensorBox)) return Tensor();
  return result->as<TensorBoxObject>().tensor;
}

std::vector<double> values_of(const Expected<Value>& result) {
  Tensor tensor = tensor_of(result);
  return tensor.defined() ? tensor.to_vector<double>() : std::vector<double>{};
}

using Doubles = std::vector<double>;

TEST(TensorOps, ArithmeticWithNumbersOnEitherSide) {
  Value a = floats({1.0, 2.0, 3.0}, {3});
  EXPECT_EQ(values_of(binary_op(Binop::ADD, a, Value::integer(2))), (Doubles{3.0, 4.0, 5.0}));
  EXPECT_EQ(values_of(binary_op(Binop::SUBTRACT, Value::integer(2), a)), (Doubles{1.0, 0.0, -1.0}));
  EXPECT_EQ(values_of(binary_op(Binop::MULTIPLY, a, Value::real(2.5))), (Doubles{2.5, 5.0, 7.5}));
  EXPECT_EQ(values_of(binary_op(Binop::TRUE_DIVIDE, a, Value::integer(2))),
            (Doubles{0.5, 1.0, 1.5}));
  EXPECT_EQ(values_of(binary_op(Binop::POWER, a, Value::integer(2))), (Doubles{1.0, 4.0, 9.0}));
  EXPECT_EQ(values_of(binary_op(Binop::FLOOR_DIVIDE, a, Value::integer(2))),
            (Doubles{0.0, 1.0, 1.0}));
  EXPECT_EQ(values_of(binary_op(Binop::REMAINDER, a, Value::integer(2))), (Doubles{1.0, 0.0, 1.0}));
  EXPECT_EQ(tensor_of(binary_op(Binop::ADD, a, Value::integer(2))).dtype(), DType::Float64);
}

TEST(TensorOps, ArithmeticBetweenTensorsLeavesTheOperandsAlone) {
  Value a = floats({1.0, 2.0, 3.0}, {3});
  Value b = floats({10.0, 20.0, 30.0}, {3});
  EXPECT_EQ(values_of(binary_op(Binop::ADD, a, b)), (Doubles{11.0, 22.0, 33.0}));
  EXPECT_EQ(a.as<TensorBoxObject>().tensor.to_vector<double>(), (Doubles{1.0, 2.0, 3.0}));
}

TEST(TensorOps, MatrixMultiply) {
  Value v = floats({1.0, 2.0, 3.0}, {3});
  Tensor dot = tensor_of(binary_op(Binop::MATRIX_MULTIPLY, v, v));
  EXPECT_EQ(dot.dim(), 0);
  EXPECT_EQ(dot.item(), 14.0);
  Value m = floats({1.0, 2.0, 3.0, 4.0}, {2, 2});
  Value n = floats({1.0, 0.0, 1.0, 1.0}, {2, 2});
  Tensor product = tensor_of(binary_op(Binop::MATRIX_MULTIPLY, m, n));
  EXPECT_EQ(product.sizes(), (Dims{2, 2}));
  EXPECT_EQ(product.to_vector<double>(), (Doubles{3.0, 2.0, 7.0, 4.0}));
}

TEST(TensorOps, MatrixMultiplyWithANumberIsTypeError) {
  // torch.tensor([1., 2., 3.]) @ 2: Tensor.__matmul__ does not take Python numbers.
  Value v = floats({1.0, 2.0, 3.0}, {3});
  EXPECT_TRUE(fails_with(binary_op(Binop::MATRIX_MULTIPLY, v, Value::integer(2)),
                         ErrorKind::TypeError,
                         "unsupported operand type(s) for @: 'Tensor' and 'int'"));
}

TEST(TensorOps, UnaryNegativeAndPositive) {
  Value a = floats({1.0, -2.0}, {2});
  EXPECT_EQ(values_of(unary_negative(a)), (Doubles{-1.0, 2.0}));
  Expected<Value> same = unary_positive(a);  // +t is t
  EXPECT_EQ(values_of(same), (Doubles{1.0, -2.0}));
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(identical(*same, a));
}

TEST(TensorCompare, EqualityIsElementwise) {
  Value a = floats({1.0, 2.0, 3.0}, {3});
  Tensor equal = tensor_of(compare_op(CompareOp::EQ, a, a));  // not Python's identity shortcut
  EXPECT_EQ(equal.dtype(), DType::Bool);
  EXPECT_EQ(equal.to_vector<double>(), (Doubles{1.0, 1.0, 1.0}));
  EXPECT_EQ(values_of(compare_op(CompareOp::EQ, a, Value::integer(2))), (Doubles{0.0, 1.0, 0.0}));
  EXPECT_EQ(values_of(compare_op(CompareOp::NE, a, Value::integer(2))), (Doubles{1.0, 0.0, 1.0}));
  EXPECT_EQ(values_of(compare_op(CompareOp::LT, Value::integer(2), a)), (Doubles{0.0, 0.0, 1.0}));
  EXPECT_EQ(values_of(compare_op(CompareOp::GE, a, Value::real(2.0))), (Doubles{0.0, 1.0, 1.0}));
}

TEST(TensorCompare, WithANonNumberEqualityIsFalseOrderingIsTypeError) {
  Value a = floats({1.0}, {1});
  Expected<Value> equal = compare_op(CompareOp::EQ, a, make_str("x"));
  ASSERT_TRUE(equal.ok());
  EXPECT_EQ(repr(*equal), "False");
  Expected<Value> not_equal = compare_op(CompareOp::NE, a, Value());
  ASSERT_TRUE(not_equal.ok());
  EXPECT_EQ(repr(*not_equal), "True");
  EXPECT_TRUE(fails_with(compare_op(CompareOp::LT, a, make_str("x")), ErrorKind::TypeError,
                         "'<' not supported between instances of 'Tensor' and 'str'"));
}

TEST(TensorBoolOps, InvertAndOrOnBoolTensors) {
  Value mask = bools({true, false});
  EXPECT_EQ(values_of(unary_invert(mask)), (Doubles{0.0, 1.0}));
  EXPECT_EQ(tensor_of(unary_invert(mask)).dtype(), DType::Bool);
  EXPECT_EQ(values_of(binary_op(Binop::AND, mask, bools({true, true}))), (Doubles{1.0, 0.0}));
  EXPECT_EQ(values_of(binary_op(Binop::OR, mask, bools({false, false}))), (Doubles{1.0, 0.0}));
  EXPECT_EQ(values_of(binary_op(Binop::AND, mask, Value::boolean(true))), (Doubles{1.0, 0.0}));
}

TEST(TensorBoolOps, BitwiseOnFloatTensorsIsTypeError) {
  // gyro has no bitwise tensor ops yet; PyTorch raises RuntimeError "bitwise_and_cpu" not
  // implemented for 'Float' (and TypeError for ~ on floats).
  Value a = floats({1.0, 2.0}, {2});
  EXPECT_TRUE(fails_with(binary_op(Binop::AND, a, a), ErrorKind::TypeError, "'&'"));
  EXPECT_TRUE(
      fails_with(binary_op(Binop::OR, a, bools({true, false})), ErrorKind::TypeError, "'|'"));
  EXPECT_TRUE(fails_with(unary_invert(a), ErrorKind::TypeError, "'~'"));
}

TEST(TensorOps, UnsupportedOperandsNameTheTypes) {
  Value a = floats({1.0}, {1});
  EXPECT_TRUE(fails_with(binary_op(Binop::ADD, a, make_str("x")), ErrorKind::TypeError,
                         "unsupported operand type(s) for +: 'Tensor' and 'str'"));
  EXPECT_TRUE(fails_with(binary_op(Binop::MULTIPLY, make_list(), a), ErrorKind::TypeError, ""));
  EXPECT_TRUE(fails_with(binary_op(Binop::ADD, a, Value()), ErrorKind::TypeError,
                         "unsupported operand type(s) for +: 'Tensor' and 'NoneType'"));
}

}  // namespace
}  // namespace gyro
