// Attribute values and the parser for the attribute schemas written in ops.def.
#include "ir/attr.h"

#include <cstdlib>

#include "ir/assert.h"

namespace gyro {

DType Attr::scalar_dtype() const {
  switch (kind) {
    case AttrKind::kBool:
      return DType::Bool;
    case AttrKind::kInt:
      return DType::Int64;
    case AttrKind::kFloat:
      return kDefaultFloat;
    case AttrKind::kNone:
    case AttrKind::kInts:
    case AttrKind::kDType:
    case AttrKind::kString:
      break;
  }
  GYRO_UNREACHABLE("scalar_dtype of a non-scalar attribute");
}

std::string Attr::to_string(const SymContext* context) const {
  auto element = [&](std::size_t k, int64_t value) {
    SymId id = sym(k);
    return context && id.index >= 0 ? context->print(id) : std::to_string(value);
  };
  switch (kind) {
    case AttrKind::kNone:
      return "None";
    case AttrKind::kInt:
      return element(0, i);
    case AttrKind::kFloat:
      return fmt::format("{}", f);
    case AttrKind::kBool:
      return i ? "True" : "False";
    case AttrKind::kInts: {
      std::string text = "[";
      for (std::size_t k = 0; k < ints.size(); ++k) text += (k ? ", " : "") + element(k, ints[k]);
      return text + "]";
    }
    case AttrKind::kDType:
      return std::string(dtype_name(dtype));
    case AttrKind::kString:
      return fmt::format("'{}'", text);
  }
  GYRO_UNREACHABLE("bad AttrKind");
}

std::string_view attr_type_name(AttrType type) {
  switch (type) {
    case AttrType::kInt:
      return "int";
    case AttrType::kFloat:
      return "float";
    case AttrType::kBool:
      return "bool";
    case AttrType::kScalar:
      return "scalar";
    case AttrType::kInts:
      return "int[]";
    case AttrType::kDType:
      return "dtype";
    case AttrType::kString:
      return "str";
  }
  GYRO_UNREACHABLE("bad AttrType");
}

namespace {

AttrType parse_type(std::string_view text) {
  for (auto type : {AttrType::kInt, AttrType::kFloat, AttrType::kBool, AttrType::kScalar,
                    AttrType::kInts, AttrType::kDType, AttrType::kString})
    if (attr_type_name(type) == text) return type;
  GYRO_UNREACHABLE("ops.def: unknown attribute kind '{}'", text);
}

Attr parse_default(std::string_view text, AttrType type) {
  if (text == "None") return Attr::none();
  if (type == AttrType::kString) return Attr::string(std::string(text));
  if (text == "True" || text == "False") return Attr::boolean(text == "True");
  std::string owned(text);
  if (type == AttrType::kFloat) return Attr::real(std::strtod(owned.c_str(), nullptr));
  return Attr::integer(std::strtoll(owned.c_str(), nullptr, 10));
}

}  // namespace

std::vector<AttrSpec> parse_attr_schema(std::string_view schema) {
  std::vector<AttrSpec> specs;
  while (!schema.empty()) {
    auto space = schema.find(' ');
    std::string_view item = schema.substr(0, space);
    schema = space == std::string_view::npos ? std::string_view() : schema.substr(space + 1);
    if (item.empty()) continue;
    auto colon = item.find(':');
    GYRO_ASSERT(colon != std::string_view::npos, "ops.def: attribute '{}' has no kind", item);
    AttrSpec spec;
    spec.name = std::string(item.substr(0, colon));
    std::string_view rest = item.substr(colon + 1);
    auto equals = rest.find('=');
    std::string_view type = rest.substr(0, equals);
    if (type.ends_with('?')) {
      spec.optional = true;
      type.remove_suffix(1);
    }
    if (auto open = type.find('('); open != std::string_view::npos) {
      std::string_view choices = type.substr(open + 1, type.size() - open - 2);
      type = type.substr(0, open);
      while (!choices.empty()) {
        auto bar = choices.find('|');
        spec.choices.emplace_back(choices.substr(0, bar));
        choices = bar == std::string_view::npos ? std::string_view() : choices.substr(bar + 1);
      }
    }
    spec.type = parse_type(type);
    if (equals != std::string_view::npos) {
      spec.has_default = true;
      spec.default_value = parse_default(rest.substr(equals + 1), spec.type);
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

}  // namespace gyro
