// == and != across kinds (compare_op EQ/NE, keys_equal) and hash_value's consistency with them.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "interp/objects.h"
#include "interp/python_ops.h"
#include "tests/unit/interp/interp_test_util.h"
#include "tests/unit/test_support.h"

namespace gyro {
namespace {

using gyro::testing::fails_with;
using gyro::testing::kInt64Max;
using gyro::testing::kInt64Min;
using gyro::testing::kNaN;
using gyro::testing::list;
using gyro::testing::num;
using gyro::testing::real;
using gyro::testing::text;
using gyro::testing::tuple;

Value dict(std::vector<std::pair<Value, Value>> entries) {
  Value result = make_dict();
  for (auto& [key, value] : entries)
    EXPECT_TRUE(result.as<DictObject>().table.set(key, value).ok());
  return result;
}

// Python's `a == b`, checking that `!=` is its negation and both give a bool.
bool eq(const Value& a, const Value& b) {
  Expected<Value> equal = compare_op(CompareOp::EQ, a, b);
  Expected<Value> not_equal = compare_op(CompareOp::NE, a, b);
  EXPECT_TRUE(equal.ok() && not_equal.ok());
  if (!equal.ok() || !not_equal.ok()) return false;
  EXPECT_TRUE(equal->is_bool() && not_equal->is_bool());
  EXPECT_NE(equal->as_bool(), not_equal->as_bool()) << repr(a) << " vs " << repr(b);
  return equal->as_bool();
}

uint64_t hash_of(const Value& value) {
  Expected<uint64_t> hash = hash_value(value);
  EXPECT_TRUE(hash.ok()) << hash.error().to_string();
  return hash.ok() ? *hash : 0;
}

TEST(Equality, NumbersCompareAcrossTypes) {
  EXPECT_TRUE(eq(num(1), real(1.0)));
  EXPECT_TRUE(eq(num(1), Value::boolean(true)));
  EXPECT_TRUE(eq(real(1.0), Value::boolean(true)));
  EXPECT_TRUE(eq(num(0), Value::boolean(false)));
  EXPECT_TRUE(eq(real(0.0), real(-0.0)));
  EXPECT_FALSE(eq(num(1), num(2)));
  EXPECT_FALSE(eq(num(1), real(1.5)));
}

TEST(Equality, IntAgainstFloatIsExact) {
  // 2**53 + 1 == float(2**53) is False in CPython: no rounding of the int.
  EXPECT_FALSE(eq(num((int64_t{1} << 53) + 1), real(9007199254740992.0)));
  EXPECT_TRUE(eq(num(int64_t{1} << 53), real(9007199254740992.0)));
  EXPECT_FALSE(eq(num(kInt64Max), real(9223372036854775808.0)));
  EXPECT_TRUE(eq(num(kInt64Min), real(-9223372036854775808.0)));
  EXPECT_FALSE(eq(num(3), real(3.0000000000000004)));
}

TEST(Equality, NaNIsNotEqualToItself) {
  Value nan = real(kNaN);
  EXPECT_FALSE(eq(nan, nan));  // x = float('nan'); x == x is False, x != x is True
  EXPECT_FALSE(eq(nan, real(kNaN)));
  EXPECT_FALSE(eq(nan, num(0)));
  // Containers compare items by identity first: x = float('nan'); [x] == [x] is True.
  EXPECT_TRUE(eq(list({nan}), list({nan})));
}

TEST(Equality, DifferentTypesAreNotEqual) {
  EXPECT_FALSE(eq(Value(), num(0)));
  EXPECT_FALSE(eq(text("1"), num(1)));
  EXPECT_FALSE(eq(text("a"), list({})));
  EXPECT_FALSE(eq(list({}), tuple({})));
  EXPECT_FALSE(eq(list({num(1), num(2)}), tuple({num(1), num(2)})));
  EXPECT_FALSE(eq(make_dict(), list({})));
  EXPECT_TRUE(eq(Value(), Value()));
}

TEST(Equality, StringsCompareByText) {
  EXPECT_TRUE(eq(text("abc"), text("abc")));
  EXPECT_FALSE(eq(text("abc"), text("abd")));
  EXPECT_FALSE(eq(text("abc"), text("ab")));
}

TEST(Equality, SequencesCompareItemwise) {
  EXPECT_TRUE(eq(list({num(1), num(2)}), list({real(1.0), num(2)})));
  EXPECT_TRUE(
      eq(tuple({num(1), tuple({num(2), num(3)})}), tuple({num(1), tuple({num(2), real(3.0)})})));
  EXPECT_FALSE(eq(list({num(1)}), list({num(1), num(2)})));
  EXPECT_FALSE(eq(list({num(1), num(2)}), list({num(2), num(1)})));
  EXPECT_TRUE(eq(list({}), list({})));
  EXPECT_TRUE(eq(list({text("a"), list({Value()})}), list({text("a"), list({Value()})})));
}

TEST(Equality, DictsIgnoreOrderButNotValues) {
  EXPECT_TRUE(
      eq(dict({{num(1), num(2)}, {num(3), num(4)}}), dict({{num(3), num(4)}, {num(1), num(2)}})));
  EXPECT_FALSE(eq(dict({{num(1), num(2)}}), dict({{num(1), num(3)}})));
  EXPECT_TRUE(eq(dict({{num(1), num(2)}}), dict({{real(1.0), num(2)}})));
  EXPECT_FALSE(eq(dict({{num(1), num(2)}}), dict({{num(1), num(2)}, {num(2), num(2)}})));
  EXPECT_FALSE(eq(dict({{num(1), num(2)}}), dict({{num(2), num(2)}})));
  EXPECT_TRUE(eq(make_dict(), make_dict()));
}

TEST(Equality, RangesCompareAsSequences) {
  EXPECT_TRUE(eq(make_range(0, 3, 1), make_range(0, 3, 1)));
  EXPECT_TRUE(eq(make_range(0, 0, 1), make_range(5, 5, 1)));
  EXPECT_TRUE(eq(make_range(0, 10, 2), make_range(0, 9, 2)));
  EXPECT_TRUE(eq(make_range(1, 2, 5), make_range(1, 2, 7)));
  EXPECT_FALSE(eq(make_range(0, 3, 1), make_range(0, 4, 1)));
  EXPECT_FALSE(eq(make_range(0, 3, 1), list({num(0), num(1), num(2)})));
}

TEST(Equality, SlicesCellsAndTensorsCompareByIdentity) {
  Value cell = make_cell();
  EXPECT_TRUE(eq(cell, cell));
  EXPECT_FALSE(eq(make_cell(), make_cell()));
  Tensor tensor = Tensor::from_vector(std::vector<double>{1.0}, {1}).value();
  Value box = make_tensor(tensor);
  EXPECT_TRUE(keys_equal(box, box));
  EXPECT_FALSE(keys_equal(box, make_tensor(tensor)));  // same data, another object
}

TEST(Hash, EqualNumbersHashEqual) {
  EXPECT_EQ(hash_of(num(1)), hash_of(real(1.0)));
  EXPECT_EQ(hash_of(num(1)), hash_of(Value::boolean(true)));
  EXPECT_EQ(hash_of(num(0)), hash_of(Value::boolean(false)));
  EXPECT_EQ(hash_of(real(0.0)), hash_of(real(-0.0)));
  EXPECT_EQ(hash_of(num(0)), hash_of(real(-0.0)));
  EXPECT_EQ(hash_of(num(kInt64Min)), hash_of(real(-9223372036854775808.0)));
  EXPECT_EQ(hash_of(num(-(int64_t{1} << 60))), hash_of(real(-1152921504606846976.0)));
  EXPECT_NE(hash_of(num(1)), hash_of(num(2)));  // not required, but a working hash spreads
}

TEST(Hash, EqualStringsTuplesAndRangesHashEqual) {
  EXPECT_EQ(hash_of(text("key")), hash_of(text("key")));
  EXPECT_EQ(hash_of(tuple({num(1)})), hash_of(tuple({real(1.0)})));
  EXPECT_EQ(hash_of(tuple({text("a"), tuple({Value::boolean(true)})})),
            hash_of(tuple({text("a"), tuple({num(1)})})));
  EXPECT_EQ(hash_of(make_range(0, 10, 2)), hash_of(make_range(0, 9, 2)));
  EXPECT_EQ(hash_of(make_range(1, 2, 5)), hash_of(make_range(1, 2, 7)));
  // range(0) == range(5, 5), so hash(range(0)) == hash(range(5, 5)).
  EXPECT_EQ(hash_of(make_range(0, 0, 1)), hash_of(make_range(5, 5, 1)));
}

TEST(Hash, TensorsHashByIdentity) {
  Value box = make_tensor(Tensor::integer(1));
  Value alias = box;
  EXPECT_EQ(hash_of(box), hash_of(alias));
}

TEST(Hash, MutableContainersAreUnhashable) {
  EXPECT_TRUE(fails_with(hash_value(list({})), ErrorKind::TypeError, "unhashable type: 'list'"));
  EXPECT_TRUE(fails_with(hash_value(make_dict()), ErrorKind::TypeError, "unhashable type: 'dict'"));
  EXPECT_TRUE(fails_with(hash_value(make_slice(num(1), num(2), Value())), ErrorKind::TypeError,
                         "unhashable type: 'slice'"));
  // hash((1, [2])): the tuple reports the item that cannot be hashed.
  EXPECT_TRUE(fails_with(hash_value(tuple({num(1), list({num(2)})})), ErrorKind::TypeError,
                         "unhashable type: 'list'"));
}

TEST(EqualityHash, DTypeAndEllipsisValuesAreSharedSoIdentityIsEquality) {
  EXPECT_TRUE(identical(dtype_value(DType::Float32), dtype_value(DType::Float32)));
  EXPECT_FALSE(keys_equal(dtype_value(DType::Float32), dtype_value(DType::Float64)));
  EXPECT_EQ(hash_value(dtype_value(DType::Int64)).value(),
            hash_value(dtype_value(DType::Int64)).value());
  EXPECT_EQ(repr(dtype_value(DType::Bool)), "torch.bool");
  EXPECT_EQ(repr(ellipsis_value()), "Ellipsis");
  EXPECT_TRUE(identical(ellipsis_value(), ellipsis_value()));
}

}  // namespace
}  // namespace gyro
