// Dict: the insertion-ordered hash table (get/set/erase/clear, order, Python key equality).
#include "interp/dict.h"

#include <cstdint>
#include <map>
#include <optional>
#include <random>
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
using gyro::testing::num;
using gyro::testing::text;

void set(Dict& dict, const Value& key, const Value& value) {
  Status status = dict.set(key, value);
  EXPECT_TRUE(status.ok()) << status.error().to_string();
}

// repr of the value under `key`, "<missing>", or the error.
std::string get(const Dict& dict, const Value& key) {
  Expected<std::optional<Value>> found = dict.get(key);
  if (!found.ok()) return found.error().to_string();
  return found->has_value() ? repr(**found) : "<missing>";
}

bool erase(Dict& dict, const Value& key) {
  Expected<bool> erased = dict.erase(key);
  EXPECT_TRUE(erased.ok()) << erased.error().to_string();
  return erased.ok() && *erased;
}

// "{k: v, ...}" in iteration order.
std::string dump(const Dict& dict) {
  std::string out = "{";
  dict.for_each([&](const Value& key, const Value& value) {
    out += (out.size() > 1 ? ", " : "") + repr(key) + ": " + repr(value);
  });
  return out + "}";
}

TEST(Dict, EmptyDict) {
  Dict dict;
  EXPECT_EQ(dict.size(), 0u);
  EXPECT_EQ(get(dict, num(1)), "<missing>");
  EXPECT_FALSE(erase(dict, num(1)));
  EXPECT_EQ(dump(dict), "{}");
}

TEST(Dict, SetThenGet) {
  Dict dict;
  set(dict, num(1), text("one"));
  set(dict, text("two"), num(2));
  set(dict, Value(), Value::boolean(true));
  EXPECT_EQ(dict.size(), 3u);
  EXPECT_EQ(get(dict, num(1)), "'one'");
  EXPECT_EQ(get(dict, text("two")), "2");  // another str object with the same text
  EXPECT_EQ(get(dict, Value()), "True");
  EXPECT_EQ(get(dict, num(3)), "<missing>");
  EXPECT_EQ(get(dict, text("one")), "<missing>");
}

TEST(Dict, OverwriteKeepsThePosition) {
  Dict dict;
  set(dict, text("a"), num(1));
  set(dict, text("b"), num(2));
  set(dict, text("c"), num(3));
  set(dict, text("a"), num(10));
  EXPECT_EQ(dict.size(), 3u);
  EXPECT_EQ(dump(dict), "{'a': 10, 'b': 2, 'c': 3}");
}

TEST(Dict, EraseAndReinsertGoesLast) {
  Dict dict;
  set(dict, text("a"), num(1));
  set(dict, text("b"), num(2));
  set(dict, text("c"), num(3));
  EXPECT_TRUE(erase(dict, text("a")));
  EXPECT_FALSE(erase(dict, text("a")));
  EXPECT_EQ(dict.size(), 2u);
  EXPECT_EQ(get(dict, text("a")), "<missing>");
  EXPECT_EQ(dump(dict), "{'b': 2, 'c': 3}");
  set(dict, text("a"), num(4));
  EXPECT_EQ(dump(dict), "{'b': 2, 'c': 3, 'a': 4}");
}

TEST(Dict, EqualNumbersAreOneKeyAndTheFirstKeyStays) {
  // {1: 'a', 1.0: 'b', True: 'c'} == {1: 'c'} in CPython.
  Dict dict;
  set(dict, num(1), text("a"));
  set(dict, Value::real(1.0), text("b"));
  set(dict, Value::boolean(true), text("c"));
  EXPECT_EQ(dict.size(), 1u);
  EXPECT_EQ(dump(dict), "{1: 'c'}");
  EXPECT_EQ(get(dict, Value::real(1.0)), "'c'");
  // d = {0.0: 1}; d[-0.0] = 2; d[False] -> 2, and the key stays 0.0.
  set(dict, Value::real(0.0), num(1));
  set(dict, Value::real(-0.0), num(2));
  EXPECT_EQ(get(dict, Value::boolean(false)), "2");
  EXPECT_EQ(dump(dict), "{1: 'c', 0.0: 2}");
  EXPECT_TRUE(erase(dict, Value::boolean(true)));
  EXPECT_EQ(dump(dict), "{0.0: 2}");
}

TEST(Dict, TupleAndRangeKeysCompareByValue) {
  Dict dict;
  set(dict, make_tuple({num(1), text("x")}), num(1));
  EXPECT_EQ(get(dict, make_tuple({Value::real(1.0), text("x")})), "1");
  EXPECT_EQ(get(dict, make_tuple({num(1)})), "<missing>");
  set(dict, make_range(0, 10, 2), num(2));
  EXPECT_EQ(get(dict, make_range(0, 9, 2)), "2");
  // {range(0): 1}[range(5, 5)] is 1 in CPython: empty ranges are equal.
  set(dict, make_range(0, 0, 1), num(3));
  EXPECT_EQ(get(dict, make_range(5, 5, 1)), "3");
}

TEST(Dict, TensorKeysUseIdentity) {
  Dict dict;
  Tensor tensor = Tensor::integer(7);
  Value box = make_tensor(tensor);
  set(dict, box, num(1));
  EXPECT_EQ(get(dict, box), "1");
  EXPECT_EQ(get(dict, make_tensor(tensor)), "<missing>");
}

TEST(Dict, UnhashableKeysAreTypeErrors) {
  Dict dict;
  EXPECT_TRUE(
      fails_with(dict.set(make_list(), num(1)), ErrorKind::TypeError, "unhashable type: 'list'"));
  EXPECT_TRUE(fails_with(dict.get(make_dict()), ErrorKind::TypeError, "unhashable type: 'dict'"));
  EXPECT_TRUE(fails_with(dict.erase(make_list()), ErrorKind::TypeError, "unhashable type: 'list'"));
  EXPECT_TRUE(fails_with(dict.set(make_tuple({num(1), make_list()}), num(1)), ErrorKind::TypeError,
                         "unhashable type: 'list'"));
  EXPECT_EQ(dict.size(), 0u);
  set(dict, num(1), num(1));
  EXPECT_TRUE(fails_with(dict.get(make_list()), ErrorKind::TypeError, "unhashable type: 'list'"));
}

TEST(Dict, ClearEmptiesAndReleases) {
  Dict dict;
  Value held = text("held");
  for (int64_t i = 0; i < 20; ++i) set(dict, num(i), held);
  EXPECT_EQ(held.as_object()->use_count(), 21);
  dict.clear();
  EXPECT_EQ(dict.size(), 0u);
  EXPECT_EQ(dump(dict), "{}");
  EXPECT_EQ(get(dict, num(3)), "<missing>");
  EXPECT_EQ(held.as_object()->use_count(), 1);
  set(dict, num(3), num(30));  // usable again
  EXPECT_EQ(dump(dict), "{3: 30}");
}

TEST(Dict, EraseReleasesKeyAndValue) {
  Dict dict;
  Value key = text("k");
  Value value = make_list();
  set(dict, key, value);
  EXPECT_EQ(key.as_object()->use_count(), 2);
  EXPECT_EQ(value.as_object()->use_count(), 2);
  EXPECT_TRUE(erase(dict, key));
  EXPECT_EQ(key.as_object()->use_count(), 1);
  EXPECT_EQ(value.as_object()->use_count(), 1);
}

TEST(Dict, GrowsKeepingOrder) {
  Dict dict;
  std::string expected = "{";
  for (int64_t i = 0; i < 1000; ++i) {
    int64_t key = (i * 7919) % 1000 - 500;  // a permutation of -500..499, not sorted
    set(dict, num(key), num(i));
    expected += (i ? ", " : "") + std::to_string(key) + ": " + std::to_string(i);
  }
  EXPECT_EQ(dict.size(), 1000u);
  EXPECT_EQ(dump(dict), expected + "}");
}

TEST(Dict, EraseMostThenReinsertKeepsOrder) {
  // Erasing past half the entries compacts the table; the survivors keep their order.
  Dict dict;
  for (int64_t i = 0; i < 100; ++i) set(dict, num(i), num(i));
  for (int64_t i = 0; i < 100; ++i) {
    if (i % 10 != 3) {
      EXPECT_TRUE(erase(dict, num(i)));
    }
  }
  EXPECT_EQ(dump(dict),
            "{3: 3, 13: 13, 23: 23, 33: 33, 43: 43, 53: 53, 63: 63, 73: 73, 83: 83, "
            "93: 93}");
  set(dict, num(0), num(-1));
  set(dict, num(13), num(-13));
  EXPECT_EQ(dump(dict),
            "{3: 3, 13: -13, 23: 23, 33: 33, 43: 43, 53: 53, 63: 63, 73: 73, 83: 83, "
            "93: 93, 0: -1}");
}

TEST(Dict, RandomInsertsAndErasesMatchAnOrderedModel) {
  // Model: key -> (insertion sequence, value); overwrites keep the sequence, erases drop it.
  std::map<int64_t, std::pair<int64_t, int64_t>> model;
  Dict dict;
  std::mt19937_64 rng(12345);
  int64_t sequence = 0;
  for (int step = 0; step < 10000; ++step) {
    int64_t key = static_cast<int64_t>(rng() % 2000) - 1000;
    if (rng() % 3 == 0) {
      bool erased = erase(dict, num(key));
      EXPECT_EQ(erased, model.erase(key) == 1) << "step " << step << " key " << key;
    } else {
      set(dict, num(key), num(step));
      auto [it, inserted] = model.try_emplace(key, sequence, step);
      if (inserted) {
        ++sequence;
      } else {
        it->second.second = step;
      }
    }
    ASSERT_EQ(dict.size(), model.size()) << "step " << step;
    if (step % 1000 == 0) {
      for (int64_t probe = -1000; probe < 1000; ++probe) {
        auto it = model.find(probe);
        ASSERT_EQ(get(dict, num(probe)),
                  it == model.end() ? "<missing>" : std::to_string(it->second.second))
            << "step " << step << " key " << probe;
      }
    }
  }
  std::map<int64_t, std::pair<int64_t, int64_t>> by_sequence;  // sequence -> (key, value)
  for (const auto& [key, entry] : model) by_sequence[entry.first] = {key, entry.second};
  std::vector<std::pair<int64_t, int64_t>> expected;
  for (const auto& item : by_sequence) expected.push_back(item.second);
  std::vector<std::pair<int64_t, int64_t>> actual;
  dict.for_each([&](const Value& key, const Value& value) {
    actual.emplace_back(key.as_int(), value.as_int());
  });
  EXPECT_EQ(actual, expected);
}

TEST(Dict, LargeKeysThatShareLowBits) {
  // Multiples of 2**32 (and their float twins) must still spread across the index.
  Dict dict;
  for (int64_t i = 0; i < 500; ++i) set(dict, num(i << 32), num(i));
  EXPECT_EQ(dict.size(), 500u);
  for (int64_t i = 0; i < 500; ++i)
    EXPECT_EQ(get(dict, Value::real(static_cast<double>(i << 32))), std::to_string(i));
}

TEST(Dict, DictObjectHoldsATable) {
  Value object = make_dict();
  Dict& table = object.as<DictObject>().table;
  set(table, text("x"), num(1));
  EXPECT_EQ(repr(object), "{'x': 1}");
  EXPECT_EQ(object.as<DictObject>().table.size(), 1u);
}

}  // namespace
}  // namespace gyro
