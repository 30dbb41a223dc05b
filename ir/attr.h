// Op attributes: the non-tensor arguments of an op (dims, flags, scalars, dtypes, shapes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ir/dtype.h"

namespace gyro {

enum class AttrKind : unsigned char { kNone, kInt, kFloat, kBool, kInts, kDType, kString };

// One attribute value. A "scalar" attribute holds kInt, kFloat or kBool.
struct Attr {
  AttrKind kind = AttrKind::kNone;
  int64_t i = 0;
  double f = 0;
  std::vector<int64_t> ints;
  DType dtype = kDefaultFloat;
  std::string text;

  static Attr none() { return {}; }
  static Attr integer(int64_t value) {
    return with(AttrKind::kInt, [&](Attr& a) { a.i = value; });
  }
  static Attr real(double value) {
    return with(AttrKind::kFloat, [&](Attr& a) { a.f = value; });
  }
  static Attr boolean(bool value) {
    return with(AttrKind::kBool, [&](Attr& a) { a.i = value; });
  }
  static Attr list(std::vector<int64_t> values) {
    return with(AttrKind::kInts, [&](Attr& a) { a.ints = std::move(values); });
  }
  static Attr of_dtype(DType value) {
    return with(AttrKind::kDType, [&](Attr& a) { a.dtype = value; });
  }
  static Attr string(std::string value) {
    return with(AttrKind::kString, [&](Attr& a) { a.text = std::move(value); });
  }

  bool is_none() const { return kind == AttrKind::kNone; }
  // A number attribute as double (ints and bools convert).
  double as_double() const { return kind == AttrKind::kFloat ? f : static_cast<double>(i); }
  bool as_bool() const { return i != 0; }
  // The dtype a Python number of this kind has: bool, int64 or float.
  DType scalar_dtype() const;

  std::string to_string() const;

 private:
  template <typename Fill>
  static Attr with(AttrKind kind, Fill&& fill) {
    Attr attr;
    attr.kind = kind;
    fill(attr);
    return attr;
  }
};

using Attrs = std::vector<Attr>;

// What an op's schema says of one attribute.
enum class AttrType : unsigned char { kInt, kFloat, kBool, kScalar, kInts, kDType, kString };

struct AttrSpec {
  std::string name;
  AttrType type;
  bool optional = false;  // accepts None
  bool has_default = false;
  Attr default_value;
  std::vector<std::string> choices;  // a str attribute's allowed values, "str(a|b)" in ops.def
};

// Parses "name:kind[(choice|choice)][?][=default] ..." as written in ops.def.
std::vector<AttrSpec> parse_attr_schema(std::string_view schema);
std::string_view attr_type_name(AttrType type);

}  // namespace gyro
