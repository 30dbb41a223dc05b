// Shape rules: each op's output sizes from its input sizes and attributes, written over a size
// type D: int64_t, or SymDim (ir/sym_dim.h) for symbolic sizes, whose comparisons are decided.
#pragma once

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "ir/attr.h"
#include "ir/dims.h"
#include "ir/error.h"
#include "ir/sym_dim.h"

namespace gyro::shape_rules {

template <typename D>
using DimsOf = BasicDims<D>;

// A size's value on the example input: the size itself, or a SymDim's hint.
template <typename D>
int64_t hint_of(const D& size) {
  if constexpr (std::is_integral_v<D>)
    return size;
  else
    return size.hint;
}

// Element `k` of an int or int-list attribute (whose value is `value`) as a size: over SymDim,
// an element that carries a symbol (Attr::syms) is that expression with `value` as its hint.
template <typename D>
D attr_dim(const Attr& attr, std::size_t k, int64_t value, SymDecider* decider) {
  if constexpr (std::is_integral_v<D>) {
    return value;
  } else {
    const SymId id = attr.sym(k);
    return id.index >= 0 ? D(value, id, decider) : D(value);
  }
}
template <typename D>
std::vector<D> attr_dims(const Attr& attr, SymDecider* decider) {
  std::vector<D> out;
  out.reserve(attr.ints.size());
  for (std::size_t k = 0; k < attr.ints.size(); ++k)
    out.push_back(attr_dim<D>(attr, k, attr.ints[k], decider));
  return out;
}

// The int64 forms of SymDim's sym_min/sym_max (ir/sym_dim.h), so a rule reads the same over both.
inline int64_t sym_min(int64_t a, int64_t b) {
  return std::min(a, b);
}
inline int64_t sym_max(int64_t a, int64_t b) {
  return std::max(a, b);
}

// acc *= value; false when an int64 product overflows (a shape from a program or a file that no
// tensor can have). SymDim's hints wrap by definition (sym_dim.cc) and its expressions are
// exact, so over SymDim this always succeeds.
template <typename D>
bool multiply_size(D& acc, const D& value) {
  if constexpr (std::is_integral_v<D>)
    return !__builtin_mul_overflow(acc, value, &acc);
  else {
    acc = acc * value;
    return true;
  }
}

template <typename D>
D product_of(const DimsOf<D>& dims) {
  D result(1);
  for (const D& size : dims) result = result * size;
  return result;
}

template <typename D>
std::string show(const DimsOf<D>& dims) {
  std::string text = "[";
  for (int i = 0; i < dims.size(); ++i) text += fmt::format("{}{}", i ? ", " : "", dims[i]);
  return text + "]";
}

// Wraps a possibly negative dim into [0, rank); rank 0 accepts -1 and 0 (PyTorch's rule).
inline Expected<int> normalize_dim(int64_t dim, int rank) {
  int64_t bound = std::max(rank, 1);
  if (dim < -bound || dim >= bound)
    return make_error(ErrorKind::IndexError,
                      "Dimension out of range (expected to be in range of [{}, {}], but got {})",
                      -bound, bound - 1, dim);
  return static_cast<int>(dim < 0 ? dim + bound : dim);
}

inline Status check_rank(int rank, std::string_view op) {
  GYRO_CHECK_ARG(rank <= kMaxRank, RuntimeError,
                 "{}: result would have {} dimensions; gyro supports at most {}", op, rank,
                 kMaxRank);
  return {};
}

// NumPy broadcasting over any number of inputs.
template <typename D>
Expected<DimsOf<D>> broadcast(std::span<const DimsOf<D>> inputs) {
  int rank = 0;
  for (const auto& in : inputs) rank = std::max(rank, in.size());
  DimsOf<D> out = DimsOf<D>::filled(rank, D(1));
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const auto& in = inputs[k];
    for (int i = 0; i < in.size(); ++i) {
      int d = rank - in.size() + i;
      if (in[i] == D(1)) continue;
      if (out[d] == D(1)) {
        out[d] = in[i];
      } else if (!(out[d] == in[i])) {
        return make_error(ErrorKind::RuntimeError,
                          "The size of tensor a ({}) must match the size of tensor b ({}) at "
                          "non-singleton dimension {}",
                          out[d], in[i], d);
      }
    }
  }
  return out;
}

// Which dims `dims` names: None means all, and so does an empty list when `empty_means_all`
// (PyTorch's reductions: sum(x, dim=[]) reduces every dim; squeeze(x, []) squeezes none).
inline Expected<std::array<bool, kMaxRank>> reduced_dims(const Attr& dims, int rank,
                                                         bool empty_means_all = true) {
  std::array<bool, kMaxRank> reduced{};
  bool empty_list = dims.kind == AttrKind::kInts && dims.ints.empty();
  if (dims.is_none() || (empty_list && empty_means_all)) {
    for (int d = 0; d < rank; ++d) reduced[d] = true;
    return reduced;
  }
  std::vector<int64_t> list =
      dims.kind == AttrKind::kInts ? dims.ints : std::vector<int64_t>{dims.i};
  for (int64_t dim : list) {
    GYRO_ASSIGN_OR_RETURN(int d, normalize_dim(dim, rank));
    if (rank == 0) continue;
    GYRO_CHECK_ARG(!reduced[d], RuntimeError, "dim {} appears multiple times in the list of dims",
                   d);
    reduced[d] = true;
  }
  return reduced;
}

template <typename D>
Expected<DimsOf<D>> reduce(const DimsOf<D>& in, const Attr& dims, bool keepdim) {
  GYRO_ASSIGN_OR_RETURN(auto reduced, reduced_dims(dims, in.size()));
  DimsOf<D> out;
  for (int d = 0; d < in.size(); ++d) {
    if (!reduced[d])
      out.push_back(in[d]);
    else if (keepdim)
      out.push_back(D(1));
  }
  return out;
}

template <typename D>
Expected<DimsOf<D>> matmul(const DimsOf<D>& a, const DimsOf<D>& b) {
  GYRO_CHECK_ARG(a.size() >= 1 && b.size() >= 1, RuntimeError,
                 "both arguments to matmul need to be at least 1D, but they are {}D and {}D",
                 a.size(), b.size());
  if (a.size() == 1 && b.size() == 1) {
    GYRO_CHECK_ARG(a[0] == b[0], RuntimeError,
                   "inconsistent tensor size, expected tensor [{}] and src [{}] to have the same "
                   "number of elements, but got {} and {} elements respectively",
                   a[0], b[0], a[0], b[0]);
    return DimsOf<D>{};
  }
  // Promote vectors to matrices, multiply, then drop the added dims (PyTorch's rule).
  DimsOf<D> left = a, right = b;
  if (a.size() == 1) left.insert(0, D(1));
  if (b.size() == 1) right.push_back(D(1));
  D m = left[left.size() - 2], k = left.back(), k2 = right[right.size() - 2], n = right.back();
  if (!(k == k2)) {
    if (a.size() <= 2 && b.size() <= 2)
      return make_error(ErrorKind::RuntimeError,
                        "mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})", m, k, k2, n);
    return make_error(ErrorKind::RuntimeError, "matmul: inner dimensions do not match: {} @ {}",
                      show(a), show(b));
  }
  DimsOf<D> batch_a(std::span<const D>(left.begin(), left.size() - 2));
  DimsOf<D> batch_b(std::span<const D>(right.begin(), right.size() - 2));
  const DimsOf<D> batches[] = {batch_a, batch_b};
  GYRO_ASSIGN_OR_RETURN(DimsOf<D> out, broadcast<D>(batches));
  if (a.size() > 1) out.push_back(m);
  if (b.size() > 1) out.push_back(n);
  return out;
}

// The sizes of a reshape (or view) to `shape`: one entry may be -1 (inferred). Over symbolic
// entries the tests are decided: `n == -1`, `n >= 0`, and numel divisible by the known product.
template <typename D>
Expected<DimsOf<D>> reshape(const DimsOf<D>& in, std::span<const D> shape) {
  GYRO_TRY(check_rank(static_cast<int>(shape.size()), "reshape"));
  D numel(1);
  for (const auto& s : in)
    GYRO_CHECK_ARG(multiply_size(numel, s), RuntimeError, "reshape: the input's size overflows");
  DimsOf<D> out;
  int inferred = -1;
  D known(1);
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == D(-1)) {
      GYRO_CHECK_ARG(inferred < 0, RuntimeError, "only one dimension can be inferred");
      inferred = static_cast<int>(i);
      out.push_back(D(1));
    } else {
      GYRO_CHECK_ARG(shape[i] >= D(0), RuntimeError, "invalid shape dimension {}", shape[i]);
      out.push_back(shape[i]);
      if (!multiply_size(known, shape[i]))
        return make_error(ErrorKind::RuntimeError, "shape '[{}]' is invalid for input of size {}",
                          fmt::join(shape, ", "), numel);
    }
  }
  auto invalid = [&]() {
    return make_error(ErrorKind::RuntimeError, "shape '[{}]' is invalid for input of size {}",
                      fmt::join(shape, ", "), numel);
  };
  if (inferred >= 0) {
    if (known == D(0) || !(numel % known == D(0))) return invalid();
    out[inferred] = numel / known;
  } else if (!(known == numel)) {
    return invalid();
  }
  return out;
}

template <typename D>
Expected<DimsOf<D>> expand(const DimsOf<D>& in, std::span<const D> size) {
  GYRO_TRY(check_rank(static_cast<int>(size.size()), "expand"));
  GYRO_CHECK_ARG(static_cast<int>(size.size()) >= in.size(), RuntimeError,
                 "expand: the number of sizes provided ({}) must be greater or equal to the number "
                 "of dimensions in the tensor ({})",
                 size.size(), in.size());
  int lead = static_cast<int>(size.size()) - in.size();
  DimsOf<D> out;
  for (int i = 0; i < static_cast<int>(size.size()); ++i) {
    if (i < lead) {
      GYRO_CHECK_ARG(size[i] >= D(0), RuntimeError,
                     "expand: the expanded size of the tensor ({}) isn't allowed in a leading, "
                     "non-existing dimension {}",
                     size[i], i);
      out.push_back(size[i]);
      continue;
    }
    const D& have = in[i - lead];
    if (size[i] == D(-1) || size[i] == have) {
      out.push_back(have);
    } else if (have == D(1) && size[i] >= D(0)) {
      out.push_back(size[i]);
    } else {
      return make_error(ErrorKind::RuntimeError,
                        "The expanded size of the tensor ({}) must match the existing size ({}) at "
                        "non-singleton dimension {}.  Target sizes: [{}].  Tensor sizes: {}",
                        size[i], have, i, fmt::join(size, ", "), show(in));
    }
  }
  return out;
}

// Normalized start and length of a slice with positive step; out-of-range bounds clamp. Over
// a symbolic size the clamps are min/max expressions rather than decided comparisons: exact
// for every size, so slicing records no fact (sizes are >= 0, so clamping a non-negative
// index is min(index, size) and a negative one max(index + size, 0)).
template <typename D>
struct SliceBoundsOf {
  D start, length;
};
// A symbolic bound (Attr::syms, with `decider`) has its sign decided.
template <typename D>
Expected<SliceBoundsOf<D>> slice_bounds(const D& size, const Attr& start_attr, const Attr& end_attr,
                                        int64_t step, SymDecider* decider = nullptr) {
  GYRO_CHECK_ARG(step > 0, ValueError, "slice step must be positive, got {}", step);
  auto clamp_index = [&](const Attr& attr, const D& fallback) {
    if (attr.is_none()) return fallback;
    const D index = attr_dim<D>(attr, 0, attr.i, decider);
    return index < D(0) ? sym_max(index + size, D(0)) : sym_min(index, size);
  };
  D start = clamp_index(start_attr, D(0)), end = clamp_index(end_attr, size);
  D length = (sym_max(end - start, D(0)) + D(step - 1)) / D(step);
  return SliceBoundsOf<D>{start, length};
}

// Sizes of the pieces split/split_with_sizes/chunk cut a dim of `size` into. Over a symbolic
// size the number of pieces follows the hint, and the facts that fix it are decided: the last
// piece, size - piece*(count - 1), is in (0, piece]. Every other piece is `piece`.
template <typename D>
Expected<std::vector<D>> split_sizes(std::string_view op, const D& size, const Attr& arg) {
  if (op == "split_with_sizes") {
    int64_t total = 0;
    for (int64_t piece : arg.ints) {
      GYRO_CHECK_ARG(piece >= 0, RuntimeError,
                     "split_with_sizes expects split_sizes have only "
                     "non-negative entries, but got split_sizes=[{}]",
                     fmt::join(arg.ints, ", "));
      total += piece;
    }
    GYRO_CHECK_ARG(D(total) == size, RuntimeError,
                   "split_with_sizes expects split_sizes to sum exactly to {} (input tensor's size "
                   "at dimension), but got split_sizes=[{}]",
                   size, fmt::join(arg.ints, ", "));
    return std::vector<D>(arg.ints.begin(), arg.ints.end());
  }
  const bool chunk = op == "chunk";
  if (chunk) {
    GYRO_CHECK_ARG(arg.i > 0, RuntimeError, "chunk expects `chunks` to be greater than 0, got: {}",
                   arg.i);
  } else {
    GYRO_CHECK_ARG(arg.i >= 0, RuntimeError,
                   "split expects split_size be non-negative, but got split_size={}", arg.i);
    if (arg.i == 0) {
      // split(0) of an empty dim gives one empty piece; of a non-empty dim it is an error.
      GYRO_CHECK_ARG(
          size == D(0), RuntimeError,
          "split_size can only be 0 if dimension size is 0, but got dimension size of {}", size);
      return std::vector<D>{D(0)};
    }
  }
  // An empty dim: every chunk is empty, and split gives one empty piece. Tested on the hint
  // so that a non-empty symbolic size records no `!= 0` fact (the last piece's fact implies it).
  if (hint_of(size) == 0) {
    const bool empty = size == D(0);  // over a symbolic size, records `size == 0`
    GYRO_ASSERT(empty, "a size with hint 0 is not 0");
    return std::vector<D>(static_cast<std::size_t>(chunk ? arg.i : 1), D(0));
  }
  const D piece = chunk ? (size + D(arg.i - 1)) / D(arg.i) : D(arg.i);
  int64_t count = (hint_of(size) - 1) / hint_of(piece) + 1;  // ceil, without overflow
  D last = size - D(count - 1) * piece;
  const bool fits = D(0) < last && last <= piece;  // over symbolic sizes, the two facts
  GYRO_ASSERT(fits, "split of {} into pieces of {}: last piece {}", size, piece, last);
  std::vector<D> pieces(static_cast<std::size_t>(count - 1), piece);
  pieces.push_back(last);
  return pieces;
}

// Element count of arange over ints, exact beyond double precision (128-bit intermediate).
inline Expected<int64_t> arange_length_int(int64_t start, int64_t end, int64_t step) {
  GYRO_CHECK_ARG(step != 0, RuntimeError, "step must be nonzero");
  GYRO_CHECK_ARG((step > 0 && end >= start) || (step < 0 && end <= start), RuntimeError,
                 "upper bound and larger bound inconsistent with step sign");
  __int128 span = static_cast<__int128>(end) - start;
  __int128 length = (span + step - (step > 0 ? 1 : -1)) / step;
  return static_cast<int64_t>(length);  // |span| < 2^64 and |step| >= 1, so this fits
}

// Element count of arange(start, end, step), following PyTorch's ceil((end-start)/step).
inline Expected<int64_t> arange_length(double start, double end, double step) {
  GYRO_CHECK_ARG(step != 0, RuntimeError, "step must be nonzero");
  GYRO_CHECK_ARG(std::isfinite(start) && std::isfinite(end), RuntimeError,
                 "unsupported range: {} -> {}", start, end);
  GYRO_CHECK_ARG((step > 0 && end >= start) || (step < 0 && end <= start), RuntimeError,
                 "upper bound and larger bound inconsistent with step sign");
  double length = std::ceil((end - start) / step);
  GYRO_CHECK_ARG(length < 9.2e18, RuntimeError, "arange: {} elements overflow the element count",
                 length);
  return static_cast<int64_t>(length);
}

}  // namespace gyro::shape_rules
