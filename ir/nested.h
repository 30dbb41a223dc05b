// NestedList: a host's nested number lists, and tensor(...) built from them as PyTorch does.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ir/tensor.h"

namespace gyro {

class NestedList {
 public:
  enum class Kind : unsigned char { kBool, kInt, kFloat, kList };

  NestedList(bool value) : kind_(Kind::kBool), int_(value) {}
  NestedList(int value) : kind_(Kind::kInt), int_(value) {}
  NestedList(int64_t value) : kind_(Kind::kInt), int_(value) {}
  NestedList(double value) : kind_(Kind::kFloat), float_(value) {}
  NestedList(std::vector<NestedList> items) : kind_(Kind::kList), items_(std::move(items)) {}
  NestedList(std::initializer_list<NestedList> items) : kind_(Kind::kList), items_(items) {}

  Kind kind() const { return kind_; }
  int64_t int_value() const { return int_; }
  double float_value() const { return kind_ == Kind::kFloat ? float_ : static_cast<double>(int_); }
  const std::vector<NestedList>& items() const { return items_; }

 private:
  Kind kind_;
  int64_t int_ = 0;
  double float_ = 0;
  std::vector<NestedList> items_;
};

// tensor(data, dtype=None): sizes from the nesting, dtype from the numbers (any float ->
// float32, else any int -> int64, else bool; an empty list is float32) unless given. Errors
// are PyTorch's: a ragged list is a ValueError naming the dimension ("expected sequence of
// length 2 at dim 1 (got 3)"); a number where a list belongs, or a list where a number belongs,
// is a TypeError ("not a sequence", "must be real number, not list").
Expected<Tensor> tensor_from_nested(const NestedList& data,
                                    std::optional<DType> dtype = std::nullopt);

}  // namespace gyro
