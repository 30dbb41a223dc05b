// Heap objects of the reference VM: the kinds in object_kinds.def, each freed when its last
// reference goes; containers are also tracked so that the cycle collector frees their cycles.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ir/tensor.h"

namespace gyro {

enum class ObjectKind : uint8_t {
#define OBJECT_KIND(name, type_name) name,
#include "interp/object_kinds.def"
#undef OBJECT_KIND
};

std::string_view object_kind_name(ObjectKind kind);

// The count is a plain integer, not an atomic: a VM's objects belong to the thread running it
// (as CPython's do under the GIL), and every value copy touches the count.
class Object {
 public:
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;

  ObjectKind kind() const { return kind_; }
  void retain() const { ++refcount_; }
  // Returns true when this call dropped the last reference.
  bool release() const { return --refcount_ == 0; }
  int32_t use_count() const { return refcount_; }
  // Frees an object whose last reference went (dispatches on the kind).
  static void destroy(Object* object);

 protected:
  explicit Object(ObjectKind kind) : kind_(kind) {}
  ~Object() = default;

 private:
  mutable int32_t refcount_ = 0;
  ObjectKind kind_;
};

class CycleHeap;  // cycle_collector.h

// An object that holds references to others (list, dict, function, instance...), so it can lie
// on a reference cycle. Made while a thread holds an interpreter's host lock, it is tracked by
// that interpreter's cycle collector; made elsewhere (by a host outside any call), it is not.
class ContainerObject : public Object {
 protected:
  explicit ContainerObject(ObjectKind kind);
  ~ContainerObject();

 private:
  friend class CycleHeap;
  CycleHeap* heap_ = nullptr;  // the collector tracking this object, if any
  ContainerObject* previous_ = nullptr;
  ContainerObject* next_ = nullptr;
  int64_t collector_count_ = 0;  // a collection's scratch: references from outside the heap
};

}  // namespace gyro
