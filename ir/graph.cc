// Graph queries and attribute identity.
#include "ir/graph.h"

#include <algorithm>
#include <bit>

namespace gyro {

const Tensor& ConstantTensor::undefined() {
  static const Tensor kUndefined;
  return kUndefined;
}

bool identical(const Attr& a, const Attr& b) {
  if (a.kind != b.kind || a.syms != b.syms) return false;
  switch (a.kind) {
    case AttrKind::kNone:
      return true;
    case AttrKind::kInt:
    case AttrKind::kBool:
      return a.i == b.i;
    case AttrKind::kFloat:
      return std::bit_cast<uint64_t>(a.f) == std::bit_cast<uint64_t>(b.f);
    case AttrKind::kInts:
      return a.ints == b.ints;
    case AttrKind::kDType:
      return a.dtype == b.dtype;
    case AttrKind::kString:
      return a.text == b.text;
  }
  GYRO_UNREACHABLE("bad AttrKind");
}

}  // namespace gyro
