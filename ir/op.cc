// The op table built from ops.def, and attribute binding for op calls.
#include "ir/op.h"

#include <algorithm>
#include <array>

namespace gyro {

namespace {

struct OpTable {
  std::array<std::vector<AttrSpec>, kNumOps> specs;
  std::array<OpInfo, kNumOps> infos;

  OpTable() {
    int index = 0;
#define OP(name, min_in, max_in, fusion, dtype_rule, shape_rule, props, attrs) \
  specs[index] = parse_attr_schema(attrs);                                     \
  infos[index] = OpInfo{#name,                                                 \
                        min_in,                                                \
                        max_in,                                                \
                        FusionClass::fusion,                                   \
                        DTypeRule::dtype_rule,                                 \
                        ShapeRule::shape_rule,                                 \
                        static_cast<uint32_t>(props),                          \
                        specs[index]};                                         \
  ++index;
#include "ir/ops.def"
#undef OP
  }
};

const OpTable& table() {
  static const OpTable instance;
  return instance;
}

// Converts `value` to what `spec` expects, or explains why it cannot.
Expected<Attr> coerce(OpKind op, const AttrSpec& spec, const Attr& value) {
  auto mismatch = [&]() {
    return make_error(ErrorKind::TypeError, "{}(): argument '{}' must be {}, not {}", op_name(op),
                      spec.name, attr_type_name(spec.type), value.to_string());
  };
  if (value.is_none()) {
    if (!spec.optional) return mismatch();
    return value;
  }
  switch (spec.type) {
    case AttrType::kInt:  // PyTorch refuses a bool where an int is expected
      if (value.kind == AttrKind::kInt) return value;
      return mismatch();
    case AttrType::kFloat:
      if (value.kind == AttrKind::kFloat || value.kind == AttrKind::kInt ||
          value.kind == AttrKind::kBool)
        return Attr::real(value.as_double());
      return mismatch();
    case AttrType::kBool:
      if (value.kind == AttrKind::kBool) return value;
      return mismatch();
    case AttrType::kScalar:
      if (value.kind == AttrKind::kInt || value.kind == AttrKind::kFloat ||
          value.kind == AttrKind::kBool)
        return value;
      return mismatch();
    case AttrType::kInts:
      if (value.kind == AttrKind::kInts) return value;
      if (value.kind == AttrKind::kInt) {  // a lone int is [int]
        Attr list = Attr::list({value.i});
        list.syms = value.syms;
        return list;
      }
      return mismatch();
    case AttrType::kDType:
      if (value.kind == AttrKind::kDType) return value;
      return mismatch();
    case AttrType::kString: {
      if (value.kind != AttrKind::kString) return mismatch();
      if (spec.choices.empty() ||
          std::find(spec.choices.begin(), spec.choices.end(), value.text) != spec.choices.end())
        return value;
      return make_error(ErrorKind::ValueError, "{}(): argument '{}' must be one of {}, not '{}'",
                        op_name(op), spec.name, fmt::join(spec.choices, ", "), value.text);
    }
  }
  GYRO_UNREACHABLE("bad AttrType");
}

}  // namespace

const OpInfo& op_info(OpKind op) {
  return table().infos[static_cast<int>(op)];
}

std::optional<OpKind> op_from_name(std::string_view name) {
  for (int i = 0; i < kNumOps; ++i)
    if (table().infos[i].name == name) return static_cast<OpKind>(i);
  return std::nullopt;
}

Expected<Attrs> bind_attrs(OpKind op, int num_inputs, std::span<const Attr> positional,
                           std::span<const NamedAttr> named) {
  const OpInfo& info = op_info(op);
  if (num_inputs < info.min_inputs || (info.max_inputs >= 0 && num_inputs > info.max_inputs)) {
    if (info.min_inputs == info.max_inputs)
      return make_error(ErrorKind::TypeError, "{}() takes {} tensor argument{} but {} were given",
                        info.name, info.min_inputs, info.min_inputs == 1 ? "" : "s", num_inputs);
    return make_error(
        ErrorKind::TypeError, "{}() takes {} to {} tensor arguments but {} were given", info.name,
        info.min_inputs, info.max_inputs < 0 ? std::string("any") : std::to_string(info.max_inputs),
        num_inputs);
  }
  const auto& specs = info.attrs;
  if (positional.size() > specs.size())
    return make_error(ErrorKind::TypeError, "{}() takes {} attribute argument{} but {} were given",
                      info.name, specs.size(), specs.size() == 1 ? "" : "s", positional.size());
  Attrs bound(specs.size());
  std::vector<bool> seen(specs.size(), false);
  for (std::size_t i = 0; i < positional.size(); ++i) {
    GYRO_ASSIGN_OR_RETURN(bound[i], coerce(op, specs[i], positional[i]));
    seen[i] = true;
  }
  for (const auto& [name, value] : named) {
    std::size_t index = 0;
    while (index < specs.size() && specs[index].name != name) ++index;
    if (index == specs.size())
      return make_error(ErrorKind::TypeError, "{}() got an unexpected keyword argument '{}'",
                        info.name, name);
    if (seen[index])
      return make_error(ErrorKind::TypeError, "{}() got multiple values for argument '{}'",
                        info.name, name);
    GYRO_ASSIGN_OR_RETURN(bound[index], coerce(op, specs[index], value));
    seen[index] = true;
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (seen[i]) continue;
    if (!specs[i].has_default)
      return make_error(ErrorKind::TypeError, "{}() missing required argument '{}'", info.name,
                        specs[i].name);
    bound[i] = specs[i].default_value;
  }
  return bound;
}

}  // namespace gyro
