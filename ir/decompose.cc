// The decomposition pass: composite ops rewritten into primitive ops of the table, one rule each.
#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

#include "ir/graph_builder.h"
#include "ir/passes.h"

namespace gyro {

namespace {

// Emits primitive calls for one rewrite. The first failing call (a combination the rule did
// not foresee) makes every later value invalid, and the rule's result is discarded.
class Emitter {
 public:
  explicit Emitter(GraphBuilder& builder) : builder_(builder) {}

  ValueId op(OpKind kind, std::initializer_list<ValueId> inputs,
             std::initializer_list<NamedAttr> named = {}) {
    for (ValueId v : inputs) ok_ = ok_ && v.valid();
    if (!ok_) return {};
    auto result = builder_.call1(kind, inputs, {}, named);
    if (!result.ok()) {
      ok_ = false;
      return {};
    }
    return *result;
  }
  // A Python float as the script would pass it: a wrapped float64 number, so it takes the
  // other operand's dtype.
  ValueId number(double value) {
    return builder_.constant(Tensor::scalar(value, DType::Float64, /*wrapped=*/true));
  }
  const TensorMeta& meta(ValueId v) const { return builder_.meta(v); }
  std::optional<std::vector<ValueId>> result(ValueId v) const {
    if (!ok_ || !v.valid()) return std::nullopt;
    return std::vector<ValueId>{v};
  }

 private:
  GraphBuilder& builder_;
  bool ok_ = true;
};

struct Call {
  OpKind op;
  std::span<const ValueId> inputs;
  const Attrs& attrs;
  std::span<const TensorMeta> outputs;  // the composite's own output metas

  const Attr& attr(std::string_view name) const {
    const auto& specs = op_info(op).attrs;
    for (std::size_t i = 0; i < specs.size(); ++i)
      if (specs[i].name == name) return attrs[i];
    GYRO_UNREACHABLE("op {} has no attribute {}", op_name(op), name);
  }
};

using Rule = std::optional<std::vector<ValueId>> (*)(Emitter& e, const Call& c);

Attr keep() {
  return Attr::boolean(true);
}

// Whether max over dim `dim` of `meta` has a value: the dim exists and is non-empty (a
// symbolic one may be empty on a later call, where max raises and softmax does not).
bool reduces_a_nonempty_dim(const TensorMeta& meta, int64_t dim) {
  const int rank = meta.sizes.size();
  if (rank == 0 || dim < -rank || dim >= rank) return false;
  const int d = static_cast<int>(dim < 0 ? dim + rank : dim);
  return meta.sizes[d] != 0 && !(meta.symbolic >> d & 1u);
}

// softmax(x, d) = exp(x - max) * (1 / sum(exp(x - max))), as the eager kernel computes it.
std::optional<std::vector<ValueId>> softmax(Emitter& e, const Call& c) {
  const ValueId x = c.inputs[0];
  if (!reduces_a_nonempty_dim(e.meta(x), c.attr("dim").i)) return std::nullopt;
  const Attr dim = Attr::list({c.attr("dim").i});
  ValueId max = e.op(OpKind::max, {x}, {{"dim", dim}, {"keepdim", keep()}});
  ValueId exp = e.op(OpKind::exp, {e.op(OpKind::sub, {x, max})});
  ValueId sum = e.op(OpKind::sum, {exp}, {{"dim", dim}, {"keepdim", keep()}});
  return e.result(e.op(OpKind::mul, {exp, e.op(OpKind::reciprocal, {sum})}));
}

// log_softmax(x, d) = (x - max) - log(sum(exp(x - max))).
std::optional<std::vector<ValueId>> log_softmax(Emitter& e, const Call& c) {
  const ValueId x = c.inputs[0];
  if (!reduces_a_nonempty_dim(e.meta(x), c.attr("dim").i)) return std::nullopt;
  const Attr dim = Attr::list({c.attr("dim").i});
  ValueId max = e.op(OpKind::max, {x}, {{"dim", dim}, {"keepdim", keep()}});
  ValueId shifted = e.op(OpKind::sub, {x, max});
  ValueId sum =
      e.op(OpKind::sum, {e.op(OpKind::exp, {shifted})}, {{"dim", dim}, {"keepdim", keep()}});
  return e.result(e.op(OpKind::sub, {shifted, e.op(OpKind::log, {sum})}));
}

// layer_norm = (x - mean) * rsqrt(var + eps) [* weight] [+ bias] over the trailing dims.
std::optional<std::vector<ValueId>> layer_norm(Emitter& e, const Call& c) {
  const ValueId x = c.inputs[0];
  const auto count = static_cast<int64_t>(c.attr("normalized_shape").ints.size());
  if (count == 0) return std::nullopt;
  // The eager kernel rejects a weight or bias of another dtype; keep the op so it still does.
  for (std::size_t k = 1; k < c.inputs.size(); ++k)
    if (e.meta(c.inputs[k]).dtype != e.meta(x).dtype) return std::nullopt;
  std::vector<int64_t> trailing;
  for (int64_t d = -count; d < 0; ++d) trailing.push_back(d);
  const Attr dims = Attr::list(trailing);
  ValueId mean = e.op(OpKind::mean, {x}, {{"dim", dims}, {"keepdim", keep()}});
  ValueId centered = e.op(OpKind::sub, {x, mean});
  ValueId var = e.op(OpKind::mean, {e.op(OpKind::mul, {centered, centered})},
                     {{"dim", dims}, {"keepdim", keep()}});
  ValueId rstd = e.op(OpKind::rsqrt, {e.op(OpKind::add, {var, e.number(c.attr("eps").f)})});
  ValueId y = e.op(OpKind::mul, {centered, rstd});
  if (c.inputs.size() > 1) y = e.op(OpKind::mul, {y, c.inputs[1]});
  if (c.inputs.size() > 2) y = e.op(OpKind::add, {y, c.inputs[2]});
  return e.result(y);
}

// gelu(x, approximate='tanh') = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). The exact
// form needs erf, which the op table does not have, so approximate='none' stays.
std::optional<std::vector<ValueId>> gelu(Emitter& e, const Call& c) {
  if (c.attr("approximate").text != "tanh") return std::nullopt;
  const ValueId x = c.inputs[0];
  ValueId cube = e.op(OpKind::mul, {e.op(OpKind::mul, {x, x}), x});
  ValueId inner = e.op(OpKind::add, {x, e.op(OpKind::mul, {cube, e.number(0.044715)})});
  ValueId tanh = e.op(OpKind::tanh, {e.op(OpKind::mul, {inner, e.number(0.7978845608028654)})});
  ValueId half_x = e.op(OpKind::mul, {x, e.number(0.5)});
  return e.result(e.op(OpKind::mul, {half_x, e.op(OpKind::add, {tanh, e.number(1.0)})}));
}

// silu(x) = x * sigmoid(x).
std::optional<std::vector<ValueId>> silu(Emitter& e, const Call& c) {
  const ValueId x = c.inputs[0];
  return e.result(e.op(OpKind::mul, {x, e.op(OpKind::sigmoid, {x})}));
}

// linear(x, w, b) = matmul(x, w.transpose(0, 1)) + b.
std::optional<std::vector<ValueId>> linear(Emitter& e, const Call& c) {
  ValueId weight_t = e.op(OpKind::transpose, {c.inputs[1]},
                          {{"dim0", Attr::integer(0)}, {"dim1", Attr::integer(1)}});
  ValueId y = e.op(OpKind::matmul, {c.inputs[0], weight_t});
  if (c.inputs.size() > 2) y = e.op(OpKind::add, {y, c.inputs[2]});
  return e.result(y);
}

// std = sqrt(var) with the same dims, correction and keepdim.
std::optional<std::vector<ValueId>> std_dev(Emitter& e, const Call& c) {
  ValueId var = e.op(OpKind::var, {c.inputs[0]},
                     {{"dim", c.attr("dim")},
                      {"correction", c.attr("correction")},
                      {"keepdim", c.attr("keepdim")}});
  return e.result(e.op(OpKind::sqrt, {var}));
}

// flatten = reshape to the flattened sizes (static ones: a symbolic size must not be baked in).
std::optional<std::vector<ValueId>> flatten(Emitter& e, const Call& c) {
  if (c.outputs[0].has_symbolic_sizes() || e.meta(c.inputs[0]).has_symbolic_sizes())
    return std::nullopt;
  const Dims& sizes = c.outputs[0].sizes;
  const Attr shape = Attr::list(std::vector<int64_t>(sizes.begin(), sizes.end()));
  return e.result(e.op(OpKind::reshape, {c.inputs[0]}, {{"shape", shape}}));
}

struct Decomposition {
  OpKind op;
  Rule rule;
};

constexpr Decomposition kDecompositions[] = {
    {OpKind::softmax, softmax},
    {OpKind::log_softmax, log_softmax},
    {OpKind::layer_norm, layer_norm},
    {OpKind::gelu, gelu},
    {OpKind::silu, silu},
    {OpKind::linear, linear},
    {OpKind::std, std_dev},
    {OpKind::flatten, flatten},
};

Rule find_rule(OpKind op) {
  for (const Decomposition& d : kDecompositions)
    if (d.op == op) return d.rule;
  return nullptr;
}

bool same_meta(const TensorMeta& a, const TensorMeta& b) {
  return a.dtype == b.dtype && a.sizes == b.sizes;
}

}  // namespace

std::optional<Graph> decompose_composites(const Graph& graph) {
  bool any = false;
  for (const Node& node : graph.nodes())
    any = any || (node.kind == NodeKind::kCall && find_rule(node.op) != nullptr);
  if (!any) return std::nullopt;

  GraphBuilder builder;
  std::vector<ValueId> mapped(graph.num_values());
  bool changed = false;
  for (const Node& node : graph.nodes()) {
    std::vector<ValueId> inputs;
    for (ValueId v : node.inputs) inputs.push_back(mapped[v.index]);
    std::optional<std::vector<ValueId>> outputs;
    if (node.kind == NodeKind::kCall) {
      if (Rule rule = find_rule(node.op)) {
        std::vector<TensorMeta> metas;
        for (int k = 0; k < node.num_outputs; ++k) metas.push_back(graph.meta(node.output(k)));
        Emitter emitter(builder);
        outputs = rule(emitter, Call{node.op, inputs, node.attrs, metas});
        // A rule must reproduce the composite's dtype and sizes; if it cannot, the op stays
        // (and the dce pass drops what the attempt emitted).
        for (int k = 0; outputs && k < node.num_outputs; ++k)
          if (!same_meta(builder.meta((*outputs)[k]), metas[k])) outputs.reset();
      }
    }
    if (outputs)
      changed = true;
    else
      outputs = builder.copy(graph, node, inputs);
    for (int k = 0; k < node.num_outputs; ++k) mapped[node.output(k).index] = (*outputs)[k];
  }
  if (!changed) return std::nullopt;
  std::vector<ValueId> outputs;
  for (ValueId v : graph.outputs()) outputs.push_back(mapped[v.index]);
  builder.set_outputs(std::move(outputs));
  return builder.finish();
}

}  // namespace gyro
