// GraphBuilder: the one way to make a graph. It infers every call's meta, reuses equal calls
// (CSE) and folds calls on small constants as nodes are added.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"

namespace gyro {

// Runs one op on concrete tensors (attrs bound). The ir layer has no kernels, so folding is
// supplied by the layer that has them: backends' eager_constant_folder() runs eager::run.
using ConstantFolder = std::function<Expected<std::vector<Tensor>>(
    OpKind op, std::span<const Tensor> inputs, const Attrs& attrs)>;

struct GraphBuilderOptions {
  // Reuse the existing value for a call with the same op, inputs and attributes. Never applies
  // to random ops (fusion class kRandom): each call draws new numbers.
  bool cse = true;
  // Fold a call whose inputs are all constants, when no input and no output has more than
  // fold_max_numel elements and the op is not random: the builder runs it and adds a constant.
  // An empty folder disables folding.
  ConstantFolder fold = {};
  int64_t fold_max_numel = 64;
  // Symbolic shapes: sizes are tracked as SymDims (placeholders declare theirs), calls run
  // their shape rule over them too, and conditions the rule tests go to this decider. Without
  // one, a call on symbolic sizes marks every output size symbolic (a pass copying a graph
  // keeps what it cannot see as symbolic).
  SymDecider* shapes = nullptr;
};

class GraphBuilder {
 public:
  explicit GraphBuilder(GraphBuilderOptions options = {});

  // A graph input with the next input index, read from `source` ("x", "self.linear.weight").
  // Sources are unique within a graph (a repeated source is a caller bug).
  ValueId placeholder(std::string source, const TensorMeta& meta);
  // The same with symbolic sizes (the meta's sizes are their hints); needs options.shapes.
  ValueId placeholder(std::string source, const TensorMeta& meta, const SymDims& sizes);
  // A tensor baked into the graph. Small constants (<= fold_max_numel elements) with the same
  // dtype, sizes, wrapped flag and bits share one value.
  ValueId constant(Tensor value);

  // An op call. Attributes bind as in eager::run (positional, then named, then defaults), and
  // an invalid call returns the same Error eager::run returns for inputs of these metas.
  // Symbolic attributes (Attr::syms, over options.shapes' context) stay symbolic where the
  // shape rule reads them as sizes (attr_may_be_symbolic) and every symbol is a placeholder's
  // dim; any other is specialized to its hints. A call with symbolic attributes never folds.
  // Returns the call's outputs (several for split/chunk), which may be an existing value (CSE)
  // or a new constant (folding).
  Expected<std::vector<ValueId>> call(OpKind op, std::span<const ValueId> inputs,
                                      std::span<const Attr> attrs = {},
                                      std::span<const NamedAttr> named = {});
  // The same for ops with one output.
  // A new value equal to `value`: a clone the builder never shares with another call, for
  // when two objects must not share memory although the builder gave them one value.
  Expected<ValueId> copy(ValueId value);
  Expected<ValueId> call1(OpKind op, std::span<const ValueId> inputs,
                          std::span<const Attr> attrs = {}, std::span<const NamedAttr> named = {});
  Expected<ValueId> call1(OpKind op, std::initializer_list<ValueId> inputs,
                          std::initializer_list<Attr> attrs = {},
                          std::initializer_list<NamedAttr> named = {}) {
    return call1(op, std::span<const ValueId>(inputs.begin(), inputs.size()),
                 std::span<const Attr>(attrs.begin(), attrs.size()),
                 std::span<const NamedAttr>(named.begin(), named.size()));
  }

  // A call of an opaque function (allow_in_graph) on `inputs`, with the output metas the caller
  // found by running it; one output per meta (at least one). Never merged or folded.
  std::vector<ValueId> opaque_call(std::shared_ptr<const OpaqueFunction> function,
                                   std::span<const ValueId> inputs,
                                   std::span<const TensorMeta> output_metas);

  // Adds a copy of `node` of graph `from` (a pass rebuilding a graph), with its inputs replaced
  // by `inputs`, values of this builder's graph with the same metas. Returns its outputs here.
  std::vector<ValueId> copy(const Graph& from, const Node& node, std::span<const ValueId> inputs);

  // The values the graph returns (a value may appear several times).
  void set_outputs(std::vector<ValueId> outputs);

  // The graph so far, for reading metas and nodes while building.
  const Graph& graph() const { return graph_; }
  const TensorMeta& meta(ValueId value) const { return graph_.meta(value); }
  // A value's sizes as SymDims (plain for static sizes).
  SymDims sym_sizes(ValueId value) const;
  // True when `value` is produced by a constant node; constant_value returns its tensor.
  bool is_constant(ValueId value) const;
  const Tensor& constant_value(ValueId value) const;

  // The finished graph; the builder is left empty.
  Graph finish();

 private:
  ValueId add_node(Node node, std::span<const TensorMeta> metas,
                   std::span<const SymDims> sym_sizes = {});
  std::vector<ValueId> outputs_of(const Node& node) const;
  ValueId add_placeholder(std::string source, const TensorMeta& meta,
                          std::span<const SymDims> sizes);
  // A symbolic attribute fixed to its hints (each element's `expr == hint` decided: a guard).
  void specialize(Attr& attr);
  // Whether every symbol of `attr` is a placeholder's dim (so a run can compute it).
  bool readable_at_run_time(const Attr& attr) const;
  std::vector<ValueId> copy_node(const Graph& from, const Node& node,
                                 std::span<const ValueId> inputs);
  Expected<std::vector<ValueId>> fold(OpKind op, std::span<const ValueId> inputs,
                                      const Attrs& attrs, const OutputMeta& meta);

  GraphBuilderOptions options_;
  Graph graph_;
  // Hash -> node index, for CSE of calls and sharing of small constants. Only looked up,
  // never iterated, so the graph's order stays deterministic.
  std::unordered_multimap<uint64_t, int32_t> calls_;
  std::unordered_multimap<uint64_t, int32_t> constants_;
  std::vector<SymDims> sym_sizes_;  // by value, for values with symbolic sizes (else empty)
  bool symbolic_attrs_ = false;     // some call kept a symbolic attribute

};

}  // namespace gyro
