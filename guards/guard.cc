// Guard ordering, descriptions and the failure messages of each kind.
#include "guards/guard.h"

#include <algorithm>

#include <fmt/format.h>

namespace gyro::guards {

std::string_view guard_kind_name(GuardKind kind) {
  switch (kind) {
#define GUARD_KIND(name, cost, doc) \
  case GuardKind::name:             \
    return #name;
#include "guards/guard_kinds.def"
#undef GUARD_KIND
  }
  return "?";
}

int guard_cost(GuardKind kind) {
  switch (kind) {
#define GUARD_KIND(name, cost, doc) \
  case GuardKind::name:             \
    return cost;
#include "guards/guard_kinds.def"
#undef GUARD_KIND
  }
  return 0;
}

std::vector<Guard> order_guards(std::vector<Guard> guards) {
  std::stable_sort(guards.begin(), guards.end(), [](const Guard& a, const Guard& b) {
    int cost_a = guard_cost(a.kind), cost_b = guard_cost(b.kind);
    if (cost_a != cost_b) return cost_a < cost_b;
    return a.source < b.source;
  });
  return guards;
}

namespace {

// Sizes with symbols as s<index>; strides, or `contiguous` for a tensor with symbolic sizes.
std::string sizes_text(const Dims& sizes) {
  std::string text = "[";
  for (int i = 0; i < sizes.size(); ++i) {
    if (i) text += ", ";
    text += sizes[i] >= 0 ? std::to_string(sizes[i]) : fmt::format("s{}", symbol_of_size(sizes[i]));
  }
  return text + "]";
}

std::string strides_text(const Dims& strides) {
  if (!strides.empty() && strides[0] == kContiguousStrides) return "contiguous";
  return fmt::format("[{}]", fmt::join(strides, ", "));
}

}  // namespace

std::string describe(const SourceTable& sources, const Guard& guard) {
  if (guard.kind == GuardKind::SHAPE) return fmt::format("SHAPE {}", guard.relation_text);
  std::string name = sources.describe(guard.source);
  switch (guard.kind) {
    case GuardKind::TYPE_MATCH:
      return fmt::format("TYPE_MATCH {}: {}", name, guard.type_name);
    case GuardKind::ID_MATCH:
      return fmt::format("ID_MATCH {}: {}", name, guard.type_name);
    case GuardKind::CONSTANT_MATCH:
      return fmt::format("CONSTANT_MATCH {} == {}", name, guard.constant.repr());
    case GuardKind::LENGTH:
      return fmt::format("LENGTH {} == {}", name, guard.length);  // the source is len(...)
    case GuardKind::TENSOR_MATCH:
      return fmt::format("TENSOR_MATCH {}: {}{} stride={}", name, dtype_name(guard.tensor.dtype),
                         sizes_text(guard.tensor.sizes), strides_text(guard.tensor.strides));
    case GuardKind::SYMBOLIC_INT:
      return fmt::format("SYMBOLIC_INT {}: s{}", name, guard.symbol);
    case GuardKind::SHAPE:
      break;  // described above: it has no one source
    case GuardKind::NO_ALIASING: {
      std::string names;
      for (SourceId other : guard.unaliased)
        names += fmt::format("{}{}", names.empty() ? "" : ", ", sources.describe(other));
      return fmt::format("NO_ALIASING {}: {}", name, names);  // name shares no storage with these
    }
    case GuardKind::DUPLICATE_INPUT:
      return fmt::format("DUPLICATE_INPUT {} is {}", name, sources.describe(guard.unaliased[0]));
  }
  return "?";
}

std::string tensor_mismatch(std::string_view name, const TensorMatch& expected,
                            const Tensor& actual, std::span<const int64_t> bindings,
                            std::span<const std::string> symbol_names) {
  if (actual.dtype() != expected.dtype)
    return fmt::format("tensor '{}' dtype mismatch. expected {}, actual {}", name,
                       dtype_name(expected.dtype), dtype_name(actual.dtype()));
  if (actual.dim() != expected.sizes.size())
    return fmt::format("tensor '{}' rank mismatch. expected {}, actual {}", name,
                       expected.sizes.size(), actual.dim());
  for (int d = 0; d < actual.dim(); ++d) {
    const int64_t size = expected.sizes[d];
    if (size < 0) {
      // A symbolic size: wrong only when its symbol was bound to another size already.
      const auto symbol = static_cast<std::size_t>(symbol_of_size(size));
      if (symbol < bindings.size() && bindings[symbol] != kUnbound &&
          bindings[symbol] != actual.size(d))
        return symbol < symbol_names.size()
                   ? fmt::format("{}.size({}) == {}", name, d, symbol_names[symbol])
                   : fmt::format("tensor '{}' size mismatch at index {}. expected {}, actual {}",
                                 name, d, bindings[symbol], actual.size(d));
      continue;
    }
    if (actual.size(d) != size)
      return fmt::format("tensor '{}' size mismatch at index {}. expected {}, actual {}", name, d,
                         size, actual.size(d));
  }
  if (!expected.strides.empty() && expected.strides[0] == kContiguousStrides) {
    if (!actual.is_contiguous())
      return fmt::format("tensor '{}' is not contiguous (strides [{}])", name,
                         fmt::join(actual.strides(), ", "));
    return {};
  }
  for (int d = 0; d < actual.dim(); ++d)
    if (actual.stride(d) != expected.strides[d])
      return fmt::format("tensor '{}' stride mismatch at index {}. expected {}, actual {}", name, d,
                         expected.strides[d], actual.stride(d));
  return {};
}

std::string type_mismatch(std::string_view name, std::string_view expected,
                          std::string_view actual) {
  return fmt::format("expected type of '{}' to be {}, but found {}", name, expected, actual);
}

std::string identity_mismatch(std::string_view name, std::string_view expected) {
  return fmt::format("'{}' is not the {} traced", name, expected);
}

std::string constant_mismatch(std::string_view name, const Constant& expected) {
  return fmt::format("{} == {}", name, expected.repr());
}

std::string length_mismatch(std::string_view name, int64_t expected) {
  return fmt::format("len({}) == {}", name, expected);
}

std::string aliasing_mismatch(std::string_view first, std::string_view second) {
  return fmt::format("tensors '{}' and '{}' share storage", first, second);
}

std::string same_object_mismatch(std::string_view first, std::string_view second) {
  return fmt::format("'{}' and '{}' are the same object", first, second);
}

std::string duplicate_mismatch(std::string_view first, std::string_view second) {
  return fmt::format("'{}' is not the same object as '{}'", first, second);
}

}  // namespace gyro::guards
