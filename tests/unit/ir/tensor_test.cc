// Tensors and their memory: construction, contiguity, views, tensor(lists), convert, allocator.
#include "ir/tensor.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "ir/allocator.h"
#include "ir/convert.h"
#include "ir/nested.h"
#include "ir/storage.h"
#include "tests/unit/test_support.h"

namespace gyro {
namespace {

using namespace gyro::testing;

bool aligned(const void* pointer, std::size_t alignment) {
  return reinterpret_cast<std::uintptr_t>(pointer) % alignment == 0;
}

// ---------------------------------------------------------------- construction

TEST(TensorEmpty, IsContiguousRowMajor) {
  Tensor t = Tensor::empty({2, 3, 4}, DType::Float64).value();
  EXPECT_TRUE(t.defined());
  EXPECT_EQ(t.dim(), 3);
  EXPECT_EQ(t.sizes(), (Dims{2, 3, 4}));
  EXPECT_EQ(t.strides(), (Dims{12, 4, 1}));
  EXPECT_EQ(t.offset(), 0);
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.itemsize(), 8u);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_FALSE(t.is_wrapped_number());
  EXPECT_GE(t.storage()->nbytes(), 24u * 8u);
}

TEST(TensorEmpty, ZeroSizedDimsKeepStridesOfOne) {
  // torch.empty(2, 0, 3).stride() == (3, 3, 1).
  Tensor t = Tensor::empty({2, 0, 3}, DType::Float32).value();
  EXPECT_EQ(t.numel(), 0);
  EXPECT_EQ(t.strides(), (Dims{3, 3, 1}));
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_TRUE(t.to_vector<float>().empty());
}

TEST(TensorEmpty, ZeroDimHasOneElement) {
  Tensor t = Tensor::empty({}, DType::Int64).value();
  EXPECT_EQ(t.dim(), 0);
  EXPECT_EQ(t.numel(), 1);
  EXPECT_TRUE(t.is_contiguous());
}

TEST(TensorEmpty, NegativeSizeIsRuntimeError) {
  EXPECT_TRUE(fails_with(Tensor::empty({2, -1}, DType::Float32), ErrorKind::RuntimeError,
                         "negative dimension -1"));
}

TEST(TensorEmpty, ElementCountOverflowIsRuntimeError) {
  EXPECT_TRUE(fails_with(Tensor::empty({int64_t{1} << 62, 4}, DType::Bool), ErrorKind::RuntimeError,
                         "overflow"));
  EXPECT_TRUE(fails_with(Tensor::empty({int64_t{1} << 32, int64_t{1} << 32}, DType::Bool),
                         ErrorKind::RuntimeError, "overflow"));
}

TEST(TensorEmpty, ByteCountOverflowIsRuntimeError) {
  EXPECT_TRUE(fails_with(Tensor::empty({int64_t{1} << 61}, DType::Float32), ErrorKind::RuntimeError,
                         "overflow the byte count"));
}

TEST(TensorEmpty, UnsatisfiableAllocationIsMemoryError) {
  // 2^60 bytes is beyond any x86-64 address space: the allocation fails cleanly.
  EXPECT_TRUE(fails_with(Tensor::empty({int64_t{1} << 58}, DType::Float32), ErrorKind::MemoryError,
                         "cannot allocate"));
}

TEST(TensorScalar, HoldsOneConvertedNumber) {
  Tensor f = Tensor::scalar(2.5, DType::Float32);
  EXPECT_EQ(f.dim(), 0);
  EXPECT_EQ(f.numel(), 1);
  EXPECT_EQ(f.item(), 2.5);
  EXPECT_FALSE(f.is_wrapped_number());
  EXPECT_EQ(Tensor::scalar(-2.7, DType::Int64).item(), -2.0);
  EXPECT_EQ(Tensor::scalar(kNaN, DType::Int64).to_vector<int64_t>()[0], kInt64Min);
  EXPECT_EQ(Tensor::scalar(0.5, DType::Bool).item(), 1.0);
  EXPECT_TRUE(Tensor::scalar(1.0, DType::Float64, /*wrapped=*/true).is_wrapped_number());
  // Integers beyond 2^53 stay exact.
  Tensor big = Tensor::integer((int64_t{1} << 60) + 1, /*wrapped=*/true);
  EXPECT_EQ(big.dtype(), DType::Int64);
  EXPECT_EQ(big.to_vector<int64_t>()[0], (int64_t{1} << 60) + 1);
  EXPECT_TRUE(big.is_wrapped_number());
}

TEST(TensorFromVector, CopiesValuesAndPicksTheDType) {
  Tensor t = Tensor::from_vector(std::vector<int64_t>{1, 2, 3, 4, 5, 6}, {2, 3}).value();
  EXPECT_EQ(t.dtype(), DType::Int64);
  EXPECT_EQ(t.to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(Tensor::from_vector(std::vector<double>{1.5}, {1}).value().dtype(), DType::Float64);
  EXPECT_EQ(Tensor::from_vector(std::vector<float>{1.5f}, {}).value().dtype(), DType::Float32);
  EXPECT_TRUE(fails_with(Tensor::from_vector(std::vector<float>{1, 2, 3}, {2, 2}),
                         ErrorKind::ValueError, "3 values"));
}

// ---------------------------------------------------------------- contiguity and views

TEST(TensorContiguity, TransposedViewIsNotContiguous) {
  Tensor base = iota({2, 3});
  Tensor t = base.as_strided({3, 2}, {1, 3}, 0);
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(TensorContiguity, SizeOneDimsIgnoreTheirStride) {
  Tensor base = iota({6});
  EXPECT_TRUE(base.as_strided({1, 6}, {100, 1}, 0).is_contiguous());
  EXPECT_TRUE(base.as_strided({6, 1}, {1, 7}, 0).is_contiguous());
  EXPECT_TRUE(base.as_strided({1}, {5}, 3).is_contiguous());
}

TEST(TensorContiguity, SteppedAndExpandedViewsAreNotContiguous) {
  Tensor base = iota({6});
  EXPECT_FALSE(base.as_strided({3}, {2}, 0).is_contiguous());
  EXPECT_FALSE(base.as_strided({2, 3}, {0, 1}, 0).is_contiguous());
  // An offset alone does not break contiguity.
  EXPECT_TRUE(base.as_strided({2, 2}, {2, 1}, 2).is_contiguous());
}

TEST(TensorContiguity, EmptyTensorsAreAlwaysContiguous) {
  // torch.ones(4, 6)[:, ::2][0:0].is_contiguous() is True: PyTorch's compute_contiguous
  // returns true whenever numel == 0, whatever the strides.
  Tensor base = iota({4, 6});
  Tensor empty = base.as_strided({0, 3}, {6, 2}, 0);
  EXPECT_EQ(empty.numel(), 0);
  EXPECT_TRUE(empty.is_contiguous());
}

TEST(TensorAsStrided, SharesStorageAndSeesWrites) {
  Tensor base = iota({2, 3});
  Tensor row = base.as_strided({3}, {1}, 3);
  EXPECT_TRUE(row.shares_storage(base));
  EXPECT_EQ(row.offset(), 3);
  EXPECT_EQ(row.to_vector<float>(), (std::vector<float>{3, 4, 5}));
  row.data<float>()[1] = 40;  // element (1, 1) of base
  EXPECT_EQ(base.to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 40, 5}));
  EXPECT_FALSE(row.shares_storage(iota({2, 3})));
}

TEST(TensorAsStrided, StrideZeroRepeatsAnElement) {
  Tensor base = iota({3});
  Tensor expanded = base.as_strided({2, 3}, {0, 1}, 0);
  EXPECT_EQ(expanded.numel(), 6);
  EXPECT_EQ(expanded.to_vector<double>(), (std::vector<double>{0, 1, 2, 0, 1, 2}));
  Tensor column = base.as_strided({3, 2}, {1, 0}, 0);
  EXPECT_EQ(column.to_vector<double>(), (std::vector<double>{0, 0, 1, 1, 2, 2}));
}

TEST(TensorAsStrided, ViewKeepsStorageAlive) {
  Tensor view;
  {
    Tensor base = iota({4});
    view = base.as_strided({2}, {2}, 1);
  }
  EXPECT_EQ(view.storage()->use_count(), 1);
  EXPECT_EQ(view.to_vector<float>(), (std::vector<float>{1, 3}));
}

TEST(TensorAsStrided, ItemReadsTheViewedElement) {
  Tensor base = iota({5});
  EXPECT_EQ(base.as_strided({}, {}, 4).item(), 4.0);
  EXPECT_EQ(base.as_strided({1, 1}, {1, 1}, 2).item(), 2.0);
}

// ---------------------------------------------------------------- tensor(nested lists)

TEST(TensorNested, SizesFollowTheNesting) {
  Tensor t = tensor_from_nested({{1, 2, 3}, {4, 5, 6}}).value();
  EXPECT_EQ(t.sizes(), (Dims{2, 3}));
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
}

TEST(TensorNested, DTypeIsTheWidestNumberKind) {
  // torch.tensor([True, False]) -> bool; [True, 2] -> int64; [True, 2.5] -> float32.
  EXPECT_EQ(tensor_from_nested({true, false}).value().dtype(), DType::Bool);
  EXPECT_EQ(tensor_from_nested({true, 2}).value().dtype(), DType::Int64);
  EXPECT_EQ(tensor_from_nested({1, 2}).value().dtype(), DType::Int64);
  EXPECT_EQ(tensor_from_nested({{1, 2}, {3, 4.5}}).value().dtype(), DType::Float32);
  EXPECT_EQ(tensor_from_nested({true, 2.5}).value().dtype(), DType::Float32);
  Tensor mixed = tensor_from_nested({true, 2, 2.5}).value();
  EXPECT_EQ(mixed.to_vector<double>(), (std::vector<double>{1, 2, 2.5}));
}

TEST(TensorNested, ExplicitDTypeConverts) {
  Tensor t = tensor_from_nested({1.9, -1.9, kNaN}, DType::Int64).value();
  EXPECT_EQ(t.dtype(), DType::Int64);
  EXPECT_EQ(t.to_vector<int64_t>(), (std::vector<int64_t>{1, -1, kInt64Min}));
  Tensor b = tensor_from_nested({0, 3, -1}, DType::Bool).value();
  EXPECT_EQ(b.to_vector<double>(), (std::vector<double>{0, 1, 1}));
  Tensor d = tensor_from_nested({1, 2}, DType::Float64).value();
  EXPECT_EQ(d.dtype(), DType::Float64);
}

TEST(TensorNested, ANumberIsZeroDim) {
  Tensor t = tensor_from_nested(NestedList(int64_t{7})).value();
  EXPECT_EQ(t.dim(), 0);
  EXPECT_EQ(t.dtype(), DType::Int64);
  EXPECT_EQ(t.item(), 7.0);
  EXPECT_EQ(tensor_from_nested(NestedList(2.5)).value().dtype(), DType::Float32);
}

TEST(TensorNested, EmptyListIsFloat32OfSizeZero) {
  // torch.tensor([]) -> float32 of size [0]; torch.tensor([[], []]) -> size [2, 0].
  Tensor empty = tensor_from_nested(NestedList(std::vector<NestedList>{})).value();
  EXPECT_EQ(empty.dtype(), DType::Float32);
  EXPECT_EQ(empty.sizes(), (Dims{0}));
  Tensor rows =
      tensor_from_nested(NestedList(std::vector<NestedList>{NestedList(std::vector<NestedList>{}),
                                                            NestedList(std::vector<NestedList>{})}))
          .value();
  EXPECT_EQ(rows.sizes(), (Dims{2, 0}));
  EXPECT_EQ(rows.dtype(), DType::Float32);
  Tensor typed = tensor_from_nested(NestedList(std::vector<NestedList>{}), DType::Int64).value();
  EXPECT_EQ(typed.dtype(), DType::Int64);
}

TEST(TensorNested, RaggedListsNameTheDim) {
  EXPECT_TRUE(fails_with(tensor_from_nested({{1, 2}, {3, 4, 5}}), ErrorKind::ValueError,
                         "expected sequence of length 2 at dim 1 (got 3)"));
  EXPECT_TRUE(fails_with(tensor_from_nested({{{1}, {2}}, {{3}}}), ErrorKind::ValueError,
                         "expected sequence of length 2 at dim 1 (got 1)"));
}

TEST(TensorNested, NumberAndListMismatchesAreTypeErrorsAsInPyTorch) {
  EXPECT_TRUE(fails_with(tensor_from_nested({{1, 2}, 3}), ErrorKind::TypeError, "not a sequence"));
  EXPECT_TRUE(fails_with(tensor_from_nested({1, {2}}), ErrorKind::TypeError,
                         "'list' object cannot be interpreted as an integer"));
  EXPECT_TRUE(fails_with(tensor_from_nested({1.5, {2}}), ErrorKind::TypeError,
                         "must be real number, not list"));
}

TEST(TensorNested, NestingDeeperThanMaxRankIsRejected) {
  NestedList data(1);
  for (int depth = 0; depth < kMaxRank + 1; ++depth)
    data = NestedList(std::vector<NestedList>{data});
  EXPECT_TRUE(fails_with(tensor_from_nested(data), ErrorKind::ValueError, "nested deeper"));
}

// ---------------------------------------------------------------- element conversion

TEST(TensorConvert, NonFiniteAndOutOfRangeFloatsBecomeInt64Min) {
  EXPECT_EQ((convert<int64_t>(kNaN)), kInt64Min);
  EXPECT_EQ((convert<int64_t>(kInf)), kInt64Min);
  EXPECT_EQ((convert<int64_t>(-kInf)), kInt64Min);
  EXPECT_EQ((convert<int64_t>(1e19)), kInt64Min);
  EXPECT_EQ((convert<int64_t>(-1e19)), kInt64Min);
  EXPECT_EQ((convert<int64_t>(9223372036854775808.0)), kInt64Min);  // 2^63
  EXPECT_EQ((convert<int64_t>(std::numeric_limits<float>::quiet_NaN())), kInt64Min);
  EXPECT_EQ((convert<int64_t>(std::numeric_limits<float>::infinity())), kInt64Min);
  EXPECT_EQ((convert<int64_t>(1e19f)), kInt64Min);
}

TEST(TensorConvert, InRangeFloatsTruncateTowardZero) {
  EXPECT_EQ((convert<int64_t>(1.9)), 1);
  EXPECT_EQ((convert<int64_t>(-1.9)), -1);
  EXPECT_EQ((convert<int64_t>(-0.0)), 0);
  EXPECT_EQ((convert<int64_t>(-9223372036854775808.0)), kInt64Min);  // exactly -2^63
  EXPECT_EQ((convert<int64_t>(9223372036854774784.0)), int64_t{9223372036854774784});
  EXPECT_EQ((convert<int64_t>(2.5f)), 2);
}

TEST(TensorConvert, ToBoolIsNonZero) {
  EXPECT_TRUE((convert<bool>(kNaN)));
  EXPECT_TRUE((convert<bool>(-0.5)));
  EXPECT_FALSE((convert<bool>(0.0)));
  EXPECT_FALSE((convert<bool>(-0.0)));
  EXPECT_TRUE((convert<bool>(int64_t{-3})));
  EXPECT_FALSE((convert<bool>(int64_t{0})));
}

TEST(TensorConvert, OtherConversionsAreCasts) {
  EXPECT_EQ((convert<double>(true)), 1.0);
  EXPECT_EQ((convert<float>(int64_t{16777217})), 16777216.0f);
  EXPECT_EQ((convert<double>(0.1f)), static_cast<double>(0.1f));
  EXPECT_EQ((convert<int64_t>(true)), 1);
  EXPECT_TRUE(std::isnan(convert<float>(kNaN)));
}

// ---------------------------------------------------------------- storage and allocator

TEST(TensorAllocator, SmallStoragesAre64ByteAligned) {
  // ir/storage.h promises 64-byte aligned buffers and ir/allocator.h says every buffer is
  // aligned to kBufferAlignment (64).
  for (std::size_t nbytes : {0u, 1u, 7u, 63u, 64u, 100u, 1000u, 1024u, 1025u, 5000u, 70000u}) {
    Ref<Storage> storage = Storage::allocate(nbytes);
    ASSERT_TRUE(storage) << nbytes;
    EXPECT_EQ(storage->nbytes(), nbytes);
    EXPECT_TRUE(aligned(storage->data(), kBufferAlignment)) << nbytes;
  }
  EXPECT_EQ(kBufferAlignment, 64u);
  Tensor small = Tensor::empty({3}, DType::Bool).value();
  EXPECT_TRUE(aligned(small.raw_data(), 64));
}

TEST(TensorAllocator, ZeroByteStoragesAreDistinct) {
  Ref<Storage> a = Storage::allocate(0), b = Storage::allocate(0);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->data(), b->data());
}

TEST(TensorAllocator, LargeBuffersAreReusedAfterFree) {
  constexpr int64_t kFloats = (8 << 20) / 4;  // 8 MiB
  void* first_data = nullptr;
  {
    Tensor t = Tensor::empty({kFloats}, DType::Float32).value();
    first_data = t.raw_data();
    EXPECT_TRUE(aligned(first_data, kBufferAlignment));
    t.data<float>()[kFloats - 1] = 1.0f;  // the whole buffer is usable
  }
  BufferCacheStats after_free = buffer_cache_stats();
  EXPECT_GE(after_free.cached_bytes, std::size_t{8} << 20);
  {
    Tensor again = Tensor::empty({kFloats}, DType::Float32).value();
    BufferCacheStats reused = buffer_cache_stats();
    EXPECT_EQ(reused.hits, after_free.hits + 1);
    EXPECT_EQ(reused.misses, after_free.misses);
    EXPECT_EQ(reused.cached_bytes, after_free.cached_bytes - (std::size_t{8} << 20));
    EXPECT_EQ(again.raw_data(), first_data);
  }
  EXPECT_EQ(buffer_cache_stats().cached_bytes, after_free.cached_bytes);
}

TEST(TensorAllocator, CacheLimitTrimsAndRestores) {
  constexpr std::size_t kBytes = std::size_t{4} << 20;
  { Ref<Storage> warm = Storage::allocate(kBytes); }
  EXPECT_GE(buffer_cache_stats().cached_bytes, kBytes);
  set_buffer_cache_limit(0);
  EXPECT_EQ(buffer_cache_stats().cached_bytes, 0u);
  {
    BufferCacheStats before = buffer_cache_stats();
    Ref<Storage> fresh = Storage::allocate(kBytes);
    ASSERT_TRUE(fresh);
    EXPECT_EQ(buffer_cache_stats().misses, before.misses + 1);
  }
  EXPECT_EQ(buffer_cache_stats().cached_bytes, 0u);  // over the limit: unmapped, not cached
  set_buffer_cache_limit(std::size_t{4} << 30);
  { Ref<Storage> warm = Storage::allocate(kBytes); }
  EXPECT_GE(buffer_cache_stats().cached_bytes, kBytes);
  release_cached_buffers();
  EXPECT_EQ(buffer_cache_stats().cached_bytes, 0u);
}

TEST(TensorAllocator, ExternalStorageRunsItsDeleterOnce) {
  int deleted = 0;
  float host[4] = {1, 2, 3, 4};
  {
    Ref<Storage> storage = Storage::wrap_external(
        host, sizeof(host), [](void* context) { ++*static_cast<int*>(context); }, &deleted);
    Ref<Storage> copy = storage;
    EXPECT_EQ(copy->data(), host);
    EXPECT_EQ(copy->nbytes(), sizeof(host));
  }
  EXPECT_EQ(deleted, 1);
}

}  // namespace
}  // namespace gyro
