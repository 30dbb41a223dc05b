// MAKE_FUNCTION's operand check, shared by the VM and the symbolic evaluator: gyro script
// always gives it the right kinds of value, bytecode from assembly or a host's builder need not
// (the verifier checks stack depths, not what the values are).
#pragma once

#include "interp/value.h"

namespace gyro {

// What MAKE_FUNCTION needs and did not get ("a tuple of defaults"), or null when the operands
// are a function shell (a code constant), None or a tuple of cells, and None or a tuple.
const char* make_function_operands_error(const Value& shell, const Value& closure,
                                         const Value& defaults);

}  // namespace gyro
