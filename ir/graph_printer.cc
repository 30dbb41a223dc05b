// Graph dumps: value naming, the fx-style code printer and the Graphviz dot writer.
#include "ir/graph_printer.h"

#include <cctype>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "ir/python_repr.h"

namespace gyro {

namespace {

std::string_view dtype_short_name(DType dtype) {
  switch (dtype) {
    case DType::Bool:
      return "b8";
    case DType::Int64:
      return "i64";
    case DType::Float32:
      return "f32";
    case DType::Float64:
      return "f64";
  }
  GYRO_UNREACHABLE("bad DType");
}

// A Python identifier made from a source: other characters become '_', runs of '_' collapse,
// and no '_' is left at the ends ("self.layers[0].weight" -> "self_layers_0_weight").
std::string identifier_from(std::string_view source) {
  std::string name;
  for (char c : source) {
    const bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (word)
      name += c;
    else if (!name.empty() && name.back() != '_')
      name += '_';
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  if (name.empty()) return "input";
  if (std::isdigit(static_cast<unsigned char>(name[0]))) name.insert(0, "_");
  return name;
}

// Hands out unique names: `base`, then base_1, base_2, ... Each base resumes at the suffix after
// its last one (every lower suffix is taken for good), so naming n adds is linear, not
// quadratic: the vectorized backend names the values of every graph it compiles.
class Namer {
 public:
  Namer() { used_.insert("gyro"); }  // the module the code refers to
  std::string take(const std::string& base) {
    int& next = next_suffix_[base];
    std::string name = next == 0 ? base : fmt::format("{}_{}", base, next);
    while (used_.count(name)) name = fmt::format("{}_{}", base, ++next);
    ++next;
    used_.insert(name);
    return name;
  }

 private:
  std::set<std::string> used_;
  std::unordered_map<std::string, int> next_suffix_;
};

std::string element_repr(const Tensor& t, int64_t offset) {
  return visit_dtype(t.dtype(), [&](auto tag) -> std::string {
    using T = decltype(tag);
    const T value = t.data<T>()[offset];
    if constexpr (std::is_same_v<T, bool>)
      return value ? "True" : "False";
    else if constexpr (std::is_integral_v<T>)
      return fmt::format("{}", value);
    else
      return python_float_repr(static_cast<double>(value));
  });
}

// Nested Python list of a tensor's elements ("[[1.0, 2.0], [3.0, 4.0]]"; a 0-d tensor is "2.0").
std::string nested_repr(const Tensor& t) {
  std::vector<std::string> elements;
  for_each_offset(t.sizes(), t.strides(),
                  [&](int64_t offset) { elements.push_back(element_repr(t, offset)); });
  std::size_t next = 0;
  auto emit = [&](auto&& self, int dim) -> std::string {
    if (dim == t.dim()) return elements[next++];
    std::string text = "[";
    for (int64_t i = 0; i < t.size(dim); ++i) text += (i ? ", " : "") + self(self, dim + 1);
    return text + "]";
  };
  return emit(emit, 0);
}

std::string attr_repr(const Attr& attr, const SymContext* context) {
  switch (attr.kind) {
    case AttrKind::kFloat:
      return python_float_repr(attr.f);
    case AttrKind::kDType:
      return fmt::format("gyro.{}", dtype_name(attr.dtype));
    case AttrKind::kString:
      return python_string_repr(attr.text);
    case AttrKind::kNone:
    case AttrKind::kInt:
    case AttrKind::kBool:
    case AttrKind::kInts:
      return attr.to_string(context);  // symbolic elements as expressions
  }
  GYRO_UNREACHABLE("bad AttrKind");
}

struct Names {
  std::vector<std::string> values;
  std::vector<std::string> nodes;  // a multi-output call's own name; else its value's name
};

bool is_inline_literal(const Node& node) {
  return node.kind == NodeKind::kConstant && node.constant->is_wrapped_number();
}

constexpr int64_t kMaxPrintedConstant = 16;

// A node printed as one line for the call and a getitem line per output.
bool has_getitems(const Node& node) {
  return (node.kind == NodeKind::kCall && op_info(node.op).has(kMultiOutput)) ||
         (node.kind == NodeKind::kOpaqueCall && node.num_outputs > 1);
}

Names make_names(const Graph& graph) {
  Names names;
  names.values.resize(graph.num_values());
  names.nodes.resize(graph.nodes().size());
  Namer namer;
  for (std::size_t i = 0; i < graph.nodes().size(); ++i) {
    const Node& node = graph.node(static_cast<int32_t>(i));
    switch (node.kind) {
      case NodeKind::kPlaceholder:
        names.nodes[i] = namer.take(identifier_from(node.source));
        break;
      case NodeKind::kConstant:
        names.nodes[i] =
            is_inline_literal(node) ? element_repr(node.constant, 0) : namer.take("const");
        break;
      case NodeKind::kCall:
        names.nodes[i] = namer.take(std::string(op_name(node.op)));
        break;
      case NodeKind::kOpaqueCall:
        names.nodes[i] = namer.take(identifier_from(node.opaque->name()));
        break;
    }
    if (has_getitems(node)) {
      for (int k = 0; k < node.num_outputs; ++k)
        names.values[node.output(k).index] = namer.take("getitem");
    } else {
      names.values[node.first_output.index] = names.nodes[i];
    }
  }
  return names;
}

// "gyro.sum(add, dim=[1])": the call's right-hand side; an opaque call is its function's
// name without the module ("scale_rows(x, 2.0)").
std::string call_expression(const Graph& graph, const Node& node, const Names& names) {
  std::vector<std::string> args;
  for (ValueId v : node.inputs) args.push_back(names.values[v.index]);
  if (node.kind == NodeKind::kOpaqueCall)
    return fmt::format("{}({})", node.opaque->name(), node.opaque->format_arguments(args));
  const auto& specs = op_info(node.op).attrs;
  for (std::size_t k = 0; k < specs.size(); ++k) {
    if (specs[k].has_default && identical(specs[k].default_value, node.attrs[k])) continue;
    args.push_back(fmt::format("{}={}", specs[k].name, attr_repr(node.attrs[k], graph.sym_context())));
  }
  return fmt::format("gyro.{}({})", op_name(node.op), fmt::join(args, ", "));
}

std::string constant_expression(const Node& node, const std::string& name) {
  if (node.constant->numel() <= kMaxPrintedConstant)
    return fmt::format("gyro.tensor({})", nested_repr(node.constant));
  return fmt::format("self.{}", name);
}

std::string dot_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string meta_to_string(const TensorMeta& meta) {
  return fmt::format("{}[{}]", dtype_short_name(meta.dtype), fmt::join(meta.sizes, ", "));
}

namespace {

// A value's meta, with its symbolic sizes as expressions (`f32[s0, 3]`).
std::string meta_text(const Graph& graph, ValueId value) {
  std::string_view symbolic = graph.symbolic_sizes_text(value);
  if (symbolic.empty()) return meta_to_string(graph.meta(value));
  return fmt::format("{}[{}]", dtype_short_name(graph.meta(value).dtype), symbolic);
}

}  // namespace

std::vector<std::string> value_names(const Graph& graph) {
  return make_names(graph).values;
}

std::string print_graph(const Graph& graph, std::string_view name) {
  const Names names = make_names(graph);
  std::vector<std::string> params;
  for (ValueId v : graph.inputs())
    params.push_back(
        fmt::format("{}: \"{}\"", names.values[v.index], meta_text(graph, v)));
  std::string out = fmt::format("def {}({}):\n", name, fmt::join(params, ", "));
  for (std::size_t i = 0; i < graph.nodes().size(); ++i) {
    const Node& node = graph.node(static_cast<int32_t>(i));
    const std::string& node_name = names.nodes[i];
    switch (node.kind) {
      case NodeKind::kPlaceholder:
        break;
      case NodeKind::kConstant:
        if (!is_inline_literal(node))
          out += fmt::format("    {}: \"{}\" = {}\n", node_name,
                             meta_text(graph, node.first_output),
                             constant_expression(node, node_name));
        break;
      case NodeKind::kCall:
      case NodeKind::kOpaqueCall:
        if (has_getitems(node)) {
          out += fmt::format("    {} = {}\n", node_name, call_expression(graph, node, names));
          for (int k = 0; k < node.num_outputs; ++k)
            out += fmt::format("    {}: \"{}\" = {}[{}]\n", names.values[node.output(k).index],
                               meta_text(graph, node.output(k)), node_name, k);
        } else {
          out += fmt::format("    {}: \"{}\" = {}\n", node_name,
                             meta_text(graph, node.first_output),
                             call_expression(graph, node, names));
        }
        break;
    }
  }
  std::vector<std::string> results;
  for (ValueId v : graph.outputs()) results.push_back(names.values[v.index]);
  out +=
      fmt::format("    return ({}{})\n", fmt::join(results, ", "), results.size() == 1 ? "," : "");
  return out;
}

std::string graph_to_dot(const Graph& graph, std::string_view name) {
  const Names names = make_names(graph);
  std::string out = fmt::format("digraph {} {{\n", name);
  out += "  node [shape=box, fontname=\"monospace\"];\n";
  for (std::size_t i = 0; i < graph.nodes().size(); ++i) {
    const Node& node = graph.node(static_cast<int32_t>(i));
    std::vector<std::string> metas;
    for (int k = 0; k < node.num_outputs; ++k)
      metas.push_back(meta_text(graph, node.output(k)));
    std::vector<std::string> lines;  // label lines, joined by dot's \n escape
    std::string shape;
    switch (node.kind) {
      case NodeKind::kPlaceholder:
        lines = {names.nodes[i], metas[0]};
        shape = ", shape=ellipse";
        break;
      case NodeKind::kConstant:
        lines = {names.nodes[i]};
        if (!is_inline_literal(node)) lines.push_back(metas[0]);
        shape = ", shape=note";
        break;
      case NodeKind::kCall:
      case NodeKind::kOpaqueCall:
        lines = {fmt::format("{} = {}", names.nodes[i], call_expression(graph, node, names)),
                 fmt::format("{}", fmt::join(metas, ", "))};
        break;
    }
    for (std::string& line : lines) line = dot_escape(line);
    out += fmt::format("  n{} [label=\"{}\"{}];\n", i, fmt::join(lines, "\\n"), shape);
  }
  auto edge = [&](ValueId v, const std::string& target) {
    const Node& from = graph.producer(v);
    const bool multi = has_getitems(from);
    std::string attrs = multi ? fmt::format(" [label=\"[{}]\"]", graph.output_index(v)) : "";
    out += fmt::format("  n{} -> {}{};\n", graph.producer_index(v), target, attrs);
  };
  for (std::size_t i = 0; i < graph.nodes().size(); ++i)
    for (ValueId v : graph.node(static_cast<int32_t>(i)).inputs) edge(v, fmt::format("n{}", i));
  out += "  output [label=\"return\", shape=ellipse];\n";
  for (ValueId v : graph.outputs()) edge(v, "output");
  out += "}\n";
  return out;
}

}  // namespace gyro
