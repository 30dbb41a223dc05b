// Operand checks the VM and the symbolic evaluator share for instructions whose operands gyro
// script always gets right, and bytecode from assembly or a host's builder need not (the
// verifier checks stack depths, not what the values are).
#pragma once

#include <cstdint>

#include "interp/value.h"

namespace gyro {

// What MAKE_FUNCTION needs and did not get ("a tuple of defaults"), or null when the operands
// are a function shell (a code constant), None or a tuple of cells, and None or a tuple.
const char* make_function_operands_error(const Value& shell, const Value& closure,
                                         const Value& defaults);

// What CALL_KW `count` needs on top and did not get, or null when `names` is a tuple of at most
// `count` str keyword names.
const char* call_kw_names_error(const Value& names, uint32_t count);

// What LIST_APPEND and LIST_EXTEND need as their target and did not get, or null for a list.
const char* list_operand_error(const Value& target);

}  // namespace gyro
