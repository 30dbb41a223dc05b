// OpaqueFunction: a function a graph calls without seeing inside (allow_in_graph). The ir layer
// knows only this interface; the layer that can run the function (interp/, a script function
// run by the VM) implements it, and a kOpaqueCall node holds one.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "ir/error.h"
#include "ir/tensor.h"

namespace gyro {

// Semantics: a pure tensor function. Its outputs' dtypes and sizes depend only on its inputs'
// dtypes and sizes (the node's output metas were found by calling it once at trace time), and
// it has no effect a graph must keep, so an opaque call whose outputs are unused is dead code.
// The builder never merges two opaque calls (no CSE) and never folds one.
class OpaqueFunction {
 public:
  virtual ~OpaqueFunction() = default;
  // The name dumps show for the call ("scale_rows").
  virtual const std::string& name() const = 0;
  // The call's arguments as dumps show them, given the names of the node's tensor inputs in
  // order: "x, 2.0, dim=1" (constant arguments are part of the function's binding).
  virtual std::string format_arguments(std::span<const std::string> input_names) const = 0;
  // Runs the function on the node's input tensors; its result tensors in order. An error is
  // the function's own (a raised exception as an Error).
  virtual Expected<std::vector<Tensor>> call(std::span<const Tensor> inputs) const = 0;
};

}  // namespace gyro
