// Movement kernels: views (new sizes/strides over the same storage) and the copies that
// reshape, cat, stack and clone need. Output sizes come from inference (ir/infer.cc).
#include <numeric>

#include "backends/eager/kernel.h"
#include "ir/shape_rules.h"

namespace gyro::eager {

using shape_rules::normalize_dim;

Expected<Tensor> checked_view(const Tensor& t, const Dims& sizes, const Dims& strides,
                              int64_t offset) {
  // Every reachable element must lie inside the storage: a view can never read out of bounds.
  int64_t low = offset, high = offset;
  bool empty = false;
  for (int d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 0) empty = true;
    int64_t reach = (sizes[d] - 1) * strides[d];
    (reach < 0 ? low : high) += reach;
  }
  int64_t capacity = static_cast<int64_t>(t.storage()->nbytes() / t.itemsize());
  GYRO_CHECK_ARG(empty || (low >= 0 && high < capacity), RuntimeError,
                 "view of size {} with strides {} at offset {} is out of bounds for storage of "
                 "{} elements",
                 to_string(sizes), to_string(strides), offset, capacity);
  return t.as_strided(sizes, strides, offset);
}

namespace {

void set_single(KernelCall& call, Tensor view) {
  call.results = {std::move(view)};
}

// Strides that let `sizes` view the same elements as `t` without a copy, if any (PyTorch's
// computeStride): each run of new dims must fall inside one contiguous chunk of old dims.
std::optional<Dims> view_strides(const Tensor& t, const Dims& sizes) {
  Dims strides = Dims::filled(sizes.size(), 1);
  if (t.numel() == 0 || t.dim() == 0) return contiguous_strides(sizes);
  int view_d = sizes.size() - 1;
  int64_t chunk_base_stride = t.dim() > 0 ? t.strides().back() : 1;
  int64_t tensor_numel = 1, view_numel = 1;
  for (int d = t.dim() - 1; d >= 0; --d) {
    tensor_numel *= t.size(d);
    // The end of a contiguous chunk: the dim is the first, or it does not continue the next.
    if (d == 0 || (t.size(d - 1) != 1 && t.stride(d - 1) != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || sizes[view_d] == 1)) {
        strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= sizes[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = t.stride(d - 1);
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return strides;
}

// reshape/flatten: a view when strides allow, else a contiguous copy.
Status reshape_to(KernelCall& call, const Dims& sizes) {
  const Tensor& in = call.inputs[0];
  if (auto strides = view_strides(in, sizes)) {
    GYRO_ASSIGN_OR_RETURN(Tensor view, checked_view(in, sizes, *strides, in.offset()));
    set_single(call, std::move(view));
    return {};
  }
  GYRO_ASSIGN_OR_RETURN(Tensor copy, contiguous_as(in, in.dtype()));
  set_single(call, copy.as_strided(sizes, contiguous_strides(sizes), copy.offset()));
  return {};
}

Status slice_views(KernelCall& call, int dim, std::span<const int64_t> pieces) {
  const Tensor& in = call.inputs[0];
  call.results.clear();
  int64_t start = 0;
  for (int64_t piece : pieces) {
    Dims sizes = in.sizes();
    sizes[dim] = piece;
    GYRO_ASSIGN_OR_RETURN(
        Tensor view, checked_view(in, sizes, in.strides(), in.offset() + start * in.stride(dim)));
    call.results.push_back(std::move(view));
    start += piece;
  }
  return {};
}

}  // namespace

Status kernel_view(KernelCall& call) {
  const Tensor& in = call.inputs[0];
  const Dims& sizes = call.meta.sizes[0];
  auto strides = view_strides(in, sizes);
  GYRO_CHECK_ARG(strides.has_value(), RuntimeError,
                 "view size is not compatible with input tensor's size and stride (at least one "
                 "dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
  GYRO_ASSIGN_OR_RETURN(Tensor view, checked_view(in, sizes, *strides, in.offset()));
  set_single(call, std::move(view));
  return {};
}

Status kernel_reshape(KernelCall& call) {
  return reshape_to(call, call.meta.sizes[0]);
}
Status kernel_flatten(KernelCall& call) {
  return reshape_to(call, call.meta.sizes[0]);
}

Status kernel_transpose(KernelCall& call) {
  const Tensor& in = call.inputs[0];
  Dims strides = in.strides();
  if (in.dim() > 0) {
    GYRO_ASSIGN_OR_RETURN(int a, normalize_dim(attr(call, "dim0").i, in.dim()));
    GYRO_ASSIGN_OR_RETURN(int b, normalize_dim(attr(call, "dim1").i, in.dim()));
    std::swap(strides[a], strides[b]);
  }
  set_single(call, in.as_strided(call.meta.sizes[0], strides, in.offset()));
  return {};
}

Status kernel_permute(KernelCall& call) {
  const Tensor& in = call.inputs[0];
  Dims strides;
  for (int64_t dim : attr(call, "dims").ints) {
    GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(dim, in.dim()));
    strides.push_back(in.stride(d));
  }
  set_single(call, in.as_strided(call.meta.sizes[0], strides, in.offset()));
  return {};
}

Status kernel_squeeze(KernelCall& call) {
  const Tensor& in = call.inputs[0];
  GYRO_ASSIGN_OR_RETURN(auto chosen, shape_rules::reduced_dims(attr(call, "dim"), in.dim(),
                                                               /*empty_means_all=*/false));
  Dims strides;
  for (int d = 0; d < in.dim(); ++d)
    if (!(chosen[d] && in.size(d) == 1)) strides.push_back(in.stride(d));
  set_single(call, in.as_strided(call.meta.sizes[0], strides, in.offset()));
  return {};
}

Status kernel_unsqueeze(KernelCall& call) {
  const Tensor& in = call.inputs[0];
  GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(attr(call, "dim").i, in.dim() + 1));
  Dims strides = in.strides();
  strides.insert(d, d < in.dim() ? in.size(d) * in.stride(d) : 1);
  set_single(call, in.as_strided(call.meta.sizes[0], strides, in.offset()));
  return {};
}

Status kernel_expand(KernelCall& call) {
  const Tensor& in = call.inputs[0];
  const Dims& sizes = call.meta.sizes[0];
  int lead = sizes.size() - in.dim();
  Dims strides = Dims::filled(sizes.size(), 0);
  for (int d = 0; d < in.dim(); ++d)
    strides[lead + d] = in.size(d) == sizes[lead + d] ? in.stride(d) : 0;
  set_single(call, in.as_strided(sizes, strides, in.offset()));
  return {};
}

Status kernel_slice(KernelCall& call) {
  const Tensor& in = call.inputs[0];
  GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(attr(call, "dim").i, in.dim()));
  int64_t step = attr(call, "step").i;
  GYRO_ASSIGN_OR_RETURN(auto bounds, shape_rules::slice_bounds(in.size(d), attr(call, "start"),
                                                               attr(call, "end"), step));
  Dims strides = in.strides();
  strides[d] *= step;
  GYRO_ASSIGN_OR_RETURN(Tensor view, checked_view(in, call.meta.sizes[0], strides,
                                                  in.offset() + bounds.start * in.stride(d)));
  set_single(call, std::move(view));
  return {};
}

Status kernel_select(KernelCall& call) {
  const Tensor& in = call.inputs[0];
  GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(attr(call, "dim").i, in.dim()));
  int64_t index = attr(call, "index").i;
  if (index < 0) index += in.size(d);
  Dims strides = in.strides();
  strides.erase(d);
  set_single(call, in.as_strided(call.meta.sizes[0], strides, in.offset() + index * in.stride(d)));
  return {};
}

Status kernel_split(KernelCall& call) {
  const Tensor& in = call.inputs[0];
  GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(attr(call, "dim").i, in.dim()));
  std::vector<int64_t> pieces;
  for (const Dims& sizes : call.meta.sizes) pieces.push_back(sizes[d]);
  return slice_views(call, d, pieces);
}
Status kernel_split_with_sizes(KernelCall& call) {
  return kernel_split(call);
}
Status kernel_chunk(KernelCall& call) {
  return kernel_split(call);
}

Status kernel_cat(KernelCall& call) {
  const Tensor& out = call.out;
  if (out.numel() == 0) return {};
  GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(attr(call, "dim").i, out.dim()));
  int64_t start = 0;
  for (const Tensor& in : call.inputs) {
    if (in.dim() == 1 && in.size(0) == 0) continue;  // legacy: empty 1-D inputs are skipped
    Dims sizes = out.sizes();
    sizes[d] = in.size(d);
    Tensor slot = out.as_strided(sizes, out.strides(), out.offset() + start * out.stride(d));
    GYRO_TRY(copy_kernel(slot, in));
    start += in.size(d);
  }
  return {};
}

Status kernel_stack(KernelCall& call) {
  const Tensor& out = call.out;
  if (out.numel() == 0) return {};
  GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(attr(call, "dim").i, out.dim()));
  Dims sizes = out.sizes();
  Dims strides = out.strides();
  sizes.erase(d);
  strides.erase(d);
  for (std::size_t k = 0; k < call.inputs.size(); ++k) {
    Tensor slot =
        out.as_strided(sizes, strides, out.offset() + static_cast<int64_t>(k) * out.stride(d));
    GYRO_TRY(copy_kernel(slot, call.inputs[k]));
  }
  return {};
}

Status kernel_contiguous(KernelCall& call) {
  GYRO_ASSIGN_OR_RETURN(Tensor result, contiguous_as(call.inputs[0], call.inputs[0].dtype()));
  set_single(call, std::move(result));
  return {};
}

Status kernel_clone(KernelCall& call) {
  return copy_kernel(call.out, call.inputs[0]);
}

// The functional forms of `x.select(dim, i).copy_(src)` and `x[a:b:c].copy_(src)` (PyTorch's
// select_scatter and slice_scatter): a copy of the input with src written into that view. They
// are what an in-place write through a view becomes in a captured graph.
namespace {
Status scatter_into(KernelCall& call, const Tensor& view) {
  const Tensor& src = call.inputs[1];
  GYRO_CHECK_ARG(src.sizes() == view.sizes(), RuntimeError,
                 "expected src to have a size equal to the slice of self. src size = {}, slice "
                 "size = {}",
                 to_string(src.sizes()), to_string(view.sizes()));
  GYRO_TRY(copy_kernel(call.out, call.inputs[0]));
  return copy_kernel(view, src);
}
}  // namespace

Status kernel_select_scatter(KernelCall& call) {
  const Tensor& out = call.out;
  GYRO_CHECK_ARG(out.dim() > 0, IndexError, "select() cannot be applied to a 0-dim tensor.");
  GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(attr(call, "dim").i, out.dim()));
  int64_t index = attr(call, "index").i;
  GYRO_CHECK_ARG(index >= -out.size(d) && index < out.size(d), IndexError,
                 "index {} is out of bounds for dimension {} with size {}", index, d, out.size(d));
  if (index < 0) index += out.size(d);
  Dims sizes = out.sizes(), strides = out.strides();
  sizes.erase(d);
  strides.erase(d);
  return scatter_into(call, out.as_strided(sizes, strides, out.offset() + index * out.stride(d)));
}

Status kernel_slice_scatter(KernelCall& call) {
  const Tensor& out = call.out;
  GYRO_CHECK_ARG(out.dim() > 0, IndexError, "slice() cannot be applied to a 0-dim tensor.");
  GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(attr(call, "dim").i, out.dim()));
  int64_t step = attr(call, "step").i;
  GYRO_ASSIGN_OR_RETURN(auto bounds, shape_rules::slice_bounds(out.size(d), attr(call, "start"),
                                                               attr(call, "end"), step));
  Dims sizes = out.sizes(), strides = out.strides();
  sizes[d] = bounds.length;
  strides[d] *= step;
  return scatter_into(call,
                      out.as_strided(sizes, strides, out.offset() + bounds.start * out.stride(d)));
}

}  // namespace gyro::eager
