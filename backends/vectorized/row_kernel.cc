// Row kernels: panels of a fixed number of rows (so results do not depend on the thread
// count), each computed by eager's kernel on row views and finished by the epilogue.
#include "backends/vectorized/row_kernel.h"

#include <algorithm>

#include "backends/eager/eager.h"
#include "backends/inline_slots.h"
#include "backends/vectorized/thread_pool.h"

namespace gyro::vectorized {

namespace {

// A panel's output stays in L2 while the epilogue reads it.
inline constexpr int64_t kPanelBytes = int64_t{256} << 10;
// Eigen's GEMM row block (mr) is 48 floats with AVX-512, 24 with AVX2, 12 with SSE.
inline constexpr int64_t kGemmRowQuantum = 48;

// Rows [begin, end) of t along dim 0.
Tensor rows(const Tensor& t, int64_t begin, int64_t end) {
  Dims sizes = t.sizes();
  sizes[0] = end - begin;
  return t.as_strided(sizes, t.strides(), t.offset() + begin * t.stride(0));
}

}  // namespace

RowKernel RowKernel::compile(const Graph& graph, const KernelGroup& group) {
  RowKernel kernel;
  const Node& head = graph.node(group.head);
  kernel.op_ = head.op;
  kernel.attrs_ = head.attrs;
  for (ValueId v : head.inputs)
    kernel.head_inputs_.push_back(static_cast<int>(
        std::find(group.inputs.begin(), group.inputs.end(), v) - group.inputs.begin()));
  std::vector<ValueId> epilogue_outputs;
  for (std::size_t k = 0; k < group.outputs.size(); ++k) {
    if (group.outputs[k] == head.output()) {
      kernel.head_output_ = static_cast<int>(k);
    } else {
      kernel.epilogue_outputs_.push_back(static_cast<int>(k));
      epilogue_outputs.push_back(group.outputs[k]);
      kernel.epilogue_dtypes_.push_back(graph.meta(group.outputs[k]).dtype);
    }
  }
  if (!group.members.empty()) {
    std::vector<ValueId> inputs = {head.output()};
    inputs.insert(inputs.end(), group.inputs.begin(), group.inputs.end());
    kernel.epilogue_ = FusedKernel::compile(graph, group, inputs, epilogue_outputs);
  }
  return kernel;
}

Status RowKernel::run(std::span<const Tensor> inputs, std::span<Tensor> outputs,
                      int threads) const {
  const std::size_t num_head_inputs = head_inputs_.size();
  InlineSlots<TensorMeta, 3> metas(num_head_inputs);
  for (std::size_t k = 0; k < num_head_inputs; ++k) metas[k] = TensorMeta::of(inputs[head_inputs_[k]]);
  GYRO_ASSIGN_OR_RETURN(OutputMeta meta, infer_meta(op_, std::span(metas.data(), num_head_inputs),
                                                    attrs_));
  GYRO_ASSIGN_OR_RETURN(Tensor head_out, Tensor::empty(meta.sizes[0], meta.dtype));
  InlineSlots<Tensor, 4> epilogue_out(epilogue_dtypes_.size());
  for (std::size_t k = 0; k < epilogue_dtypes_.size(); ++k) {
    GYRO_ASSIGN_OR_RETURN(epilogue_out[k], Tensor::empty(head_out.sizes(), epilogue_dtypes_[k]));
  }
  const int64_t total_rows = head_out.size(0);
  const int64_t row_bytes =
      std::max<int64_t>(1, head_out.numel() / std::max<int64_t>(1, total_rows) *
                               static_cast<int64_t>(head_out.itemsize()));
  int64_t panel_rows = std::max<int64_t>(1, kPanelBytes / row_bytes);
  if (op_ == OpKind::matmul || op_ == OpKind::linear) {
    // Each GEMM call packs the whole right operand again, so there is one panel per thread.
    // Eigen's GEMM sums each element in an order set by K (its kc blocking) and by the row's
    // place in its block of mr rows (the last rows take narrower kernels). Panels that start
    // at multiples of kGemmRowQuantum (a multiple of mr for every ISA) keep every row's place,
    // so the split does not change results on any thread count.
    const int64_t per_thread = (total_rows + threads - 1) / threads;
    panel_rows = std::max<int64_t>(1, (per_thread + kGemmRowQuantum - 1) / kGemmRowQuantum) *
                 kGemmRowQuantum;
  }
  const int64_t panels = (total_rows + panel_rows - 1) / panel_rows;
  InlineSlots<Status, 8> failures(static_cast<std::size_t>(panels));
  parallel_for(threads, panels, 1, [&](int64_t begin, int64_t end) {
    InlineSlots<Tensor, 3> panel_inputs(num_head_inputs);
    for (std::size_t k = 1; k < num_head_inputs; ++k) panel_inputs[k] = inputs[head_inputs_[k]];
    InlineSlots<Tensor, 8> epilogue_inputs(inputs.size() + 1);
    InlineSlots<Tensor, 4> panel_out(epilogue_out.size());
    for (int64_t p = begin; p < end; ++p) {
      const int64_t first = p * panel_rows, last = std::min(total_rows, first + panel_rows);
      panel_inputs[0] = rows(inputs[head_inputs_[0]], first, last);
      Tensor out = rows(head_out, first, last);
      Status status = eager::run_into(
          op_, std::span<const Tensor>(panel_inputs.data(), num_head_inputs), attrs_, out);
      if (status.ok() && epilogue_) {
        // Inputs that span the rows are cut to the panel; broadcast ones are read whole.
        epilogue_inputs[0] = out;
        for (std::size_t k = 0; k < inputs.size(); ++k) {
          const Tensor& in = inputs[k];
          const bool spans_rows = in.dim() == head_out.dim() && in.size(0) == total_rows &&
                                  total_rows != 1;
          epilogue_inputs[k + 1] = spans_rows ? rows(in, first, last) : in;
        }
        for (std::size_t k = 0; k < epilogue_out.size(); ++k)
          panel_out[k] = rows(epilogue_out[k], first, last);
        status = epilogue_->run_into(
            std::span<const Tensor>(epilogue_inputs.data(), epilogue_inputs.size()),
            std::span<const Tensor>(panel_out.data(), panel_out.size()), out.sizes());
      }
      if (!status.ok()) {
        failures[p] = std::move(status);
        return;
      }
    }
  });
  for (std::size_t p = 0; p < failures.size(); ++p)
    if (!failures[p].ok()) return std::move(failures[p]);
  if (head_output_ >= 0) outputs[head_output_] = head_out;
  for (std::size_t k = 0; k < epilogue_outputs_.size(); ++k)
    outputs[epilogue_outputs_[k]] = std::move(epilogue_out[k]);
  return {};
}

}  // namespace gyro::vectorized
