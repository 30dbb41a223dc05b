// Value and heap objects: 16-byte layout, reference counting, freeing, identity, type names.
#include "interp/value.h"

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "interp/objects.h"
#include "interp/python_ops.h"
#include "tests/unit/test_support.h"

namespace gyro {
namespace {

using gyro::testing::kInt64Max;
using gyro::testing::kInt64Min;
using gyro::testing::kNaN;

int32_t refs(const Value& value) {
  return value.as_object()->use_count();
}

Tensor vector_tensor(std::vector<double> values) {
  const int64_t count = static_cast<int64_t>(values.size());
  return Tensor::from_vector(values, {count}).value();
}

TEST(ValueLayout, IsSixteenBytesWithInlineScalars) {
  EXPECT_EQ(sizeof(Value), 16u);
  EXPECT_TRUE(Value().is_none());
  EXPECT_EQ(Value().tag(), ValueTag::kNone);
  EXPECT_EQ(Value::boolean(true).tag(), ValueTag::kBool);
  EXPECT_TRUE(Value::boolean(true).as_bool());
  EXPECT_EQ(Value::integer(kInt64Min).as_int(), kInt64Min);
  EXPECT_EQ(Value::integer(kInt64Max).as_int(), kInt64Max);
  EXPECT_EQ(Value::real(-2.5).as_float(), -2.5);
  EXPECT_TRUE(std::signbit(Value::real(-0.0).as_float()));
  EXPECT_EQ(make_list().tag(), ValueTag::kObject);
}

TEST(ValueLayout, NumericTowerPredicates) {
  EXPECT_TRUE(Value::boolean(false).is_integral());
  EXPECT_TRUE(Value::integer(3).is_integral());
  EXPECT_FALSE(Value::real(3.0).is_integral());
  EXPECT_TRUE(Value::real(3.0).is_number());
  EXPECT_FALSE(Value().is_number());
  EXPECT_FALSE(make_str("1").is_number());
  EXPECT_EQ(Value::boolean(true).as_int(), 1);
  EXPECT_EQ(Value::boolean(true).to_double(), 1.0);
  EXPECT_EQ(Value::integer(-7).to_double(), -7.0);
  EXPECT_TRUE(make_str("x").is(ObjectKind::Str));
  EXPECT_FALSE(make_str("x").is(ObjectKind::List));
  EXPECT_FALSE(Value::integer(1).is(ObjectKind::Str));
}

TEST(ValueRefcount, CopyRetainsMoveTransfersDestructorReleases) {
  Value list = make_list();
  EXPECT_EQ(refs(list), 1);
  {
    Value copy = list;
    EXPECT_EQ(refs(list), 2);
    Value moved = std::move(copy);
    EXPECT_EQ(refs(list), 2);
    EXPECT_TRUE(copy.is_none());  // NOLINT(bugprone-use-after-move): moved-from is None
    EXPECT_EQ(moved.as_object(), list.as_object());
  }
  EXPECT_EQ(refs(list), 1);
}

TEST(ValueRefcount, AssignmentReleasesTheOldObjectAndRetainsTheNew) {
  Value first = make_str("first");
  Value second = make_str("second");
  Value holder = first;
  EXPECT_EQ(refs(first), 2);
  holder = second;
  EXPECT_EQ(refs(first), 1);
  EXPECT_EQ(refs(second), 2);
  holder = Value::integer(4);
  EXPECT_EQ(refs(second), 1);
  EXPECT_EQ(holder.as_int(), 4);
}

TEST(ValueRefcount, SelfAssignmentKeepsTheCount) {
  Value list = make_list({Value::integer(1)});
  Value& alias = list;
  list = alias;
  EXPECT_EQ(refs(list), 1);
  EXPECT_EQ(list.as<ListObject>().items.size(), 1u);
}

TEST(ValueRefcount, ContainersHoldReferencesToTheirItems) {
  Value item = make_str("item");
  {
    Value list = make_list({item, item});
    Value tuple = make_tuple({item});
    EXPECT_EQ(refs(item), 4);
    Value dict = make_dict();
    ASSERT_TRUE(dict.as<DictObject>().table.set(item, item).ok());
    EXPECT_EQ(refs(item), 6);
  }
  EXPECT_EQ(refs(item), 1);
}

TEST(ValueRefcount, LastValueFreesTheObjectAndWhatItHolds) {
  Tensor tensor = vector_tensor({1.0, 2.0});
  const Ref<Storage> storage = tensor.storage();  // watch the buffer without keeping a view
  EXPECT_EQ(storage->use_count(), 2);
  Value box = make_tensor(tensor);
  tensor = Tensor();
  EXPECT_EQ(storage->use_count(), 2);  // the box's tensor and `storage`
  Value list = make_list({box});
  EXPECT_EQ(refs(box), 2);
  box = Value();
  EXPECT_EQ(storage->use_count(), 2);  // the list still holds the box
  list = Value();
  EXPECT_EQ(storage->use_count(), 1);  // box freed with the list, its tensor with it
}

TEST(ValueRefcount, NestedContainersFreeEverything) {
  Tensor tensor = vector_tensor({3.0});
  const Ref<Storage> storage = tensor.storage();
  {
    Value dict = make_dict();
    Value inner = make_tuple({make_list({make_tensor(std::move(tensor))})});
    ASSERT_TRUE(dict.as<DictObject>().table.set(make_str("k"), inner).ok());
    Value cell = make_cell();
    cell.as<CellObject>().value = dict;
    cell.as<CellObject>().bound = true;
    EXPECT_EQ(storage->use_count(), 2);
  }
  EXPECT_EQ(storage->use_count(), 1);
}

TEST(ValueRefcount, SliceAndCellHoldTheirValues) {
  Value start = make_str("s");
  {
    Value slice = make_slice(start, Value(), Value::integer(2));
    EXPECT_EQ(refs(start), 2);
    EXPECT_TRUE(slice.as<SliceObject>().stop.is_none());
    EXPECT_EQ(slice.as<SliceObject>().step.as_int(), 2);
    Value cell = make_cell();
    EXPECT_FALSE(cell.as<CellObject>().bound);
    cell.as<CellObject>().value = start;
    EXPECT_EQ(refs(start), 3);
  }
  EXPECT_EQ(refs(start), 1);
}

TEST(ValueIdentity, InlineValuesCompareTagAndBits) {
  EXPECT_TRUE(identical(Value(), Value()));
  EXPECT_TRUE(identical(Value::integer(5), Value::integer(5)));
  EXPECT_FALSE(identical(Value::integer(5), Value::integer(6)));
  EXPECT_FALSE(identical(Value::integer(1), Value::boolean(true)));  // 1 is True -> False
  EXPECT_FALSE(identical(Value::integer(1), Value::real(1.0)));
  EXPECT_TRUE(identical(Value::real(0.5), Value::real(0.5)));
  EXPECT_FALSE(identical(Value::real(0.0), Value::real(-0.0)));  // bitwise, unlike ==
  EXPECT_TRUE(identical(Value::real(kNaN), Value::real(kNaN)));  // the same NaN bits
  EXPECT_FALSE(identical(Value(), Value::integer(0)));
}

TEST(ValueIdentity, ObjectsAreIdenticalOnlyToThemselves) {
  Value a = make_str("same");
  Value b = make_str("same");
  Value copy = a;
  EXPECT_TRUE(identical(a, copy));
  EXPECT_FALSE(identical(a, b));
  EXPECT_FALSE(identical(make_list(), make_list()));
}

TEST(ValueTypeName, EveryKindHasPythonsName) {
  EXPECT_EQ(type_name(Value()), "NoneType");
  EXPECT_EQ(type_name(Value::boolean(false)), "bool");
  EXPECT_EQ(type_name(Value::integer(0)), "int");
  EXPECT_EQ(type_name(Value::real(0.0)), "float");
  EXPECT_EQ(type_name(make_str("")), "str");
  EXPECT_EQ(type_name(make_list()), "list");
  EXPECT_EQ(type_name(make_tuple()), "tuple");
  EXPECT_EQ(type_name(make_dict()), "dict");
  EXPECT_EQ(type_name(make_range(0, 1, 1)), "range");
  EXPECT_EQ(type_name(make_slice(Value(), Value(), Value())), "slice");
  EXPECT_EQ(type_name(make_cell()), "cell");
  EXPECT_EQ(type_name(make_tensor(vector_tensor({1.0}))), "Tensor");
}

TEST(RangeLength, MatchesPythonsLen) {
  // len(range(...)) in CPython 3.11.
  EXPECT_EQ(RangeObject(0, 5, 1).length(), 5);
  EXPECT_EQ(RangeObject(1, 10, 2).length(), 5);
  EXPECT_EQ(RangeObject(5, 0, -1).length(), 5);
  EXPECT_EQ(RangeObject(10, 0, -3).length(), 4);
  EXPECT_EQ(RangeObject(3, 3, 1).length(), 0);
  EXPECT_EQ(RangeObject(5, 0, 1).length(), 0);
  EXPECT_EQ(RangeObject(0, 5, -1).length(), 0);
  // The span overflows int64; len(range(-2**63, 2**63 - 1, 3)) == 6148914691236517205.
  EXPECT_EQ(RangeObject(kInt64Min, kInt64Max, 3).length(), 6148914691236517205);
}

}  // namespace
}  // namespace gyro
