// truthy(): Python's bool() of every value kind, and PyTorch's rule for tensors.
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
using gyro::testing::kInf;
using gyro::testing::kNaN;

bool truth(const Value& value) {
  Expected<bool> result = truthy(value);
  EXPECT_TRUE(result.ok()) << result.error().to_string();
  return result.ok() && *result;
}

Value tensor(std::vector<double> values, const Dims& sizes) {
  return make_tensor(Tensor::from_vector(values, sizes).value());
}

TEST(Truthy, NoneAndBools) {
  EXPECT_FALSE(truth(Value()));
  EXPECT_TRUE(truth(Value::boolean(true)));
  EXPECT_FALSE(truth(Value::boolean(false)));
}

TEST(Truthy, Numbers) {
  EXPECT_FALSE(truth(Value::integer(0)));
  EXPECT_TRUE(truth(Value::integer(1)));
  EXPECT_TRUE(truth(Value::integer(-1)));
  EXPECT_FALSE(truth(Value::real(0.0)));
  EXPECT_FALSE(truth(Value::real(-0.0)));
  EXPECT_TRUE(truth(Value::real(0.5)));
  EXPECT_TRUE(truth(Value::real(kNaN)));  // bool(float('nan')) is True
  EXPECT_TRUE(truth(Value::real(-kInf)));
}

TEST(Truthy, Strings) {
  EXPECT_FALSE(truth(make_str("")));
  EXPECT_TRUE(truth(make_str(" ")));
  EXPECT_TRUE(truth(make_str("0")));
}

TEST(Truthy, ContainersAreTrueWhenNotEmpty) {
  EXPECT_FALSE(truth(make_list()));
  EXPECT_TRUE(truth(make_list({Value::integer(0)})));
  EXPECT_FALSE(truth(make_tuple()));
  EXPECT_TRUE(truth(make_tuple({Value::integer(0)})));
  Value dict = make_dict();
  EXPECT_FALSE(truth(dict));
  ASSERT_TRUE(dict.as<DictObject>().table.set(Value::integer(0), Value::integer(0)).ok());
  EXPECT_TRUE(truth(dict));
}

TEST(Truthy, RangesAreTrueWhenNotEmpty) {
  EXPECT_FALSE(truth(make_range(0, 0, 1)));
  EXPECT_FALSE(truth(make_range(3, 3, 1)));
  EXPECT_FALSE(truth(make_range(0, 10, -1)));
  EXPECT_TRUE(truth(make_range(5, 0, -1)));
  EXPECT_TRUE(truth(make_range(0, 1, 5)));
}

TEST(Truthy, SlicesAndCellsAreAlwaysTrue) {
  EXPECT_TRUE(truth(make_slice(Value(), Value(), Value())));
  EXPECT_TRUE(truth(make_cell()));
}

TEST(Truthy, OneElementTensorIsItsValue) {
  EXPECT_FALSE(truth(tensor({0.0}, {1})));
  EXPECT_TRUE(truth(tensor({0.5}, {1, 1})));
  EXPECT_TRUE(truth(make_tensor(Tensor::integer(3))));
  EXPECT_FALSE(truth(make_tensor(Tensor::scalar(0.0, DType::Float32))));
  EXPECT_TRUE(truth(make_tensor(Tensor::from_vector(std::vector<bool>{true}, {1}).value())));
}

TEST(Truthy, TensorWithManyOrNoElementsIsAmbiguous) {
  // bool(torch.tensor([1., 2.])) and bool(torch.tensor([])) in PyTorch 1.13.
  EXPECT_TRUE(fails_with(truthy(tensor({1.0, 2.0}, {2})), ErrorKind::RuntimeError,
                         "Boolean value of Tensor with more than one value is ambiguous"));
  EXPECT_TRUE(fails_with(truthy(tensor({}, {0})), ErrorKind::RuntimeError,
                         "Boolean value of Tensor with no values is ambiguous"));
}

}  // namespace
}  // namespace gyro
