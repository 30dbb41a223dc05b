// The cycle collector: tracking containers, walking their references, emptying garbage.
#include "interp/cycle_collector.h"

#include <algorithm>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "interp/capture.h"
#include "interp/compile_api.h"
#include "interp/objects.h"

namespace gyro {
namespace {

thread_local CycleHeap* current_heap = nullptr;

// A full collection walks every tracked object, so one runs after as many allocations as
// survived the last (amortized constant work per allocation), and never more often than this.
constexpr int64_t kMinimumThreshold = 10000;

// Whether objects of a kind are containers: its C++ type says (object_kinds.def lists them).
constexpr bool is_container(ObjectKind kind) {
  switch (kind) {
#define OBJECT_KIND(name, type_name) \
  case ObjectKind::name:             \
    return std::is_base_of_v<ContainerObject, name##Object>;
#include "interp/object_kinds.def"
#undef OBJECT_KIND
  }
  return false;
}

// Calls `visit` on every Value a container holds. Only references counted in the referent's
// count may be reported (a reference reported twice would make a live object look garbage);
// the compile entries, code caches and tracebacks are not walked, which is always safe.
template <typename Visit>
void for_each_reference(Object& object, Visit&& visit) {
  switch (object.kind()) {
    case ObjectKind::List:
      for (Value& item : static_cast<ListObject&>(object).items) visit(item);
      return;
    case ObjectKind::Tuple:
      for (Value& item : static_cast<TupleObject&>(object).items) visit(item);
      return;
    case ObjectKind::Dict: {
      Dict& table = static_cast<DictObject&>(object).table;
      table.for_each([&](const Value& key, const Value& value) {
        visit(key);
        visit(value);
      });
      return;
    }
    case ObjectKind::DictView:
      visit(static_cast<DictViewObject&>(object).dict);
      return;
    case ObjectKind::Cell:
      visit(static_cast<CellObject&>(object).value);
      return;
    case ObjectKind::Function: {
      auto& function = static_cast<FunctionObject&>(object);
      visit(function.globals);
      visit(function.defaults);
      visit(function.closure);
      return;
    }
    case ObjectKind::CompiledFunction: {
      auto& compiled = static_cast<CompiledFunctionObject&>(object);
      visit(compiled.function);
      visit(compiled.self);
      visit(compiled.backend);
      visit(compiled.options);
      // Captures hold what their guards point at (a compiled method's own module, say) and the
      // constants they rebuild. Walked only when this object alone holds an entry and its
      // capture, so that each reference is seen once.
      for (const auto& entry : compiled.entries) {
        if (entry.use_count() == 1 && entry->capture.use_count() == 1)
          for_each_value(*entry->capture, visit);
      }
      return;
    }
    case ObjectKind::Builtin:
      visit(static_cast<BuiltinObject&>(object).self);
      return;
    case ObjectKind::BoundMethod: {
      auto& method = static_cast<BoundMethodObject&>(object);
      visit(method.self);
      visit(method.function);
      return;
    }
    case ObjectKind::Iterator: {
      auto& iterator = static_cast<IteratorObject&>(object);
      visit(iterator.target);
      for (Value& part : iterator.parts) visit(part);
      return;
    }
    case ObjectKind::Class: {
      auto& cls = static_cast<ClassObject&>(object);
      visit(cls.base);
      visit(cls.attributes);
      return;
    }
    case ObjectKind::Instance: {
      auto& instance = static_cast<InstanceObject&>(object);
      visit(instance.cls);
      visit(instance.attributes);
      return;
    }
    case ObjectKind::Super: {
      auto& super = static_cast<SuperObject&>(object);
      visit(super.cls);
      visit(super.object);
      visit(super.start);
      return;
    }
    default:
      return;
  }
}

// Drops every reference a garbage object holds (moved into `dropped`, released by the caller
// once every garbage object is empty, so no object is freed while another is being emptied).
void clear_references(Object& object, std::vector<Value>& dropped) {
  auto take = [&](auto& value) {
    // Dict keys, the only references visited as const, are emptied with their dict below.
    if constexpr (!std::is_const_v<std::remove_reference_t<decltype(value)>>) {
      if (value.is_object()) dropped.push_back(std::exchange(value, Value()));
    }
  };
  switch (object.kind()) {
    case ObjectKind::List:
      for (Value& item : static_cast<ListObject&>(object).items) take(item);
      static_cast<ListObject&>(object).items.clear();
      return;
    case ObjectKind::Tuple:
      for (Value& item : static_cast<TupleObject&>(object).items) take(item);
      static_cast<TupleObject&>(object).items.clear();
      return;
    case ObjectKind::Dict: {
      Dict& table = static_cast<DictObject&>(object).table;
      table.for_each([&](const Value& key, const Value& value) {
        dropped.push_back(key);
        dropped.push_back(value);
      });
      table.clear();
      return;
    }
    case ObjectKind::CompiledFunction: {
      // Its captures may hold values too (constants, guarded objects): they go with it.
      static_cast<CompiledFunctionObject&>(object).entries.clear();
      for_each_reference(object, take);
      return;
    }
    default:
      for_each_reference(object, take);
      return;
  }
}

}  // namespace

CycleHeap::CycleHeap() : threshold_(kMinimumThreshold) {}

CycleHeap::~CycleHeap() {
  untrack_all();
}

CycleHeap* CycleHeap::current() {
  return current_heap;
}

CycleHeap::MakeCurrent::MakeCurrent(CycleHeap* heap) : previous_(current_heap) {
  current_heap = heap;
}

CycleHeap::MakeCurrent::~MakeCurrent() {
  current_heap = previous_;
}

void CycleHeap::link(ContainerObject* object) {
  object->heap_ = this;
  object->previous_ = nullptr;
  object->next_ = newest_;
  if (newest_) newest_->previous_ = object;
  newest_ = object;
  ++tracked_;
  ++allocations_;
}

void CycleHeap::unlink(ContainerObject* object) {
  if (object->previous_)
    object->previous_->next_ = object->next_;
  else
    newest_ = object->next_;
  if (object->next_) object->next_->previous_ = object->previous_;
  object->heap_ = nullptr;
  object->previous_ = object->next_ = nullptr;
  --tracked_;
}

void CycleHeap::untrack_all() {
  while (newest_) unlink(newest_);
}

int64_t CycleHeap::collect() {
  // A collection that frees an object may run host code (a host function's destroy callback,
  // a DLPack deleter) that asks for another: the outer one finishes the work.
  static thread_local bool collecting = false;
  if (collecting) return 0;
  collecting = true;
  struct Done {
    ~Done() { collecting = false; }
  } done;
  ++collections_;
  allocations_ = 0;
  // A referent is counted when it is a container this heap tracks (others are never garbage
  // here: whoever tracks them, or nobody, keeps them).
  auto tracked_here = [this](const Value& value) -> ContainerObject* {
    if (!value.is_object() || !is_container(value.as_object()->kind())) return nullptr;
    auto* container = static_cast<ContainerObject*>(value.as_object());
    return container->heap_ == this ? container : nullptr;
  };
  // An object whose count is 0 is being destroyed (its members go before it leaves the list,
  // and freeing one may have led here): neither walked nor collected, it counts as live.
  constexpr int64_t kDying = -2;
  // 1. References from outside: each count minus the references tracked objects hold.
  for (ContainerObject* object = newest_; object; object = object->next_)
    object->collector_count_ = object->use_count() == 0 ? kDying : object->use_count();
  for (ContainerObject* object = newest_; object; object = object->next_) {
    if (object->collector_count_ == kDying) continue;
    for_each_reference(*object, [&](const Value& value) {
      ContainerObject* referent = tracked_here(value);
      if (referent && referent->collector_count_ != kDying) --referent->collector_count_;
    });
  }
  // 2. What the outside reaches is live (marked -1); the rest keeps a count of 0.
  std::vector<ContainerObject*> pending;
  for (ContainerObject* object = newest_; object; object = object->next_) {
    if (object->collector_count_ > 0) {
      object->collector_count_ = -1;
      pending.push_back(object);
    }
  }
  while (!pending.empty()) {
    ContainerObject* object = pending.back();
    pending.pop_back();
    for_each_reference(*object, [&](const Value& value) {
      ContainerObject* referent = tracked_here(value);
      if (referent && referent->collector_count_ != -1 && referent->collector_count_ != kDying) {
        referent->collector_count_ = -1;
        pending.push_back(referent);
      }
    });
  }
  // 3. Garbage: held here while it is emptied, then released, which frees it.
  std::vector<Value> garbage;
  for (ContainerObject* object = newest_; object; object = object->next_) {
    if (object->collector_count_ >= 0) garbage.push_back(Value::object(object));
  }
  std::vector<Value> dropped;
  for (Value& object : garbage) clear_references(*object.as_object(), dropped);
  dropped.clear();
  const auto freed = static_cast<int64_t>(garbage.size());
  garbage.clear();
  threshold_ = std::max(kMinimumThreshold, tracked_);
  allocations_ = 0;
  return freed;
}

void CycleHeap::empty_reachable(std::vector<Value> roots) {
  std::vector<Value> reachable;
  std::unordered_set<const Object*> seen;
  while (!roots.empty()) {
    Value value = std::move(roots.back());
    roots.pop_back();
    if (!value.is_object() || !seen.insert(value.as_object()).second) continue;
    for_each_reference(*value.as_object(), [&](const Value& referent) {
      if (referent.is_object() && !seen.contains(referent.as_object())) roots.push_back(referent);
    });
    reachable.push_back(std::move(value));
  }
  // Only the mutable containers are emptied: every object stays well formed (an instance
  // keeps a dict, a function its globals), just without the references that made cycles.
  for (Value& value : reachable) {
    switch (value.as_object()->kind()) {
      case ObjectKind::List:
        value.as<ListObject>().items.clear();
        break;
      case ObjectKind::Dict:
        value.as<DictObject>().table.clear();
        break;
      case ObjectKind::Cell:
        value.as<CellObject>().value = Value();
        break;
      case ObjectKind::CompiledFunction: {
        auto& compiled = value.as<CompiledFunctionObject>();
        compiled.entries.clear();
        compiled.self = Value();
        compiled.backend = Value();
        break;
      }
      default:
        break;
    }
  }
}

ContainerObject::ContainerObject(ObjectKind kind) : Object(kind) {
  if (CycleHeap* heap = current_heap) heap->link(this);
}

ContainerObject::~ContainerObject() {
  if (heap_) heap_->unlink(this);
}

}  // namespace gyro
