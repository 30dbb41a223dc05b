// Decoding one cache entry: every count, index, kind and op checked before use; the graph rebuilt
// through GraphBuilder.
#include "interp/compile_artifact.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "interp/dict.h"
#include "interp/objects.h"
#include "ir/byte_io.h"
#include "ir/graph_builder.h"

namespace gyro {

namespace {

using guards::Guard;
using guards::GuardKind;
using guards::SourceId;

class Decoder {
 public:
  Decoder(std::span<const uint8_t> bytes, std::size_t base, const Dict* builtins)
      : in_(bytes, base, ErrorKind::ValueError), builtins_(builtins) {}

  Expected<DecodedCapture> decode() {
    DecodedCapture out;
    Capture& capture = out.capture;
    GYRO_TRY(sources(capture.sources));
    GYRO_TRY(guards(out));
    GYRO_TRY(graph(capture.graph));
    GYRO_ASSIGN_OR_RETURN(uint32_t inputs, in_.count("graph input count", 4));
    if (inputs != capture.graph.inputs().size())
      return in_.error_at(in_.offset(), "{} input sources for a graph of {} inputs", inputs,
                          capture.graph.inputs().size());
    for (uint32_t i = 0; i < inputs; ++i) {
      GYRO_ASSIGN_OR_RETURN(SourceId source, source_id("graph input source"));
      // The graph runs on what the guards accept: each input is a tensor of its
      // placeholder's dtype and rank, with its static sizes (TENSOR_MATCH).
      const TensorMeta& meta = capture.graph.meta(capture.graph.inputs()[i]);
      const auto match = std::find_if(out.guards.begin(), out.guards.end(), [&](const Guard& g) {
        return g.kind == GuardKind::TENSOR_MATCH && g.source == source;
      });
      bool agrees = match != out.guards.end() && match->tensor.dtype == meta.dtype &&
                    match->tensor.sizes.size() == meta.sizes.size();
      for (int d = 0; agrees && d < meta.sizes.size(); ++d)
        agrees = match->tensor.sizes[d] < 0 ? ((meta.symbolic >> d) & 1) != 0
                                             : match->tensor.sizes[d] == meta.sizes[d];
      if (!agrees)
        return in_.error_at(in_.offset(), "graph input {} has no TENSOR_MATCH guard that agrees "
                            "with its placeholder",
                            i);
      capture.inputs.push_back(source);
    }
    GYRO_ASSIGN_OR_RETURN(uint64_t start, in_.u64("start pc"));
    GYRO_ASSIGN_OR_RETURN(uint64_t resume, in_.u64("resume pc"));
    capture.start_pc = unzigzag(start);
    capture.resume_pc = unzigzag(resume);
    if (capture.start_pc < 0 || capture.resume_pc < -1)
      return in_.error_at(in_.offset(), "bad start pc {} or resume pc {}", capture.start_pc,
                          capture.resume_pc);
    GYRO_ASSIGN_OR_RETURN(uint32_t effects, in_.count("side effect count", 1));
    for (uint32_t i = 0; i < effects; ++i) {
      GYRO_ASSIGN_OR_RETURN(SideEffect effect, side_effect());
      capture.effects.push_back(std::move(effect));
    }
    GYRO_ASSIGN_OR_RETURN(capture.result, plan(0));
    GYRO_ASSIGN_OR_RETURN(uint32_t write_backs, in_.count("write-back count", 8));
    for (uint32_t i = 0; i < write_backs; ++i) {
      GYRO_ASSIGN_OR_RETURN(SourceId source, source_id("write-back source"));
      GYRO_ASSIGN_OR_RETURN(int output, output_index("write-back output"));
      capture.write_backs.push_back({source, output});
    }
    GYRO_ASSIGN_OR_RETURN(uint32_t locals, in_.count("local count", 1));
    for (uint32_t i = 0; i < locals; ++i) {
      GYRO_ASSIGN_OR_RETURN(uint8_t present, in_.u8("local plan flag"));
      if (present > 1) return in_.error_at(in_.offset() - 1, "bad local plan flag {}", present);
      if (!present) {
        capture.locals.emplace_back();
        continue;
      }
      GYRO_ASSIGN_OR_RETURN(ResultPlan local, plan(0));
      capture.locals.emplace_back(std::move(local));
    }
    GYRO_ASSIGN_OR_RETURN(uint32_t stack, in_.count("stack plan count", 1));
    for (uint32_t i = 0; i < stack; ++i) {
      GYRO_ASSIGN_OR_RETURN(ResultPlan item, plan(0));
      capture.stack.push_back(std::move(item));
    }
    GYRO_ASSIGN_OR_RETURN(capture.break_reason, in_.string("break reason"));
    if (!in_.at_end())
      return in_.error_at(in_.offset(), "{} bytes after the entry's end", in_.remaining());
    return out;
  }

 private:
  Expected<SourceId> source_id(std::string_view what) {
    const std::size_t at = in_.offset();
    GYRO_ASSIGN_OR_RETURN(uint32_t id, in_.u32(what));
    if (id >= source_count_)
      return in_.error_at(at, "{} {} is not one of the {} sources", what, id, source_count_);
    return static_cast<SourceId>(id);
  }
  Expected<int> output_index(std::string_view what) {
    const std::size_t at = in_.offset();
    GYRO_ASSIGN_OR_RETURN(uint32_t index, in_.u32(what));
    if (index >= output_count_)
      return in_.error_at(at, "{} {} is not one of the graph's {} outputs", what, index,
                          output_count_);
    return static_cast<int>(index);
  }
  template <typename Enum>
  Expected<Enum> enumerator(std::string_view what, int count) {
    const std::size_t at = in_.offset();
    GYRO_ASSIGN_OR_RETURN(uint8_t raw, in_.u8(what));
    if (raw >= count) return in_.error_at(at, "bad {} {}", what, raw);
    return static_cast<Enum>(raw);
  }
  Expected<DType> dtype(std::string_view what) {
    return enumerator<DType>(what, kNumDTypes);
  }

  Status sources(guards::SourceTable& table) {
    GYRO_ASSIGN_OR_RETURN(uint32_t count, in_.count("source count", 17));
    for (uint32_t id = 0; id < count; ++id) {
      const std::size_t at = in_.offset();
      GYRO_ASSIGN_OR_RETURN(auto kind, enumerator<guards::SourceKind>(
                                           "source kind",
                                           static_cast<int>(guards::SourceKind::kCell) + 1));
      GYRO_ASSIGN_OR_RETURN(uint32_t parent_raw, in_.u32("source parent"));
      GYRO_ASSIGN_OR_RETURN(uint64_t index_raw, in_.u64("source index"));
      GYRO_ASSIGN_OR_RETURN(std::string name, in_.string("source name"));
      const auto parent = static_cast<SourceId>(parent_raw);
      const int64_t index = unzigzag(index_raw);
      // Parents come first (ids are a loading order); roots have none, other kinds need one
      // (a cell may have none: the frame's own function).
      const bool root = kind == guards::SourceKind::kLocal ||
                        kind == guards::SourceKind::kStackSlot ||
                        kind == guards::SourceKind::kGlobal;
      const bool no_parent = parent == guards::kNoSource;
      if (root != no_parent && !(kind == guards::SourceKind::kCell && no_parent))
        return in_.error_at(at, "source {} has {} parent", id, no_parent ? "no" : "a");
      if (!no_parent && (parent < 0 || static_cast<uint32_t>(parent) >= id))
        return in_.error_at(at, "source {} names parent {}, which does not come before it", id,
                            parent_raw);
      if (index < 0 && kind != guards::SourceKind::kGlobal &&
          kind != guards::SourceKind::kAttribute && kind != guards::SourceKind::kLength)
        return in_.error_at(at, "source {} has a negative index {}", id, index);
      SourceId made = guards::kNoSource;
      switch (kind) {
        case guards::SourceKind::kLocal:
          made = table.local(index, name);
          break;
        case guards::SourceKind::kStackSlot:
          made = table.stack_slot(index);
          break;
        case guards::SourceKind::kGlobal:
          made = table.global(name);
          break;
        case guards::SourceKind::kAttribute:
          made = table.attribute(parent, name);
          break;
        case guards::SourceKind::kItem:
          made = table.item(parent, index);
          break;
        case guards::SourceKind::kLength:
          made = table.length(parent);
          break;
        case guards::SourceKind::kDictKey:
          made = table.dict_key(parent, index);
          break;
        case guards::SourceKind::kDictValue:
          made = table.dict_value(parent, index, name);
          break;
        case guards::SourceKind::kCell:
          made = table.cell(parent, index, name);
          break;
      }
      // A repeated source interns to an earlier id: the writer never makes one.
      if (made != static_cast<SourceId>(id))
        return in_.error_at(at, "source {} repeats source {}", id, made);
    }
    table.freeze();
    source_count_ = count;
    return {};
  }

  Expected<IdentityRecipe> recipe() {
    IdentityRecipe out;
    GYRO_ASSIGN_OR_RETURN(out.kind, enumerator<IdentityRecipe::Kind>(
                                        "identity recipe",
                                        static_cast<int>(IdentityRecipe::Kind::kDType) + 1));
    switch (out.kind) {
      case IdentityRecipe::Kind::kNone:
        return in_.error_at(in_.offset() - 1, "an identity guard without a recipe");
      case IdentityRecipe::Kind::kBuiltinType:
      case IdentityRecipe::Kind::kFunction:
      case IdentityRecipe::Kind::kClass:
      case IdentityRecipe::Kind::kDType: {
        GYRO_ASSIGN_OR_RETURN(out.key, in_.u64("identity key"));
        if (out.kind == IdentityRecipe::Kind::kBuiltinType && (out.key == 0 || out.key >= 4096))
          return in_.error_at(in_.offset() - 8, "bad builtin type key {}", out.key);
        if (out.kind == IdentityRecipe::Kind::kDType && out.key >= kNumDTypes)
          return in_.error_at(in_.offset() - 8, "bad dtype {}", out.key);
        break;
      }
      case IdentityRecipe::Kind::kBuiltinFunction: {
        GYRO_ASSIGN_OR_RETURN(out.name, in_.string("builtin name"));
        break;
      }
    }
    if (out.kind != IdentityRecipe::Kind::kBuiltinType) {
      const std::size_t at = in_.offset();
      GYRO_ASSIGN_OR_RETURN(out.group, in_.u32("identity group"));
      // Groups are numbered in order of first use.
      if (out.group > identity_groups_)
        return in_.error_at(at, "identity group {} before group {}", out.group, identity_groups_);
      if (out.group == identity_groups_) ++identity_groups_;
    }
    return out;
  }

  Expected<Constant> constant() {
    const std::size_t at = in_.offset();
    GYRO_ASSIGN_OR_RETURN(uint8_t kind, in_.u8("constant kind"));
    switch (static_cast<Constant::Kind>(kind)) {
      case Constant::Kind::kNone:
        return Constant();
      case Constant::Kind::kEllipsis:
        return Constant::ellipsis();
      case Constant::Kind::kBool: {
        GYRO_ASSIGN_OR_RETURN(uint8_t value, in_.u8("bool constant"));
        if (value > 1) return in_.error_at(at, "bad bool constant {}", value);
        return Constant::boolean(value != 0);
      }
      case Constant::Kind::kInt: {
        GYRO_ASSIGN_OR_RETURN(uint64_t value, in_.u64("int constant"));
        return Constant::integer(static_cast<int64_t>(value));
      }
      case Constant::Kind::kFloat: {
        GYRO_ASSIGN_OR_RETURN(uint64_t bits, in_.u64("float constant"));
        double value;
        std::memcpy(&value, &bits, sizeof(value));
        return Constant::real(value);
      }
      case Constant::Kind::kString: {
        GYRO_ASSIGN_OR_RETURN(std::string value, in_.string("str constant"));
        return Constant::string(std::move(value));
      }
      case Constant::Kind::kCode:
      case Constant::Kind::kTuple:
        break;
    }
    return in_.error_at(at, "bad guard constant kind {}", kind);
  }

  Expected<Dims> dims(std::string_view what, bool non_negative) {
    const std::size_t at = in_.offset();
    GYRO_ASSIGN_OR_RETURN(uint8_t rank, in_.u8(what));
    if (rank > kMaxRank) return in_.error_at(at, "{} of rank {} (at most {})", what, rank, kMaxRank);
    Dims out;
    for (int d = 0; d < rank; ++d) {
      GYRO_ASSIGN_OR_RETURN(uint64_t raw, in_.u64(what));
      const int64_t value = unzigzag(raw);
      if (non_negative && value < 0) return in_.error_at(at, "{} has a negative entry", what);
      out.push_back(value);
    }
    return out;
  }

  Status guards(DecodedCapture& out) {
    GYRO_ASSIGN_OR_RETURN(uint32_t count, in_.count("guard count", 5));
    for (uint32_t i = 0; i < count; ++i) {
      GYRO_ASSIGN_OR_RETURN(auto kind, enumerator<GuardKind>(
                                           "guard kind",
                                           static_cast<int>(GuardKind::DUPLICATE_INPUT) + 1));
      // A SHAPE relation reads symbols, not a source.
      SourceId source = guards::kNoSource;
      if (kind == GuardKind::SHAPE) {
        GYRO_ASSIGN_OR_RETURN(uint32_t none, in_.u32("guard source"));
        if (none != kNoIndex) return in_.error_at(in_.offset() - 4, "a SHAPE guard with a source");
      } else {
        GYRO_ASSIGN_OR_RETURN(source, source_id("guard source"));
      }
      Guard guard(kind, source);
      IdentityRecipe identity;
      switch (kind) {
        case GuardKind::TYPE_MATCH:
        case GuardKind::ID_MATCH: {
          GYRO_ASSIGN_OR_RETURN(guard.type_name, in_.string("type name"));
          GYRO_ASSIGN_OR_RETURN(identity, recipe());
          if (kind == GuardKind::ID_MATCH && identity.kind == IdentityRecipe::Kind::kBuiltinType)
            return in_.error_at(in_.offset(), "ID_MATCH with a builtin type key");
          if (identity.kind == IdentityRecipe::Kind::kBuiltinType)
            guard.identity = reinterpret_cast<const void*>(identity.key);
          break;
        }
        case GuardKind::CONSTANT_MATCH: {
          GYRO_ASSIGN_OR_RETURN(guard.constant, constant());
          break;
        }
        case GuardKind::LENGTH: {
          GYRO_ASSIGN_OR_RETURN(uint64_t length, in_.u64("length"));
          guard.length = unzigzag(length);
          if (guard.length < 0) return in_.error_at(in_.offset() - 8, "negative length");
          break;
        }
        case GuardKind::TENSOR_MATCH: {
          GYRO_ASSIGN_OR_RETURN(guard.tensor.dtype, dtype("tensor dtype"));
          GYRO_ASSIGN_OR_RETURN(guard.tensor.sizes, dims("tensor sizes", false));
          for (int64_t size : guard.tensor.sizes)
            if (size < 0) GYRO_TRY(note_symbol(guards::symbol_of_size(size)));
          GYRO_ASSIGN_OR_RETURN(guard.tensor.strides, dims("tensor strides", false));
          if (guard.tensor.strides.size() != guard.tensor.sizes.size())
            return in_.error_at(in_.offset(), "tensor strides and sizes differ in rank");
          break;
        }
        case GuardKind::NO_ALIASING:
        case GuardKind::DUPLICATE_INPUT: {
          GYRO_ASSIGN_OR_RETURN(uint32_t others, in_.count("aliasing source count", 4));
          if (kind == GuardKind::DUPLICATE_INPUT && others != 1)
            return in_.error_at(in_.offset(), "DUPLICATE_INPUT names {} sources, not 1", others);
          for (uint32_t j = 0; j < others; ++j) {
            GYRO_ASSIGN_OR_RETURN(SourceId other, source_id("aliasing source"));
            guard.unaliased.push_back(other);
          }
          break;
        }
        case GuardKind::SYMBOLIC_INT: {
          GYRO_ASSIGN_OR_RETURN(uint32_t symbol, in_.u32("symbol"));
          GYRO_TRY(note_symbol(static_cast<int64_t>(symbol)));
          guard.symbol = static_cast<int>(symbol);
          break;
        }
        case GuardKind::SHAPE: {
          GYRO_ASSIGN_OR_RETURN(guard.relation, shape_code());
          GYRO_ASSIGN_OR_RETURN(guard.relation_text, in_.string("relation text"));
          break;
        }
      }
      out.guards.push_back(std::move(guard));
      out.recipes.push_back(std::move(identity));
    }
    GYRO_ASSIGN_OR_RETURN(uint32_t names, in_.count("symbol name count", 4));
    if (names > static_cast<uint32_t>(guards::kMaxShapeSymbols))
      return in_.error_at(in_.offset() - 4, "{} symbols (at most {})", names,
                          guards::kMaxShapeSymbols);
    for (uint32_t i = 0; i < names; ++i) {
      GYRO_ASSIGN_OR_RETURN(std::string symbol, in_.string("symbol name"));
      out.symbol_names.push_back(std::move(symbol));
    }
    // Every symbol a check binds or reads is one the program has a binding slot for.
    if (max_symbol_ >= static_cast<int64_t>(names))
      return in_.error_at(in_.offset(), "a guard uses s{}, but the entry has {} symbols",
                          max_symbol_, names);
    for (const Guard& guard : out.guards)
      if (guard.kind == GuardKind::SHAPE &&
          !guards::valid_shape_code(guard.relation, static_cast<int>(names)))
        return in_.error_at(in_.offset(), "the relation of SHAPE guard '{}' is malformed",
                            guard.relation_text);
    num_symbols_ = static_cast<int>(names);
    GYRO_ASSIGN_OR_RETURN(out.capture.shape_guard_stats, in_.string("shape guard figures"));
    GYRO_ASSIGN_OR_RETURN(out.capture.shape_region, in_.string("shape region"));
    return {};
  }

  Status note_symbol(int64_t symbol) {
    if (symbol < 0 || symbol >= guards::kMaxShapeSymbols)
      return in_.error_at(in_.offset(), "symbol s{} is out of range", symbol);
    max_symbol_ = std::max(max_symbol_, symbol);
    return {};
  }

  Expected<std::vector<guards::ShapeOp>> shape_code() {
    GYRO_ASSIGN_OR_RETURN(uint32_t count, in_.count("shape code length", 10));
    std::vector<guards::ShapeOp> code;
    for (uint32_t i = 0; i < count; ++i) {
      guards::ShapeOp op;
      GYRO_ASSIGN_OR_RETURN(uint8_t kind, in_.u8("shape op"));
      GYRO_ASSIGN_OR_RETURN(op.symbol, in_.u8("shape op symbol"));
      GYRO_ASSIGN_OR_RETURN(uint64_t operand, in_.u64("shape op operand"));
      op.kind = static_cast<guards::ShapeOpKind>(kind);  // valid_shape_code checks the kind
      op.operand = static_cast<int64_t>(operand);
      code.push_back(op);
    }
    return code;
  }

  Expected<Attr> attr(bool symbolic_allowed = false) {
    Attr out;
    GYRO_ASSIGN_OR_RETURN(out.kind, enumerator<AttrKind>(
                                        "attribute kind", static_cast<int>(AttrKind::kString) + 1));
    switch (out.kind) {
      case AttrKind::kNone:
        break;
      case AttrKind::kInt:
      case AttrKind::kBool: {
        GYRO_ASSIGN_OR_RETURN(uint64_t value, in_.u64("attribute"));
        out.i = static_cast<int64_t>(value);
        if (out.kind == AttrKind::kBool && value > 1)
          return in_.error_at(in_.offset() - 8, "bad bool attribute {}", value);
        break;
      }
      case AttrKind::kFloat: {
        GYRO_ASSIGN_OR_RETURN(uint64_t bits, in_.u64("attribute"));
        std::memcpy(&out.f, &bits, sizeof(bits));
        break;
      }
      case AttrKind::kInts: {
        GYRO_ASSIGN_OR_RETURN(uint32_t count, in_.count("attribute list length", 8));
        for (uint32_t i = 0; i < count; ++i) {
          GYRO_ASSIGN_OR_RETURN(uint64_t value, in_.u64("attribute list item"));
          out.ints.push_back(static_cast<int64_t>(value));
        }
        break;
      }
      case AttrKind::kDType: {
        GYRO_ASSIGN_OR_RETURN(out.dtype, dtype("attribute dtype"));
        break;
      }
      case AttrKind::kString: {
        GYRO_ASSIGN_OR_RETURN(out.text, in_.string("attribute"));
        break;
      }
    }
    if (symbolic_allowed) {
      const std::size_t at = in_.offset();
      GYRO_ASSIGN_OR_RETURN(uint32_t count, in_.count("symbolic attribute length", 4));
      for (uint32_t k = 0; k < count; ++k) {
        GYRO_ASSIGN_OR_RETURN(uint32_t id, in_.u32("symbolic attribute"));
        if (id == kNoIndex) {
          out.syms.push_back(SymId{});
          continue;
        }
        if (id >= context_ids_.size())
          return in_.error_at(at, "attribute names expression {}, the context has {}", id,
                              context_ids_.size());
        out.syms.push_back(context_ids_[id]);
      }
      // Symbols stand for the attribute's values (one per int, or the int): each must equal
      // its hint, as tracing made it.
      const std::size_t values = out.kind == AttrKind::kInts ? out.ints.size() : 1;
      if (count != 0 && (count != values || (out.kind != AttrKind::kInts &&
                                             out.kind != AttrKind::kInt)))
        return in_.error_at(at, "{} symbols for an attribute of {} values", count, values);
      for (uint32_t k = 0; k < count; ++k) {
        if (out.syms[k].index < 0) continue;
        auto value = decider_.context().evaluate(out.syms[k], decider_.hints);
        const int64_t hint = out.kind == AttrKind::kInts ? out.ints[k] : out.i;
        if (!value.ok() || *value != hint)
          return in_.error_at(at, "a symbolic attribute differs from its example value");
      }
    }
    return out;
  }

  Expected<TensorMeta> meta() {
    TensorMeta out;
    GYRO_ASSIGN_OR_RETURN(out.dtype, dtype("dtype"));
    const std::size_t at = in_.offset();
    GYRO_ASSIGN_OR_RETURN(uint8_t rank, in_.u8("rank"));
    if (rank > kMaxRank) return in_.error_at(at, "rank {} (at most {})", rank, kMaxRank);
    for (int d = 0; d < rank; ++d) {
      GYRO_ASSIGN_OR_RETURN(uint64_t size, in_.u64("size"));
      if (size > static_cast<uint64_t>(INT64_MAX)) return in_.error_at(at, "negative size");
      out.sizes.push_back(static_cast<int64_t>(size));
    }
    // Sizes a tensor can have: their product, in bytes, fits an int64.
    int64_t bytes = static_cast<int64_t>(dtype_size(out.dtype));
    for (int64_t size : out.sizes)
      if (__builtin_mul_overflow(bytes, size, &bytes))
        return in_.error_at(at, "sizes whose product overflows");
    GYRO_ASSIGN_OR_RETURN(uint8_t wrapped, in_.u8("wrapped flag"));
    if (wrapped > 1) return in_.error_at(in_.offset() - 1, "bad wrapped flag {}", wrapped);
    out.wrapped_number = wrapped != 0;
    return out;
  }

  Expected<Tensor> constant_tensor() {
    const std::size_t at = in_.offset();
    GYRO_ASSIGN_OR_RETURN(TensorMeta info, meta());
    GYRO_ASSIGN_OR_RETURN(uint64_t size, in_.u64("constant size"));
    // The element count is checked against the bytes the file holds before anything is made.
    uint64_t numel = 1;
    for (int64_t dim : info.sizes)
      if (__builtin_mul_overflow(numel, static_cast<uint64_t>(dim), &numel))
        return in_.error_at(at, "constant's sizes overflow");
    uint64_t expected = 0;
    if (__builtin_mul_overflow(numel, dtype_size(info.dtype), &expected) || expected != size)
      return in_.error_at(at, "constant of {} bytes for {} elements of {}", size, numel,
                          dtype_name(info.dtype));
    GYRO_ASSIGN_OR_RETURN(auto data, in_.take(size, "constant data"));
    if (info.wrapped_number) {
      if (!info.sizes.empty()) return in_.error_at(at, "a wrapped number with sizes");
      Tensor out;
      visit_dtype(info.dtype, [&](auto tag) {
        using T = decltype(tag);
        T element;
        std::memcpy(&element, data.data(), sizeof(T));
        out = info.dtype == DType::Int64 ? Tensor::integer(static_cast<int64_t>(element), true)
                                         : Tensor::scalar(static_cast<double>(element),
                                                          info.dtype, true);
      });
      return out;
    }
    GYRO_ASSIGN_OR_RETURN(Tensor out, Tensor::empty(info.sizes, info.dtype));
    if (info.dtype == DType::Bool)
      for (uint8_t byte : data)
        if (byte > 1) return in_.error_at(at, "bool constant holds byte {}", byte);
    if (size > 0) std::memcpy(out.raw_data(), data.data(), size);
    return out;
  }

  // The context's nodes, rebuilt through SymContext's own operations (so a node is what they
  // make of its operands, never a raw record); context_ids_ maps saved ids to rebuilt ones.
  Status sym_context() {
    GYRO_ASSIGN_OR_RETURN(uint32_t count, in_.count("expression count", 13));
    if (count > kMaxExpressions)
      return in_.error_at(in_.offset() - 4, "{} expressions (at most {})", count,
                          kMaxExpressions);
    SymContext& context = decider_.context();
    for (uint32_t i = 0; i < count; ++i) {
      const std::size_t at = in_.offset();
      GYRO_ASSIGN_OR_RETURN(auto kind, enumerator<SymKind>("expression kind",
                                                           static_cast<int>(SymKind::kNot) + 1));
      GYRO_ASSIGN_OR_RETURN(uint64_t raw_value, in_.u64("expression value"));
      const int64_t value = unzigzag(raw_value);
      auto earlier = [&](std::string_view what) -> Expected<SymId> {
        GYRO_ASSIGN_OR_RETURN(uint32_t id, in_.u32(what));
        if (id >= i) return in_.error_at(at, "expression {} uses {}, not an earlier one", i, id);
        return context_ids_[id];
      };
      GYRO_ASSIGN_OR_RETURN(uint32_t terms, in_.count("term count", 12));
      // Each term is one more SymContext operation (and interned sum): bounded in all.
      total_terms_ += terms;
      if (total_terms_ > kMaxExpressions)
        return in_.error_at(at, "more than {} terms in the size expressions", kMaxExpressions);
      SymId made = context.constant(kind == SymKind::kAdd ? value : 0);
      for (uint32_t t = 0; t < terms; ++t) {
        GYRO_ASSIGN_OR_RETURN(SymId term, earlier("term"));
        GYRO_ASSIGN_OR_RETURN(uint64_t coefficient, in_.u64("coefficient"));
        made = context.add(made, context.mul(term, context.constant(unzigzag(coefficient))));
      }
      GYRO_ASSIGN_OR_RETURN(uint32_t operand_count, in_.count("operand count", 4));
      total_terms_ += operand_count;
      if (total_terms_ > kMaxExpressions)
        return in_.error_at(at, "more than {} operands in the size expressions", kMaxExpressions);
      std::vector<SymId> operands;
      for (uint32_t o = 0; o < operand_count; ++o) {
        GYRO_ASSIGN_OR_RETURN(SymId operand, earlier("operand"));
        operands.push_back(operand);
      }
      const bool binary = kind == SymKind::kFloorDiv || kind == SymKind::kMod ||
                          kind == SymKind::kMin || kind == SymKind::kMax;
      const bool unary = kind == SymKind::kLe || kind == SymKind::kEq || kind == SymKind::kNe ||
                         kind == SymKind::kNot;
      const bool folds = kind == SymKind::kMul || kind == SymKind::kAnd || kind == SymKind::kOr;
      const std::size_t expected = binary ? 2 : unary ? 1 : folds ? operands.size() : 0;
      if (operands.size() != expected || (folds && operands.size() < 2) ||
          (kind != SymKind::kAdd && terms != 0))
        return in_.error_at(at, "expression {} has {} operands and {} terms", i, operands.size(),
                            terms);
      // and/or/not take truth values (SymContext asserts it): a comparison, a logic node, or
      // the constant 0 or 1.
      const bool logic = kind == SymKind::kAnd || kind == SymKind::kOr || kind == SymKind::kNot;
      for (SymId operand : operands) {
        const SymNode& node = context.node(operand);
        const bool truth = node.kind == SymKind::kLe || node.kind == SymKind::kEq ||
                           node.kind == SymKind::kNe || node.kind == SymKind::kAnd ||
                           node.kind == SymKind::kOr || node.kind == SymKind::kNot ||
                           (node.kind == SymKind::kConstant && (node.value == 0 || node.value == 1));
        if (logic && !truth)
          return in_.error_at(at, "expression {} applies logic to a non-truth value", i);
      }
      const SymId zero = context.constant(0);
      switch (kind) {
        case SymKind::kConstant:
          made = context.constant(value);
          break;
        case SymKind::kSymbol:
          if (value < 0 || value >= num_symbols_)
            return in_.error_at(at, "expression {} is s{}, the entry has {} symbols", i, value,
                                num_symbols_);
          made = context.symbol(static_cast<int>(value));
          break;
        case SymKind::kAdd:
          break;
        case SymKind::kMul:
        case SymKind::kAnd:
        case SymKind::kOr:
          made = operands[0];
          for (std::size_t o = 1; o < operands.size(); ++o)
            made = kind == SymKind::kMul   ? context.mul(made, operands[o])
                   : kind == SymKind::kAnd ? context.logical_and(made, operands[o])
                                           : context.logical_or(made, operands[o]);
          break;
        case SymKind::kFloorDiv:
          made = context.floordiv(operands[0], operands[1]);
          break;
        case SymKind::kMod:
          made = context.mod(operands[0], operands[1]);
          break;
        case SymKind::kMin:
          made = context.min(operands[0], operands[1]);
          break;
        case SymKind::kMax:
          made = context.max(operands[0], operands[1]);
          break;
        case SymKind::kLe:
          made = context.le(operands[0], zero);
          break;
        case SymKind::kEq:
          made = context.eq(operands[0], zero);
          break;
        case SymKind::kNe:
          made = context.ne(operands[0], zero);
          break;
        case SymKind::kNot:
          made = context.logical_not(operands[0]);
          break;
      }
      context_ids_.push_back(made);
    }
    return {};
  }

  Status hints() {
    const std::size_t at = in_.offset();
    GYRO_ASSIGN_OR_RETURN(uint32_t count, in_.count("hint count", 8));
    if (count != static_cast<uint32_t>(num_symbols_))
      return in_.error_at(at, "{} example values for {} symbols", count, num_symbols_);
    for (uint32_t i = 0; i < count; ++i) {
      GYRO_ASSIGN_OR_RETURN(uint64_t hint, in_.u64("example value"));
      decider_.hints.push_back(unzigzag(hint));
    }
    return {};
  }

  Status graph(Graph& out) {
    GYRO_TRY(sym_context());
    GYRO_TRY(hints());
    GraphBuilderOptions options;
    options.cse = false;  // the saved graph is rebuilt node for node
    options.shapes = &decider_;
    GraphBuilder builder(options);
    std::set<std::string> placeholder_sources;
    std::vector<ValueId> values;  // saved value id -> rebuilt value
    auto value = [&](std::string_view what) -> Expected<ValueId> {
      const std::size_t at = in_.offset();
      GYRO_ASSIGN_OR_RETURN(uint32_t index, in_.u32(what));
      if (index >= values.size())
        return in_.error_at(at, "{} names value {}, which is not made yet ({} are)", what, index,
                            values.size());
      return values[index];
    };
    GYRO_ASSIGN_OR_RETURN(uint32_t nodes, in_.count("node count", 1));
    for (uint32_t i = 0; i < nodes; ++i) {
      const std::size_t at = in_.offset();
      GYRO_ASSIGN_OR_RETURN(auto kind, enumerator<NodeKind>(
                                           "node kind",
                                           static_cast<int>(NodeKind::kOpaqueCall) + 1));
      switch (kind) {
        case NodeKind::kPlaceholder: {
          GYRO_ASSIGN_OR_RETURN(std::string source, in_.string("placeholder source"));
          GYRO_ASSIGN_OR_RETURN(TensorMeta info, meta());
          GYRO_ASSIGN_OR_RETURN(uint8_t symbolic, in_.u8("symbolic sizes"));
          if (symbolic >> info.sizes.size())
            return in_.error_at(at, "symbolic sizes {:#x} for rank {}", symbolic,
                                info.sizes.size());
          if (!placeholder_sources.insert(source).second)
            return in_.error_at(at, "graph input '{}' appears twice", source);
          if (!symbolic) {
            values.push_back(builder.placeholder(std::move(source), info));
            break;
          }
          SymDims sizes = plain_dims(info.sizes);
          for (int d = 0; d < static_cast<int>(info.sizes.size()); ++d) {
            if (!((symbolic >> d) & 1)) continue;
            GYRO_ASSIGN_OR_RETURN(uint32_t symbol, in_.u32("size symbol"));
            if (symbol >= decider_.hints.size() || decider_.hints[symbol] != info.sizes[d])
              return in_.error_at(at, "size {} of '{}' is s{}, whose example value differs", d,
                                  source, symbol);
            sizes[d] = SymDim(info.sizes[d], decider_.context().symbol(static_cast<int>(symbol)),
                              &decider_);
          }
          values.push_back(builder.placeholder(std::move(source), info, sizes));
          break;
        }
        case NodeKind::kConstant: {
          GYRO_ASSIGN_OR_RETURN(Tensor tensor, constant_tensor());
          values.push_back(builder.constant(std::move(tensor)));
          break;
        }
        case NodeKind::kCall: {
          GYRO_ASSIGN_OR_RETURN(std::string name, in_.string("op name"));
          auto op = op_from_name(name);
          if (!op) return in_.error_at(at, "unknown op '{}'", name);
          GYRO_ASSIGN_OR_RETURN(uint32_t outputs, in_.u32("output count"));
          GYRO_ASSIGN_OR_RETURN(uint32_t input_count, in_.count("input count", 4));
          std::vector<ValueId> inputs;
          for (uint32_t j = 0; j < input_count; ++j) {
            GYRO_ASSIGN_OR_RETURN(ValueId input, value("op input"));
            inputs.push_back(input);
          }
          GYRO_ASSIGN_OR_RETURN(uint32_t attr_count, in_.count("attribute count", 1));
          std::vector<Attr> attrs;
          for (uint32_t j = 0; j < attr_count; ++j) {
            GYRO_ASSIGN_OR_RETURN(Attr item, attr(true));
            attrs.push_back(std::move(item));
          }
          // The builder checks the call as tracing did (arity, attributes, dtypes, shapes).
          auto made = builder.call(*op, inputs, attrs);
          if (!made.ok())
            return in_.error_at(at, "{} call does not build: {}", name, made.error().message);
          if (made->size() != outputs)
            return in_.error_at(at, "{} call makes {} outputs, the artifact says {}", name,
                                made->size(), outputs);
          if (decider_.failed)
            return in_.error_at(at, "{} call needs a size decision the example values cannot make",
                                name);
          values.insert(values.end(), made->begin(), made->end());
          break;
        }
        case NodeKind::kOpaqueCall:
          return in_.error_at(at, "an opaque call in an artifact");
      }
    }
    GYRO_ASSIGN_OR_RETURN(uint32_t outputs, in_.count("graph output count", 4));
    std::vector<ValueId> results;
    for (uint32_t i = 0; i < outputs; ++i) {
      GYRO_ASSIGN_OR_RETURN(ValueId output, value("graph output"));
      results.push_back(output);
    }
    builder.set_outputs(std::move(results));
    out = builder.finish();
    output_count_ = outputs;
    return {};
  }

  Expected<Value> constant_value(int depth) {
    const std::size_t at = in_.offset();
    if (depth > kMaxArtifactPlanDepth) return in_.error_at(at, "a constant nests too deeply");
    GYRO_ASSIGN_OR_RETURN(uint8_t kind, in_.u8("value kind"));
    switch (kind) {
      case 0:
        return Value();
      case 1: {
        GYRO_ASSIGN_OR_RETURN(uint8_t value, in_.u8("bool"));
        if (value > 1) return in_.error_at(at, "bad bool {}", value);
        return Value::boolean(value != 0);
      }
      case 2: {
        GYRO_ASSIGN_OR_RETURN(uint64_t value, in_.u64("int"));
        return Value::integer(static_cast<int64_t>(value));
      }
      case 3: {
        GYRO_ASSIGN_OR_RETURN(uint64_t bits, in_.u64("float"));
        double value;
        std::memcpy(&value, &bits, sizeof(value));
        return Value::real(value);
      }
      case 4: {
        GYRO_ASSIGN_OR_RETURN(std::string text, in_.string("str"));
        return make_str(std::move(text));
      }
      case 5: {
        GYRO_ASSIGN_OR_RETURN(DType value, dtype("dtype"));
        return dtype_value(value);
      }
      case 6: {
        GYRO_ASSIGN_OR_RETURN(uint32_t count, in_.count("tuple length", 1));
        std::vector<Value> items;
        for (uint32_t i = 0; i < count; ++i) {
          GYRO_ASSIGN_OR_RETURN(Value item, constant_value(depth + 1));
          items.push_back(std::move(item));
        }
        return make_tuple(std::move(items));
      }
      case 7: {
        GYRO_ASSIGN_OR_RETURN(std::string name, in_.string("builtin name"));
        if (!builtins_) return Value();
        auto found = builtins_->get(make_str(name));
        if (!found.ok() || !*found || !(*found)->is(ObjectKind::Builtin))
          return in_.error_at(at, "unknown builtin '{}'", name);
        return **found;
      }
      default:
        return in_.error_at(at, "bad value kind {}", kind);
    }
  }

  Expected<ResultPlan> plan(int depth) {
    const std::size_t at = in_.offset();
    if (depth > kMaxArtifactPlanDepth) return in_.error_at(at, "a plan nests too deeply");
    using Kind = ResultPlan::Kind;
    ResultPlan out;
    GYRO_ASSIGN_OR_RETURN(out.kind, enumerator<Kind>("plan kind",
                                                     static_cast<int>(Kind::kSymInt) + 1));
    GYRO_ASSIGN_OR_RETURN(uint32_t output, in_.u32("plan output"));
    if (out.kind == Kind::kTensor) {
      if (output >= output_count_)
        return in_.error_at(at, "plan output {} is not one of the graph's {} outputs", output,
                            output_count_);
      out.output = static_cast<int>(output);
    } else if (out.kind == Kind::kView) {
      // Which output of the view op (chunk's third, say), not a graph output: building the
      // view checks it against what the op returns.
      if (output > 1u << 16) return in_.error_at(at, "view output {} is too large", output);
      out.output = static_cast<int>(output);
    } else if (output != kNoIndex) {
      return in_.error_at(at, "plan kind {} with an output", static_cast<int>(out.kind));
    }
    GYRO_ASSIGN_OR_RETURN(out.constant, constant_value(0));
    if (out.kind == Kind::kNewObject && !out.constant.is_int())
      return in_.error_at(at, "an object plan without its class's fingerprint");
    GYRO_ASSIGN_OR_RETURN(uint32_t source, in_.u32("plan source"));
    if (out.kind == Kind::kSource) {
      if (source >= source_count_)
        return in_.error_at(at, "plan source {} is not one of the {} sources", source,
                            source_count_);
      out.source = static_cast<SourceId>(source);
    } else if (source != kNoIndex) {
      return in_.error_at(at, "plan kind {} with a source", static_cast<int>(out.kind));
    }
    GYRO_ASSIGN_OR_RETURN(uint32_t made, in_.u32("made slot"));
    const bool can_be_made = out.kind == Kind::kTensor || out.kind == Kind::kView ||
                             out.kind == Kind::kList || out.kind == Kind::kDict ||
                             out.kind == Kind::kTuple || out.kind == Kind::kNewObject;
    if (made != kNoIndex && !can_be_made)
      return in_.error_at(at, "plan kind {} with a made slot", static_cast<int>(out.kind));
    if (made != kNoIndex) {
      if (made > 1u << 16) return in_.error_at(at, "made slot {} is too large", made);
      out.made = static_cast<int32_t>(made);
    }
    GYRO_ASSIGN_OR_RETURN(out.name, in_.string("plan name"));
    GYRO_ASSIGN_OR_RETURN(std::string view_op, in_.string("view op"));
    auto op = op_from_name(view_op);
    if (!op) return in_.error_at(at, "unknown view op '{}'", view_op);
    out.view_op = *op;
    GYRO_ASSIGN_OR_RETURN(uint32_t attrs, in_.count("view attribute count", 1));
    for (uint32_t i = 0; i < attrs; ++i) {
      GYRO_ASSIGN_OR_RETURN(Attr item, attr());
      out.view_attrs.push_back(std::move(item));
    }
    if (out.kind == Kind::kView) {
      // The view is applied by the op table at run time: check its attributes bind now.
      if (!bind_attrs(out.view_op, 1, out.view_attrs).ok())
        return in_.error_at(at, "view {} with attributes that do not bind", view_op);
    }
    GYRO_ASSIGN_OR_RETURN(uint32_t items, in_.count("plan item count", 1));
    for (uint32_t i = 0; i < items; ++i) {
      GYRO_ASSIGN_OR_RETURN(ResultPlan item, plan(depth + 1));
      out.items.push_back(std::move(item));
    }
    GYRO_ASSIGN_OR_RETURN(out.expression, shape_code());
    GYRO_ASSIGN_OR_RETURN(uint32_t symbols, in_.count("symbol count", 8));
    if (symbols > static_cast<uint32_t>(guards::kMaxShapeSymbols))
      return in_.error_at(at, "a symbolic int over {} symbols", symbols);
    for (uint32_t i = 0; i < symbols; ++i) {
      GYRO_ASSIGN_OR_RETURN(SourceId source, source_id("symbol source"));
      GYRO_ASSIGN_OR_RETURN(uint32_t dim, in_.u32("symbol dim"));
      if (static_cast<int32_t>(dim) < -1 || static_cast<int32_t>(dim) >= kMaxRank)
        return in_.error_at(at, "symbol dim {}", static_cast<int32_t>(dim));
      out.symbols.emplace_back(source, static_cast<int32_t>(dim));
    }
    if (out.kind == Kind::kSymInt
            ? !guards::valid_shape_code(out.expression, static_cast<int>(symbols))
            : !out.expression.empty() || symbols != 0)
      return in_.error_at(at, "a malformed symbolic int plan");
    const bool needs_one_item = out.kind == Kind::kAttribute || out.kind == Kind::kView;
    if (needs_one_item && out.items.size() != 1)
      return in_.error_at(at, "plan kind {} with {} items", static_cast<int>(out.kind),
                          out.items.size());
    if ((out.kind == Kind::kDict || out.kind == Kind::kNewObject) && out.items.size() % 2 != 0)
      return in_.error_at(at, "a dict or object plan with an odd item count");
    if (out.kind == Kind::kNewObject)
      for (std::size_t i = 0; i < out.items.size(); i += 2)
        if (out.items[i].kind != Kind::kConstant || !out.items[i].constant.is(ObjectKind::Str))
          return in_.error_at(at, "an object plan whose field names are not strs");
    return out;
  }

  Expected<SideEffect> side_effect() {
    SideEffect out;
    GYRO_ASSIGN_OR_RETURN(out.kind, enumerator<SideEffect::Kind>(
                                        "side effect kind",
                                        static_cast<int>(SideEffect::Kind::kSetCell) + 1));
    GYRO_ASSIGN_OR_RETURN(out.target, plan(0));
    GYRO_ASSIGN_OR_RETURN(out.name, in_.string("side effect name"));
    GYRO_ASSIGN_OR_RETURN(uint32_t args, in_.count("side effect argument count", 1));
    for (uint32_t i = 0; i < args; ++i) {
      GYRO_ASSIGN_OR_RETURN(ResultPlan arg, plan(0));
      out.args.push_back(std::move(arg));
    }
    GYRO_ASSIGN_OR_RETURN(uint32_t kwargs, in_.count("side effect keyword count", 1));
    for (uint32_t i = 0; i < kwargs; ++i) {
      GYRO_ASSIGN_OR_RETURN(std::string key, in_.string("keyword"));
      GYRO_ASSIGN_OR_RETURN(ResultPlan arg, plan(0));
      out.kwargs.emplace_back(std::move(key), std::move(arg));
    }
    if (out.kind == SideEffect::Kind::kSetCell)  // never saved: a cell is no constant
      return in_.error_at(in_.offset(), "a closure cell store in an artifact");
    // What replay reads: each kind's arguments.
    const std::size_t needed = out.kind == SideEffect::Kind::kPrint   ? 0
                               : out.kind == SideEffect::Kind::kSetItem ? 2
                                                                          : 1;
    if (out.kind != SideEffect::Kind::kPrint ? out.args.size() != needed : false)
      return in_.error_at(in_.offset(), "side effect with {} arguments, not {}", out.args.size(),
                          needed);
    return out;
  }

  // Size decisions while the graph is rebuilt, taken on the example values, as tracing took
  // them (a decision they cannot make fails the rebuild).
  struct ReplayDecider : SymDecider {
    SymContext& context() override { return context_; }
    bool decide(SymId condition) override {
      auto value = context_.evaluate(condition, hints);
      if (!value.ok()) failed = true;
      return value.ok() && *value != 0;
    }
    SymContext context_;
    std::vector<int64_t> hints;
    bool failed = false;
  };
  static constexpr uint32_t kMaxExpressions = 4096;

  ByteReader in_;
  ReplayDecider decider_;
  std::vector<SymId> context_ids_;
  uint32_t total_terms_ = 0;
  int64_t max_symbol_ = -1;
  uint32_t identity_groups_ = 0;
  int num_symbols_ = 0;
  const Dict* builtins_;
  uint32_t source_count_ = 0;
  uint32_t output_count_ = 0;
};

}  // namespace

Expected<DecodedCapture> decode_capture(std::span<const uint8_t> bytes, std::size_t base,
                                        const Dict* builtins) {
  return Decoder(bytes, base, builtins).decode();
}

}  // namespace gyro
