// ShapePolicy: which sizes a trace makes symbolic, from compile(dynamic=), the config knobs
// and what earlier traces of the same resume point saw (automatic dynamic).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "guards/z3_prover.h"
#include "ir/dims.h"

namespace gyro {

// What a resume point's earlier traces saw of one tensor input: its first sizes, and the dims
// whose size has differed since (automatic dynamic makes those symbolic).
struct SeenSizes {
  Dims sizes;
  uint8_t changed = 0;  // bit d: dim d changed
};

// Which sizes a trace makes symbolic. Sizes 0 and 1 stay static, and so do the sizes of
// non-contiguous tensors; the rest by compile(dynamic=) and the config knobs.
struct ShapePolicy {
  std::optional<bool> dynamic;    // true: every size symbolic; false: none; unset: automatic
  bool automatic_dynamic = true;  // unset `dynamic`: a size that changed becomes symbolic
  bool duck_shape = true;         // equal sizes share a symbol
  // Per tensor source: what earlier traces of this resume point saw; the trace adds to it.
  std::map<std::string, SeenSizes>* seen = nullptr;
  guards::ProverBudget budget;  // what Z3 may spend deciding branches and pruning guards
};

}  // namespace gyro
