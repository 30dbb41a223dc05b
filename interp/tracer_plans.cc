// Plans: how the graph's outputs and the frame's sources rebuild what the VM sees again (the
// result, the locals and stack at a break, the inputs written back), and break snapshots.
#include <map>
#include <unordered_set>

#include "interp/tracer_impl.h"

namespace gyro::tracing {

bool Tracer::plan_break(const Snapshot& snapshot) {
  if (root_cells_stored_) return false;
  while (journal_.size() > snapshot.journal_size) {
    vars_[journal_.back().first] = std::move(journal_.back().second);
    journal_.pop_back();
  }
  capture_.effects.resize(snapshot.effect_count);
  fully_planned_.clear();  // plans dropped with those effects may have been the full ones
  capture_.resume_pc = static_cast<int64_t>(snapshot.pc);
  capture_.locals.resize(snapshot.locals.size());
  for (std::size_t i : dirty_locals_) {
    if (!snapshot.locals[i]) continue;  // stored after the snapshot: the frame has the old one
    auto value = plan_state(*snapshot.locals[i]);
    if (!value) return false;
    capture_.locals[i] = std::move(*value);
  }
  for (const Sym& item : snapshot.stack) {
    auto value = plan_state(item);
    if (!value) return false;
    capture_.stack.push_back(std::move(*value));
  }
  // The plans rebuild containers as they are now; one changed since the snapshot would be
  // rebuilt with that change, and the VM would make it again.
  for (std::size_t i = snapshot.made_writes; i < made_writes_.size(); ++i)
    if (planned_.count(made_writes_[i])) return false;
  return true;
}

std::optional<ResultPlan> Tracer::plan_state(const Sym& value) {
  auto planned = plan_made(value);
  if (planned && planned->made >= 0) {
    // Made in the trace: one slot per object, so all its plans build one instance.
    const void* identity = value.kind == Sym::Kind::kNewObject
                               ? static_cast<const void*>(value.fields.get())
                               : value.items.get();
    planned_.insert(identity);
  }
  return planned;
}

std::optional<ResultPlan> Tracer::plan_made(const Sym& value) {
  // Tuples too: one shared many times over ((t, t) nested n deep) is planned and built once,
  // not 2^n times, and stays one object as in the VM.
  const bool made = (value.kind == Sym::Kind::kList && value.source == kNoSource) ||
                    (value.kind == Sym::Kind::kDict && value.source == kNoSource) ||
                    (value.kind == Sym::Kind::kTuple && value.source == kNoSource) ||
                    value.kind == Sym::Kind::kNewObject;
  if (!made) return plan_value(value);
  const void* identity = value.kind == Sym::Kind::kNewObject
                             ? static_cast<const void*>(value.fields.get())
                             : value.items.get();
  // A tuple is built after its items, so one inside a cycle (through a list that holds it)
  // cannot be referred to while it is being built.
  if (value.kind == Sym::Kind::kTuple && planning_.count(identity)) return std::nullopt;
  auto [slot, added] = made_slots_.emplace(identity, next_made_slot_);
  if (added) {
    ++next_made_slot_;
    // Kept alive with the trace: a temporary's storage freed and reused by another value
    // (a printed x.shape, then the result tuple) would otherwise share its slot.
    made_owners_.push_back(value.kind == Sym::Kind::kNewObject
                               ? std::shared_ptr<const void>(value.fields)
                               : std::shared_ptr<const void>(value.items));
  }
  if (planning_.count(identity) || fully_planned_.count(identity)) {
    // Built already by the time this plan is (a structure that contains itself, or one a
    // kept plan describes in full): a reference to that instance, so shared parts are planned
    // and built once.
    // A structure that contains itself: a reference to the instance being built.
    ResultPlan reference;
    reference.kind = value.kind == Sym::Kind::kList    ? ResultPlan::Kind::kList
                     : value.kind == Sym::Kind::kDict  ? ResultPlan::Kind::kDict
                     : value.kind == Sym::Kind::kTuple ? ResultPlan::Kind::kTuple
                                                       : ResultPlan::Kind::kNewObject;
    reference.constant = value.kind == Sym::Kind::kNewObject ? value.value : Value();
    reference.made = slot->second;
    return reference;
  }
  planning_.insert(identity);
  auto planned = plan_value(value);
  planning_.erase(identity);
  if (planned) {
    planned->made = slot->second;
    fully_planned_.insert(identity);
  }
  return planned;
}

std::optional<ResultPlan> Tracer::plan_value(const Sym& value) {
  ResultPlan out;
  switch (value.kind) {
    case Sym::Kind::kCell:
    case Sym::Kind::kClosure:
      return std::nullopt;
    case Sym::Kind::kDict: {
      if (value.source != kNoSource) return plan(value);  // the caller's own dict
      out.kind = ResultPlan::Kind::kDict;
      for (const Sym& item : *value.items) {
        auto planned = plan_state(item);
        if (!planned) return std::nullopt;
        out.items.push_back(std::move(*planned));
      }
      return out;
    }
    case Sym::Kind::kNewObject: {
      // The instance is made again after the graph: its class, then its fields in order.
      out.kind = ResultPlan::Kind::kNewObject;
      out.constant = value.value;
      for (const auto& [name, field] : value.fields->values) {
        auto planned = plan_state(field);
        if (!planned) return std::nullopt;
        ResultPlan key;
        key.constant = make_str(name);
        out.items.push_back(std::move(key));
        out.items.push_back(std::move(*planned));
      }
      return out;
    }
    case Sym::Kind::kIterator: {
      out.kind = ResultPlan::Kind::kIterator;
      for (std::size_t i = value.position; i < value.items->size(); ++i) {
        auto item = plan_state((*value.items)[i]);
        if (!item) return std::nullopt;
        out.items.push_back(std::move(*item));
      }
      return out;
    }
    case Sym::Kind::kNoSelf:
      out.kind = ResultPlan::Kind::kNoSelf;
      return out;
    case Sym::Kind::kTensorMethod:
    case Sym::Kind::kMethod: {
      // The VM's own bound method: the method looked up on the rebuilt object again.
      auto self = plan_state((*value.items)[0]);
      if (!self) return std::nullopt;
      out.kind = ResultPlan::Kind::kAttribute;
      out.name = value.name;
      out.items.push_back(std::move(*self));
      return out;
    }
    case Sym::Kind::kTuple:
    case Sym::Kind::kList:
      if (value.source == kNoSource) {
        out.kind =
            value.kind == Sym::Kind::kTuple ? ResultPlan::Kind::kTuple : ResultPlan::Kind::kList;
        for (const Sym& item : *value.items) {
          auto planned = plan_state(item);
          if (!planned) return std::nullopt;
          out.items.push_back(std::move(*planned));
        }
        return out;
      }
      return plan(value);
    default:
      return plan(value);
  }
}

bool Tracer::bind_tensor_outputs() {
  // Two views handed out of one tensor made in the trace that is not (x.t() and x[0] of a
  // temporary x) share its storage in the VM: that tensor is handed out too, unseen, so that
  // both are made again from it (as graph outputs they could be two copies).
  std::map<int, int> views_of_root;
  for (const auto& [var, slot] : tensor_slots_) {
    if (vars_[var].base < 0) continue;
    int root = var;
    while (vars_[root].base >= 0) root = vars_[root].base;
    if (vars_[root].input == kNoSource && !tensor_slots_.contains(root)) ++views_of_root[root];
  }
  for (const auto& [root, views] : views_of_root) {
    if (views < 2) continue;
    tensor_slots_.emplace(root, std::pair<int, int32_t>{static_cast<int>(outputs_.size()),
                                                        next_made_slot_++});
    outputs_.push_back(ValueId{-1});
  }
  // Bases before their views, so that a view of a view finds its base's plan made.
  std::vector<std::pair<int, int>> by_depth;  // (view chain length, tensor object)
  for (const auto& [var, slot] : tensor_slots_) {
    int depth = 0;
    for (int link = var; vars_[link].base >= 0; link = vars_[link].base) ++depth;
    by_depth.emplace_back(depth, var);
  }
  std::sort(by_depth.begin(), by_depth.end());
  // Two tensor objects can hold one graph value (the builder shares identical calls: `a =
  // t // 2` and `b = t // 2`); in the VM they are two tensors, so each object after the first
  // gets its own copy, or a later in-place write to one would show through the other.
  std::unordered_set<int> handed_out;
  for (const auto& [depth, var] : by_depth) {
    const auto& slot = tensor_slots_.at(var);
    ValueId value{current(var)};
    std::optional<ResultPlan> view = plan_view_of_input(var);
    if (!view && reshapes_a_written_input(var)) {
      // A reshape-like view of a written input that cannot be rebuilt as a view: the graph's
      // copy would not alias the input as the VM's view does.
      stop_ = Stop{BreakReason::InPlaceAliasing,
                   "a reshape of a view of an input written in place outlives the graph"};
      return false;
    }
    if (!view) view = plan_view_of_handed_out(var);
    // Likewise a view whose base object shares its graph value with another tensor object
    // (`a = full(s, 2.0)`, `b = full(s, 2.0)`, `v = b[:, 0]`): a backend computes the view
    // over the one buffer it hands out as `a`, so a write through v would show in a. Unless
    // v is made again from its base after the graph, it gets a copy too.
    if (!handed_out.insert(value.index).second || (!view && views_a_shared_value(var))) {
      auto copied = builder_.copy(value);
      GYRO_ASSERT(copied.ok(), "a clone of a graph value failed: {}", copied.error().to_string());
      value = *copied;
    }
    outputs_[slot.first] = value;
    if (view) {
      view->made = slot.second;
      late_views_.emplace(slot.second, std::move(*view));
    }
  }
  if (late_views_.empty()) return true;
  for (SideEffect& effect : capture_.effects) {
    patch_late_views(effect.target);
    for (ResultPlan& arg : effect.args) patch_late_views(arg);
    for (auto& [name, arg] : effect.kwargs) patch_late_views(arg);
  }
  patch_late_views(capture_.result);
  for (auto& local : capture_.locals)
    if (local) patch_late_views(*local);
  for (ResultPlan& item : capture_.stack) patch_late_views(item);
  return true;
}

void Tracer::patch_late_views(ResultPlan& plan) {
  if (plan.kind == ResultPlan::Kind::kTensor && plan.made >= 0) {
    if (auto view = late_views_.find(plan.made); view != late_views_.end()) plan = view->second;
    return;
  }
  for (ResultPlan& item : plan.items) patch_late_views(item);
}

void Tracer::note_store(const Sym& object) {
  if (object.source != kNoSource &&
      std::find(stored_into_.begin(), stored_into_.end(), object.source) == stored_into_.end())
    stored_into_.push_back(object.source);
}

void Tracer::guard_stored_objects() {
  // The trace assumed the objects it stored into are reached only through their own sources;
  // the same object passed again under another name (f(d, d)) is one value, guarded by
  // DUPLICATE_INPUT, so it is not among these.
  for (SourceId stored : stored_into_) {
    Guard guard(GuardKind::NO_ALIASING, stored);
    for (const auto& [object, sym] : realized_objects_)
      if (sym.source != stored) guard.unaliased.push_back(sym.source);
    std::sort(guard.unaliased.begin(), guard.unaliased.end());  // deterministic order
    if (!guard.unaliased.empty()) this->guard(std::move(guard));
  }
}

void Tracer::plan_write_backs() {
  for (int var : written_inputs_) {
    const int value = current(var);
    if (value == vars_[var].placeholder) continue;  // the write was undone at a break
    capture_.write_backs.push_back({vars_[var].input, static_cast<int>(outputs_.size())});
    outputs_.push_back(ValueId{value});
    Guard guard(GuardKind::NO_ALIASING, vars_[var].input);
    for (SourceId other : capture_.inputs)
      if (other != vars_[var].input) guard.unaliased.push_back(other);
    if (!guard.unaliased.empty()) this->guard(std::move(guard));
  }
}

bool Tracer::views_a_shared_value(int var) const {
  if (vars_[var].base < 0) return false;
  int root = var;
  while (vars_[root].base >= 0) root = vars_[root].base;
  if (vars_[root].input != kNoSource) return false;
  for (int other = 0; other < static_cast<int>(vars_.size()); ++other)
    if (other != root && vars_[other].base < 0 && vars_[other].value == vars_[root].value)
      return true;
  return false;
}

// A view (select, slice, transpose...) of an input that outlives the graph (a result, a local
// at a break): the VM's view shares the input's storage, so that a later write through either
// shows in the other; it is made again from the input (after any write-back) rather than
// handed out as a separate graph output, which would be a copy.
bool Tracer::reshapes_a_written_input(int var) const {
  bool may_alias = false;
  int root = var;
  for (; vars_[root].base >= 0; root = vars_[root].base) may_alias |= vars_[root].may_alias;
  return may_alias && vars_[root].input != kNoSource &&
         std::find(written_inputs_.begin(), written_inputs_.end(), root) != written_inputs_.end();
}

// var's chain of view links, var first, each with whether the VM's base of that link is known
// contiguous. A reshape-like op (reshape, flatten, contiguous) makes a view exactly when its
// input is contiguous: known on a contiguous root (an input whose guards keep it so, or a
// tensor an op made) through reshape-like links, unsqueezes, row views and to() of the same
// dtype; after any other view the VM's result may be a copy, which a rebuilt view is not.
std::vector<std::pair<int, bool>> Tracer::view_links(int var) const {
  std::vector<std::pair<int, bool>> links;
  int root = var;
  for (; vars_[root].base >= 0; root = vars_[root].base) links.emplace_back(root, false);
  bool contiguous = vars_[root].contiguous;
  for (auto it = links.rbegin(); it != links.rend(); ++it) {
    it->second = contiguous;
    contiguous = contiguous_after(vars_[it->first], contiguous);
  }
  return links;
}

// Whether a view link's result is known contiguous, given whether its base is.
bool Tracer::contiguous_after(const TensorVar& view, bool contiguous_base) const {
  if (view.view_op == OpKind::contiguous) return true;  // a copy if the base was not
  // Row views (select, a unit-step slice, split or chunk of dim 0) of a contiguous tensor are
  // contiguous; so are view(), squeeze() and unsqueeze() of one.
  const int base_rank = meta_of(view.base).sizes.size();
  auto is_first_dim = [&](std::size_t attr) {
    return view.view_attrs.size() > attr &&
           (view.view_attrs[attr].i == 0 || view.view_attrs[attr].i == -base_rank);
  };
  const bool row_view =
      (view.view_op == OpKind::select && is_first_dim(0)) ||
      (view.view_op == OpKind::slice && is_first_dim(0) && view.view_attrs[3].i == 1) ||
      ((view.view_op == OpKind::split || view.view_op == OpKind::split_with_sizes ||
        view.view_op == OpKind::chunk) &&
       is_first_dim(1));
  return contiguous_base &&
         (view.may_alias || view.view_op == OpKind::view || view.view_op == OpKind::squeeze ||
          view.view_op == OpKind::unsqueeze || view.view_op == OpKind::to || row_view);
}

bool Tracer::known_contiguous(int var) const {
  if (vars_[var].base < 0) return vars_[var].contiguous;
  return contiguous_after(vars_[var], view_links(var).front().second);
}

std::optional<ResultPlan> Tracer::plan_view_of_input(int var) {
  auto links = view_links(var);
  if (links.empty()) return std::nullopt;
  for (const auto& [link, contiguous_base] : links)
    if (vars_[link].may_alias && !contiguous_base) return std::nullopt;
  const int root = vars_[links.back().first].base;
  if (vars_[root].input == kNoSource) return std::nullopt;
  ResultPlan plan;
  plan.kind = ResultPlan::Kind::kSource;
  plan.source = vars_[root].input;
  return plan_view_chain(var, root, std::move(plan));
}

// A view of a tensor object made in the trace that is handed out too (x and x[0], x and
// x.float(), at a break or in the result): made again from that object after the graph, so
// that the two share storage as in the VM. As two graph outputs they would be two tensors (a
// folded constant always is; a backend may copy).
std::optional<ResultPlan> Tracer::plan_view_of_handed_out(int var) {
  for (const auto& [link, contiguous_base] : view_links(var)) {
    if (vars_[link].may_alias && !contiguous_base) return std::nullopt;
    const int base = vars_[link].base;
    if (!tensor_slots_.contains(base)) continue;
    const auto& [output, made] = tensor_slots_.at(base);
    auto base_view = late_views_.find(made);  // the base is itself made again as a view
    ResultPlan plan;
    if (base_view != late_views_.end()) {
      plan = base_view->second;
    } else {
      plan.kind = ResultPlan::Kind::kTensor;
      plan.output = output;
      plan.made = made;
    }
    return plan_view_chain(var, base, std::move(plan));
  }
  return std::nullopt;
}

ResultPlan Tracer::plan_view_chain(int var, int anchor, ResultPlan plan) {
  std::vector<int> chain;
  for (int link = var; link != anchor; link = vars_[link].base) chain.push_back(link);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    ResultPlan view;
    view.kind = ResultPlan::Kind::kView;
    view.view_op = vars_[*it].view_op;
    view.view_attrs = vars_[*it].view_attrs;
    view.output = vars_[*it].view_output;
    // The view is made again after the graph with these attributes as they are: symbolic ones
    // are fixed to their traced values (a guard), and the plan keeps plain ints.
    for (Attr& attr : view.view_attrs) {
      if (!attr.is_symbolic()) continue;
      for (std::size_t k = 0; k < attr.syms.size(); ++k) {
        if (attr.syms[k].index < 0) continue;
        const int64_t hint = attr.kind == AttrKind::kInts ? attr.ints[k] : attr.i;
        shapes_.specialize(SymDim(hint, attr.syms[k], &shapes_));
      }
      attr.syms.clear();
    }
    view.items.push_back(std::move(plan));
    plan = std::move(view);
  }
  return plan;
}

ResultPlan Tracer::plan(const Sym& value) {
  // A slice with symbolic bounds leaves the trace as the slice of their values (guarded).
  if (is_symbolic_slice(value)) return this->plan(specialized(value));
  ResultPlan plan;
  switch (value.kind) {
    case Sym::Kind::kTensor:
      if (const TensorVar& var = vars_[value.tensor]; var.input != kNoSource) {
        // The caller's own tensor object comes back (written back first if it changed).
        plan.kind = ResultPlan::Kind::kSource;
        plan.source = var.input;
      } else if (planning_print_) {
        // A print shows the value the tensor has now.
        plan.kind = ResultPlan::Kind::kTensor;
        plan.output = static_cast<int>(outputs_.size());
        outputs_.push_back(ValueId{current(value.tensor)});
      } else {
        // One tensor object however often it is planned (returned twice, stored and returned),
        // holding the value it has when the graph ends: its output is bound then.
        plan.kind = ResultPlan::Kind::kTensor;
        auto [slot, added] = tensor_slots_.emplace(value.tensor, std::pair<int, int32_t>{});
        if (added) {
          slot->second = {static_cast<int>(outputs_.size()), next_made_slot_++};
          outputs_.push_back(ValueId{-1});
        }
        plan.output = slot->second.first;
        plan.made = slot->second.second;
      }
      break;
    case Sym::Kind::kTuple:
    case Sym::Kind::kList:
      if (value.source != kNoSource) {
        plan.kind = ResultPlan::Kind::kSource;
        plan.source = value.source;
        break;
      }
      plan.kind =
          value.kind == Sym::Kind::kTuple ? ResultPlan::Kind::kTuple : ResultPlan::Kind::kList;
      for (const Sym& item : *value.items) plan.items.push_back(this->plan(item));
      break;
    case Sym::Kind::kSymInt:
      if (value.source != kNoSource) {
        // An int argument itself (not a value computed from it): the caller's own value.
        plan.kind = ResultPlan::Kind::kSource;
        plan.source = value.source;
        break;
      }
      // Leaving the trace (a result, a print, a break's state): computed again on each call
      // from its symbols' sources, or (too deep to compile) fixed by a guard.
      if (auto code = guards::compile_expression(shapes_.context(), value.expr)) {
        plan.kind = ResultPlan::Kind::kSymInt;
        plan.expression = std::move(*code);
        for (const guards::ShapeSymbol& symbol : shapes_.symbols())
          plan.symbols.emplace_back(symbol.sources.front().tensor, symbol.sources.front().dim);
        break;
      }
      plan.kind = ResultPlan::Kind::kConstant;
      plan.constant = Value::integer(shapes_.specialize(sym_dim(value)));
      break;
    case Sym::Kind::kObject:
    case Sym::Kind::kVmIterator:
    case Sym::Kind::kDict:  // made dicts are planned by plan_state; this one has a source
      plan.kind = ResultPlan::Kind::kSource;
      plan.source = value.source;
      break;
    default:
      plan.kind = ResultPlan::Kind::kConstant;
      plan.constant = value.value;
      if (value.source != kNoSource && value.value.is_object() &&
          !value.value.is(ObjectKind::Str)) {
        plan.kind = ResultPlan::Kind::kSource;
        plan.source = value.source;
      }
      break;
  }
  return plan;
}

}  // namespace gyro::tracing
