// Value: the reference VM's 16-byte value. None, bool, int and float live inline; everything
// else is a refcounted heap Object.
#pragma once

#include <cstdint>
#include <utility>

#include "interp/object.h"

namespace gyro {

enum class ValueTag : uint8_t { kNone, kBool, kInt, kFloat, kObject };

// The hot paths of the VM copy, move and drop values on every instruction: they are forced
// inline (GCC otherwise outlines the assignments), and freeing an object stays out of line.
#define GYRO_VALUE_INLINE __attribute__((always_inline)) inline

class Value {
 public:
  Value() : tag_(ValueTag::kNone), int_(0) {}
  static Value boolean(bool value) {
    Value v;
    v.tag_ = ValueTag::kBool;
    v.int_ = value;
    return v;
  }
  static Value integer(int64_t value) {
    Value v;
    v.tag_ = ValueTag::kInt;
    v.int_ = value;
    return v;
  }
  static Value real(double value) {
    Value v;
    v.tag_ = ValueTag::kFloat;
    v.float_ = value;
    return v;
  }
  // Takes a new reference to `object`.
  static Value object(Object* object) {
    Value v;
    v.tag_ = ValueTag::kObject;
    v.object_ = object;
    object->retain();
    return v;
  }

  GYRO_VALUE_INLINE Value(const Value& other) : tag_(other.tag_), int_(other.int_) {
    if (tag_ == ValueTag::kObject) object_->retain();
  }
  GYRO_VALUE_INLINE Value(Value&& other) noexcept : tag_(other.tag_), int_(other.int_) {
    other.tag_ = ValueTag::kNone;
    other.int_ = 0;
  }
  // Both assignments take the new value before releasing the old one: releasing may free an
  // object that owns `other`.
  GYRO_VALUE_INLINE Value& operator=(const Value& other) noexcept {
    if (other.tag_ == ValueTag::kObject) other.object_->retain();
    Object* old = tag_ == ValueTag::kObject ? object_ : nullptr;
    tag_ = other.tag_;
    int_ = other.int_;
    if (old && old->release()) Object::destroy(old);
    return *this;
  }
  GYRO_VALUE_INLINE Value& operator=(Value&& other) noexcept {
    if (this == &other) return *this;
    Object* old = tag_ == ValueTag::kObject ? object_ : nullptr;
    tag_ = other.tag_;
    int_ = other.int_;
    other.tag_ = ValueTag::kNone;
    other.int_ = 0;
    if (old && old->release()) Object::destroy(old);
    return *this;
  }
  GYRO_VALUE_INLINE ~Value() {
    if (tag_ == ValueTag::kObject && object_->release()) Object::destroy(object_);
  }

  ValueTag tag() const { return tag_; }
  bool is_none() const { return tag_ == ValueTag::kNone; }
  bool is_bool() const { return tag_ == ValueTag::kBool; }
  bool is_int() const { return tag_ == ValueTag::kInt; }
  bool is_float() const { return tag_ == ValueTag::kFloat; }
  bool is_object() const { return tag_ == ValueTag::kObject; }
  // bool and int together, as Python's numeric tower treats them.
  bool is_integral() const { return tag_ == ValueTag::kBool || tag_ == ValueTag::kInt; }
  bool is_number() const { return is_integral() || is_float(); }
  bool is(ObjectKind kind) const { return is_object() && object_->kind() == kind; }

  bool as_bool() const { return int_ != 0; }
  int64_t as_int() const { return int_; }  // bool or int
  double as_float() const { return float_; }
  // A number as double (bool, int or float).
  double to_double() const { return is_float() ? float_ : static_cast<double>(int_); }
  Object* as_object() const { return object_; }
  template <typename T>
  T& as() const {
    return *static_cast<T*>(object_);
  }

  // Identity, as Python's `is`: same inline value (floats bitwise) or the same object.
  friend bool identical(const Value& a, const Value& b) {
    return a.tag_ == b.tag_ && a.int_ == b.int_;
  }

 private:
  ValueTag tag_;
  union {
    int64_t int_;  // bool and int; also the raw bits that copies move around
    double float_;
    Object* object_;
  };
};

static_assert(sizeof(Value) == 16, "a Value is a tag and 8 bytes of payload");

}  // namespace gyro
