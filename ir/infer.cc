// Dtype and shape inference for every op, driven by the dtype_rule and shape_rule columns.
#include "ir/infer.h"

#include <array>
#include <type_traits>

#include "ir/shape_rules.h"
#include "ir/tensor.h"

namespace gyro {

TensorMeta TensorMeta::of(const Tensor& tensor) {
  return {tensor.dtype(), tensor.sizes(), tensor.is_wrapped_number()};
}

namespace {

using namespace shape_rules;

ResultType::Priority priority_of(const TensorMeta& meta) {
  if (meta.wrapped_number) return ResultType::Priority::kWrappedNumber;
  if (meta.sizes.empty()) return ResultType::Priority::kZeroDim;
  return ResultType::Priority::kDimensioned;
}

DType promoted(std::span<const TensorMeta> inputs) {
  ResultType result;
  for (const auto& in : inputs) result.add(in.dtype, priority_of(in));
  return result.result();
}

// The attribute named `name` in the op's schema (ops.def guarantees it exists).
const Attr& attr(OpKind op, const Attrs& attrs, std::string_view name) {
  const auto& specs = op_info(op).attrs;
  for (std::size_t i = 0; i < specs.size(); ++i)
    if (specs[i].name == name) return attrs[i];
  GYRO_UNREACHABLE("op {} has no attribute {}", op_name(op), name);
}

DType dtype_attr_or(OpKind op, const Attrs& attrs, DType fallback) {
  const Attr& dtype = attr(op, attrs, "dtype");
  return dtype.is_none() ? fallback : dtype.dtype;
}

// Returns {output dtype, compute dtype}.
Expected<std::pair<DType, DType>> infer_dtype(OpKind op, std::span<const TensorMeta> in,
                                              const Attrs& attrs) {
  const OpInfo& info = op_info(op);
  auto to_float = [](DType d) { return is_floating(d) ? d : kDefaultFloat; };
  switch (info.dtype_rule) {
    case DTypeRule::kSame:
      return std::pair{in[0].dtype, in[0].dtype};
    case DTypeRule::kPromote: {
      DType d = promoted(in);
      return std::pair{d, d};
    }
    case DTypeRule::kPromoteToFloat: {
      DType d = to_float(promoted(in));
      return std::pair{d, d};
    }
    case DTypeRule::kToFloat: {
      DType d = to_float(in[0].dtype);
      return std::pair{d, d};
    }
    case DTypeRule::kToBool:
      return std::pair{DType::Bool, in.empty() ? DType::Bool : in[0].dtype};
    case DTypeRule::kToInt64:
      return std::pair{DType::Int64, in[0].dtype};
    case DTypeRule::kCompare:
      return std::pair{DType::Bool, promoted(in)};
    case DTypeRule::kSumLike: {
      DType d = is_floating(in[0].dtype) ? in[0].dtype : DType::Int64;
      return std::pair{d, d};
    }
    case DTypeRule::kWhere: {
      GYRO_CHECK_ARG(in[0].dtype == DType::Bool, RuntimeError,
                     "where expected condition to be a boolean tensor, but got a tensor with "
                     "dtype {}",
                     in[0].dtype);
      DType d = promoted(in.subspan(1));
      return std::pair{d, d};
    }
    case DTypeRule::kClamp: {
      ResultType result;
      result.add(in[0].dtype, priority_of(in[0]));
      for (const char* bound : {"min", "max"}) {
        const Attr& value = attr(op, attrs, bound);
        if (!value.is_none())
          result.add(value.scalar_dtype(), ResultType::Priority::kWrappedNumber);
      }
      DType d = result.result();
      return std::pair{d, d};
    }
    case DTypeRule::kSameOperands: {
      for (const auto& other : in.subspan(1))
        GYRO_CHECK_ARG(other.dtype == in[0].dtype, RuntimeError,
                       "{}: expected both operands to have the same dtype, but got {} != {}",
                       info.name, in[0].dtype, other.dtype);
      return std::pair{in[0].dtype, in[0].dtype};
    }
    case DTypeRule::kSameOrNumber: {
      // No promotion (lerp): every tensor operand has the first one's dtype; a wrapped Python
      // number converts to it.
      static constexpr const char* kNames[] = {"self", "end", "weight"};
      for (std::size_t k = 1; k < in.size(); ++k)
        GYRO_CHECK_ARG(in[k].wrapped_number || in[k].dtype == in[0].dtype, RuntimeError,
                       "{}: expected dtype {} for `{}` but got dtype {}", info.name, in[0].dtype,
                       k < 3 ? kNames[k] : "input", in[k].dtype);
      return std::pair{in[0].dtype, in[0].dtype};
    }
    case DTypeRule::kFromAttr: {
      DType d = attr(op, attrs, "dtype").dtype;
      return std::pair{d, d};
    }
    case DTypeRule::kFromAttrOrFloat: {
      DType d = dtype_attr_or(op, attrs, kDefaultFloat);
      return std::pair{d, d};
    }
    case DTypeRule::kFromFillValue: {
      DType d = dtype_attr_or(op, attrs, attr(op, attrs, "fill_value").scalar_dtype());
      return std::pair{d, d};
    }
    case DTypeRule::kFromRangeArgs: {
      bool any_float = false;
      for (const char* name : {"start", "end", "step"})
        any_float |= attr(op, attrs, name).kind == AttrKind::kFloat;
      DType d = dtype_attr_or(op, attrs, any_float ? kDefaultFloat : DType::Int64);
      return std::pair{d, d};
    }
  }
  GYRO_UNREACHABLE("bad DTypeRule");
}

// Checks the kFloatingOnly / kNoBool properties against the dtype the op computes in.
Status check_dtype_support(OpKind op, std::span<const TensorMeta> in, DType compute) {
  const OpInfo& info = op_info(op);
  if (op == OpKind::sub && compute != DType::Bool) {
    // PyTorch refuses subtraction with any bool operand, even when the result would not be bool.
    for (const auto& meta : in)
      GYRO_CHECK_ARG(meta.dtype != DType::Bool, RuntimeError,
                     "Subtraction, the `-` operator, with a bool tensor is not supported. If you "
                     "are trying to invert a mask, use the `~` or `logical_not()` operator "
                     "instead.");
  }
  if (info.has(kFloatingOnly))
    GYRO_CHECK_ARG(is_floating(compute), RuntimeError,
                   "{}(): expected a floating point tensor, but got {}", info.name, compute);
  if (info.has(kNoBool) && compute == DType::Bool) {
    if (op == OpKind::neg)
      return make_error(
          ErrorKind::RuntimeError,
          "Negation, the `-` operator, on a bool tensor is not supported. If you are "
          "trying to invert a mask, use the `~` or `logical_not()` operator instead.");
    if (op == OpKind::sub)
      return make_error(ErrorKind::RuntimeError,
                        "Subtraction, the `-` operator, with two bool tensors is not supported. "
                        "Use the `^` or `logical_xor()` operator instead.");
    return make_error(ErrorKind::RuntimeError, "{}(): not supported for bool tensors", info.name);
  }
  return {};
}

// Plain sizes as D (creation ops' sizes come from attributes, which are plain ints).
template <typename D>
DimsOf<D> plain_as(const Dims& dims) {
  if constexpr (std::is_same_v<D, int64_t>)
    return dims;
  else
    return plain_dims(dims);
}

// One rule per ShapeRule over a size type D: int64_t for infer_meta, SymDim for
// infer_sym_sizes (every comparison of sizes below is then decided, and recorded, by the
// sizes' SymDecider; arithmetic builds expressions).
// max/min/argmax/argmin have no value over zero elements: the eager kernel's errors, raised
// here so a trace sees them (and, over symbolic sizes, guards that the input is not empty).
template <typename D>
Status check_nonempty_reduction(OpKind op, const DimsOf<D>& in, const Attr& dims) {
  if (op != OpKind::max && op != OpKind::min && op != OpKind::argmax && op != OpKind::argmin)
    return {};
  D numel(1);
  for (const D& size : in) numel = numel * size;
  if (!(numel == D(0))) return {};
  std::string_view name = op_name(op);
  if (dims.is_none()) {
    // torch.argmax's check is an IndexError without the hint; torch.max's a RuntimeError.
    if (op == OpKind::argmax || op == OpKind::argmin)
      return make_error(ErrorKind::IndexError,
                        "{}(): Expected reduction dim to be specified for input.numel() == 0.",
                        name);
    return make_error(ErrorKind::RuntimeError,
                      "{}(): Expected reduction dim to be specified for input.numel() == 0. "
                      "Specify the reduction dim with the 'dim' argument.",
                      name);
  }
  GYRO_ASSIGN_OR_RETURN(auto reduced, reduced_dims(dims, in.size()));
  for (int d = 0; d < in.size(); ++d)
    GYRO_CHECK_ARG(!(reduced[d] && in[d] == D(0)), IndexError,
                   "{}(): Expected reduction dim {} to have non-zero size.", name, d);
  return {};
}

template <typename D>
Expected<std::vector<DimsOf<D>>> infer_sizes(OpKind op, std::span<const DimsOf<D>> in,
                                             const Attrs& attrs, SymDecider* decider) {
  using Sizes = DimsOf<D>;
  const OpInfo& info = op_info(op);
  auto one = [](Sizes dims) { return std::vector<Sizes>{dims}; };
  auto int_attr = [&](std::string_view name) { return attr(op, attrs, name).i; };
  auto ints_attr = [&](std::string_view name) -> const std::vector<int64_t>& {
    return attr(op, attrs, name).ints;
  };
  // An int[] attribute as sizes (symbolic elements as their expressions over SymDim). Over
  // int64 the attribute's own ints, uncopied: eager runs this on every call.
  auto dims_attr = [&](std::string_view name) {
    if constexpr (std::is_same_v<D, int64_t>)
      return std::span<const int64_t>(attr(op, attrs, name).ints);
    else
      return attr_dims<D>(attr(op, attrs, name), decider);
  };
  switch (info.shape_rule) {
    case ShapeRule::kBroadcast: {
      GYRO_ASSIGN_OR_RETURN(Sizes out, broadcast<D>(in));
      return one(out);
    }
    case ShapeRule::kSameAsInput:
      return one(in[0]);
    case ShapeRule::kSameAlongDim:
      GYRO_TRY(normalize_dim(attr(op, attrs, "dim").i, in[0].size()));
      return one(in[0]);
    case ShapeRule::kReduce: {
      const Attr& keepdim = attr(op, attrs, "keepdim");
      GYRO_ASSIGN_OR_RETURN(Sizes out, reduce<D>(in[0], attrs[0], keepdim.as_bool()));
      GYRO_TRY(check_nonempty_reduction<D>(op, in[0], attrs[0]));
      return one(out);
    }
    case ShapeRule::kLayerNorm: {
      const auto& normalized = ints_attr("normalized_shape");
      const Sizes& sizes = in[0];
      int n = static_cast<int>(normalized.size());
      bool fits = n <= sizes.size() && n >= 1;
      for (int i = 0; fits && i < n; ++i) fits = sizes[sizes.size() - n + i] == D(normalized[i]);
      GYRO_CHECK_ARG(fits, RuntimeError,
                     "Given normalized_shape=[{}], expected input with shape [*, {}], but got "
                     "input of size{}",
                     fmt::join(normalized, ", "), fmt::join(normalized, ", "), show(sizes));
      for (std::size_t k = 1; k < in.size(); ++k) {
        Sizes expected =
            plain_as<D>(Dims(std::span<const int64_t>(normalized.data(), normalized.size())));
        GYRO_CHECK_ARG(in[k] == expected, RuntimeError,
                       "layer_norm: expected {} of shape {}, but got {}",
                       k == 1 ? "weight" : "bias", show(expected), show(in[k]));
      }
      return one(sizes);
    }
    case ShapeRule::kMatmul: {
      GYRO_ASSIGN_OR_RETURN(Sizes out, matmul<D>(in[0], in[1]));
      return one(out);
    }
    case ShapeRule::kLinear: {
      const Sizes& x = in[0];
      const Sizes& weight = in[1];
      GYRO_CHECK_ARG(weight.size() == 2 && x.size() >= 1, RuntimeError,
                     "linear: expected a 2-D weight and an input of at least 1 dimension, got "
                     "weight {} and input {}",
                     show(weight), show(x));
      GYRO_CHECK_ARG(x.back() == weight[1], RuntimeError,
                     "mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})",
                     product_of(x) / sym_max(x.back(), D(1)), x.back(), weight[1], weight[0]);
      Sizes out = x;
      out.back() = weight[0];
      if (in.size() == 3) {
        const Sizes shapes[] = {in[2], out};
        GYRO_ASSIGN_OR_RETURN(Sizes with_bias, broadcast<D>(shapes));
        GYRO_CHECK_ARG(with_bias == out, RuntimeError,
                       "linear: bias of shape {} does not "
                       "broadcast to the output shape {}",
                       show(in[2]), show(out));
      }
      return one(out);
    }
    case ShapeRule::kReshape: {
      const auto shape = dims_attr("shape");
      GYRO_ASSIGN_OR_RETURN(Sizes out, reshape<D>(in[0], shape));
      return one(out);
    }
    case ShapeRule::kTranspose: {
      Sizes out = in[0];
      GYRO_ASSIGN_OR_RETURN(int a, normalize_dim(int_attr("dim0"), out.size()));
      GYRO_ASSIGN_OR_RETURN(int b, normalize_dim(int_attr("dim1"), out.size()));
      if (out.size() > 0) std::swap(out[a], out[b]);
      return one(out);
    }
    case ShapeRule::kPermute: {
      const auto& dims = ints_attr("dims");
      const Sizes& sizes = in[0];
      GYRO_CHECK_ARG(static_cast<int>(dims.size()) == sizes.size(), RuntimeError,
                     "permute(): number of dims don't match in permute: the input has {} "
                     "dimensions but {} were given",
                     sizes.size(), dims.size());
      Sizes out;
      std::array<bool, kMaxRank> used{};
      for (int64_t dim : dims) {
        GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(dim, sizes.size()));
        GYRO_CHECK_ARG(!used[d], RuntimeError, "permute(): duplicate dims are not allowed.");
        used[d] = true;
        out.push_back(sizes[d]);
      }
      return one(out);
    }
    case ShapeRule::kSqueeze: {
      const Sizes& sizes = in[0];
      GYRO_ASSIGN_OR_RETURN(auto chosen, reduced_dims(attr(op, attrs, "dim"), sizes.size(),
                                                      /*empty_means_all=*/false));
      Sizes out;
      for (int d = 0; d < sizes.size(); ++d)
        if (!(chosen[d] && sizes[d] == D(1))) out.push_back(sizes[d]);
      return one(out);
    }
    case ShapeRule::kUnsqueeze: {
      Sizes out = in[0];
      GYRO_TRY(check_rank(out.size() + 1, "unsqueeze"));
      GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(int_attr("dim"), out.size() + 1));
      out.insert(d, D(1));
      return one(out);
    }
    case ShapeRule::kFlatten: {
      const Sizes& sizes = in[0];
      if (sizes.empty()) return one(Sizes{D(1)});
      GYRO_ASSIGN_OR_RETURN(int start, normalize_dim(int_attr("start_dim"), sizes.size()));
      GYRO_ASSIGN_OR_RETURN(int end, normalize_dim(int_attr("end_dim"), sizes.size()));
      GYRO_CHECK_ARG(start <= end, RuntimeError,
                     "flatten() has invalid args: start_dim cannot come after end_dim");
      Sizes out;
      for (int d = 0; d < start; ++d) out.push_back(sizes[d]);
      D merged(1);
      for (int d = start; d <= end; ++d) merged = merged * sizes[d];
      out.push_back(merged);
      for (int d = end + 1; d < sizes.size(); ++d) out.push_back(sizes[d]);
      return one(out);
    }
    case ShapeRule::kExpand: {
      const auto size = dims_attr("size");
      GYRO_ASSIGN_OR_RETURN(Sizes out, expand<D>(in[0], size));
      return one(out);
    }
    case ShapeRule::kSlice: {
      Sizes out = in[0];
      GYRO_CHECK_ARG(out.size() > 0, IndexError, "slice() cannot be applied to a 0-dim tensor.");
      GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(int_attr("dim"), out.size()));
      GYRO_ASSIGN_OR_RETURN(auto bounds,
                            slice_bounds<D>(out[d], attr(op, attrs, "start"), attr(op, attrs, "end"),
                                            int_attr("step"), decider));
      out[d] = bounds.length;
      return one(out);
    }
    case ShapeRule::kSelect: {
      Sizes out = in[0];
      GYRO_CHECK_ARG(out.size() > 0, IndexError, "select() cannot be applied to a 0-dim tensor.");
      GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(int_attr("dim"), out.size()));
      int64_t index = int_attr("index");
      // -size <= index < size, written so that only the bound that can fail is tested (sizes
      // are >= 0): one fact over a symbolic size.
      bool in_bounds = index < 0 ? D(index) + out[d] >= D(0) : D(index) < out[d];
      GYRO_CHECK_ARG(in_bounds, IndexError,
                     "index {} is out of bounds for dimension {} with size {}", index, d, out[d]);
      out.erase(d);
      return one(out);
    }
    case ShapeRule::kCat: {
      // Like PyTorch, 1-D empty tensors are skipped (legacy behaviour kept for compatibility).
      auto skipped = [](const Sizes& sizes) { return sizes.size() == 1 && sizes[0] == D(0); };
      const Sizes* first = nullptr;
      for (const auto& sizes : in)
        if (!skipped(sizes)) {
          first = &sizes;
          break;
        }
      if (!first) return one(Sizes{D(0)});
      GYRO_CHECK_ARG(first->size() > 0, RuntimeError,
                     "zero-dimensional tensor (at position {}) cannot be concatenated",
                     first - in.data());
      GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(int_attr("dim"), first->size()));
      Sizes out = *first;
      out[d] = D(0);
      for (std::size_t k = 0; k < in.size(); ++k) {
        const Sizes& sizes = in[k];
        if (skipped(sizes)) continue;
        GYRO_CHECK_ARG(sizes.size() == out.size(), RuntimeError,
                       "Tensors must have same number of dimensions: got {} and {}", out.size(),
                       sizes.size());
        for (int i = 0; i < sizes.size(); ++i)
          GYRO_CHECK_ARG(i == d || sizes[i] == out[i], RuntimeError,
                         "Sizes of tensors must match except in dimension {}. Expected size {} but "
                         "got size {} for tensor number {} in the list.",
                         d, out[i], sizes[i], k);
        out[d] += sizes[d];
      }
      return one(out);
    }
    case ShapeRule::kStack: {
      for (std::size_t k = 1; k < in.size(); ++k)
        GYRO_CHECK_ARG(in[k] == in[0], RuntimeError,
                       "stack expects each tensor to be equal size, but got {} at entry 0 and {} "
                       "at entry {}",
                       show(in[0]), show(in[k]), k);
      Sizes out = in[0];
      GYRO_TRY(check_rank(out.size() + 1, "stack"));
      GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(int_attr("dim"), out.size() + 1));
      out.insert(d, D(static_cast<int64_t>(in.size())));
      return one(out);
    }
    case ShapeRule::kSplit: {
      const Sizes& sizes = in[0];
      GYRO_CHECK_ARG(sizes.size() > 0, RuntimeError, "{}() expects at least a 1-dimensional tensor",
                     info.name);
      GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(int_attr("dim"), sizes.size()));
      GYRO_ASSIGN_OR_RETURN(auto pieces, split_sizes<D>(info.name, sizes[d], attrs[0]));
      std::vector<Sizes> outs;
      for (const D& piece : pieces) {
        Sizes out = sizes;
        out[d] = piece;
        outs.push_back(out);
      }
      return outs;
    }
    case ShapeRule::kSizeAttr: {
      const auto& size = ints_attr("size");
      GYRO_TRY(check_rank(static_cast<int>(size.size()), info.name));
      Dims out(std::span<const int64_t>(size.data(), size.size()));
      GYRO_TRY(checked_numel(out, info.name));
      if constexpr (std::is_same_v<D, int64_t>) {
        return one(out);
      } else {
        // Symbolic entries: the hints passed, and each must stay a valid size.
        Sizes sym_out;
        for (const D& entry : dims_attr("size")) {
          GYRO_CHECK_ARG(entry >= D(0), RuntimeError, "{}: negative dimension {}", info.name, entry);
          sym_out.push_back(entry);
        }
        return one(sym_out);
      }
    }
    case ShapeRule::kArange: {
      // arange(end) means arange(0, end).
      const Attr& end_attr = attr(op, attrs, "end");
      Attr start = end_attr.is_none() ? Attr::integer(0) : attr(op, attrs, "start");
      const Attr& end = end_attr.is_none() ? attr(op, attrs, "start") : end_attr;
      const Attr& step = attr(op, attrs, "step");
      bool integral = start.kind != AttrKind::kFloat && end.kind != AttrKind::kFloat &&
                      step.kind != AttrKind::kFloat;
      GYRO_ASSIGN_OR_RETURN(
          int64_t length,
          integral ? arange_length_int(start.i, end.i, step.i)
                   : arange_length(start.as_double(), end.as_double(), step.as_double()));
      if (!integral || (!start.is_symbolic() && !end.is_symbolic())) return one(Sizes{D(length)});
      // Symbolic start or end (the step is plain: attr_may_be_symbolic): the length as an
      // expression, with the bound's order decided (the error above, on the hints).
      const D first = attr_dim<D>(start, 0, start.i, decider);
      const D last = attr_dim<D>(end, 0, end.i, decider);
      const int64_t by = step.i;
      GYRO_CHECK_ARG(by > 0 ? last >= first : last <= first, RuntimeError,
                     "upper bound and larger bound inconsistent with step sign");
      const D span = by > 0 ? last - first : first - last;
      const int64_t magnitude = by > 0 ? by : -by;
      return one(Sizes{(span + D(magnitude - 1)) / D(magnitude)});
    }
    case ShapeRule::kLinspace: {
      int64_t steps = int_attr("steps");
      GYRO_CHECK_ARG(steps >= 0, RuntimeError, "number of steps must be non-negative");
      return one(Sizes{D(steps)});
    }
    case ShapeRule::kEye: {
      int64_t n = int_attr("n");
      const Attr& m = attr(op, attrs, "m");
      int64_t cols = m.is_none() ? n : m.i;
      GYRO_CHECK_ARG(n >= 0, RuntimeError, "n must be greater or equal to 0, got {}", n);
      GYRO_CHECK_ARG(cols >= 0, RuntimeError, "m must be greater or equal to 0, got {}", cols);
      Dims out{n, cols};
      GYRO_TRY(checked_numel(out, "eye"));
      return one(plain_as<D>(out));
    }
  }
  GYRO_UNREACHABLE("bad ShapeRule");
}

}  // namespace

Expected<OutputMeta> infer_meta(OpKind op, std::span<const TensorMeta> inputs, const Attrs& attrs) {
  GYRO_ASSIGN_OR_RETURN(auto dtypes, infer_dtype(op, inputs, attrs));
  GYRO_TRY(check_dtype_support(op, inputs, dtypes.second));
  // The rules take sizes alone; cat and stack may have any number of inputs, so only short
  // lists stay on the stack.
  constexpr std::size_t kInline = 4;
  std::array<Dims, kInline> inline_sizes;
  std::vector<Dims> many_sizes;
  std::span<Dims> sizes;
  if (inputs.size() <= kInline) {
    sizes = std::span<Dims>(inline_sizes.data(), inputs.size());
  } else {
    many_sizes.resize(inputs.size());
    sizes = many_sizes;
  }
  for (std::size_t k = 0; k < inputs.size(); ++k) sizes[k] = inputs[k].sizes;
  GYRO_ASSIGN_OR_RETURN(auto outputs, infer_sizes<int64_t>(op, sizes, attrs, nullptr));
  return OutputMeta{dtypes.first, dtypes.second, std::move(outputs)};
}

Expected<std::vector<SymDims>> infer_sym_sizes(OpKind op, std::span<const SymDims> inputs,
                                               const Attrs& attrs, SymDecider* decider) {
  return infer_sizes<SymDim>(op, inputs, attrs, decider);
}

bool attr_may_be_symbolic(OpKind op, const Attrs& attrs, std::size_t slot) {
  const auto& specs = op_info(op).attrs;
  if (slot >= specs.size()) return false;
  const std::string& name = specs[slot].name;
  switch (op_info(op).shape_rule) {
    case ShapeRule::kReshape:
      return name == "shape";
    case ShapeRule::kExpand:
    case ShapeRule::kSizeAttr:
      return name == "size";
    case ShapeRule::kSlice:
      return name == "start" || name == "end";
    case ShapeRule::kArange: {
      if (name != "start" && name != "end") return false;
      for (const char* bound : {"start", "end", "step"})
        if (attr(op, attrs, bound).kind == AttrKind::kFloat) return false;
      return true;
    }
    default:
      return false;
  }
}

}  // namespace gyro
