// Heap objects of the reference VM: the kinds in object_kinds.def, each freed when its last
// reference goes. Reference cycles between containers are not collected (a documented limit).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ir/ref.h"
#include "ir/tensor.h"

namespace gyro {

enum class ObjectKind : uint8_t {
#define OBJECT_KIND(name, type_name) name,
#include "interp/object_kinds.def"
#undef OBJECT_KIND
};

std::string_view object_kind_name(ObjectKind kind);

class Object : public RefCounted {
 public:
  ObjectKind kind() const { return kind_; }
  // Frees an object whose last reference went (dispatches on the kind).
  static void destroy(Object* object);

 protected:
  explicit Object(ObjectKind kind) : kind_(kind) {}
  ~Object() = default;

 private:
  ObjectKind kind_;
};

}  // namespace gyro
