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

struct Filler {
  const Dims& sizes;
  DType dtype;
  char* out;
  int64_t written = 0;
  DTypeCategory widest = DTypeCategory::kBoolCategory;

  Status fill(const NestedList& node, int depth) {
    if (depth == sizes.size()) {
      GYRO_CHECK_ARG(node.kind() != NestedList::Kind::kList, ValueError,
                     "expected a number at dim {} but found a sequence", depth);
      if (node.kind() == NestedList::Kind::kFloat)
        widest = DTypeCategory::kFloatingCategory;
      else if (node.kind() == NestedList::Kind::kInt && widest == DTypeCategory::kBoolCategory)
        widest = DTypeCategory::kIntegralCategory;
      if (out) {
        visit_dtype(dtype, [&](auto tag) {
          using T = decltype(tag);
          T* slot = reinterpret_cast<T*>(out) + written;
          if (node.kind() == NestedList::Kind::kFloat)
            *slot = convert<T>(node.float_value());
          else
            *slot = convert<T>(node.int_value());
        });
      }
      ++written;
      return {};
    }
    GYRO_CHECK_ARG(node.kind() == NestedList::Kind::kList, ValueError,
                   "expected sequence of length {} at dim {} (got a number)", sizes[depth], depth);
    GYRO_CHECK_ARG(static_cast<int64_t>(node.items().size()) == sizes[depth], ValueError,
                   "expected sequence of length {} at dim {} (got {})", sizes[depth], depth,
                   node.items().size());
    for (const auto& item : node.items()) GYRO_TRY(fill(item, depth + 1));
    return {};
  }
};

}  // namespace

Expected<Tensor> tensor_from_nested(const NestedList& data, std::optional<DType> dtype) {
  GYRO_ASSIGN_OR_RETURN(Dims sizes, discover_sizes(data));
  // First pass validates the nesting and finds the widest number kind.
  Filler probe{sizes, kDefaultFloat, nullptr};
  GYRO_TRY(probe.fill(data, 0));
  DType chosen = dtype                                              ? *dtype
                 : probe.widest == DTypeCategory::kFloatingCategory ? kDefaultFloat
                 : probe.widest == DTypeCategory::kIntegralCategory ? DType::Int64
                 : probe.written == 0                               ? kDefaultFloat
                                                                    : DType::Bool;
  GYRO_ASSIGN_OR_RETURN(Tensor tensor, Tensor::empty(sizes, chosen));
  Filler filler{sizes, chosen, static_cast<char*>(tensor.raw_data())};
  GYRO_TRY(filler.fill(data, 0));
  return tensor;
}

}  // namespace gyro
