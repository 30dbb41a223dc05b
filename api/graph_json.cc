// A graph as JSON: the documented form host backends receive (docs/backends.md).
#include "api/graph_json.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include "ir/op.h"

namespace gyro::api {
namespace {

// A float as JSON: NaN and the infinities, which JSON has no numbers for, as strings.
nlohmann::json number_json(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

nlohmann::json attr_json(const Attr& attr) {
  switch (attr.kind) {
    case AttrKind::kNone:
      return nullptr;
    case AttrKind::kInt:
      return attr.i;
    case AttrKind::kFloat:
      return number_json(attr.f);
    case AttrKind::kBool:
      return attr.i != 0;
    case AttrKind::kInts:
      return attr.ints;
    case AttrKind::kDType:
      return std::string(dtype_name(attr.dtype));
    case AttrKind::kString:
      return attr.text;
  }
  return nullptr;
}

// A constant's values, row-major, as numbers (bools as true/false).
nlohmann::json constant_json(const Tensor& tensor) {
  nlohmann::json values = nlohmann::json::array();
  const char* base = static_cast<const char*>(tensor.raw_data());
  for_each_offset(tensor.sizes(), tensor.strides(), [&](int64_t offset) {
    const char* at = base + offset * static_cast<int64_t>(dtype_size(tensor.dtype()));
    switch (tensor.dtype()) {
      case DType::Bool:
        values.push_back(*reinterpret_cast<const bool*>(at));
        break;
      case DType::Int64:
        values.push_back(*reinterpret_cast<const int64_t*>(at));
        break;
      case DType::Float32:
        values.push_back(number_json(*reinterpret_cast<const float*>(at)));
        break;
      case DType::Float64:
        values.push_back(number_json(*reinterpret_cast<const double*>(at)));
        break;
    }
  });
  return values;
}

}  // namespace

std::string graph_json(const Graph& graph) {
  nlohmann::json values = nlohmann::json::array();
  for (int v = 0; v < graph.num_values(); ++v) {
    const TensorMeta& meta = graph.meta(ValueId{v});
    nlohmann::json symbolic = nlohmann::json::array();  // dims whose size varies per call
    for (int d = 0; d < static_cast<int>(meta.sizes.size()); ++d)
      if ((meta.symbolic >> d) & 1) symbolic.push_back(d);
    values.push_back({{"dtype", std::string(dtype_name(meta.dtype))},
                      {"sizes", std::vector<int64_t>(meta.sizes.begin(), meta.sizes.end())},
                      {"symbolic_dims", symbolic}});
  }
  nlohmann::json nodes = nlohmann::json::array();
  for (const Node& node : graph.nodes()) {
    nlohmann::json entry;
    nlohmann::json outputs = nlohmann::json::array();
    for (int i = 0; i < node.num_outputs; ++i) outputs.push_back(node.output(i).index);
    switch (node.kind) {
      case NodeKind::kPlaceholder:
        entry = {{"kind", "input"}, {"index", node.input_index}, {"source", node.source}};
        break;
      case NodeKind::kConstant:
        entry = {{"kind", "constant"}, {"values", constant_json(node.constant.get())}};
        break;
      case NodeKind::kCall: {
        nlohmann::json attrs = nlohmann::json::object();
        nlohmann::json symbolic = nlohmann::json::array();  // attributes recomputed per call
        const auto specs = op_info(node.op).attrs;
        for (std::size_t i = 0; i < node.attrs.size() && i < specs.size(); ++i) {
          attrs[specs[i].name] = attr_json(node.attrs[i]);
          if (!node.attrs[i].syms.empty()) symbolic.push_back(specs[i].name);
        }
        entry = {{"kind", "call"},
                 {"op", std::string(op_name(node.op))},
                 {"attrs", attrs},
                 {"symbolic_attrs", symbolic}};
        break;
      }
      case NodeKind::kOpaqueCall:
        entry = {{"kind", "opaque"}};
        break;
    }
    nlohmann::json inputs = nlohmann::json::array();
    for (ValueId input : node.inputs) inputs.push_back(input.index);
    entry["inputs"] = inputs;
    entry["outputs"] = outputs;
    nodes.push_back(std::move(entry));
  }
  nlohmann::json inputs = nlohmann::json::array(), outputs = nlohmann::json::array();
  for (ValueId input : graph.inputs()) inputs.push_back(input.index);
  for (ValueId output : graph.outputs()) outputs.push_back(output.index);
  // Text that is not UTF-8 (a source name from a host's bytes) is replaced, not an error.
  return nlohmann::json{{"version", 1},
                        {"values", values},
                        {"nodes", nodes},
                        {"inputs", inputs},
                        {"outputs", outputs}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace gyro::api
