// Constant constructors, repr and equality; structural equality of code objects.
#include "ir/code.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "ir/assert.h"
#include "ir/python_repr.h"

namespace gyro {

Constant Constant::boolean(bool value) {
  Constant c;
  c.kind_ = Kind::kBool;
  c.int_ = value;
  return c;
}
Constant Constant::integer(int64_t value) {
  Constant c;
  c.kind_ = Kind::kInt;
  c.int_ = value;
  return c;
}
Constant Constant::real(double value) {
  Constant c;
  c.kind_ = Kind::kFloat;
  c.float_ = value;
  return c;
}
Constant Constant::string(std::string value) {
  Constant c;
  c.kind_ = Kind::kString;
  c.string_ = std::move(value);
  return c;
}
Constant Constant::code(std::shared_ptr<const Code> value) {
  Constant c;
  c.kind_ = Kind::kCode;
  c.code_ = std::move(value);
  return c;
}
Constant Constant::tuple(std::vector<Constant> items) {
  Constant c;
  c.kind_ = Kind::kTuple;
  c.items_ = std::move(items);
  return c;
}
Constant Constant::ellipsis() {
  Constant c;
  c.kind_ = Kind::kEllipsis;
  return c;
}

std::string Constant::repr() const {
  switch (kind_) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return int_ ? "True" : "False";
    case Kind::kInt:
      return fmt::format("{}", int_);
    case Kind::kFloat:
      return python_float_repr(float_);
    case Kind::kString:
      return python_string_repr(string_);
    case Kind::kCode:
      return fmt::format("<code {}>", code_ ? code_->name : "?");
    case Kind::kTuple: {
      std::string text = "(";
      for (std::size_t i = 0; i < items_.size(); ++i) text += (i ? ", " : "") + items_[i].repr();
      return text + (items_.size() == 1 ? ",)" : ")");
    }
    case Kind::kEllipsis:
      return "Ellipsis";
  }
  GYRO_UNREACHABLE("bad constant kind");
}

bool operator==(const Constant& a, const Constant& b) {
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case Constant::Kind::kNone:
    case Constant::Kind::kEllipsis:
      return true;
    case Constant::Kind::kBool:
    case Constant::Kind::kInt:
      return a.int_ == b.int_;
    case Constant::Kind::kFloat:
      return std::bit_cast<uint64_t>(a.float_) == std::bit_cast<uint64_t>(b.float_);
    case Constant::Kind::kString:
      return a.string_ == b.string_;
    case Constant::Kind::kCode:
      return a.code_ == b.code_ || (a.code_ && b.code_ && *a.code_ == *b.code_);
    case Constant::Kind::kTuple:
      return a.items_ == b.items_;
  }
  return false;
}

bool operator==(const Code& a, const Code& b) {
  return a.name == b.name && a.filename == b.filename && a.first_line == b.first_line &&
         a.instructions == b.instructions && a.lines == b.lines && a.constants == b.constants &&
         a.names == b.names && a.local_names == b.local_names && a.cell_names == b.cell_names &&
         a.free_names == b.free_names && a.arg_count == b.arg_count && a.flags == b.flags;
}

namespace {
void collect_codes(const Constant& constant, std::vector<const Code*>& result) {
  if (constant.kind() == Constant::Kind::kTuple)
    for (const Constant& item : constant.items()) collect_codes(item, result);
  if (constant.kind() != Constant::Kind::kCode || !constant.as_code()) return;
  const Code* code = constant.as_code().get();
  // A code object shared by two constants is listed once.
  if (std::find(result.begin(), result.end(), code) == result.end()) result.push_back(code);
}
}  // namespace

std::vector<const Code*> all_codes(const Code& code) {
  std::vector<const Code*> result{&code};
  for (std::size_t i = 0; i < result.size(); ++i)
    for (const Constant& constant : result[i]->constants) collect_codes(constant, result);
  return result;
}

}  // namespace gyro
