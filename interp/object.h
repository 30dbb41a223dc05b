// Heap objects of the reference VM: the kinds in object_kinds.def, each freed when its last
// reference goes. Reference cycles between containers are not collected (a documented limit).
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

}  // namespace gyro
