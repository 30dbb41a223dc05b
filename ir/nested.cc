// tensor(nested lists): shape discovery, dtype inference and the copy into a new tensor.
#include "ir/nested.h"

namespace gyro {

namespace {

// Sizes along the first element of each level; checked against every element by fill().
Expected<Dims> discover_sizes(const NestedList& data) {
  Dims sizes;
  const NestedList* level = &data;
  while (level->kind() == NestedList::Kind::kList) {
    GYRO_CHECK_ARG(sizes.size() < kMaxRank, ValueError,
                   "tensor(): data nested deeper than {} levels", kMaxRank);
    sizes.push_back(static_cast<int64_t>(level->items().size()));
    if (level->items().empty()) break;
    level = &level->items()[0];
  }
  return sizes;
}

// PyTorch's inference: each number's dtype (any float is the default float), an empty list
// the default float, promoted across a list. It reads every number before the nesting, so a
// bad element is reported before a ragged list.
DType infer_dtype(const NestedList& node) {
  switch (node.kind()) {
    case NestedList::Kind::kBool:
      return DType::Bool;
    case NestedList::Kind::kInt:
      return DType::Int64;
    case NestedList::Kind::kFloat:
      return kDefaultFloat;
    case NestedList::Kind::kList:
      break;
  }
  if (node.items().empty()) return kDefaultFloat;
  DType widest = infer_dtype(node.items()[0]);
  for (const auto& item : node.items()) widest = promote_types(widest, infer_dtype(item));
  return widest;
}

struct Filler {
  const Dims& sizes;
  DType dtype;
  char* out;
  int64_t written = 0;

  Status fill(const NestedList& node, int depth) {
    if (depth == sizes.size()) {
      // PyTorch's messages: the element is read as a number of the chosen dtype.
      GYRO_CHECK_ARG(node.kind() != NestedList::Kind::kList || is_floating(dtype), TypeError,
                     "'list' object cannot be interpreted as an integer");
      GYRO_CHECK_ARG(node.kind() != NestedList::Kind::kList, TypeError,
                     "must be real number, not list");
      visit_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        T* slot = reinterpret_cast<T*>(out) + written;
        if (node.kind() == NestedList::Kind::kFloat)
          *slot = convert<T>(node.float_value());
        else
          *slot = convert<T>(node.int_value());
      });
      ++written;
      return {};
    }
    GYRO_CHECK_ARG(node.kind() == NestedList::Kind::kList, TypeError, "not a sequence");
    GYRO_CHECK_ARG(static_cast<int64_t>(node.items().size()) == sizes[depth], ValueError,
                   "expected sequence of length {} at dim {} (got {})", sizes[depth], depth,
                   node.items().size());
    for (const auto& item : node.items()) GYRO_TRY(fill(item, depth + 1));
    return {};
  }
};

}  // namespace

Expected<Tensor> tensor_from_nested(const NestedList& data, std::optional<DType> dtype) {
  DType chosen = dtype ? *dtype : infer_dtype(data);
  GYRO_ASSIGN_OR_RETURN(Dims sizes, discover_sizes(data));
  GYRO_ASSIGN_OR_RETURN(Tensor tensor, Tensor::empty(sizes, chosen));
  // PyTorch stores (and so checks) nothing when the sizes have a 0: [[], [1]] gives size [2, 0].
  if (tensor.numel() == 0) return tensor;
  Filler filler{sizes, chosen, static_cast<char*>(tensor.raw_data())};
  GYRO_TRY(filler.fill(data, 0));
  return tensor;
}

}  // namespace gyro
