// GraphBuilder: meta inference, CSE and constant folding as nodes are added.
#include "ir/graph_builder.h"

#include <cstring>
#include <utility>

namespace gyro {

namespace {

uint64_t mix(uint64_t hash, uint64_t value) {
  // splitmix64's finalizer over the running hash: cheap and well spread.
  hash ^= value + 0x9e3779b97f4a7c15ull + (hash << 6) + (hash >> 2);
  hash ^= hash >> 30;
  hash *= 0xbf58476d1ce4e5b9ull;
  hash ^= hash >> 27;
  return hash;
}

uint64_t hash_attr(uint64_t hash, const Attr& attr) {
  hash = mix(hash, static_cast<uint64_t>(attr.kind));
  hash = mix(hash, static_cast<uint64_t>(attr.i));
  uint64_t bits;
  std::memcpy(&bits, &attr.f, sizeof bits);
  hash = mix(hash, bits);
  for (int64_t v : attr.ints) hash = mix(hash, static_cast<uint64_t>(v));
  hash = mix(hash, static_cast<uint64_t>(attr.dtype));
  for (char c : attr.text) hash = mix(hash, static_cast<unsigned char>(c));
  for (SymId id : attr.syms) hash = mix(hash, static_cast<uint64_t>(id.index) + 1);
  return hash;
}

uint64_t hash_call(OpKind op, std::span<const ValueId> inputs, const Attrs& attrs) {
  uint64_t hash = mix(0, static_cast<uint64_t>(op));
  for (ValueId v : inputs) hash = mix(hash, static_cast<uint64_t>(v.index));
  for (const Attr& attr : attrs) hash = hash_attr(hash, attr);
  return hash;
}

// Calls fn(bits) with each element's bytes as an integer, in row-major order.
template <typename Fn>
void for_each_element_bits(const Tensor& t, Fn&& fn) {
  visit_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* base = t.data<T>();
    for_each_offset(t.sizes(), t.strides(), [&](int64_t offset) {
      uint64_t bits = 0;
      std::memcpy(&bits, base + offset, sizeof(T));
      fn(bits);
    });
  });
}

uint64_t hash_tensor(const Tensor& t) {
  uint64_t hash = mix(static_cast<uint64_t>(t.dtype()), t.is_wrapped_number());
  for (int64_t size : t.sizes()) hash = mix(hash, static_cast<uint64_t>(size));
  for_each_element_bits(t, [&](uint64_t bits) { hash = mix(hash, bits); });
  return hash;
}

bool same_tensor(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.sizes() != b.sizes() ||
      a.is_wrapped_number() != b.is_wrapped_number())
    return false;
  std::vector<uint64_t> bits;
  bits.reserve(a.numel());
  for_each_element_bits(a, [&](uint64_t v) { bits.push_back(v); });
  std::size_t i = 0;
  bool same = true;
  for_each_element_bits(b, [&](uint64_t v) { same = same && bits[i++] == v; });
  return same;
}

bool same_call(const Node& node, OpKind op, std::span<const ValueId> inputs, const Attrs& attrs) {
  if (node.kind != NodeKind::kCall || node.op != op || node.inputs.size() != inputs.size() ||
      node.attrs.size() != attrs.size())
    return false;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (node.inputs[i] != inputs[i]) return false;
  for (std::size_t i = 0; i < attrs.size(); ++i)
    if (!identical(node.attrs[i], attrs[i])) return false;
  return true;
}

// Calls fn(symbol index) for each symbol `id` mentions (repeats possible).
template <typename Fn>
void for_each_symbol(const SymContext& context, SymId id, Fn&& fn) {
  const SymNode& node = context.node(id);
  if (node.kind == SymKind::kSymbol) fn(static_cast<int>(node.value));
  for (const auto& term : node.terms) for_each_symbol(context, term.first, fn);
  for (SymId operand : node.operands) for_each_symbol(context, operand, fn);
}

// Ops whose shape rule reads some attribute as sizes (attr_may_be_symbolic).
bool takes_symbolic_attrs(OpKind op) {
  switch (op_info(op).shape_rule) {
    case ShapeRule::kReshape:
    case ShapeRule::kExpand:
    case ShapeRule::kSizeAttr:
    case ShapeRule::kSlice:
    case ShapeRule::kArange:
      return true;
    default:
      return false;
  }
}

}  // namespace

GraphBuilder::GraphBuilder(GraphBuilderOptions options) : options_(std::move(options)) {}

ValueId GraphBuilder::add_node(Node node, std::span<const TensorMeta> metas,
                               std::span<const SymDims> sym_sizes) {
  const auto node_index = static_cast<int32_t>(graph_.nodes_.size());
  node.first_output = ValueId{graph_.num_values()};
  node.num_outputs = static_cast<int>(metas.size());
  for (std::size_t i = 0; i < metas.size(); ++i) {
    TensorMeta meta = metas[i];
    if (i < sym_sizes.size() && any_symbolic(sym_sizes[i])) {
      // The sizes' expressions, kept for the rest of the trace and printed in dumps.
      const SymDims& sizes = sym_sizes[i];
      const auto value = static_cast<std::size_t>(graph_.num_values());
      sym_sizes_.resize(value + 1);
      sym_sizes_[value] = sizes;
      graph_.symbolic_sizes_text_.resize(value + 1);
      std::string text;
      for (int d = 0; d < sizes.size(); ++d) {
        if (d) text += ", ";
        if (sizes[d].is_symbolic()) {
          meta.symbolic |= static_cast<uint8_t>(1u << d);
          text += sizes[d].decider->context().print(sizes[d].expr);
        } else {
          text += std::to_string(sizes[d].hint);
        }
      }
      graph_.symbolic_sizes_text_[value] = std::move(text);
    }
    graph_.values_.push_back({meta, node_index, static_cast<int>(i)});
  }
  if (node.kind == NodeKind::kCall || node.kind == NodeKind::kOpaqueCall) ++graph_.num_calls_;
  graph_.nodes_.push_back(std::move(node));
  return graph_.nodes_.back().first_output;
}

SymDims GraphBuilder::sym_sizes(ValueId value) const {
  if (static_cast<std::size_t>(value.index) < sym_sizes_.size() &&
      !sym_sizes_[value.index].empty())
    return sym_sizes_[value.index];
  return plain_dims(meta(value).sizes);
}

std::vector<ValueId> GraphBuilder::outputs_of(const Node& node) const {
  std::vector<ValueId> outputs;
  for (int i = 0; i < node.num_outputs; ++i) outputs.push_back(node.output(i));
  return outputs;
}

ValueId GraphBuilder::placeholder(std::string source, const TensorMeta& meta) {
  return add_placeholder(std::move(source), meta, {});
}

ValueId GraphBuilder::add_placeholder(std::string source, const TensorMeta& meta,
                                      std::span<const SymDims> sizes) {
  for (ValueId input : graph_.inputs_)
    GYRO_ASSERT(graph_.producer(input).source != source, "placeholder '{}' added twice", source);
  Node node;
  node.kind = NodeKind::kPlaceholder;
  node.input_index = static_cast<int>(graph_.inputs_.size());
  node.source = std::move(source);
  ValueId value = add_node(std::move(node), std::span<const TensorMeta>(&meta, 1), sizes);
  graph_.inputs_.push_back(value);
  return value;
}

ValueId GraphBuilder::placeholder(std::string source, const TensorMeta& meta,
                                  const SymDims& sizes) {
  GYRO_ASSERT(options_.shapes != nullptr, "a symbolic placeholder without a shape decider");
  GYRO_ASSERT(hints(sizes) == meta.sizes, "placeholder '{}': sizes and hints differ", source);
  const int input_index = static_cast<int>(graph_.inputs_.size());
  ValueId value = add_placeholder(std::move(source), meta, std::span<const SymDims>(&sizes, 1));
  // The dims a symbolic attribute's symbols can be read from at run time (the first wins).
  const SymContext& context = options_.shapes->context();
  for (int d = 0; d < sizes.size(); ++d) {
    if (!sizes[d].is_symbolic() || context.node(sizes[d].expr).kind != SymKind::kSymbol) continue;
    const auto symbol = static_cast<std::size_t>(context.node(sizes[d].expr).value);
    if (graph_.symbol_sources_.size() <= symbol) graph_.symbol_sources_.resize(symbol + 1);
    if (graph_.symbol_sources_[symbol].input < 0)
      graph_.symbol_sources_[symbol] = SymbolSource{input_index, d};
  }
  return value;
}

ValueId GraphBuilder::constant(Tensor value) {
  GYRO_ASSERT(value.defined(), "an undefined tensor as a graph constant");
  const bool shared = value.numel() <= options_.fold_max_numel;
  uint64_t hash = 0;
  if (shared) {
    hash = hash_tensor(value);
    auto [first, last] = constants_.equal_range(hash);
    for (auto it = first; it != last; ++it) {
      const Node& node = graph_.nodes_[it->second];
      if (same_tensor(node.constant, value)) return node.first_output;
    }
  }
  const TensorMeta meta = TensorMeta::of(value);
  Node node;
  node.kind = NodeKind::kConstant;
  node.constant = std::move(value);
  ValueId result = add_node(std::move(node), std::span<const TensorMeta>(&meta, 1));
  if (shared) constants_.emplace(hash, graph_.producer_index(result));
  return result;
}

bool GraphBuilder::is_constant(ValueId value) const {
  return graph_.producer(value).kind == NodeKind::kConstant;
}

const Tensor& GraphBuilder::constant_value(ValueId value) const {
  GYRO_ASSERT(is_constant(value), "value %{} is not a constant", value.index);
  return graph_.producer(value).constant;
}

void GraphBuilder::specialize(Attr& attr) {
  if (!attr.is_symbolic()) return;
  GYRO_ASSERT(options_.shapes != nullptr, "a symbolic attribute without a shape decider");
  SymContext& context = options_.shapes->context();
  for (std::size_t k = 0; k < attr.syms.size(); ++k) {
    if (attr.syms[k].index < 0) continue;
    const int64_t hint = attr.kind == AttrKind::kInts ? attr.ints[k] : attr.i;
    const bool equal = options_.shapes->decide(context.eq(attr.syms[k], context.constant(hint)));
    GYRO_ASSERT(equal, "a symbolic attribute differs from its own hint");
  }
  attr.syms.clear();
}

bool GraphBuilder::readable_at_run_time(const Attr& attr) const {
  const SymContext* context =
      options_.shapes ? &options_.shapes->context() : graph_.sym_context_.get();
  if (context == nullptr) return false;
  bool readable = true;
  for (SymId id : attr.syms) {
    if (id.index < 0) continue;
    for_each_symbol(*context, id, [&](int symbol) {
      readable = readable && static_cast<std::size_t>(symbol) < graph_.symbol_sources_.size() &&
                 graph_.symbol_sources_[symbol].input >= 0;
    });
  }
  return readable;
}

Expected<std::vector<ValueId>> GraphBuilder::call(OpKind op, std::span<const ValueId> inputs,
                                                  std::span<const Attr> attrs,
                                                  std::span<const NamedAttr> named) {
  // Symbolic attributes: an op whose shape rule reads none as sizes sees their hints (a guard
  // each), before binding converts them (an int where a float goes).
  bool any_symbolic = false;
  for (const Attr& attr : attrs) any_symbolic = any_symbolic || attr.is_symbolic();
  for (const NamedAttr& attr : named) any_symbolic = any_symbolic || attr.value.is_symbolic();
  std::vector<Attr> plain_attrs;
  std::vector<NamedAttr> plain_named;
  if (any_symbolic && !takes_symbolic_attrs(op)) {
    plain_attrs.assign(attrs.begin(), attrs.end());
    plain_named.assign(named.begin(), named.end());
    for (Attr& attr : plain_attrs) specialize(attr);
    for (NamedAttr& attr : plain_named) specialize(attr.value);
    attrs = plain_attrs;
    named = plain_named;
  }
  GYRO_ASSIGN_OR_RETURN(Attrs bound, bind_attrs(op, static_cast<int>(inputs.size()), attrs, named));
  // The rest keep their symbols where the shape rule reads them and a run can compute them
  // from the inputs' sizes (an int argument's symbol has no input dim: specialized).
  bool symbolic_attrs = false;
  for (std::size_t k = 0; any_symbolic && k < bound.size(); ++k) {
    if (!bound[k].is_symbolic()) continue;
    if (attr_may_be_symbolic(op, bound, k) && readable_at_run_time(bound[k]))
      symbolic_attrs = true;
    else
      specialize(bound[k]);
  }
  std::vector<TensorMeta> metas;
  metas.reserve(inputs.size());
  for (ValueId v : inputs) metas.push_back(graph_.meta(v));
  GYRO_ASSIGN_OR_RETURN(OutputMeta meta, infer_meta(op, metas, bound));

  const OpInfo& info = op_info(op);
  const bool random = info.fusion == FusionClass::kRandom;
  if (!random && !symbolic_attrs && options_.fold) {
    bool foldable = true;
    for (ValueId v : inputs)
      foldable =
          foldable && is_constant(v) && product(graph_.meta(v).sizes) <= options_.fold_max_numel;
    for (const Dims& sizes : meta.sizes)
      foldable = foldable && product(sizes) <= options_.fold_max_numel;
    if (foldable) return fold(op, inputs, bound, meta);
  }
  uint64_t hash = 0;
  if (!random && options_.cse) {
    hash = hash_call(op, inputs, bound);
    auto [first, last] = calls_.equal_range(hash);
    for (auto it = first; it != last; ++it) {
      const Node& node = graph_.nodes_[it->second];
      if (same_call(node, op, inputs, bound)) return outputs_of(node);
    }
  }
  std::vector<TensorMeta> output_metas;
  for (const Dims& sizes : meta.sizes) output_metas.push_back({meta.dtype, sizes, false});
  // Symbolic sizes in: the shape rule runs again over them (after the concrete run, so its
  // errors are the eager ones), deciding what it tests through the decider.
  std::vector<SymDims> output_sym_sizes;
  bool symbolic_input = false;
  for (ValueId v : inputs) symbolic_input = symbolic_input || graph_.meta(v).has_symbolic_sizes();
  if ((symbolic_input || symbolic_attrs) && options_.shapes) {
    std::vector<SymDims> input_sizes;
    for (ValueId v : inputs) input_sizes.push_back(sym_sizes(v));
    auto inferred = infer_sym_sizes(op, input_sizes, bound, options_.shapes);
    GYRO_ASSERT(inferred.ok(), "{}: the symbolic shape rule fails where the concrete one passed: {}",
                op_name(op), inferred.error().to_string());
    output_sym_sizes = std::move(inferred).value();
  } else if (symbolic_input || symbolic_attrs) {
    for (TensorMeta& out : output_metas)
      out.symbolic = static_cast<uint8_t>((1u << out.sizes.size()) - 1);
  }
  Node node;
  node.kind = NodeKind::kCall;
  node.op = op;
  node.inputs.assign(inputs.begin(), inputs.end());
  node.attrs = std::move(bound);
  ValueId first = add_node(std::move(node), output_metas, output_sym_sizes);
  symbolic_attrs_ = symbolic_attrs_ || symbolic_attrs;
  if (!random && options_.cse) calls_.emplace(hash, graph_.producer_index(first));
  return outputs_of(graph_.nodes_.back());
}

std::vector<ValueId> GraphBuilder::opaque_call(std::shared_ptr<const OpaqueFunction> function,
                                               std::span<const ValueId> inputs,
                                               std::span<const TensorMeta> output_metas) {
  GYRO_ASSERT(function != nullptr, "an opaque call without a function");
  GYRO_ASSERT(!output_metas.empty(), "an opaque call of {} without outputs", function->name());
  for (ValueId v : inputs)
    GYRO_ASSERT(v.index >= 0 && v.index < graph_.num_values(), "input %{} is not in the graph",
                v.index);
  Node node;
  node.kind = NodeKind::kOpaqueCall;
  node.opaque = std::move(function);
  node.inputs.assign(inputs.begin(), inputs.end());
  add_node(std::move(node), output_metas);
  return outputs_of(graph_.nodes_.back());
}

Expected<ValueId> GraphBuilder::copy(ValueId value) {
  const bool cse = std::exchange(options_.cse, false);
  auto copied = call1(OpKind::clone, {value});
  options_.cse = cse;
  return copied;
}

Expected<ValueId> GraphBuilder::call1(OpKind op, std::span<const ValueId> inputs,
                                      std::span<const Attr> attrs,
                                      std::span<const NamedAttr> named) {
  GYRO_CHECK_ARG(!op_info(op).has(kMultiOutput), TypeError,
                 "{}() returns several tensors; call call()", op_name(op));
  GYRO_ASSIGN_OR_RETURN(std::vector<ValueId> outputs, call(op, inputs, attrs, named));
  return outputs[0];
}

Expected<std::vector<ValueId>> GraphBuilder::fold(OpKind op, std::span<const ValueId> inputs,
                                                  const Attrs& attrs, const OutputMeta& meta) {
  std::vector<Tensor> tensors;
  for (ValueId v : inputs) tensors.push_back(constant_value(v));
  // An error here (integer division by zero, ...) is the one eager would raise at run time.
  GYRO_ASSIGN_OR_RETURN(std::vector<Tensor> results, options_.fold(op, tensors, attrs));
  GYRO_ASSERT(results.size() == meta.sizes.size(), "folding {} gave {} results, expected {}",
              op_name(op), results.size(), meta.sizes.size());
  std::vector<ValueId> outputs;
  for (std::size_t i = 0; i < results.size(); ++i) {
    Tensor& result = results[i];
    GYRO_ASSERT(result.dtype() == meta.dtype && result.sizes() == meta.sizes[i],
                "folding {} gave {} {}, inference said {} {}", op_name(op), result.dtype(),
                to_string(result.sizes()), meta.dtype, to_string(meta.sizes[i]));
    // An op may return its input (contiguous, to); a call's output is never a wrapped number.
    if (result.is_wrapped_number())
      result = result.as_strided(result.sizes(), result.strides(), result.offset());
    outputs.push_back(constant(std::move(result)));
  }
  return outputs;
}

std::vector<ValueId> GraphBuilder::copy(const Graph& from, const Node& node,
                                        std::span<const ValueId> inputs) {
  if (from.sym_context_ && !graph_.sym_context_ && !options_.shapes) {
    // Symbolic attributes stay symbolic: the copy shares their context and symbol sources.
    graph_.sym_context_ = from.sym_context_;
    graph_.symbol_sources_ = from.symbol_sources_;
  }
  std::vector<ValueId> outputs = copy_node(from, node, inputs);
  // The copy's sizes are the original's, symbolic ones included (a builder without the trace's
  // decider cannot work out which they are).
  for (int k = 0; k < node.num_outputs && k < static_cast<int>(outputs.size()); ++k) {
    const ValueId original = node.output(k);
    const std::size_t copied = static_cast<std::size_t>(outputs[k].index);
    graph_.values_[copied].meta.symbolic = from.meta(original).symbolic;
    std::string_view text = from.symbolic_sizes_text(original);
    if (text.empty()) continue;
    if (graph_.symbolic_sizes_text_.size() <= copied) graph_.symbolic_sizes_text_.resize(copied + 1);
    graph_.symbolic_sizes_text_[copied] = std::string(text);
  }
  return outputs;
}

std::vector<ValueId> GraphBuilder::copy_node(const Graph& from, const Node& node,
                                             std::span<const ValueId> inputs) {
  switch (node.kind) {
    case NodeKind::kPlaceholder:
      return {placeholder(node.source, from.meta(node.first_output))};
    case NodeKind::kConstant:
      return {constant(node.constant)};
    case NodeKind::kCall: {
      auto outputs = call(node.op, inputs, node.attrs);
      GYRO_ASSERT(outputs.ok(), "copying a valid {} call failed: {}", op_name(node.op),
                  outputs.error().to_string());
      return std::move(outputs).value();
    }
    case NodeKind::kOpaqueCall: {
      std::vector<TensorMeta> metas;
      for (int k = 0; k < node.num_outputs; ++k) metas.push_back(from.meta(node.output(k)));
      return opaque_call(node.opaque, inputs, metas);
    }
  }
  GYRO_UNREACHABLE("bad NodeKind");
}

void GraphBuilder::set_outputs(std::vector<ValueId> outputs) {
  for (ValueId v : outputs)
    GYRO_ASSERT(v.index >= 0 && v.index < graph_.num_values(), "output %{} is not in the graph",
                v.index);
  graph_.outputs_ = std::move(outputs);
}

Graph GraphBuilder::finish() {
  calls_.clear();
  constants_.clear();
  if (symbolic_attrs_ && options_.shapes)
    graph_.sym_context_ = std::make_shared<const SymContext>(options_.shapes->context());
  symbolic_attrs_ = false;
  return std::exchange(graph_, Graph());
}

}  // namespace gyro
