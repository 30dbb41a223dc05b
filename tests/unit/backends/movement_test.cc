// Eager movement kernels against PyTorch: views over shared storage and the copying ops.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/backends/test_util.h"

namespace gyro {
namespace {

using namespace gyro::testing;

// torch.arange(n).view(sizes): int64 0, 1, 2, ... laid out contiguously (test_support.h's iota,
// which this hides, is float32).
Tensor iota(std::vector<int64_t> sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return ok(OpKind::reshape, {ok(OpKind::arange, {}, {I(n)})}, {L(sizes)});
}

// Writes `value` at flat element `index` of a contiguous int64 tensor.
void poke(const Tensor& t, int64_t index, int64_t value) {
  t.data<int64_t>()[index] = value;
}

// ---------------------------------------------------------------- reshape and view

TEST(MovementReshape, ContiguousInputGivesAView) {
  Tensor a = iota({6});
  Tensor r = ok(OpKind::reshape, {a}, {L({2, -1})});
  EXPECT_EQ(r.sizes(), (Dims{2, 3}));
  EXPECT_EQ(r.strides(), (Dims{3, 1}));
  EXPECT_TRUE(r.shares_storage(a));
  EXPECT_EQ(ints(r), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
}

TEST(MovementReshape, NonContiguousInputIsCopied) {
  Tensor t = transposed(iota({2, 3}));  // [[0, 3], [1, 4], [2, 5]]
  Tensor r = ok(OpKind::reshape, {t}, {L({6})});
  EXPECT_FALSE(r.shares_storage(t));
  EXPECT_TRUE(r.is_contiguous());
  EXPECT_EQ(ints(r), (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
}

TEST(MovementReshape, CompatibleStridesStayAView) {
  // torch.arange(6).view(2, 3).t().view(3, 1, 2) is allowed: only size-1 dims are added.
  Tensor t = transposed(iota({2, 3}));
  Tensor r = ok(OpKind::reshape, {t}, {L({3, 1, 2})});
  EXPECT_TRUE(r.shares_storage(t));
  EXPECT_EQ(ints(r), (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
}

TEST(MovementReshape, ZeroDimAndInvalidShapes) {
  Tensor scalar = T(int64_t{5});
  Tensor r = ok(OpKind::reshape, {scalar}, {L({1, 1})});
  EXPECT_EQ(r.sizes(), (Dims{1, 1}));
  EXPECT_EQ(r.item(), 5.0);
  EXPECT_EQ(ok(OpKind::reshape, {r}, {L({})}).dim(), 0);
  EXPECT_TRUE(fails_with(op(OpKind::reshape, {iota({6})}, {L({-1, 4})}), ErrorKind::RuntimeError,
                         "shape '[-1, 4]' is invalid for input of size 6"));
}

TEST(MovementView, SharesStorageAndSeesWrites) {
  Tensor a = iota({2, 3});
  Tensor v = ok(OpKind::view, {a}, {L({3, 2})});
  EXPECT_TRUE(v.shares_storage(a));
  poke(a, 5, 50);
  EXPECT_EQ(ints(v), (std::vector<int64_t>{0, 1, 2, 3, 4, 50}));
}

TEST(MovementView, NonContiguousInputFailsWithTorchsMessage) {
  EXPECT_TRUE(fails_with(op(OpKind::view, {transposed(iota({2, 3}))}, {L({6})}),
                         ErrorKind::RuntimeError,
                         "view size is not compatible with input tensor's size and stride (at "
                         "least one dimension spans across two contiguous subspaces). Use "
                         ".reshape(...) instead."));
  // reshape of the same input succeeds by copying.
  EXPECT_EQ(ints(ok(OpKind::reshape, {transposed(iota({2, 3}))}, {L({6})})),
            (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
}

TEST(MovementView, ExpandedInput) {
  Tensor e = ok(OpKind::expand, {T({1, 2, 3})}, {L({2, 3})});
  EXPECT_TRUE(fails_with(op(OpKind::view, {e}, {L({6})}), ErrorKind::RuntimeError,
                         "view size is not compatible"));
  Tensor v = ok(OpKind::view, {e}, {L({2, 3, 1})});
  EXPECT_EQ(ints(v), (std::vector<int64_t>{1, 2, 3, 1, 2, 3}));
}

TEST(MovementView, SteppedSliceSplitsADim) {
  // torch.arange(12)[::2].view(2, 3) is a view with strides (6, 2).
  Tensor stepped = ok(OpKind::slice, {iota({12})}, {I(0), None(), None(), I(2)});
  Tensor v = ok(OpKind::view, {stepped}, {L({2, 3})});
  EXPECT_EQ(v.strides(), (Dims{6, 2}));
  EXPECT_EQ(ints(v), (std::vector<int64_t>{0, 2, 4, 6, 8, 10}));
}

// ---------------------------------------------------------------- transpose and permute

TEST(MovementTranspose, SwapsSizesAndStrides) {
  Tensor a = iota({2, 3});
  Tensor t = transposed(a);
  EXPECT_EQ(t.sizes(), (Dims{3, 2}));
  EXPECT_EQ(t.strides(), (Dims{1, 3}));
  EXPECT_TRUE(t.shares_storage(a));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(ints(t), (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
}

TEST(MovementTranspose, NegativeDimsAndRankThree) {
  Tensor a = iota({2, 3, 4});
  Tensor t = ok(OpKind::transpose, {a}, {I(-1), I(0)});
  EXPECT_EQ(t.sizes(), (Dims{4, 3, 2}));
  EXPECT_EQ(t.strides(), (Dims{1, 4, 12}));
  std::vector<int64_t> expected;
  for (int64_t k = 0; k < 4; ++k)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t i = 0; i < 2; ++i) expected.push_back(i * 12 + j * 4 + k);
  EXPECT_EQ(ints(t), expected);
  EXPECT_EQ(ok(OpKind::transpose, {T(1.0)}, {I(0), I(-1)}).dim(), 0);
  EXPECT_TRUE(fails_with(op(OpKind::transpose, {a}, {I(0), I(3)}), ErrorKind::IndexError,
                         "Dimension out of range (expected to be in range of [-3, 2], but got 3)"));
}

TEST(MovementPermute, ReordersDims) {
  Tensor a = iota({2, 3, 4});
  Tensor p = ok(OpKind::permute, {a}, {L({2, 0, 1})});
  EXPECT_EQ(p.sizes(), (Dims{4, 2, 3}));
  EXPECT_EQ(p.strides(), (Dims{1, 12, 4}));
  EXPECT_TRUE(p.shares_storage(a));
  std::vector<int64_t> expected;
  for (int64_t k = 0; k < 4; ++k)
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 3; ++j) expected.push_back(i * 12 + j * 4 + k);
  EXPECT_EQ(ints(p), expected);
}

TEST(MovementPermute, Errors) {
  EXPECT_TRUE(fails_with(op(OpKind::permute, {iota({2, 3})}, {L({0, 0})}), ErrorKind::RuntimeError,
                         "permute(): duplicate dims are not allowed."));
  EXPECT_TRUE(fails_with(op(OpKind::permute, {iota({2, 3})}, {L({0})}), ErrorKind::RuntimeError,
                         "permute"));
}

// ---------------------------------------------------------------- squeeze and unsqueeze

TEST(MovementSqueeze, AllSizeOneDims) {
  Tensor a = iota({1, 3, 1});
  Tensor s = ok(OpKind::squeeze, {a});
  EXPECT_EQ(s.sizes(), (Dims{3}));
  EXPECT_TRUE(s.shares_storage(a));
  EXPECT_EQ(ints(s), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(ok(OpKind::squeeze, {iota({1, 1})}).dim(), 0);
}

TEST(MovementSqueeze, GivenDims) {
  Tensor a = iota({1, 3, 1});
  EXPECT_EQ(ok(OpKind::squeeze, {a}, {I(0)}).sizes(), (Dims{3, 1}));
  EXPECT_EQ(ok(OpKind::squeeze, {a}, {I(-1)}).sizes(), (Dims{1, 3}));
  EXPECT_EQ(ok(OpKind::squeeze, {a}, {I(1)}).sizes(), (Dims{1, 3, 1}));  // size 3: no-op
  EXPECT_EQ(ok(OpKind::squeeze, {a}, {L({0, 2})}).sizes(), (Dims{3}));
  EXPECT_TRUE(fails_with(op(OpKind::squeeze, {a}, {I(3)}), ErrorKind::IndexError,
                         "Dimension out of range"));
}

TEST(MovementUnsqueeze, StridesMatchTorch) {
  // torch.ones(2, 3).unsqueeze(d).stride(): d=0 (6, 3, 1), d=1 (3, 3, 1), d=-1 (3, 1, 1).
  Tensor a = iota({2, 3});
  Tensor u0 = ok(OpKind::unsqueeze, {a}, {I(0)});
  EXPECT_EQ(u0.sizes(), (Dims{1, 2, 3}));
  EXPECT_EQ(u0.strides(), (Dims{6, 3, 1}));
  Tensor u1 = ok(OpKind::unsqueeze, {a}, {I(1)});
  EXPECT_EQ(u1.sizes(), (Dims{2, 1, 3}));
  EXPECT_EQ(u1.strides(), (Dims{3, 3, 1}));
  Tensor u2 = ok(OpKind::unsqueeze, {a}, {I(-1)});
  EXPECT_EQ(u2.sizes(), (Dims{2, 3, 1}));
  EXPECT_EQ(u2.strides(), (Dims{3, 1, 1}));
  EXPECT_TRUE(u2.shares_storage(a));
  EXPECT_EQ(ints(u1), ints(a));
  EXPECT_TRUE(fails_with(op(OpKind::unsqueeze, {a}, {I(3)}), ErrorKind::IndexError,
                         "Dimension out of range (expected to be in range of [-3, 2], but got 3)"));
}

// ---------------------------------------------------------------- flatten

TEST(MovementFlatten, ContiguousInputGivesAView) {
  Tensor a = iota({2, 3, 4});
  Tensor f = ok(OpKind::flatten, {a});
  EXPECT_EQ(f.sizes(), (Dims{24}));
  EXPECT_TRUE(f.shares_storage(a));
  EXPECT_EQ(ok(OpKind::flatten, {a}, {I(1)}).sizes(), (Dims{2, 12}));
  EXPECT_EQ(ok(OpKind::flatten, {a}, {I(0), I(-2)}).sizes(), (Dims{6, 4}));
  EXPECT_EQ(ok(OpKind::flatten, {T(3.0)}).sizes(), (Dims{1}));
}

TEST(MovementFlatten, NonContiguousInputIsCopiedInLogicalOrder) {
  Tensor t = transposed(iota({2, 3}));
  Tensor f = ok(OpKind::flatten, {t});
  EXPECT_EQ(ints(f), (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
  EXPECT_TRUE(fails_with(op(OpKind::flatten, {t}, {I(1), I(0)}), ErrorKind::RuntimeError,
                         "flatten() has invalid args: start_dim cannot come after end_dim"));
}

// ---------------------------------------------------------------- expand

TEST(MovementExpand, BroadcastDimsGetStrideZero) {
  Tensor a = T({{1}, {2}, {3}});
  Tensor e = ok(OpKind::expand, {a}, {L({2, 3, 4})});
  EXPECT_EQ(e.sizes(), (Dims{2, 3, 4}));
  EXPECT_EQ(e.strides(), (Dims{0, 1, 0}));
  EXPECT_TRUE(e.shares_storage(a));
  std::vector<int64_t> expected;
  for (int k = 0; k < 2; ++k)
    for (int64_t v : {1, 2, 3})
      for (int j = 0; j < 4; ++j) expected.push_back(v);
  EXPECT_EQ(ints(e), expected);
  poke(a, 1, 20);  // every copy of the middle row changes
  EXPECT_EQ(ints(e)[4], 20);
  EXPECT_EQ(ints(e)[16], 20);
}

TEST(MovementExpand, MinusOneKeepsASize) {
  Tensor e = ok(OpKind::expand, {T({{1}, {2}})}, {L({-1, 3})});
  EXPECT_EQ(e.sizes(), (Dims{2, 3}));
  EXPECT_EQ(ints(e), (std::vector<int64_t>{1, 1, 1, 2, 2, 2}));
}

TEST(MovementExpand, NonSingletonMismatchHasTorchsMessage) {
  EXPECT_TRUE(
      fails_with(op(OpKind::expand, {iota({2, 3})}, {L({3, 3})}), ErrorKind::RuntimeError,
                 "The expanded size of the tensor (3) must match the existing size (2) at "
                 "non-singleton dimension 0.  Target sizes: [3, 3].  Tensor sizes: [2, 3]"));
}

// ---------------------------------------------------------------- slice and select

TEST(MovementSlice, StartEndStep) {
  Tensor a = iota({10});
  Tensor s = ok(OpKind::slice, {a}, {I(0), I(2), I(8), I(3)});
  EXPECT_EQ(ints(s), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(s.strides(), (Dims{3}));
  EXPECT_EQ(s.offset(), 2);
  EXPECT_TRUE(s.shares_storage(a));
}

TEST(MovementSlice, NegativeIndicesAndClamping) {
  Tensor a = iota({10});
  EXPECT_EQ(ints(ok(OpKind::slice, {a}, {I(0), I(-3)})), (std::vector<int64_t>{7, 8, 9}));
  Tensor five = iota({5});
  // x[1:100:2] -> [1, 3]; x[-100:-2] -> [0, 1, 2]; x[4:1] -> [].
  EXPECT_EQ(ints(ok(OpKind::slice, {five}, {I(0), I(1), I(100), I(2)})),
            (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(ints(ok(OpKind::slice, {five}, {I(0), I(-100), I(-2)})),
            (std::vector<int64_t>{0, 1, 2}));
  Tensor empty = ok(OpKind::slice, {five}, {I(0), I(4), I(1)});
  EXPECT_EQ(empty.sizes(), (Dims{0}));
  Tensor past_end = ok(OpKind::slice, {five}, {I(0), I(7), I(9)});
  EXPECT_EQ(past_end.sizes(), (Dims{0}));
}

TEST(MovementSlice, InnerDimAndSliceOfSlice) {
  Tensor a = iota({3, 4});
  Tensor cols = ok(OpKind::slice, {a}, {}, {{"dim", I(1)}, {"start", I(1)}, {"step", I(2)}});
  EXPECT_EQ(cols.sizes(), (Dims{3, 2}));
  EXPECT_EQ(ints(cols), (std::vector<int64_t>{1, 3, 5, 7, 9, 11}));
  Tensor rows = ok(OpKind::slice, {cols}, {I(0), I(1)});
  EXPECT_EQ(ints(rows), (std::vector<int64_t>{5, 7, 9, 11}));
  EXPECT_TRUE(rows.shares_storage(a));
}

TEST(MovementSlice, StepMustBePositive) {
  EXPECT_TRUE(fails_with(op(OpKind::slice, {iota({5})}, {I(0), None(), None(), I(0)}),
                         ErrorKind::ValueError, "slice step must be positive"));
  EXPECT_TRUE(fails_with(op(OpKind::slice, {iota({5})}, {I(0), None(), None(), I(-1)}),
                         ErrorKind::ValueError, "slice step must be positive"));
}

TEST(MovementSelect, PicksOneIndex) {
  Tensor a = T({{1, 2, 3}, {4, 5, 6}});
  Tensor row = ok(OpKind::select, {a}, {I(0), I(1)});
  EXPECT_EQ(row.sizes(), (Dims{3}));
  EXPECT_EQ(ints(row), (std::vector<int64_t>{4, 5, 6}));
  EXPECT_TRUE(row.shares_storage(a));
  Tensor col = ok(OpKind::select, {a}, {I(1), I(-1)});
  EXPECT_EQ(ints(col), (std::vector<int64_t>{3, 6}));
  Tensor item = ok(OpKind::select, {row}, {I(0), I(-3)});
  EXPECT_EQ(item.dim(), 0);
  EXPECT_EQ(item.item(), 4.0);
}

TEST(MovementSelect, OutOfRangeIsIndexError) {
  Tensor a = T({{1, 2, 3}, {4, 5, 6}});
  EXPECT_TRUE(fails_with(op(OpKind::select, {a}, {I(1), I(3)}), ErrorKind::IndexError, "index 3"));
  EXPECT_TRUE(
      fails_with(op(OpKind::select, {a}, {I(1), I(-4)}), ErrorKind::IndexError, "index -4"));
  EXPECT_TRUE(fails_with(op(OpKind::select, {a}, {I(2), I(0)}), ErrorKind::IndexError,
                         "Dimension out of range"));
}

// ---------------------------------------------------------------- cat and stack

TEST(MovementCat, AlongEachDim) {
  Tensor a = T({{1, 2}, {3, 4}});
  Tensor b = T({{5, 6}});
  Tensor rows = ok(OpKind::cat, {a, b});
  EXPECT_EQ(rows.sizes(), (Dims{3, 2}));
  EXPECT_EQ(ints(rows), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  Tensor cols = ok(OpKind::cat, {a, T({{7}, {8}})}, {I(-1)});
  EXPECT_EQ(cols.sizes(), (Dims{2, 3}));
  EXPECT_EQ(ints(cols), (std::vector<int64_t>{1, 2, 7, 3, 4, 8}));
}

TEST(MovementCat, MixedDTypesPromote) {
  // torch.cat([torch.tensor([1, 2]), torch.tensor([1.5])]) -> float32 [1, 2, 1.5].
  Tensor t = ok(OpKind::cat, {T({1, 2}), T({1.5})});
  EXPECT_EQ(t.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(t, {1, 2, 1.5}));
  Tensor b = ok(OpKind::cat, {T({true}), T({2})});
  EXPECT_EQ(b.dtype(), DType::Int64);
  EXPECT_EQ(ints(b), (std::vector<int64_t>{1, 2}));
}

TEST(MovementCat, EmptyOneDimInputsAreSkipped) {
  // torch.cat([torch.tensor([]), torch.tensor([[1, 2]])]) -> float32 [[1., 2.]].
  Tensor t = ok(OpKind::cat, {ok(OpKind::zeros, {}, {L({0})}), T({{1, 2}})});
  EXPECT_EQ(t.sizes(), (Dims{1, 2}));
  EXPECT_EQ(t.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(t, {1, 2}));
  Tensor middle = ok(
      OpKind::cat,
      {T({{1, 2}}), ok(OpKind::zeros, {}, {L({0})}, {{"dtype", DT(DType::Int64)}}), T({{3, 4}})});
  EXPECT_EQ(ints(middle), (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST(MovementCat, NonContiguousInputsAndFreshOutput) {
  Tensor a = T({{1, 2}, {3, 4}});
  Tensor t = ok(OpKind::cat, {transposed(a), a}, {I(1)});
  EXPECT_EQ(ints(t), (std::vector<int64_t>{1, 3, 1, 2, 2, 4, 3, 4}));
  Tensor single = ok(OpKind::cat, {a});
  EXPECT_FALSE(single.shares_storage(a));
  EXPECT_EQ(ints(single), ints(a));
}

TEST(MovementCat, ErrorsHaveTorchsMessages) {
  EXPECT_TRUE(fails_with(op(OpKind::cat, {T({{1, 2}}), T({{1, 2, 3}})}), ErrorKind::RuntimeError,
                         "Sizes of tensors must match except in dimension 0. Expected size 2 but "
                         "got size 3 for tensor number 1 in the list."));
  EXPECT_TRUE(fails_with(op(OpKind::cat, {T({{1, 2}}), T({1, 2})}), ErrorKind::RuntimeError,
                         "Tensors must have same number of dimensions: got 2 and 1"));
  EXPECT_TRUE(fails_with(op(OpKind::cat, {T(1), T(2)}), ErrorKind::RuntimeError,
                         "zero-dimensional tensor (at position 0) cannot be concatenated"));
  EXPECT_TRUE(fails_with(op(OpKind::cat, {T({{1, 2}})}, {I(2)}), ErrorKind::IndexError,
                         "Dimension out of range (expected to be in range of [-2, 1], but got 2)"));
}

TEST(MovementStack, AlongEachDim) {
  Tensor a = T({1, 2}), b = T({3, 4});
  Tensor s0 = ok(OpKind::stack, {a, b});
  EXPECT_EQ(s0.sizes(), (Dims{2, 2}));
  EXPECT_EQ(ints(s0), (std::vector<int64_t>{1, 2, 3, 4}));
  Tensor s1 = ok(OpKind::stack, {a, b}, {I(1)});
  EXPECT_EQ(ints(s1), (std::vector<int64_t>{1, 3, 2, 4}));
  EXPECT_EQ(ints(ok(OpKind::stack, {a, b}, {I(-1)})), ints(s1));
  Tensor scalars = ok(OpKind::stack, {T(1.5), T(2.5), T(3.5)});
  EXPECT_EQ(scalars.sizes(), (Dims{3}));
  EXPECT_TRUE(all_close(scalars, {1.5, 2.5, 3.5}));
}

TEST(MovementStack, MixedDTypesPromote) {
  // torch.stack([torch.tensor([1, 2]), torch.tensor([3.5, 4])], dim=1) -> [[1, 3.5], [2, 4]].
  Tensor t = ok(OpKind::stack, {T({1, 2}), T({3.5, 4.0})}, {I(1)});
  EXPECT_EQ(t.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(t, {1, 3.5, 2, 4}));
}

TEST(MovementStack, MismatchHasTorchsMessage) {
  EXPECT_TRUE(fails_with(op(OpKind::stack, {T({1, 2}), T({1, 2, 3})}), ErrorKind::RuntimeError,
                         "stack expects each tensor to be equal size, but got [2] at entry 0 and "
                         "[3] at entry 1"));
}

// ---------------------------------------------------------------- split, chunk

TEST(MovementSplit, ReturnsSeveralViews) {
  Tensor a = iota({5});
  const Tensor inputs[] = {a};
  const Attr attrs[] = {I(2)};
  auto pieces = eager::run(OpKind::split, inputs, attrs);
  ASSERT_TRUE(pieces.ok()) << pieces.error().to_string();
  ASSERT_EQ(pieces->size(), 3u);
  EXPECT_EQ(ints((*pieces)[0]), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(ints((*pieces)[1]), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(ints((*pieces)[2]), (std::vector<int64_t>{4}));
  for (const Tensor& piece : *pieces) EXPECT_TRUE(piece.shares_storage(a));
  EXPECT_EQ((*pieces)[2].offset(), 4);
}

TEST(MovementSplit, WithSizesAlongAnInnerDim) {
  const Tensor inputs[] = {iota({2, 5})};
  const NamedAttr named[] = {{"dim", I(1)}};
  const Attr attrs[] = {L({1, 4})};
  auto pieces = eager::run(OpKind::split_with_sizes, inputs, attrs, named);
  ASSERT_TRUE(pieces.ok()) << pieces.error().to_string();
  ASSERT_EQ(pieces->size(), 2u);
  EXPECT_EQ(ints((*pieces)[0]), (std::vector<int64_t>{0, 5}));
  EXPECT_EQ(ints((*pieces)[1]), (std::vector<int64_t>{1, 2, 3, 4, 6, 7, 8, 9}));
}

TEST(MovementSplit, Chunk) {
  // torch.chunk(torch.arange(6), 4) -> three chunks of 2.
  const Tensor inputs[] = {iota({6})};
  const Attr attrs[] = {I(4)};
  auto pieces = eager::run(OpKind::chunk, inputs, attrs);
  ASSERT_TRUE(pieces.ok()) << pieces.error().to_string();
  ASSERT_EQ(pieces->size(), 3u);
  EXPECT_EQ(ints((*pieces)[2]), (std::vector<int64_t>{4, 5}));
}

TEST(MovementSplit, ChunkOfAnEmptyDimGivesEveryChunk) {
  // torch.chunk(torch.empty(0), 3) returns three empty tensors (PyTorch calls split_with_sizes
  // with `chunks` zero sizes when the dim is empty).
  const Tensor inputs[] = {ok(OpKind::zeros, {}, {L({0})})};
  const Attr attrs[] = {I(3)};
  auto pieces = eager::run(OpKind::chunk, inputs, attrs);
  ASSERT_TRUE(pieces.ok()) << pieces.error().to_string();
  EXPECT_EQ(pieces->size(), 3u);
  for (const Tensor& piece : *pieces) EXPECT_EQ(piece.numel(), 0);
}

TEST(MovementSplit, Errors) {
  EXPECT_TRUE(fails_with(op(OpKind::split, {iota({5})}, {I(2)}), ErrorKind::TypeError,
                         "returns several tensors"));
  const Tensor inputs[] = {iota({5})};
  const Attr two[] = {I(2)};
  Tensor out = iota({2});
  EXPECT_TRUE(fails_with(eager::run_into(OpKind::split, inputs, two, out), ErrorKind::TypeError,
                         "returns several tensors"));
  const Attr zero[] = {I(0)};
  EXPECT_TRUE(fails_with(eager::run(OpKind::split, inputs, zero), ErrorKind::RuntimeError,
                         "split_size can only be 0 if dimension size is 0, but got dimension size "
                         "of 5"));
  const Attr sizes[] = {L({2, 2})};
  EXPECT_TRUE(fails_with(eager::run(OpKind::split_with_sizes, inputs, sizes),
                         ErrorKind::RuntimeError,
                         "split_with_sizes expects split_sizes to sum exactly to 5"));
}

// ---------------------------------------------------------------- contiguous and clone

TEST(MovementContiguous, ReturnsTheInputWhenAlreadyContiguous) {
  Tensor a = iota({2, 3});
  EXPECT_TRUE(ok(OpKind::contiguous, {a}).shares_storage(a));
}

TEST(MovementContiguous, CopiesAStridedInput) {
  Tensor t = transposed(iota({2, 3}));
  Tensor c = ok(OpKind::contiguous, {t});
  EXPECT_FALSE(c.shares_storage(t));
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_EQ(c.strides(), (Dims{2, 1}));
  EXPECT_EQ(ints(c), (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
}

TEST(MovementClone, CopiesAndIsIndependent) {
  Tensor a = iota({2, 3});
  Tensor c = ok(OpKind::clone, {a});
  EXPECT_FALSE(c.shares_storage(a));
  EXPECT_EQ(ints(c), ints(a));
  poke(c, 0, 100);
  EXPECT_EQ(ints(a)[0], 0);
  poke(a, 1, 200);
  EXPECT_EQ(ints(c)[1], 1);
}

TEST(MovementClone, StridedSourceInLogicalOrder) {
  Tensor t = transposed(T({{1.5, 2.5}, {3.5, 4.5}}));
  Tensor c = ok(OpKind::clone, {t});
  EXPECT_EQ(c.dtype(), DType::Float32);
  EXPECT_TRUE(all_close(c, {1.5, 3.5, 2.5, 4.5}));
}

}  // namespace
}  // namespace gyro
