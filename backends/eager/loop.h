// The strided elementwise loop: broadcast operands over an output, coalesce dims, and feed a
// functor contiguous blocks (gathering and converting strided or mixed-dtype operands first).
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "ir/convert.h"
#include "ir/tensor.h"

namespace gyro::eager {

// Elements per block: 4 operands of 2048 doubles stay in L1/L2 while a block is processed.
inline constexpr int64_t kBlock = 2048;

// Up to three inputs broadcast against the output; strides in elements, 0 on broadcast dims.
struct LoopPlan {
  int rank = 0;
  int num_inputs = 0;
  std::array<int64_t, kMaxRank> sizes{};
  std::array<std::array<int64_t, kMaxRank>, 4> strides{};  // [0] is the output
  std::array<char*, 4> bases{};
  std::array<DType, 4> dtypes{};
  bool output_aliases_input = false;  // an in-place op: its output lines are already cached
};

inline LoopPlan plan_loop(const Tensor& out, std::span<const Tensor> inputs) {
  LoopPlan plan;
  int rank = out.dim();
  plan.num_inputs = static_cast<int>(inputs.size());
  plan.bases[0] = static_cast<char*>(out.raw_data());
  plan.dtypes[0] = out.dtype();
  std::array<std::array<int64_t, kMaxRank>, 4> strides{};
  for (int d = 0; d < rank; ++d) strides[0][d] = out.stride(d);
  for (int k = 0; k < plan.num_inputs; ++k) {
    const Tensor& in = inputs[k];
    plan.bases[k + 1] = static_cast<char*>(in.raw_data());
    plan.dtypes[k + 1] = in.dtype();
    plan.output_aliases_input |= in.shares_storage(out);
    int lead = rank - in.dim();
    for (int d = 0; d < rank; ++d) {
      int src = d - lead;
      strides[k + 1][d] = (src < 0 || in.size(src) == 1) ? 0 : in.stride(src);
    }
  }
  // Drop size-1 dims and merge a dim into the next when every operand steps through both as
  // one run (stride[d] == stride[d+1] * size[d+1]); a contiguous op becomes one flat loop.
  int kept = 0;
  for (int d = 0; d < rank; ++d) {
    if (out.size(d) == 1) continue;
    if (kept > 0) {
      bool mergeable = true;
      for (int k = 0; k <= plan.num_inputs && mergeable; ++k)
        mergeable = plan.strides[k][kept - 1] == strides[k][d] * out.size(d);
      if (mergeable) {
        plan.sizes[kept - 1] *= out.size(d);
        for (int k = 0; k <= plan.num_inputs; ++k) plan.strides[k][kept - 1] = strides[k][d];
        continue;
      }
    }
    plan.sizes[kept] = out.size(d);
    for (int k = 0; k <= plan.num_inputs; ++k) plan.strides[k][kept] = strides[k][d];
    ++kept;
  }
  if (kept == 0) {  // every dim has size 1 (or a 0-d tensor): one element
    plan.sizes[0] = 1;
    kept = 1;
  }
  plan.rank = kept;
  return plan;
}

// Scratch blocks for gathered operands, one set per thread.
struct alignas(64) LoopScratch {
  alignas(64) char data[4][kBlock * 8];
};
inline LoopScratch& loop_scratch() {
  thread_local LoopScratch scratch;
  return scratch;
}

// Outputs at least this large are written with non-temporal stores: they cannot stay in cache
// anyway, and streaming them skips the read-for-ownership of each destination line (a binary
// op then moves 12 bytes per element instead of 16).
inline constexpr int64_t kStreamingStoreBytes = int64_t{32} << 20;

// Copies `bytes` from src (a scratch block) to dst, streaming whole 32-byte lines past the cache.
inline void stream_copy(char* dst, const char* src, int64_t bytes) {
#if defined(__AVX__)
  int64_t head = std::min<int64_t>(bytes, (32 - reinterpret_cast<std::uintptr_t>(dst) % 32) % 32);
  std::memcpy(dst, src, head);
  int64_t i = head;
  for (; i + 32 <= bytes; i += 32)
    _mm256_stream_si256(reinterpret_cast<__m256i*>(dst + i),
                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i)));
  std::memcpy(dst + i, src + i, bytes - i);
#else
  std::memcpy(dst, src, bytes);
#endif
}

// Copies n elements at stride `stride` (possibly 0) of dtype `from` into dst as T.
template <typename T>
inline void gather(T* dst, const char* src, DType from, int64_t stride, int64_t n) {
  visit_dtype(from, [&](auto tag) {
    using S = decltype(tag);
    const S* typed = reinterpret_cast<const S*>(src);
    if (stride == 0) {
      std::fill_n(dst, n, convert<T>(typed[0]));
    } else {
      for (int64_t i = 0; i < n; ++i) dst[i] = convert<T>(typed[i * stride]);
    }
  });
}

template <typename O>
inline void scatter(char* dst, DType to, int64_t stride, const O* src, int64_t n) {
  visit_dtype(to, [&](auto tag) {
    using D = decltype(tag);
    D* typed = reinterpret_cast<D*>(dst);
    for (int64_t i = 0; i < n; ++i) typed[i * stride] = convert<D>(src[i]);
  });
}

// Runs `fn(n, O* out, const T* in...)` over the plan. Inputs are presented as T (the compute
// dtype) and the output as O; contiguous operands of the right dtype are passed in place.
// fn returns false to stop with an error (integer division by zero); run_loop returns that.
template <typename T, typename O, int N, typename Fn>
bool run_loop(const LoopPlan& plan, Fn&& fn) {
  static_assert(N >= 0 && N <= 3);
  constexpr DType kT = dtype_of<T>();
  constexpr DType kO = dtype_of<O>();
  LoopScratch& scratch = loop_scratch();
  const int rank = plan.rank;
  const int64_t inner = plan.sizes[rank - 1];
  std::array<int64_t, 4> inner_stride{};
  for (int k = 0; k <= N; ++k) inner_stride[k] = plan.strides[k][rank - 1];
  std::array<std::size_t, 4> itemsize{};
  for (int k = 0; k <= N; ++k) itemsize[k] = dtype_size(plan.dtypes[k]);
  const bool out_direct = plan.dtypes[0] == kO && inner_stride[0] == 1;
  int64_t total = 1;
  for (int d = 0; d < rank; ++d) total *= plan.sizes[d];
  // Streaming an in-place result would evict lines the loop has just read (measured: chain5
  // into reused buffers 43 ms -> 68 ms), so only fresh outputs stream.
  const bool out_streamed = out_direct && !plan.output_aliases_input &&
                            total * static_cast<int64_t>(sizeof(O)) >= kStreamingStoreBytes;

  std::array<int64_t, kMaxRank> index{};
  std::array<int64_t, 4> offset{};  // element offsets of the current row, per operand
  // Splatted scalars are refilled only when their source element changes.
  std::array<const char*, 4> splatted{};
  std::array<int64_t, 4> splat_count{};
  while (true) {
    for (int64_t start = 0; start < inner; start += kBlock) {
      const int64_t n = std::min(kBlock, inner - start);
      std::array<const T*, 3> in{};
      for (int k = 1; k <= N; ++k) {
        const char* src = plan.bases[k] +
                          (offset[k] + start * inner_stride[k]) * static_cast<int64_t>(itemsize[k]);
        if (plan.dtypes[k] == kT && inner_stride[k] == 1) {
          in[k - 1] = reinterpret_cast<const T*>(src);
        } else if (inner_stride[k] == 0) {
          T* block = reinterpret_cast<T*>(scratch.data[k]);
          if (splatted[k] != src || splat_count[k] < n) {
            gather(block, src, plan.dtypes[k], 0, n);
            splatted[k] = src;
            splat_count[k] = n;
          }
          in[k - 1] = block;
        } else {
          T* block = reinterpret_cast<T*>(scratch.data[k]);
          gather(block, src, plan.dtypes[k], inner_stride[k], n);
          in[k - 1] = block;
          splatted[k] = nullptr;
        }
      }
      char* dst =
          plan.bases[0] + (offset[0] + start * inner_stride[0]) * static_cast<int64_t>(itemsize[0]);
      O* out = out_direct && !out_streamed ? reinterpret_cast<O*>(dst)
                                           : reinterpret_cast<O*>(scratch.data[0]);
      bool ok;
      if constexpr (N == 0)
        ok = fn(n, out);
      else if constexpr (N == 1)
        ok = fn(n, out, in[0]);
      else if constexpr (N == 2)
        ok = fn(n, out, in[0], in[1]);
      else
        ok = fn(n, out, in[0], in[1], in[2]);
      if (!ok) return false;
      if (out_streamed)
        stream_copy(dst, reinterpret_cast<const char*>(out), n * sizeof(O));
      else if (!out_direct)
        scatter(dst, plan.dtypes[0], inner_stride[0], out, n);
    }
    // Advance the odometer over the outer dims.
    int d = rank - 2;
    for (; d >= 0; --d) {
      for (int k = 0; k <= N; ++k) offset[k] += plan.strides[k][d];
      if (++index[d] < plan.sizes[d]) break;
      for (int k = 0; k <= N; ++k) offset[k] -= plan.strides[k][d] * plan.sizes[d];
      index[d] = 0;
    }
    if (d < 0) {
#if defined(__AVX__)
      if (out_streamed) _mm_sfence();  // order the streamed stores before anyone reads them
#endif
      return true;
    }
  }
}

}  // namespace gyro::eager
