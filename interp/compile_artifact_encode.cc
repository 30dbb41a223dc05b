// Encoding one cache entry: every field of a capture, or why it cannot be saved.
#include "interp/compile_artifact.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "backends/eager/eager.h"
#include "interp/objects.h"
#include "interp/python_ops.h"
#include "ir/byte_io.h"

namespace gyro {

namespace {

using guards::Guard;
using guards::GuardKind;
using guards::SourceId;

Error unsaveable(std::string reason) { return Error{ErrorKind::ValueError, std::move(reason)}; }

class Encoder {
 public:
  Encoder(const Capture& capture, Fingerprints& fingerprints)
      : capture_(capture), fingerprints_(fingerprints) {}

  Expected<std::vector<uint8_t>> encode() {
    sources();
    GYRO_TRY(guards());
    GYRO_TRY(graph());
    out_.u32(static_cast<uint32_t>(capture_.inputs.size()));
    for (SourceId source : capture_.inputs) out_.u32(static_cast<uint32_t>(source));
    out_.u64(zigzag(capture_.start_pc));
    out_.u64(zigzag(capture_.resume_pc));
    out_.u32(static_cast<uint32_t>(capture_.effects.size()));
    for (const SideEffect& effect : capture_.effects) GYRO_TRY(side_effect(effect));
    GYRO_TRY(plan(capture_.result, 0));
    out_.u32(static_cast<uint32_t>(capture_.write_backs.size()));
    for (const auto& write_back : capture_.write_backs) {
      out_.u32(static_cast<uint32_t>(write_back.source));
      out_.u32(static_cast<uint32_t>(write_back.output));
    }
    out_.u32(static_cast<uint32_t>(capture_.locals.size()));
    for (const auto& local : capture_.locals) {
      out_.u8(local.has_value());
      if (local) GYRO_TRY(plan(*local, 0));
    }
    out_.u32(static_cast<uint32_t>(capture_.stack.size()));
    for (const ResultPlan& item : capture_.stack) GYRO_TRY(plan(item, 0));
    out_.string(capture_.break_reason);
    return std::move(out_.bytes());
  }

 private:
  std::string name(SourceId source) const { return capture_.sources.describe(source); }

  void sources() {
    const auto& table = capture_.sources;
    out_.u32(static_cast<uint32_t>(table.size()));
    for (std::size_t id = 0; id < table.size(); ++id) {
      const auto& node = table[static_cast<SourceId>(id)];
      out_.u8(static_cast<uint8_t>(node.kind));
      out_.u32(static_cast<uint32_t>(node.parent));
      out_.u64(zigzag(node.index));
      out_.string(node.name);
    }
  }

  Status guards() {
    out_.u32(static_cast<uint32_t>(capture_.guards.size()));
    for (const Guard& guard : capture_.guards) {
      out_.u8(static_cast<uint8_t>(guard.kind));
      out_.u32(static_cast<uint32_t>(guard.source));
      switch (guard.kind) {
        case GuardKind::TYPE_MATCH:
        case GuardKind::ID_MATCH:
          out_.string(guard.type_name);
          GYRO_TRY(recipe(guard));
          break;
        case GuardKind::CONSTANT_MATCH:
          GYRO_TRY(constant(guard.constant, guard.source));
          break;
        case GuardKind::LENGTH:
          out_.u64(zigzag(guard.length));
          break;
        case GuardKind::TENSOR_MATCH: {
          const auto& match = guard.tensor;
          tensor_matches_[guard.source] = match;
          out_.u8(static_cast<uint8_t>(match.dtype));
          out_.u8(static_cast<uint8_t>(match.sizes.size()));
          for (int64_t size : match.sizes) out_.u64(zigzag(size));
          out_.u8(static_cast<uint8_t>(match.strides.size()));
          for (int64_t stride : match.strides) out_.u64(zigzag(stride));
          break;
        }
        case GuardKind::NO_ALIASING:
        case GuardKind::DUPLICATE_INPUT:
          out_.u32(static_cast<uint32_t>(guard.unaliased.size()));
          for (SourceId other : guard.unaliased) out_.u32(static_cast<uint32_t>(other));
          break;
        case GuardKind::SYMBOLIC_INT:
          out_.u32(static_cast<uint32_t>(guard.symbol));
          break;
        case GuardKind::SHAPE:
          shape_code(guard.relation);
          out_.string(guard.relation_text);
          break;
      }
    }
    const auto names = capture_.guards.symbol_names();
    out_.u32(static_cast<uint32_t>(names.size()));
    for (const std::string& symbol : names) out_.string(symbol);
    out_.string(capture_.shape_guard_stats);
    out_.string(capture_.shape_region);
    return {};
  }

  void shape_code(std::span<const guards::ShapeOp> code) {
    out_.u32(static_cast<uint32_t>(code.size()));
    for (const guards::ShapeOp& op : code) {
      out_.u8(static_cast<uint8_t>(op.kind));
      out_.u8(op.symbol);
      out_.u64(static_cast<uint64_t>(op.operand));
    }
  }

  // Which pinned object a guard's recipe names: guards that pinned one object share a group,
  // so that a warm start keeps "the same object" and "another object" as the trace saw them.
  void identity_group(const void* identity) {
    auto found = std::find(identities_.begin(), identities_.end(), identity);
    out_.u32(static_cast<uint32_t>(found - identities_.begin()));
    if (found == identities_.end()) identities_.push_back(identity);
  }

  Status recipe(const Guard& guard) {
    auto pinned = [&](std::string_view what) {
      return unsaveable(fmt::format("guard {} on '{}' pins {} of this process",
                                    guards::guard_kind_name(guard.kind), name(guard.source), what));
    };
    const auto address = reinterpret_cast<uintptr_t>(guard.identity);
    if (guard.kind == GuardKind::TYPE_MATCH && address < kMaxBuiltinTypeKey) {
      out_.u8(static_cast<uint8_t>(IdentityRecipe::Kind::kBuiltinType));
      out_.u64(address);
      return {};
    }
    const auto* object = static_cast<const Object*>(guard.identity);
    if (guard.kind == GuardKind::TYPE_MATCH || object->kind() == ObjectKind::Class) {
      auto fingerprint = fingerprints_.of_class(*static_cast<const ClassObject*>(object));
      if (!fingerprint)
        return pinned(fmt::format("class {} (whose attributes are not all functions and "
                                  "constants)",
                                  static_cast<const ClassObject*>(object)->name));
      out_.u8(static_cast<uint8_t>(IdentityRecipe::Kind::kClass));
      out_.u64(*fingerprint);
      identity_group(object);
      return {};
    }
    if (object->kind() == ObjectKind::Builtin) {
      const auto* builtin = static_cast<const BuiltinObject*>(object);
      if (!builtin->self.is_none()) return pinned("a builtin method bound to an object");
      out_.u8(static_cast<uint8_t>(IdentityRecipe::Kind::kBuiltinFunction));
      out_.string(builtin->name);
      identity_group(object);
      return {};
    }
    if (object->kind() == ObjectKind::DTypeValue) {
      out_.u8(static_cast<uint8_t>(IdentityRecipe::Kind::kDType));
      out_.u64(static_cast<uint64_t>(static_cast<const DTypeValueObject*>(object)->dtype));
      identity_group(object);
      return {};
    }
    if (object->kind() == ObjectKind::Function) {
      auto fingerprint = fingerprints_.function(*static_cast<const FunctionObject*>(object));
      if (!fingerprint)
        return pinned("a function whose defaults or closure cells are not constants");
      out_.u8(static_cast<uint8_t>(IdentityRecipe::Kind::kFunction));
      out_.u64(*fingerprint);
      identity_group(object);
      return {};
    }
    return pinned(fmt::format("a {}", guard.type_name));
  }

  Status constant(const Constant& value, SourceId source) {
    switch (value.kind()) {
      case Constant::Kind::kNone:
      case Constant::Kind::kEllipsis:
        out_.u8(static_cast<uint8_t>(value.kind()));
        return {};
      case Constant::Kind::kBool:
        out_.u8(static_cast<uint8_t>(value.kind()));
        out_.u8(value.as_bool());
        return {};
      case Constant::Kind::kInt:
        out_.u8(static_cast<uint8_t>(value.kind()));
        out_.u64(static_cast<uint64_t>(value.as_int()));
        return {};
      case Constant::Kind::kFloat: {
        out_.u8(static_cast<uint8_t>(value.kind()));
        double number = value.as_float();
        uint64_t bits;
        std::memcpy(&bits, &number, sizeof(bits));
        out_.u64(bits);
        return {};
      }
      case Constant::Kind::kString:
        out_.u8(static_cast<uint8_t>(value.kind()));
        out_.string(value.as_string());
        return {};
      case Constant::Kind::kCode:
      case Constant::Kind::kTuple:
        break;
    }
    return unsaveable(fmt::format("the constant guarded on '{}' is not a None, bool, int, "
                                  "float or str",
                                  name(source)));
  }

  // A graph's attributes may be symbolic (expressions of its context, by id); a view replayed
  // on a result may not.
  Status attr(const Attr& value, bool symbolic_allowed = false) {
    if (!value.syms.empty() && !symbolic_allowed)
      return unsaveable("a view in the result has symbolic sizes (not saved yet)");
    out_.u8(static_cast<uint8_t>(value.kind));
    switch (value.kind) {
      case AttrKind::kNone:
        break;
      case AttrKind::kInt:
      case AttrKind::kBool:
        out_.u64(static_cast<uint64_t>(value.i));
        break;
      case AttrKind::kFloat: {
        uint64_t bits;
        std::memcpy(&bits, &value.f, sizeof(bits));
        out_.u64(bits);
        break;
      }
      case AttrKind::kInts:
        out_.u32(static_cast<uint32_t>(value.ints.size()));
        for (int64_t item : value.ints) out_.u64(static_cast<uint64_t>(item));
        break;
      case AttrKind::kDType:
        out_.u8(static_cast<uint8_t>(value.dtype));
        break;
      case AttrKind::kString:
        out_.string(value.text);
        break;
    }
    if (symbolic_allowed) {
      out_.u32(static_cast<uint32_t>(value.syms.size()));
      for (SymId id : value.syms) out_.u32(static_cast<uint32_t>(id.index));
    }
    return {};
  }

  void meta(const TensorMeta& value) {
    out_.u8(static_cast<uint8_t>(value.dtype));
    out_.u8(static_cast<uint8_t>(value.sizes.size()));
    for (int64_t size : value.sizes) out_.u64(static_cast<uint64_t>(size));
    out_.u8(value.wrapped_number);
  }

  // The graph's context of size expressions, node by node (operands come first).
  void sym_context(const SymContext* context) {
    const int32_t count = context ? context->size() : 0;
    out_.u32(static_cast<uint32_t>(count));
    for (int32_t i = 0; i < count; ++i) {
      const SymNode& node = context->node(SymId{i});
      out_.u8(static_cast<uint8_t>(node.kind));
      out_.u64(zigzag(node.value));
      out_.u32(static_cast<uint32_t>(node.terms.size()));
      for (const auto& [term, coefficient] : node.terms) {
        out_.u32(static_cast<uint32_t>(term.index));
        out_.u64(zigzag(coefficient));
      }
      out_.u32(static_cast<uint32_t>(node.operands.size()));
      for (SymId operand : node.operands) out_.u32(static_cast<uint32_t>(operand.index));
    }
  }

  Status graph() {
    const Graph& graph = capture_.graph;
    sym_context(graph.sym_context());
    // Decisions while the graph is rebuilt are taken on the symbols' example values, as
    // tracing took them.
    out_.u32(static_cast<uint32_t>(capture_.symbol_hints.size()));
    for (int64_t hint : capture_.symbol_hints) out_.u64(zigzag(hint));
    out_.u32(static_cast<uint32_t>(graph.nodes().size()));
    for (const Node& node : graph.nodes()) {
      out_.u8(static_cast<uint8_t>(node.kind));
      switch (node.kind) {
        case NodeKind::kPlaceholder: {
          const TensorMeta& placeholder = graph.meta(node.output());
          out_.string(node.source);
          meta(placeholder);
          // Each symbolic size by its symbol, as the input's TENSOR_MATCH binds it.
          out_.u8(placeholder.symbolic);
          if (placeholder.symbolic == 0) break;
          auto match = tensor_matches_.find(capture_.inputs[node.input_index]);
          if (match == tensor_matches_.end() ||
              match->second.sizes.size() != placeholder.sizes.size())
            return unsaveable(fmt::format("graph input '{}' has symbolic sizes no guard binds",
                                          node.source));
          for (int d = 0; d < static_cast<int>(placeholder.sizes.size()); ++d) {
            if (!((placeholder.symbolic >> d) & 1)) continue;
            if (match->second.sizes[d] >= 0)
              return unsaveable(fmt::format("size {} of graph input '{}' is symbolic, its guard "
                                            "static",
                                            d, node.source));
            out_.u32(static_cast<uint32_t>(guards::symbol_of_size(match->second.sizes[d])));
          }
          break;
        }
        case NodeKind::kConstant: {
          const Tensor& value = node.constant.get();
          meta(TensorMeta::of(value));
          Tensor dense = value;
          if (!value.is_contiguous()) {
            auto copy = eager::run1(OpKind::contiguous, std::span<const Tensor>(&value, 1));
            if (!copy.ok()) return copy.error();
            dense = std::move(*copy);
          }
          const auto* data = static_cast<const uint8_t*>(dense.raw_data());
          const std::size_t size = static_cast<std::size_t>(dense.numel()) * dense.itemsize();
          out_.u64(size);
          out_.bytes().insert(out_.bytes().end(), data, data + size);
          break;
        }
        case NodeKind::kCall:
          out_.string(op_name(node.op));
          out_.u32(static_cast<uint32_t>(node.num_outputs));
          out_.u32(static_cast<uint32_t>(node.inputs.size()));
          for (ValueId input : node.inputs) out_.u32(static_cast<uint32_t>(input.index));
          out_.u32(static_cast<uint32_t>(node.attrs.size()));
          for (const Attr& value : node.attrs) GYRO_TRY(attr(value, true));
          break;
        case NodeKind::kOpaqueCall:
          return unsaveable("the graph calls an allow_in_graph function (not saved yet)");
      }
    }
    out_.u32(static_cast<uint32_t>(graph.outputs().size()));
    for (ValueId output : graph.outputs()) out_.u32(static_cast<uint32_t>(output.index));
    return {};
  }

  Status value(const Value& constant, int depth) {
    if (depth > kMaxArtifactPlanDepth) return unsaveable("a constant nests too deeply");
    if (constant.is_none()) {
      out_.u8(0);
    } else if (constant.is_bool()) {
      out_.u8(1);
      out_.u8(constant.as_bool());
    } else if (constant.is_int()) {
      out_.u8(2);
      out_.u64(static_cast<uint64_t>(constant.as_int()));
    } else if (constant.is_float()) {
      out_.u8(3);
      double number = constant.as_float();
      uint64_t bits;
      std::memcpy(&bits, &number, sizeof(bits));
      out_.u64(bits);
    } else if (constant.is(ObjectKind::Str)) {
      out_.u8(4);
      out_.string(constant.as<StrObject>().text);
    } else if (constant.is(ObjectKind::DTypeValue)) {
      out_.u8(5);
      out_.u8(static_cast<uint8_t>(constant.as<DTypeValueObject>().dtype));
    } else if (constant.is(ObjectKind::Builtin) && constant.as<BuiltinObject>().self.is_none()) {
      out_.u8(7);
      out_.string(constant.as<BuiltinObject>().name);
    } else if (constant.is(ObjectKind::Tuple)) {
      out_.u8(6);
      const auto& items = constant.as<TupleObject>().items;
      out_.u32(static_cast<uint32_t>(items.size()));
      for (const Value& item : items) GYRO_TRY(value(item, depth + 1));
    } else {
      return unsaveable(fmt::format("a result plan holds a constant {} (only None, bool, int, "
                                    "float, str, dtype, builtin functions and tuples of those "
                                    "are saved)",
                                    type_name(constant)));
    }
    return {};
  }

  Status plan(const ResultPlan& item, int depth) {
    if (depth > kMaxArtifactPlanDepth) return unsaveable("a result nests too deeply");
    using Kind = ResultPlan::Kind;
    // An object made in the trace names its class by fingerprint (the class itself is found
    // again among the classes the entry's identity guards pin).
    Value constant = item.constant;
    if (item.kind == Kind::kNewObject) {
      std::optional<uint64_t> fingerprint;
      if (item.constant.is(ObjectKind::Class))
        fingerprint = fingerprints_.of_class(item.constant.as<ClassObject>());
      if (!fingerprint)
        return unsaveable("the result holds an object made inside the trace whose class cannot "
                          "be found again");
      constant = Value::integer(static_cast<int64_t>(*fingerprint));
    }
    if (item.kind == Kind::kView && !item.view_attrs.empty())
      for (const Attr& value : item.view_attrs)
        if (!value.syms.empty()) return unsaveable("a view in the result has symbolic sizes");
    out_.u8(static_cast<uint8_t>(item.kind));
    out_.u32(static_cast<uint32_t>(item.output));
    GYRO_TRY(value(constant, 0));
    out_.u32(static_cast<uint32_t>(item.source));
    out_.u32(static_cast<uint32_t>(item.made));
    out_.string(item.name);
    out_.string(op_name(item.view_op));
    out_.u32(static_cast<uint32_t>(item.view_attrs.size()));
    for (const Attr& value : item.view_attrs) GYRO_TRY(attr(value));
    out_.u32(static_cast<uint32_t>(item.items.size()));
    for (const ResultPlan& child : item.items) GYRO_TRY(plan(child, depth + 1));
    shape_code(item.expression);
    out_.u32(static_cast<uint32_t>(item.symbols.size()));
    for (const auto& [source, dim] : item.symbols) {
      out_.u32(static_cast<uint32_t>(source));
      out_.u32(static_cast<uint32_t>(dim));
    }
    return {};
  }

  Status side_effect(const SideEffect& effect) {
    out_.u8(static_cast<uint8_t>(effect.kind));
    GYRO_TRY(plan(effect.target, 0));
    out_.string(effect.name);
    out_.u32(static_cast<uint32_t>(effect.args.size()));
    for (const ResultPlan& arg : effect.args) GYRO_TRY(plan(arg, 0));
    out_.u32(static_cast<uint32_t>(effect.kwargs.size()));
    for (const auto& [key, arg] : effect.kwargs) {
      out_.string(key);
      GYRO_TRY(plan(arg, 0));
    }
    return {};
  }

  static constexpr uintptr_t kMaxBuiltinTypeKey = 4096;
  const Capture& capture_;
  std::map<SourceId, guards::TensorMatch> tensor_matches_;
  std::vector<const void*> identities_;  // identity_group's groups, in order
  Fingerprints& fingerprints_;
  ByteWriter out_;
};

}  // namespace

Expected<std::vector<uint8_t>> encode_capture(const Capture& capture, Fingerprints& fingerprints) {
  return Encoder(capture, fingerprints).encode();
}

}  // namespace gyro
