// repr() and str() of every value kind, checked against CPython 3.11's output.
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

using gyro::testing::kInf;
using gyro::testing::kNaN;
using gyro::testing::list;
using gyro::testing::num;
using gyro::testing::real;
using gyro::testing::text;
using gyro::testing::tuple;

void put(const Value& dict, const Value& key, const Value& value) {
  ASSERT_TRUE(dict.as<DictObject>().table.set(key, value).ok());
}

TEST(Repr, Scalars) {
  EXPECT_EQ(repr(Value()), "None");
  EXPECT_EQ(repr(Value::boolean(true)), "True");
  EXPECT_EQ(repr(Value::boolean(false)), "False");
  EXPECT_EQ(repr(num(0)), "0");
  EXPECT_EQ(repr(num(-42)), "-42");
  EXPECT_EQ(repr(num(-9223372036854775807 - 1)), "-9223372036854775808");
}

TEST(Repr, FloatsUseTheShortestRoundTripForm) {
  EXPECT_EQ(repr(real(1.0)), "1.0");
  EXPECT_EQ(repr(real(2.5)), "2.5");
  EXPECT_EQ(repr(real(100.0)), "100.0");
  EXPECT_EQ(repr(real(0.1 + 0.2)), "0.30000000000000004");
  EXPECT_EQ(repr(real(-0.0)), "-0.0");
  EXPECT_EQ(repr(real(123456789.0)), "123456789.0");
  EXPECT_EQ(repr(real(1e15)), "1000000000000000.0");
  EXPECT_EQ(repr(real(1e16)), "1e+16");
  EXPECT_EQ(repr(real(1e22)), "1e+22");
  EXPECT_EQ(repr(real(1.5e300)), "1.5e+300");
  EXPECT_EQ(repr(real(0.0001)), "0.0001");
  EXPECT_EQ(repr(real(1e-05)), "1e-05");
  EXPECT_EQ(repr(real(-1e-05)), "-1e-05");
  EXPECT_EQ(repr(real(-1.5e-07)), "-1.5e-07");
  EXPECT_EQ(repr(real(5e-324)), "5e-324");
}

TEST(Repr, FloatSpecials) {
  EXPECT_EQ(repr(real(kInf)), "inf");
  EXPECT_EQ(repr(real(-kInf)), "-inf");
  EXPECT_EQ(repr(real(kNaN)), "nan");
  EXPECT_EQ(repr(real(-kNaN)), "nan");  // repr(-float('nan')) == 'nan'
}

TEST(Repr, StringQuoting) {
  EXPECT_EQ(repr(text("abc")), "'abc'");
  EXPECT_EQ(repr(text("")), "''");
  EXPECT_EQ(repr(text("it's")), "\"it's\"");
  EXPECT_EQ(repr(text("say \"hi\"")), "'say \"hi\"'");
  EXPECT_EQ(repr(text("both ' and \"")), "'both \\' and \"'");
}

TEST(Repr, StringEscapes) {
  EXPECT_EQ(repr(text("a\nb\tc\\")), "'a\\nb\\tc\\\\'");
  EXPECT_EQ(repr(text("a\rb")), "'a\\rb'");
  EXPECT_EQ(repr(text("\x01")), "'\\x01'");
  EXPECT_EQ(repr(text("\x7f")), "'\\x7f'");
  EXPECT_EQ(repr(text("\xc3\xa9")), "'\xc3\xa9'");  // 'é' is printable: kept as is
}

TEST(Repr, ListsAndTuples) {
  EXPECT_EQ(repr(list({})), "[]");
  EXPECT_EQ(repr(list({list({})})), "[[]]");
  EXPECT_EQ(repr(list({num(1), text("a"), tuple({num(2)}), make_dict()})), "[1, 'a', (2,), {}]");
  EXPECT_EQ(repr(tuple({})), "()");
  EXPECT_EQ(repr(tuple({num(1)})), "(1,)");
  EXPECT_EQ(repr(tuple({num(1), num(2)})), "(1, 2)");
  EXPECT_EQ(repr(tuple({tuple({num(1), num(2)})})), "((1, 2),)");
  Value shared = list({num(1)});
  EXPECT_EQ(repr(list({shared, shared})), "[[1], [1]]");  // shared, not recursive
}

TEST(Repr, Dicts) {
  EXPECT_EQ(repr(make_dict()), "{}");
  Value dict = make_dict();
  put(dict, num(1), text("a"));
  put(dict, text("b"), list({Value(), Value::boolean(true)}));
  EXPECT_EQ(repr(dict), "{1: 'a', 'b': [None, True]}");
}

TEST(Repr, SelfContainingContainersPrintEllipsis) {
  Value self_list = list({});
  self_list.as<ListObject>().items.push_back(self_list);
  EXPECT_EQ(repr(self_list), "[[...]]");
  EXPECT_EQ(str(self_list), "[[...]]");
  EXPECT_EQ(repr(list({self_list})), "[[[...]]]");

  Value self_dict = make_dict();
  put(self_dict, num(1), self_dict);
  EXPECT_EQ(repr(self_dict), "{1: {...}}");

  // t = ([],); t[0].append(t): CPython guards tuples too.
  Value inner = list({});
  Value outer = tuple({inner});
  inner.as<ListObject>().items.push_back(outer);
  EXPECT_EQ(repr(outer), "([(...)],)");

  // The cycles are not collected (a documented limit): break them so the test does not leak.
  self_list.as<ListObject>().items.clear();
  self_dict.as<DictObject>().table.clear();
  inner.as<ListObject>().items.clear();
}

TEST(Repr, RangeSliceCell) {
  EXPECT_EQ(repr(make_range(0, 5, 1)), "range(0, 5)");
  EXPECT_EQ(repr(make_range(1, 10, 2)), "range(1, 10, 2)");
  EXPECT_EQ(repr(make_range(5, 0, -1)), "range(5, 0, -1)");
  EXPECT_EQ(repr(make_slice(num(1), Value(), num(2))), "slice(1, None, 2)");
  EXPECT_EQ(repr(make_slice(Value(), Value(), Value())), "slice(None, None, None)");
  EXPECT_EQ(repr(make_cell()), "<cell>");
}

TEST(Repr, TensorAsPyTorchPrintsIt) {
  // repr(torch.tensor([1., 2.], dtype=torch.float64)); tensor_repr_test.cc covers the format.
  Value box = make_tensor(Tensor::from_vector(std::vector<double>{1.0, 2.0}, {2}).value());
  EXPECT_EQ(repr(box), "tensor([1., 2.], dtype=torch.float64)");
  EXPECT_EQ(str(box), "tensor([1., 2.], dtype=torch.float64)");
  EXPECT_EQ(repr(list({box})), "[tensor([1., 2.], dtype=torch.float64)]");
}

TEST(Str, StrOfAStrIsItsTextOtherwiseRepr) {
  EXPECT_EQ(str(text("abc")), "abc");
  EXPECT_EQ(str(text("a\nb")), "a\nb");
  EXPECT_EQ(str(list({text("abc")})), "['abc']");
  EXPECT_EQ(str(list({text("a\nb")})), "['a\\nb']");
  EXPECT_EQ(str(tuple({text("x")})), "('x',)");
  EXPECT_EQ(str(Value()), "None");
  EXPECT_EQ(str(real(1.0)), "1.0");
  EXPECT_EQ(str(Value::boolean(true)), "True");
  EXPECT_EQ(str(num(7)), "7");
}

}  // namespace
}  // namespace gyro
