// Op attributes: the non-tensor arguments of an op (dims, flags, scalars, dtypes, shapes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ir/dtype.h"
#include "ir/sym_expr.h"

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
  // Symbolic shapes: an int (one entry) or an int list (one per element) whose values are
  // expressions over a trace's size symbols; an entry of index -1 is a plain element. Empty for
  // a plain attribute. `i` / `ints` then hold the hints (the values on the traced example), so
  // everything that reads values alone sees the attribute the example gave.
  std::vector<SymId> syms;

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
  bool is_symbolic() const { return !syms.empty(); }
  // The expression of element `k` (of `i` when kInt), or an invalid id for a plain one.
  SymId sym(std::size_t k = 0) const { return k < syms.size() ? syms[k] : SymId{}; }
  // A number attribute as double (ints and bools convert).
  double as_double() const { return kind == AttrKind::kFloat ? f : static_cast<double>(i); }
  bool as_bool() const { return i != 0; }
  // The dtype a Python number of this kind has: bool, int64 or float.
  DType scalar_dtype() const;

  // Python's repr. Symbolic elements print as their expressions when `context` (the one their
  // ids belong to) is given, else as their hints.
  std::string to_string(const SymContext* context = nullptr) const;

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
