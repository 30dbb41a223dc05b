// Fused kernels: register allocation at compile time; per call, the broadcast shape and how
// each input is read (in place, splatted once, or gathered per block), then blocks on threads.
#include "backends/vectorized/fused_kernel.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <unordered_map>

#include <Eigen/Core>

#include "backends/eager/loop.h"
#include "backends/inline_slots.h"
#include "backends/vectorized/thread_pool.h"
#include "ir/shape_rules.h"

namespace gyro::vectorized {

namespace {

inline constexpr int64_t kRegisterBytes = kBlock * 8;  // a block of the widest dtype
// A reduction's rows are split into chunks of this many elements, whatever the thread count,
// and the chunks' partial results are combined in order: results do not depend on threads.
inline constexpr int64_t kReduceChunk = 64 * kBlock;
// Fewer elements than this per thread are not worth a worker's wake-up (tens of microseconds
// when the machine is busy; a 64K-element chain takes about as long).
inline constexpr int64_t kMinElementsPerThread = 64 * kBlock;

// Per-thread register storage, grown on demand and kept (a kernel call allocates nothing).
char* thread_scratch(std::size_t bytes) {
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  thread_local std::unique_ptr<char, Free> data;
  thread_local std::size_t capacity = 0;
  if (capacity < bytes) {
    data.reset(static_cast<char*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64)));
    capacity = data ? bytes : 0;
  }
  return data.get();
}

// A reduction's running result over some elements: a sum, an extreme, or count/mean/M2.
struct Partial {
  double value = 0;
  double mean = 0;
  double m2 = 0;
  int64_t count = 0;
};

template <typename T>
using Block = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

// How partials fold: sum and mean add, max and min keep the extreme (NaN wins), var and std
// merge count/mean/M2.
enum class Fold : unsigned char { kSum, kMax, kMin, kMoments };

// Folds `b` (the later elements) into `a`.
void combine(Fold fold, Partial& a, const Partial& b) {
  if (b.count == 0) return;
  if (a.count == 0) {
    a = b;
    return;
  }
  if (fold == Fold::kMax || fold == Fold::kMin) {
    a.value = std::isnan(a.value) || std::isnan(b.value) ? std::numeric_limits<double>::quiet_NaN()
              : fold == Fold::kMax                      ? std::max(a.value, b.value)
                                                        : std::min(a.value, b.value);
  } else if (fold == Fold::kMoments) {
    const double total = static_cast<double>(a.count + b.count);
    const double delta = b.mean - a.mean;
    a.mean += delta * static_cast<double>(b.count) / total;
    a.m2 += b.m2 + delta * delta * static_cast<double>(a.count) * static_cast<double>(b.count) / total;
  } else {
    a.value += b.value;
  }
  a.count += b.count;
}

}  // namespace

// The run's shape and, per input register, how a block of it is read.
struct FusedKernel::Plan {
  enum class Read : unsigned char { kUnused, kDirect, kSplat, kGather };
  struct Input {
    Read read = Read::kUnused;
    const char* base = nullptr;
    int itemsize = 0;
    std::array<int64_t, kMaxRank> strides{};  // in elements, 0 on broadcast dims
  };
  Plan(std::size_t num_inputs, std::size_t num_outputs)
      : inputs(num_inputs), outputs(num_outputs) {}

  Dims shape;
  int64_t numel = 1;
  InlineSlots<Input, 8> inputs;
  InlineSlots<Tensor, 4> outputs;  // contiguous, of `shape` (the reduction's last)
  bool streamed = false;        // outputs too large for the cache: stored past it
  int64_t rows = 1, count = 1;  // the reduction's outputs and elements per output
};

FusedKernel FusedKernel::compile(const Graph& graph, const KernelGroup& group,
                                 std::span<const ValueId> inputs,
                                 std::span<const ValueId> outputs) {
  FusedKernel kernel;
  const ValueId shape_value = group.members.empty()
                                  ? graph.node(group.reduction).inputs[0]
                                  : graph.node(group.members.front()).output();
  kernel.rank_ = graph.meta(shape_value).sizes.size();
  std::unordered_map<int32_t, int> register_of;
  const int num_inputs = static_cast<int>(inputs.size());
  for (int k = 0; k < num_inputs; ++k) register_of[inputs[k].index] = k;
  for (const auto& [copy, source] : group.read_through)
    register_of[copy.index] = register_of.at(source.index);
  kernel.input_used_.assign(num_inputs, false);
  kernel.num_registers_ = num_inputs;

  // The last member (members.size() for the reduction) reading each value.
  std::unordered_map<int32_t, std::size_t> last_use;
  for (std::size_t j = 0; j < group.members.size(); ++j)
    for (ValueId v : graph.node(group.members[j]).inputs) last_use[v.index] = j;
  if (group.reduction >= 0) last_use[graph.node(group.reduction).inputs[0].index] = group.members.size();

  std::vector<int> free_registers;
  std::vector<int> element_size;  // of what each pooled register holds now
  auto allocate = [&](DType dtype) {
    int r;
    if (!free_registers.empty()) {
      r = free_registers.back();
      free_registers.pop_back();
    } else {
      r = kernel.num_registers_++;
    }
    if (static_cast<int>(element_size.size()) <= r) element_size.resize(r + 1, 0);
    element_size[r] = static_cast<int>(dtype_size(dtype));
    return r;
  };
  auto read = [&](ValueId v) {
    int r = register_of.at(v.index);
    if (r < num_inputs) kernel.input_used_[r] = true;
    return r;
  };

  kernel.ops_ = group.ops;
  for (std::size_t j = 0; j < group.members.size(); ++j) {
    const Node& node = graph.node(group.members[j]);
    const BlockOp& op = kernel.ops_[j];
    Instr instr;
    std::vector<int> dying;  // pooled registers whose value is not needed after this member
    for (std::size_t k = 0; k < node.inputs.size(); ++k) {
      ValueId v = node.inputs[k];
      int r = read(v);
      const bool last = last_use.at(v.index) == j && r >= num_inputs;
      if (graph.meta(v).dtype != op.compute) {  // eager converts operands to the compute dtype
        BlockOp convert = convert_block_op(graph.meta(v).dtype, op.compute);
        int t = allocate(op.compute);
        kernel.instrs_.push_back({convert.fn, nullptr, t, {r, -1, -1}, -1});
        if (last && std::find(dying.begin(), dying.end(), r) == dying.end()) dying.push_back(r);
        r = t;
        dying.push_back(t);
      } else if (last && std::find(dying.begin(), dying.end(), r) == dying.end()) {
        dying.push_back(r);
      }
      instr.in[k] = r;
    }
    const DType out_dtype = graph.meta(node.output()).dtype;
    // Write in place over a dying operand of the same element size (safe for elementwise
    // functors, which read element i before writing it).
    auto in_place = std::find_if(dying.begin(), dying.end(), [&](int r) {
      return element_size[r] == static_cast<int>(dtype_size(out_dtype));
    });
    if (in_place != dying.end()) {
      instr.out = *in_place;
      dying.erase(in_place);
    } else {
      instr.out = allocate(out_dtype);
    }
    instr.fn = op.fn;
    instr.state = op.state.get();
    kernel.instrs_.push_back(instr);
    for (int r : dying) free_registers.push_back(r);
    register_of[node.output().index] = instr.out;
    auto output = std::find(outputs.begin(), outputs.end(), node.output());
    if (output != outputs.end()) {
      Instr store;
      store.in[0] = instr.out;
      store.output = static_cast<int>(output - outputs.begin());
      kernel.instrs_.push_back(store);
    }
  }
  for (ValueId v : outputs) kernel.output_dtypes_.push_back(graph.meta(v).dtype);

  if (group.reduction >= 0) {
    const Node& node = graph.node(group.reduction);
    kernel.reduce_register_ = read(node.inputs[0]);
    switch (node.op) {
      case OpKind::sum: kernel.reduce_ = Reduce::kSum; break;
      case OpKind::mean: kernel.reduce_ = Reduce::kMean; break;
      case OpKind::max: kernel.reduce_ = Reduce::kMax; break;
      case OpKind::min: kernel.reduce_ = Reduce::kMin; break;
      case OpKind::var: kernel.reduce_ = Reduce::kVar; break;
      default: kernel.reduce_ = Reduce::kStd; break;
    }
    auto reduced = shape_rules::reduced_dims(node.attrs[0], kernel.rank_).value();
    kernel.reduce_from_dim_ = kernel.rank_;
    while (kernel.reduce_from_dim_ > 0 && reduced[kernel.reduce_from_dim_ - 1])
      --kernel.reduce_from_dim_;
    kernel.keepdim_ = node.attrs.back().as_bool();
    if (node.op == OpKind::var || node.op == OpKind::std) kernel.correction_ = node.attrs[1].i;
  }
  return kernel;
}

namespace {

// Copies n elements of `itemsize` bytes at element stride `stride` into dst.
void copy_strided(char* dst, const char* src, int itemsize, int64_t stride, int64_t n) {
  if (stride == 1) {
    std::memcpy(dst, src, n * itemsize);
    return;
  }
  auto run = [&](auto tag) {
    using U = decltype(tag);
    U* out = reinterpret_cast<U*>(dst);
    const U* in = reinterpret_cast<const U*>(src);
    for (int64_t i = 0; i < n; ++i) std::memcpy(out + i, in + i * stride, sizeof(U));
  };
  if (itemsize == 8)
    run(uint64_t{});
  else if (itemsize == 4)
    run(uint32_t{});
  else
    run(uint8_t{});
}

// Reads elements [first, first + n) of the kernel's shape (row-major) from a strided input.
void gather(char* dst, const char* base, int itemsize, const int64_t* strides, const Dims& shape,
            int64_t first, int64_t n) {
  const int rank = shape.size();
  std::array<int64_t, kMaxRank> index{};
  int64_t offset = 0;
  for (int d = rank - 1; d >= 0; --d) {
    index[d] = first % shape[d];
    first /= shape[d];
    offset += index[d] * strides[d];
  }
  const int64_t inner = shape[rank - 1];
  const int64_t inner_stride = strides[rank - 1];
  while (n > 0) {
    const int64_t run = std::min(n, inner - index[rank - 1]);
    copy_strided(dst, base + offset * itemsize, itemsize, inner_stride, run);
    dst += run * itemsize;
    n -= run;
    offset += run * inner_stride;
    index[rank - 1] += run;
    for (int d = rank - 1; d > 0 && index[d] == shape[d]; --d) {
      offset -= shape[d] * strides[d];
      index[d] = 0;
      offset += strides[d - 1];
      ++index[d - 1];
    }
  }
}

template <typename T>
void accumulate_block(Fold fold, Partial& partial, const void* data, int64_t n) {
  Block<T> block(static_cast<const T*>(data), n);
  Partial b;
  b.count = n;
  switch (fold) {
    case Fold::kSum:
      b.value = static_cast<double>(block.sum());
      break;
    case Fold::kMax:
      b.value = static_cast<double>(block.template maxCoeff<Eigen::PropagateNaN>());
      break;
    case Fold::kMin:
      b.value = static_cast<double>(block.template minCoeff<Eigen::PropagateNaN>());
      break;
    case Fold::kMoments:  // this block's mean and M2, merged by Chan's formula
      b.mean = static_cast<double>(block.template cast<double>().sum()) / static_cast<double>(n);
      b.m2 = (block.template cast<double>() - b.mean).square().sum();
      break;
  }
  combine(fold, partial, b);
}

}  // namespace

// Reads each used input as the plan's shape needs it.
void FusedKernel::plan_inputs(std::span<const Tensor> inputs, Plan& plan) const {
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (!input_used_[k]) continue;
    const Tensor& in = inputs[k];
    Plan::Input& access = plan.inputs[k];
    access.base = static_cast<const char*>(in.raw_data());
    access.itemsize = static_cast<int>(in.itemsize());
    const int lead = rank_ - in.dim();
    for (int d = 0; d < in.dim(); ++d)
      access.strides[lead + d] = in.size(d) == 1 ? 0 : in.stride(d);
    access.read = in.numel() == 1                                  ? Plan::Read::kSplat
                  : in.numel() == plan.numel && in.is_contiguous() ? Plan::Read::kDirect
                                                                   : Plan::Read::kGather;
  }
}

Status FusedKernel::run(std::span<const Tensor> inputs, std::span<Tensor> outputs,
                        int threads) const {
  Plan plan(inputs.size(), output_dtypes_.size());
  // The shape: the used inputs broadcast together, at the compiled rank.
  plan.shape = Dims::filled(rank_, 1);
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (!input_used_[k]) continue;
    const std::array<Dims, 2> pair = {plan.shape, inputs[k].sizes()};
    GYRO_ASSIGN_OR_RETURN(plan.shape, shape_rules::broadcast<int64_t>(pair));
  }
  if (plan.shape.size() != rank_)
    return make_error(ErrorKind::RuntimeError,
                      "vectorized: a fused kernel's inputs have rank {}, compiled for {}",
                      plan.shape.size(), rank_);
  for (int d = 0; d < rank_; ++d) plan.numel *= plan.shape[d];
  const std::size_t member_outputs = output_dtypes_.size() - (reduce_ != Reduce::kNone);
  for (std::size_t k = 0; k < member_outputs; ++k) {
    GYRO_ASSIGN_OR_RETURN(outputs[k], Tensor::empty(plan.shape, output_dtypes_[k]));
    plan.outputs[k] = outputs[k];
  }
  if (reduce_ != Reduce::kNone) {
    Dims reduced_shape;
    for (int d = 0; d < rank_; ++d) {
      if (d < reduce_from_dim_) {
        reduced_shape.push_back(plan.shape[d]);
        plan.rows *= plan.shape[d];
      } else {
        if (keepdim_) reduced_shape.push_back(1);
        plan.count *= plan.shape[d];
      }
    }
    GYRO_ASSIGN_OR_RETURN(outputs.back(), Tensor::empty(reduced_shape, output_dtypes_.back()));
    plan.outputs[member_outputs] = outputs.back();
  }
  plan.streamed = plan.numel * 8 >= eager::kStreamingStoreBytes;
  plan_inputs(inputs, plan);
  return execute(plan, threads);
}

Status FusedKernel::run_into(std::span<const Tensor> inputs, std::span<const Tensor> outputs,
                             const Dims& shape) const {
  Plan plan(inputs.size(), outputs.size());
  plan.shape = shape;
  for (int d = 0; d < shape.size(); ++d) plan.numel *= shape[d];
  for (std::size_t k = 0; k < outputs.size(); ++k) plan.outputs[k] = outputs[k];
  plan_inputs(inputs, plan);
  return execute(plan, 1);
}

Status FusedKernel::execute(const Plan& plan, int threads) const {
  const int num_inputs = static_cast<int>(plan.inputs.size());
  const std::size_t scratch_bytes = static_cast<std::size_t>(num_registers_) * kRegisterBytes;
  const Fold fold = reduce_ == Reduce::kSum || reduce_ == Reduce::kMean ? Fold::kSum
                    : reduce_ == Reduce::kMax                            ? Fold::kMax
                    : reduce_ == Reduce::kMin                            ? Fold::kMin
                                                                         : Fold::kMoments;
  const bool reducing = reduce_ != Reduce::kNone;
  const DType reduce_dtype = reducing ? output_dtypes_.back() : DType::Float32;
  auto accumulate = reduce_dtype == DType::Float64 ? &accumulate_block<double>
                                                   : &accumulate_block<float>;

  // Runs the instructions on elements [first, first + n); the reduction folds into `partial`.
  auto evaluate = [&](char* scratch, const void** reg, int64_t first, int64_t n,
                      Partial* partial) {
    for (int k = 0; k < num_inputs; ++k) {
      const Plan::Input& in = plan.inputs[k];
      if (in.read == Plan::Read::kDirect)
        reg[k] = in.base + first * in.itemsize;
      else if (in.read == Plan::Read::kGather)
        gather(scratch + k * kRegisterBytes, in.base, in.itemsize, in.strides.data(), plan.shape,
               first, n);
    }
    for (const Instr& instr : instrs_) {
      if (instr.fn != nullptr) {
        const void* operands[3] = {reg[instr.in[0] < 0 ? 0 : instr.in[0]],
                                   instr.in[1] < 0 ? nullptr : reg[instr.in[1]],
                                   instr.in[2] < 0 ? nullptr : reg[instr.in[2]]};
        instr.fn(instr.state, n, const_cast<void*>(reg[instr.out]), operands);
      } else {
        const Tensor& out = plan.outputs[instr.output];
        const std::size_t size = out.itemsize();
        char* dst = static_cast<char*>(out.raw_data()) + first * size;
        if (plan.streamed)
          eager::stream_copy(dst, static_cast<const char*>(reg[instr.in[0]]), n * size);
        else
          std::memcpy(dst, reg[instr.in[0]], n * size);
      }
    }
    if (partial != nullptr) accumulate(fold, *partial, reg[reduce_register_], n);
  };
  // Sets up a thread's registers: scratch storage, splatted inputs filled once, as far as a
  // block of this call reaches (a small tensor's call must not pay for a whole block), by
  // doubling copies.
  const int64_t splat_length = std::min(kBlock, std::max<int64_t>(1, plan.numel));
  auto set_up = [&](char* scratch, const void** reg) {
    for (int r = 0; r < num_registers_; ++r) reg[r] = scratch + r * kRegisterBytes;
    for (int k = 0; k < num_inputs; ++k) {
      const Plan::Input& in = plan.inputs[k];
      if (in.read != Plan::Read::kSplat) continue;
      char* block = scratch + k * kRegisterBytes;
      std::memcpy(block, in.base, in.itemsize);
      for (int64_t filled = 1; filled < splat_length;) {
        const int64_t more = std::min(filled, splat_length - filled);
        std::memcpy(block + filled * in.itemsize, block, more * in.itemsize);
        filled += more;
      }
    }
  };
  auto fence = [&] {
#if defined(__AVX__)
    if (plan.streamed) _mm_sfence();
#endif
  };

  if (!reducing) {
    const int64_t blocks = (plan.numel + kBlock - 1) / kBlock;
    parallel_for(threads, blocks, kMinElementsPerThread / kBlock, [&](int64_t begin, int64_t end) {
      char* scratch = thread_scratch(scratch_bytes);
      InlineSlots<const void*, 16> reg(num_registers_);
      set_up(scratch, reg.data());
      for (int64_t b = begin; b < end; ++b)
        evaluate(scratch, reg.data(), b * kBlock, std::min(kBlock, plan.numel - b * kBlock), nullptr);
      fence();
    });
    return {};
  }

  // A reduction of an input read in place needs no registers: its blocks can be longer, which
  // saves Eigen's per-call horizontal adds. (A constant, so results stay thread-independent.)
  const bool reads_in_place = instrs_.empty() && reduce_register_ < num_inputs &&
                              plan.inputs[reduce_register_].read == Plan::Read::kDirect;
  const int64_t step = reads_in_place ? 4 * kBlock : kBlock;
  // Reduction: rows x chunks units, each a partial; then each row folds its chunks in order.
  const int64_t chunks = std::max<int64_t>(1, (plan.count + kReduceChunk - 1) / kReduceChunk);
  InlineSlots<Partial, 16> partials(static_cast<std::size_t>(plan.rows * chunks));
  const int64_t min_units = std::max<int64_t>(1, kMinElementsPerThread / std::max<int64_t>(1, std::min(plan.count, kReduceChunk)));
  parallel_for(threads, plan.rows * chunks, min_units, [&](int64_t begin, int64_t end) {
    char* scratch = thread_scratch(scratch_bytes);
    InlineSlots<const void*, 16> reg(num_registers_);
    set_up(scratch, reg.data());
    for (int64_t unit = begin; unit < end; ++unit) {
      const int64_t row = unit / chunks, chunk = unit % chunks;
      const int64_t first = row * plan.count + chunk * kReduceChunk;
      const int64_t last = row * plan.count + std::min(plan.count, (chunk + 1) * kReduceChunk);
      for (int64_t at = first; at < last; at += step)
        evaluate(scratch, reg.data(), at, std::min(step, last - at), &partials[unit]);
    }
    fence();
  });
  const Tensor& out = plan.outputs[plan.outputs.size() - 1];
  visit_dtype(reduce_dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      T* dst = out.data<T>();
      for (int64_t row = 0; row < plan.rows; ++row) {
        Partial total;
        for (int64_t c = 0; c < chunks; ++c)
          combine(fold, total, partials[row * chunks + c]);
        const auto n = static_cast<double>(plan.count);
        double result;
        switch (reduce_) {
          case Reduce::kSum: result = total.value; break;
          case Reduce::kMean: result = total.value / n; break;
          case Reduce::kMax:
          case Reduce::kMin: result = total.value; break;
          default: {
            const double divisor = static_cast<double>(std::max<int64_t>(0, plan.count - correction_));
            result = total.m2 / divisor;
            if (reduce_ == Reduce::kStd) result = std::sqrt(result);
          }
        }
        dst[row] = static_cast<T>(result);
      }
    }
  });
  return {};
}

}  // namespace gyro::vectorized
