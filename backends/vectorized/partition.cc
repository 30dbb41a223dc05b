// Greedy partitioning in node order: one open group at a time, closed when a node outside it
// reads its values or a new group starts.
#include "backends/vectorized/partition.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "ir/graph_printer.h"
#include "ir/shape_rules.h"

namespace gyro::vectorized {

namespace {

// Two values have the same sizes on every run: equal traced sizes and, when symbolic, the same
// size expressions (sizes that merely agree on this trace may differ on the next).
bool same_sizes(const Graph& graph, ValueId a, ValueId b) {
  return graph.meta(a).sizes == graph.meta(b).sizes &&
         graph.symbolic_sizes_text(a) == graph.symbolic_sizes_text(b);
}

std::vector<TensorMeta> input_metas(const Graph& graph, const Node& node) {
  std::vector<TensorMeta> metas;
  for (ValueId v : node.inputs) metas.push_back(graph.meta(v));
  return metas;
}

std::optional<BlockOp> block_op_of(const Graph& graph, const Node& node) {
  if (node.kind != NodeKind::kCall || node.num_outputs != 1) return std::nullopt;
  if (node.op == OpKind::clone) return convert_block_op(graph.meta(node.inputs[0]).dtype,
                                                        graph.meta(node.inputs[0]).dtype);
  if (op_info(node.op).fusion != FusionClass::kElementwise) return std::nullopt;
  std::vector<TensorMeta> metas = input_metas(graph, node);
  std::optional<BlockOp> op = elementwise_block_op(node.op, node.attrs, metas);
  // Registers hold values in their graph dtype; an op whose functor writes another is eager's.
  if (op && op->output != graph.meta(node.output()).dtype) return std::nullopt;
  return op;
}

// sum/mean/max/min/var/std of a floating value over its trailing dims (or all of them).
bool fusable_reduction(const Graph& graph, const Node& node) {
  if (node.kind != NodeKind::kCall) return false;
  switch (node.op) {
    case OpKind::sum:
    case OpKind::mean:
    case OpKind::max:
    case OpKind::min:
    case OpKind::var:
    case OpKind::std:
      break;
    default:
      return false;
  }
  const TensorMeta& in = graph.meta(node.inputs[0]);
  if (!is_floating(in.dtype) || graph.meta(node.output()).dtype != in.dtype) return false;
  const int rank = static_cast<int>(in.sizes.size());
  auto reduced = shape_rules::reduced_dims(node.attrs[0], rank);
  if (!reduced.ok()) return false;
  int first = rank;
  while (first > 0 && (*reduced)[first - 1]) --first;
  for (int d = 0; d < first; ++d)
    if ((*reduced)[d]) return false;  // a reduced dim before a kept one
  return true;
}

// Ops whose output rows (dim 0) depend only on the same rows of their first input.
bool row_op(const Graph& graph, const Node& node) {
  if (node.kind != NodeKind::kCall || node.inputs.empty()) return false;
  const int rank = static_cast<int>(graph.meta(node.inputs[0]).sizes.size());
  switch (node.op) {
    case OpKind::matmul:
      return rank == 2 && graph.meta(node.inputs[1]).sizes.size() == 2;
    case OpKind::linear:
      return rank == 2;
    case OpKind::softmax:
    case OpKind::log_softmax: {
      auto dim = shape_rules::normalize_dim(node.attrs[0].i, rank);
      return rank >= 2 && dim.ok() && *dim != 0;
    }
    case OpKind::layer_norm:
      return rank > static_cast<int>(node.attrs[0].ints.size());
    default:
      return false;
  }
}

class Partitioner {
 public:
  explicit Partitioner(const Graph& graph)
      : graph_(graph), in_open_(graph.num_values(), false), users_(graph.num_values()) {
    for (int32_t i = 0; i < static_cast<int32_t>(graph.nodes().size()); ++i)
      for (ValueId v : graph.node(i).inputs) users_[v.index].push_back(i);
    for (ValueId v : graph.outputs()) users_[v.index].push_back(-1);  // -1: the caller
  }

  std::vector<KernelGroup> run() {
    for (int32_t i = 0; i < static_cast<int32_t>(graph_.nodes().size()); ++i) visit(i);
    close();
    return std::move(groups_);
  }

 private:
  void visit(int32_t index) {
    const Node& node = graph_.node(index);
    if (node.kind != NodeKind::kCall && node.kind != NodeKind::kOpaqueCall) return;
    const bool reads_open = std::any_of(node.inputs.begin(), node.inputs.end(),
                                        [&](ValueId v) { return in_open_[v.index]; });
    std::optional<BlockOp> op = block_op_of(graph_, node);
    if (open_) {
      KernelGroup& group = open_->group;
      // Members without a data path into the group are allowed only at static sizes: symbolic
      // sizes are then known equal only along the path.
      const bool static_shape = graph_.meta(open_->shape).symbolic == 0;
      if (op && same_sizes(graph_, node.output(), open_->shape) &&
          (reads_open || (group.kind == KernelGroup::Kind::kFused && static_shape))) {
        add_member(index, std::move(*op));
        return;
      }
      if (group.kind == KernelGroup::Kind::kFused && fusable_reduction(graph_, node) &&
          in_open_[node.inputs[0].index]) {
        group.reduction = index;
        close();
        return;
      }
      if (reads_open) close();
    }
    if (op) {
      start(KernelGroup::Kind::kFused, node.output());
      add_member(index, std::move(*op));
    } else if (fusable_reduction(graph_, node)) {
      close();
      KernelGroup group;
      group.reduction = index;
      finish(group);
    } else if (row_op(graph_, node)) {
      start(KernelGroup::Kind::kRows, node.output());
      open_->group.head = index;
      in_open_[node.output().index] = true;
    }
  }

  void start(KernelGroup::Kind kind, ValueId shape) {
    close();
    open_.emplace();
    open_->group.kind = kind;
    open_->shape = shape;
  }

  void add_member(int32_t index, BlockOp op) {
    open_->group.members.push_back(index);
    open_->group.ops.push_back(std::move(op));
    in_open_[graph_.node(index).output().index] = true;
  }

  void close() {
    if (!open_) return;
    for (int32_t node : open_->group.nodes()) in_open_[graph_.node(node).output().index] = false;
    finish(open_->group);
    open_.reset();
  }

  // A `contiguous` copy that only this group's members (or its reduction) read costs nothing:
  // members gather its input through any strides. It is never run, so it may not be read by
  // anyone else (a graph output would need its alias-or-copy result).
  void absorb_copies(KernelGroup& group) {
    std::vector<int32_t> readers = group.members;
    if (group.reduction >= 0) readers.push_back(group.reduction);
    std::sort(readers.begin(), readers.end());
    for (int32_t reader : readers) {
      for (ValueId v : graph_.node(reader).inputs) {
        const Node& producer = graph_.producer(v);
        if (producer.kind != NodeKind::kCall || producer.op != OpKind::contiguous) continue;
        const int32_t copy = graph_.producer_index(v);
        if (std::find(group.absorbed.begin(), group.absorbed.end(), copy) != group.absorbed.end())
          continue;
        const auto& users = users_[v.index];
        if (std::all_of(users.begin(), users.end(), [&](int32_t u) {
              return u >= 0 && std::binary_search(readers.begin(), readers.end(), u);
            })) {
          group.absorbed.push_back(copy);
          group.read_through.emplace_back(v, producer.inputs[0]);
        }
      }
    }
  }

  // Fills in the group's inputs and outputs and keeps it.
  void finish(KernelGroup& group) {
    absorb_copies(group);
    std::vector<int32_t> nodes = group.nodes();
    auto inside = [&](int32_t node) { return std::binary_search(nodes.begin(), nodes.end(), node); };
    auto produced_inside = [&](ValueId v) { return inside(graph_.producer_index(v)); };
    auto add_input = [&](ValueId v) {
      for (const auto& [copy, source] : group.read_through)
        if (v == copy) v = source;
      if (!produced_inside(v) &&
          std::find(group.inputs.begin(), group.inputs.end(), v) == group.inputs.end())
        group.inputs.push_back(v);
    };
    if (group.head >= 0)
      for (ValueId v : graph_.node(group.head).inputs) add_input(v);
    for (int32_t node : nodes)
      for (ValueId v : graph_.node(node).inputs) add_input(v);
    for (int32_t node : nodes) {
      if (std::find(group.absorbed.begin(), group.absorbed.end(), node) != group.absorbed.end())
        continue;  // never made
      ValueId v = graph_.node(node).output();
      const auto& users = users_[v.index];
      if (node == group.reduction ||
          std::any_of(users.begin(), users.end(), [&](int32_t u) { return u < 0 || !inside(u); }))
        group.outputs.push_back(v);
    }
    groups_.push_back(std::move(group));
  }

  struct Open {
    KernelGroup group;
    ValueId shape;  // the value whose sizes every member has
  };
  const Graph& graph_;
  std::vector<bool> in_open_;                  // by value: produced by the open group
  std::vector<std::vector<int32_t>> users_;    // by value: the nodes reading it
  std::optional<Open> open_;
  std::vector<KernelGroup> groups_;
};

}  // namespace

std::vector<int32_t> KernelGroup::nodes() const {
  std::vector<int32_t> all = members;
  all.insert(all.end(), absorbed.begin(), absorbed.end());
  if (head >= 0) all.push_back(head);
  if (reduction >= 0) all.push_back(reduction);
  std::sort(all.begin(), all.end());
  return all;
}

std::vector<KernelGroup> partition(const Graph& graph) { return Partitioner(graph).run(); }

std::string describe_partition(const Graph& graph, const std::vector<KernelGroup>& groups) {
  std::vector<std::string> names = value_names(graph);
  auto name = [&](int32_t node) { return names[graph.node(node).output().index]; };
  std::string text;
  std::vector<bool> grouped(graph.nodes().size(), false);
  for (std::size_t k = 0; k < groups.size(); ++k) {
    const KernelGroup& group = groups[k];
    std::vector<std::string> members;
    for (int32_t node : group.members) members.push_back(name(node));
    std::string body;
    if (group.kind == KernelGroup::Kind::kRows) {
      body = fmt::format("rows {}", name(group.head));
      if (!members.empty()) body += fmt::format(" + epilogue [{}]", fmt::join(members, ", "));
    } else {
      body = fmt::format("fused [{}]", fmt::join(members, ", "));
      if (group.reduction >= 0) body += " -> " + name(group.reduction);
    }
    std::vector<std::string> absorbed;
    for (int32_t node : group.absorbed) absorbed.push_back(name(node));
    if (!absorbed.empty()) body += fmt::format(", reading [{}] in place", fmt::join(absorbed, ", "));
    auto count = [](std::size_t n, std::string_view noun) {
      return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
    };
    text += fmt::format("kernel {}: {} ({}, {})\n", k, body, count(group.inputs.size(), "input"),
                        count(group.outputs.size(), "output"));
    for (int32_t node : group.nodes()) grouped[node] = true;
  }
  std::vector<std::string> eager;
  for (std::size_t i = 0; i < graph.nodes().size(); ++i) {
    const Node& node = graph.node(static_cast<int32_t>(i));
    if ((node.kind == NodeKind::kCall || node.kind == NodeKind::kOpaqueCall) && !grouped[i])
      eager.push_back(names[node.output().index]);
  }
  if (!eager.empty()) text += fmt::format("eager: {}\n", fmt::join(eager, ", "));
  return text;
}

}  // namespace gyro::vectorized
