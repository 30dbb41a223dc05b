// ValueStack: frames' storage stays put while later frames take more, across chunk growth,
// and released values drop the objects they held.
#include "interp/value_stack.h"

#include <cstddef>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "interp/objects.h"

namespace gyro {
namespace {

TEST(ValueStack, ValuesStayPutWhileDeeperFramesGrowNewChunks) {
  ValueStack stack;
  // Frames of 300 values: the first chunk (1 Ki values) holds three, later ones double.
  std::vector<Value*> frames;
  for (int64_t depth = 0; depth < 400; ++depth) {
    Value* base = stack.allocate(300);
    for (std::size_t i = 0; i < 300; ++i) {
      ASSERT_TRUE(base[i].is_none());
      base[i] = Value::integer(depth * 1000 + static_cast<int64_t>(i));
    }
    frames.push_back(base);
  }
  for (int64_t depth = 0; depth < 400; ++depth)
    for (std::size_t i = 0; i < 300; i += 37)
      ASSERT_EQ(frames[depth][i].as_int(), depth * 1000 + static_cast<int64_t>(i));
  // Unwinding gives every value back; a later frame finds None again.
  for (auto frame = frames.rbegin(); frame != frames.rend(); ++frame)
    stack.release(*frame, 300, *frame + 300);
  Value* again = stack.allocate(300);
  for (std::size_t i = 0; i < 300; ++i) EXPECT_TRUE(again[i].is_none());
}

TEST(ValueStack, AFrameLargerThanAnyChunkGetsOneOfItsOwn) {
  ValueStack stack;
  constexpr std::size_t kHuge = (std::size_t{1} << 16) + 5;
  Value* small = stack.allocate(10);
  Value* huge = stack.allocate(kHuge);
  huge[kHuge - 1] = Value::integer(7);
  EXPECT_EQ(huge[kHuge - 1].as_int(), 7);
  stack.release(huge, kHuge, huge + kHuge);
  stack.release(small, 10, small + 10);
}

TEST(ValueStack, ReleaseDropsTheObjectsHeld) {
  ValueStack stack;
  Value list = make_list();
  Value* base = stack.allocate(4);
  base[2] = list;
  EXPECT_EQ(list.as_object()->use_count(), 2);
  stack.release(base, 4, base + 4);
  EXPECT_EQ(list.as_object()->use_count(), 1);
}

}  // namespace
}  // namespace gyro
