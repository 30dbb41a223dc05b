// Realizing sources: a frame's values read as symbolic ones, each with the guards that keep it
// valid (types, identities, constants, lengths, tensor metas), and globals.
#include "interp/tracer_impl.h"

namespace gyro::tracing {

SymDims Tracer::input_sizes(const Tensor& tensor, SourceId source, const DimMarks* marks) {
  SymDims sizes = plain_dims(tensor.sizes());
  SeenSizes* seen = nullptr;
  bool first_sight = false;
  if (policy_.seen) {
    auto [it, inserted] = policy_.seen->try_emplace(capture_.sources.describe(source));
    seen = &it->second;
    first_sight = inserted;
    if (inserted || seen->sizes.size() != tensor.dim()) {
      // New, or its rank changed: what it is now is what later traces compare with.
      seen->sizes = tensor.sizes();
      seen->changed = 0;
    } else {
      for (int d = 0; d < tensor.dim(); ++d)
        if (seen->sizes[d] != tensor.size(d)) seen->changed |= static_cast<uint8_t>(1u << d);
    }
  }
  const bool contiguous = tensor.is_contiguous();
  for (int d = 0; d < tensor.dim(); ++d) {
    const int64_t hint = tensor.size(d);
    if (marks && (marks->dynamic >> d & 1u)) {
      // mark_dynamic: symbolic from the first trace on, whatever the policy says.
      const std::string name =
          fmt::format("{}.size({})", capture_.sources.describe(source), d);
      if (hint < 2 || hint < marks->min[d] || hint > marks->max[d] || !contiguous) {
        stop(BreakReason::ConstraintViolation,
             !contiguous ? fmt::format("{} was marked dynamic, but the tensor is not contiguous "
                                       "(only contiguous tensors get symbolic sizes)",
                                       name)
             : hint < 2
                 ? fmt::format("{} was marked dynamic, but its size is {} (sizes 0 and 1 are "
                               "always specialized)",
                               name, hint)
                 : fmt::format("{} = {} is outside the range [{}, {} given to mark_dynamic", name,
                               hint, marks->min[d],
                               marks->max[d] == std::numeric_limits<int64_t>::max()
                                   ? std::string("inf)")
                                   : std::to_string(marks->max[d]) + "]"));
        return sizes;
      }
      SymId symbol = shapes_.marked_symbol(hint, {source, d}, marks->min[d], marks->max[d]);
      if (symbol.index >= 0) sizes[d] = SymDim(hint, symbol, &shapes_);
      continue;
    }
    if (marks && (marks->fixed >> d & 1u)) continue;  // mark_static
    if (policy_.dynamic == false || !contiguous) continue;
    if (hint < 2) continue;  // 0 and 1 specialize: broadcasting and emptiness depend on them
    const bool changed = seen && !first_sight && (seen->changed >> d & 1u);
    if (!(policy_.dynamic == true || (policy_.automatic_dynamic && changed))) continue;
    SymId symbol = shapes_.size_symbol(hint, {source, d}, policy_.duck_shape);
    if (symbol.index < 0) continue;  // out of symbols: static
    sizes[d] = SymDim(hint, symbol, &shapes_);
  }
  return sizes;
}

namespace {

// One line on what deciding branches and pruning guards cost (explain, GYRO_LOGS=guards,z3).
std::string describe_pruning(const guards::PruneStats& prune, const guards::ProverStats& decide) {
  const guards::ProverStats& p = prune.prover;
  return fmt::format(
      "shape guards {} -> {} (dedup {}, facts layer {}, z3 {}); branch decisions {} ({} by "
      "facts); z3 {} queries ({} unsat, {} sat, {} unknown), {:.2f} ms, rlimit {}",
      prune.before, prune.after_z3, prune.after_dedup, prune.after_facts, prune.after_z3,
      decide.queries, decide.syntactic + decide.by_facts, p.z3_queries + decide.z3_queries,
      p.z3_unsat + decide.z3_unsat, p.z3_sat + decide.z3_sat, p.z3_unknown + decide.z3_unknown,
      p.z3_ms + decide.z3_ms, p.rlimit_spent + decide.rlimit_spent);
}

}  // namespace

bool Tracer::int_is_symbolic(int64_t value, SourceId source) {
  // Only the frame's own ints (arguments, a resume point's stack): an int inside a list, dict
  // or object is read by code that compares its value directly (dict lookups, len, sum).
  // And only ints well inside int64: guards move every term to one side, which must not
  // overflow on the example itself.
  const guards::SourceKind kind = capture_.sources[source].kind;
  if (kind != guards::SourceKind::kLocal && kind != guards::SourceKind::kStackSlot) return false;
  if (value <= -(int64_t{1} << 31) || value >= (int64_t{1} << 31)) return false;
  // What earlier traces of this resume point saw of the int (automatic dynamic, as for sizes).
  bool changed = false;
  if (policy_.seen) {
    auto [it, inserted] = policy_.seen->try_emplace("int " + capture_.sources.describe(source));
    SeenSizes& seen = it->second;
    if (inserted) {
      seen.sizes = Dims{value};
    } else if (seen.sizes.size() == 1 && seen.sizes[0] != value) {
      seen.changed = 1;
    }
    changed = !inserted && seen.changed;
  }
  if (policy_.dynamic == false || value == 0 || value == 1) return false;  // 0, 1 specialize
  return policy_.dynamic == true || (policy_.automatic_dynamic && changed);
}

bool Tracer::guard_shapes() {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < shapes_.symbols().size(); ++i) {
    names.push_back(shapes_.symbol_name(static_cast<int>(i), capture_.sources));
    capture_.symbol_hints.push_back(shapes_.symbols()[i].hint);
  }
  if (shapes_.symbols().empty()) return true;
  guards::PruneStats stats;
  const std::vector<SymId> relations = shapes_.pruned_relations(&stats);
  capture_.shape_guard_stats = describe_pruning(stats, shapes_.decide_stats());
  capture_.z3_queries = stats.prover.z3_queries + shapes_.decide_stats().z3_queries;
  capture_.z3_ms = stats.prover.z3_ms + shapes_.decide_stats().z3_ms;
  capture_.shape_region = shapes_.describe_region(relations, capture_.sources);
  if (std::string violation = shapes_.constraint_violation(relations, capture_.sources);
      !violation.empty()) {
    stop_ = Stop{BreakReason::ConstraintViolation, std::move(violation)};
    return false;
  }
  for (SymId relation : relations) {
    auto code = guards::compile_relation(shapes_.context(), relation);
    if (!code) {
      stop_ = Stop{BreakReason::SymbolicShapeLimit, shapes_.describe(relation, capture_.sources)};
      return false;
    }
    Guard g(GuardKind::SHAPE, kNoSource);
    g.relation = std::move(*code);
    g.relation_text = shapes_.describe(relation, capture_.sources);
    guard(std::move(g));
  }
  capture_.guards.set_symbol_names(std::move(names));
  return true;
}

Dims Tracer::static_sizes(int var) {
  const SymDims sizes = builder_.sym_sizes(ValueId{vars_[var].value});
  Dims out;
  for (const SymDim& size : sizes) out.push_back(shapes_.specialize(size));
  return out;
}

void Tracer::guard_identity(SourceId source, const Value& value) {
  if (source == kNoSource) return;
  Guard g(GuardKind::ID_MATCH, source);
  g.identity = value.as_object();
  g.type_name = std::string(type_name(value));
  capture_.keep_alive.push_back(value);
  guard(std::move(g));
}

void Tracer::guard_type(SourceId source, const Value& value) {
  if (source == kNoSource) return;
  Guard g(GuardKind::TYPE_MATCH, source);
  g.identity = type_identity(value);
  g.type_name = std::string(type_name(value));
  if (value.is(ObjectKind::Instance)) capture_.keep_alive.push_back(value.as<InstanceObject>().cls);
  guard(std::move(g));
}

std::optional<Sym> Tracer::realize(const Value& value, SourceId source) {
  if (value.is_int() && source != kNoSource && int_is_symbolic(value.as_int(), source)) {
    SymId symbol = shapes_.int_symbol(value.as_int(), source);
    if (symbol.index >= 0) {
      Guard g(GuardKind::SYMBOLIC_INT, source);
      g.symbol = static_cast<int>(shapes_.context().node(symbol).value);
      guard(std::move(g));
      Sym s = sym_int(SymDim(value.as_int(), symbol, &shapes_));
      s.source = source;
      return s;
    }
  }
  if (value.is_none() || value.is_bool() || value.is_int() || value.is_float() ||
      value.is(ObjectKind::Str)) {
    if (source != kNoSource) {
      Guard g(GuardKind::CONSTANT_MATCH, source);
      if (value.is_none())
        g.constant = Constant();
      else if (value.is_bool())
        g.constant = Constant::boolean(value.as_bool());
      else if (value.is_int())
        g.constant = Constant::integer(value.as_int());
      else if (value.is_float())
        g.constant = Constant::real(value.as_float());
      else
        g.constant = Constant::string(value.as<StrObject>().text);
      guard(std::move(g));
    }
    return Sym::constant(value, source);
  }
  if (value.is(ObjectKind::TensorBox)) {
    if (source == kNoSource) return stop(BreakReason::UnsupportedBuiltin, "an unnamed tensor");
    // One placeholder per source: reading x twice is one input.
    auto it = placeholder_of_.find(source);
    if (it != placeholder_of_.end()) return tensor_sym(it->second, source);
    const Tensor& tensor = value.as<TensorBoxObject>().tensor;
    // The graph reads inputs before it runs: one that shares storage with an input already
    // written in place must be read by the VM, after the write.
    for (int written : written_inputs_)
      if (vars_[written].storage == tensor.storage().get())
        return stop(BreakReason::InPlaceAliasing,
                    "reading an input that shares storage with one written in place");
    const SymDims sizes = input_sizes(tensor, source, value.as<TensorBoxObject>().marks.get());
    if (stop_) return std::nullopt;  // a mark_dynamic the example contradicts
    const bool symbolic = any_symbolic(sizes);
    Guard g(GuardKind::TENSOR_MATCH, source);
    g.tensor.dtype = tensor.dtype();
    for (int d = 0; d < tensor.dim(); ++d) {
      const SymDim& size = sizes[d];
      g.tensor.sizes.push_back(size.is_symbolic()
                                   ? guards::size_of_symbol(static_cast<int>(
                                         shapes_.context().node(size.expr).value))
                                   : size.hint);
      g.tensor.strides.push_back(symbolic ? guards::kContiguousStrides : tensor.stride(d));
    }
    guard(std::move(g));
    std::string name = capture_.sources.describe(source);
    int index = symbolic ? builder_.placeholder(std::move(name), TensorMeta::of(tensor), sizes).index
                         : builder_.placeholder(std::move(name), TensorMeta::of(tensor)).index;
    capture_.inputs.push_back(source);
    int var = new_var(index);
    vars_[var].input = source;
    vars_[var].placeholder = index;
    vars_[var].storage = tensor.storage().get();
    vars_[var].contiguous = tensor.is_contiguous();
    placeholder_of_.emplace(source, var);
    return tensor_sym(var, source);
  }
  if (value.is(ObjectKind::SparseTensor)) return stop(BreakReason::SparseTensor);
  const bool container = value.is(ObjectKind::List) || value.is(ObjectKind::Tuple) ||
                         value.is(ObjectKind::Dict) || value.is(ObjectKind::Instance);
  if (container && source != kNoSource) {
    // One object reached through two sources (f(d, d), a global also held by an argument) is
    // one symbolic value, so a store through one name is seen through the other; a guard
    // keeps the two the same object.
    if (auto seen = realized_objects_.find(value.as_object()); seen != realized_objects_.end()) {
      Guard same(GuardKind::DUPLICATE_INPUT, source);
      same.unaliased.push_back(seen->second.source);
      guard(std::move(same));
      return seen->second;
    }
  }
  if (value.is(ObjectKind::List) || value.is(ObjectKind::Tuple)) {
    if (source == kNoSource) return stop(BreakReason::UnsupportedBuiltin, "an unnamed list");
    guard_type(source, value);
    const auto& items = sequence_items(value);
    Guard length(GuardKind::LENGTH, capture_.sources.length(source));
    length.length = static_cast<int64_t>(items.size());
    guard(std::move(length));
    // Registered before its items are read: a list that contains itself finds itself.
    Sym s = Sym::sequence(value.is(ObjectKind::List) ? Sym::Kind::kList : Sym::Kind::kTuple, {});
    s.source = source;
    s.value = value;
    realized_objects_.emplace(value.as_object(), s);
    for (std::size_t i = 0; i < items.size(); ++i) {
      auto item = realize(items[i], capture_.sources.item(source, static_cast<int64_t>(i)));
      if (!item) return std::nullopt;
      s.items->push_back(std::move(*item));
    }
    changed_items_.push_back(s.items);  // it may hold itself
    return s;
  }
  if (value.is(ObjectKind::Dict)) {
    // A dict argument: its type and length, each key at its position (so the order the trace
    // saw is guarded too) and each value, read by position.
    if (source == kNoSource) return stop(BreakReason::UnsupportedBuiltin, "an unnamed dict");
    guard_type(source, value);
    const Dict& table = value.as<DictObject>().table;
    Guard length(GuardKind::LENGTH, capture_.sources.length(source));
    length.length = static_cast<int64_t>(table.size());
    guard(std::move(length));
    Sym s = Sym::sequence(Sym::Kind::kDict, {});
    s.source = source;
    s.value = value;
    realized_objects_.emplace(value.as_object(), s);
    std::vector<Sym>& items = *s.items;
    changed_items_.push_back(s.items);  // it may hold itself
    for (std::size_t i = 0; i < table.size(); ++i) {
      const Dict::Entry& entry = *table.live_entry(i);
      const Value& key = entry.key;
      if (!(key.is_none() || key.is_number() || key.is(ObjectKind::Str)))
        return stop(BreakReason::UnsupportedBuiltin,
                    fmt::format("a dict argument with a key of type '{}'", type_name(key)));
      auto key_sym = realize(key, capture_.sources.dict_key(source, static_cast<int64_t>(i)));
      if (!key_sym) return std::nullopt;
      auto item = realize(entry.value,
                          capture_.sources.dict_value(source, static_cast<int64_t>(i), repr(key)));
      if (!item) return std::nullopt;
      items.push_back(std::move(*key_sym));
      items.push_back(std::move(*item));
    }
    return s;
  }
  if (value.is(ObjectKind::Instance)) {
    if (source == kNoSource) return stop(BreakReason::UnsupportedBuiltin, "an unnamed object");
    guard_type(source, value);
    Sym s;
    s.kind = Sym::Kind::kObject;
    s.value = value;
    s.source = source;
    realized_objects_.emplace(value.as_object(), s);
    return s;
  }
  // (A host's native function too: its call is where the graph breaks, HostFunction.)
  if (value.is(ObjectKind::Function) || value.is(ObjectKind::Builtin) ||
      value.is(ObjectKind::Class) || value.is(ObjectKind::DTypeValue) ||
      value.is(ObjectKind::CompiledFunction) || value.is(ObjectKind::HostFunction)) {
    guard_identity(source, value);
    return Sym::constant(value, source);
  }
  return stop(BreakReason::UnsupportedBuiltin,
              fmt::format("a value of type '{}'", type_name(value)));
}

std::optional<Sym> Tracer::global(const FunctionObject& function, const std::string& name) {
  SourceId source = capture_.sources.global(name);
  if (auto it = globals_.find(source); it != globals_.end()) return it->second;
  Value key = make_str(name);
  const Value* found = nullptr;
  for (const Value* dict : {&function.globals, &vm_.builtins()}) {
    const Dict& table = dict->as<DictObject>().table;
    if (int64_t position = table.find(key); position >= 0) {
      found = &table.value_at(position);
      break;
    }
  }
  if (!found) return stop(BreakReason::UserError, fmt::format("name '{}' is not defined", name));
  auto value = realize(*found, source);
  if (value) globals_.emplace(source, *value);
  return value;
}

}  // namespace gyro::tracing
