// The graph IR: an immutable SSA list of placeholders, constants and op calls, with tensor meta
// on every value. Graphs are made by GraphBuilder (ir/graph_builder.h) and changed only by
// passes that build a new graph (ir/passes.h).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ir/attr.h"
#include "ir/infer.h"
#include "ir/op.h"
#include "ir/opaque_call.h"
#include "ir/tensor.h"

namespace gyro {

// One value of a graph: one output of one node. Values are numbered densely in creation order,
// so a value's inputs always have smaller ids (the node list is a topological order).
struct ValueId {
  int32_t index = -1;

  bool valid() const { return index >= 0; }
  friend bool operator==(ValueId, ValueId) = default;
};

enum class NodeKind : unsigned char {
  kPlaceholder,  // a graph input: its position among the inputs and its source
  kConstant,     // a tensor the graph holds; never mutated, by the graph or by its users
  kCall,         // an op-table op applied to earlier values, with bound attributes
  kOpaqueCall,   // a host function applied to earlier values (allow_in_graph): `opaque`
};

// A graph constant's tensor, held out of line and shared by copies of the graph (it is never
// mutated): a Tensor keeps its sizes and strides inline (176 bytes), which every node would
// otherwise carry, though few nodes are constants. Reads as a `const Tensor&`.
class ConstantTensor {
 public:
  ConstantTensor() = default;
  ConstantTensor& operator=(Tensor tensor) {
    tensor_ = std::make_shared<const Tensor>(std::move(tensor));
    return *this;
  }
  const Tensor& get() const { return tensor_ ? *tensor_ : undefined(); }
  operator const Tensor&() const { return get(); }  // NOLINT: reads as the tensor it holds
  const Tensor* operator->() const { return &get(); }

 private:
  static const Tensor& undefined();
  std::shared_ptr<const Tensor> tensor_;
};

// Where a size symbol of a graph with symbolic attributes is read at run time: dim `dim` of
// graph input `input`.
struct SymbolSource {
  int input = -1;
  int dim = -1;
};

struct Node {
  NodeKind kind = NodeKind::kCall;
  // kCall: the op (its inputs and attributes follow below).
  OpKind op{};
  // kPlaceholder: the position in the executable's input list and the access path it was read
  // from ("x", "self.linear.weight", "xs[2]").
  int input_index = -1;
  std::string source;
  // kConstant: the tensor (a wrapped Python number keeps its wrapped flag, so it promotes as
  // the number did).
  ConstantTensor constant;
  // kCall: the op's tensor inputs, and its attributes bound against the op's schema (one per
  // schema entry, defaults filled in; see bind_attrs). An attribute may carry symbols
  // (Attr::syms, in the graph's sym_context()): its value is then recomputed for every run.
  std::vector<ValueId> inputs;
  Attrs attrs;
  // kOpaqueCall: the function (its tensor inputs are `inputs`; its output metas were found
  // by calling it at trace time). Shared: copies of the graph call the same function.
  std::shared_ptr<const OpaqueFunction> opaque;
  // Every kind: the node's outputs are values first_output .. first_output + num_outputs - 1.
  // Only multi-output ops (split, split_with_sizes, chunk) have more than one; they may have 0.
  ValueId first_output;
  int num_outputs = 1;

  ValueId output(int i = 0) const { return ValueId{first_output.index + i}; }
};

class Graph {
 public:
  std::span<const Node> nodes() const { return nodes_; }
  const Node& node(int32_t index) const { return nodes_[index]; }
  int num_values() const { return static_cast<int>(values_.size()); }

  // The node that produces `value`, and which of its outputs `value` is.
  const Node& producer(ValueId value) const { return nodes_[info(value).node]; }
  int32_t producer_index(ValueId value) const { return info(value).node; }
  int output_index(ValueId value) const { return info(value).output_index; }
  // dtype and sizes (and the wrapped-number flag of constants) of `value`.
  const TensorMeta& meta(ValueId value) const { return info(value).meta; }

  // Placeholder values in input order, and the values the graph returns, in order.
  std::span<const ValueId> inputs() const { return inputs_; }
  std::span<const ValueId> outputs() const { return outputs_; }
  // The number of kCall and kOpaqueCall nodes (CompileCounter's op_count). Kept as nodes are
  // added: the tracer reads it at every instruction.
  int num_calls() const { return num_calls_; }
  // A value's sizes as text when some are symbolic ("s0, 3"; empty for static sizes), for
  // the printer.
  // Symbolic attributes: the context their expressions belong to (null when no call has
  // one), and the input dim each symbol is read from (by symbol index; input -1: none).
  const SymContext* sym_context() const { return sym_context_.get(); }
  const std::shared_ptr<const SymContext>& shared_sym_context() const { return sym_context_; }
  std::span<const SymbolSource> symbol_sources() const { return symbol_sources_; }
  std::string_view symbolic_sizes_text(ValueId value) const {
    return static_cast<std::size_t>(value.index) < symbolic_sizes_text_.size()
               ? std::string_view(symbolic_sizes_text_[value.index])
               : std::string_view();
  }

 private:
  friend class GraphBuilder;
  struct ValueInfo {
    TensorMeta meta;
    int32_t node;
    int output_index;
  };
  const ValueInfo& info(ValueId value) const {
    GYRO_ASSERT(value.index >= 0 && value.index < num_values(), "value %{} is not in the graph",
                value.index);
    return values_[value.index];
  }

  std::vector<Node> nodes_;
  int num_calls_ = 0;
  std::vector<ValueInfo> values_;
  std::vector<ValueId> inputs_;
  std::vector<ValueId> outputs_;
  std::vector<std::string> symbolic_sizes_text_;  // by value; only as long as the last symbolic
  // A snapshot of the trace's context, shared by copies of the graph (passes, cache entries).
  std::shared_ptr<const SymContext> sym_context_;
  std::vector<SymbolSource> symbol_sources_;
};

// Attribute equality as CSE and the printer need it: same kind and value, floats compared
// bitwise (so -0.0 differs from 0.0 and a NaN equals the same NaN), and the same symbols
// (expression ids of one context: reshape(s0, -1) and reshape(s1, -1) differ at equal hints).
bool identical(const Attr& a, const Attr& b);

}  // namespace gyro
