// Calling tensor ops from scripts: op(x, y, dim=1) and x.op(...) map Python arguments onto the
// op table's inputs and attributes.
#pragma once

#include <optional>
#include <span>

#include "interp/interpreter.h"
#include "ir/op.h"

namespace gyro {

// Leading positional arguments fill the op's tensor inputs (numbers become wrapped scalars; a
// list of tensors fills a variadic op such as cat); the rest bind to attributes in schema order,
// keywords by name. Several ints for an int[] attribute pack into one (zeros(2, 3),
// x.reshape(2, -1)). Multi-output ops return a tuple.
std::optional<Value> call_tensor_op(Interpreter& vm, OpKind op, std::span<const Value> args,
                                    std::span<const KeywordArg> kwargs);

}  // namespace gyro
