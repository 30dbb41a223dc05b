// The heap object types (one per object_kinds.def row) and their constructors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "interp/dict.h"
#include "interp/value.h"

namespace gyro {

struct StrObject : Object {
  explicit StrObject(std::string value) : Object(ObjectKind::Str), text(std::move(value)) {}
  std::string text;  // UTF-8
};

struct ListObject : Object {
  explicit ListObject(std::vector<Value> values) : Object(ObjectKind::List), items(std::move(values)) {}
  std::vector<Value> items;
};

struct TupleObject : Object {
  explicit TupleObject(std::vector<Value> values)
      : Object(ObjectKind::Tuple), items(std::move(values)) {}
  const std::vector<Value> items;  // tuples are immutable
};

struct DictObject : Object {
  DictObject() : Object(ObjectKind::Dict) {}
  Dict table;
};

struct RangeObject : Object {
  RangeObject(int64_t first, int64_t last, int64_t stride)
      : Object(ObjectKind::Range), start(first), stop(last), step(stride) {}
  const int64_t start, stop, step;  // step != 0
  int64_t length() const;
};

struct SliceObject : Object {
  SliceObject(Value first, Value last, Value stride)
      : Object(ObjectKind::Slice), start(std::move(first)), stop(std::move(last)),
        step(std::move(stride)) {}
  const Value start, stop, step;  // None or int
};

// A closure cell: a variable shared between a function and the functions nested in it.
struct CellObject : Object {
  CellObject() : Object(ObjectKind::Cell) {}
  Value value;
  bool bound = false;
};

struct TensorBoxObject : Object {
  explicit TensorBoxObject(Tensor value) : Object(ObjectKind::TensorBox), tensor(std::move(value)) {}
  Tensor tensor;
};

// Constructors returning a Value that holds the only reference.
Value make_str(std::string text);
Value make_list(std::vector<Value> items = {});
Value make_tuple(std::vector<Value> items = {});
Value make_dict();
Value make_range(int64_t start, int64_t stop, int64_t step);
Value make_slice(Value start, Value stop, Value step);
Value make_cell();
Value make_tensor(Tensor tensor);

// The items of a list or tuple.
inline const std::vector<Value>& sequence_items(const Value& value) {
  return value.is(ObjectKind::List) ? value.as<ListObject>().items : value.as<TupleObject>().items;
}

}  // namespace gyro
