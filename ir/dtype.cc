// Dtype names, sizes, categories and promotion, all derived from dtypes.def.
#include "ir/dtype.h"

#include "ir/assert.h"

namespace gyro {

namespace {
struct DTypeInfo {
  std::string_view name;
  std::size_t size;
  DTypeCategory category;
};
constexpr DTypeInfo kDTypeInfo[] = {
#define DTYPE(name, ctype, script_name, category) \
  {script_name, sizeof(ctype), DTypeCategory::category},
#include "ir/dtypes.def"
#undef DTYPE
};
const DTypeInfo& info(DType dtype) {
  return kDTypeInfo[static_cast<int>(dtype)];
}
}  // namespace

std::string_view dtype_name(DType dtype) {
  return info(dtype).name;
}
std::size_t dtype_size(DType dtype) {
  return info(dtype).size;
}
DTypeCategory dtype_category(DType dtype) {
  return info(dtype).category;
}

std::optional<DType> dtype_from_name(std::string_view name) {
  for (int i = 0; i < kNumDTypes; ++i)
    if (kDTypeInfo[i].name == name) return static_cast<DType>(i);
  return std::nullopt;
}

DType promote_types(DType a, DType b) {
  // The enum is declared in lattice order, so promotion is the larger of the two.
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

void ResultType::add(DType dtype, Priority priority) {
  auto& slot = by_priority_[static_cast<int>(priority)];
  if (priority == Priority::kWrappedNumber) {
    // A Python float is "a float" of the default dtype, an int is int64, a bool is bool.
    if (is_floating(dtype)) dtype = kDefaultFloat;
  }
  slot = slot ? promote_types(*slot, dtype) : dtype;
}

DType ResultType::result() const {
  std::optional<DType> result;
  for (const auto& candidate : by_priority_) {
    if (!candidate) continue;
    if (!result) {
      result = candidate;
    } else if (dtype_category(*candidate) > dtype_category(*result)) {
      // Only a higher category wins; it then takes its default width for wrapped numbers.
      result = *candidate;
    }
  }
  GYRO_ASSERT(result.has_value(), "ResultType with no operands");
  return *result;
}

}  // namespace gyro
