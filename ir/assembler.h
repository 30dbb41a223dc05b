// The assembler: reads the text the disassembler writes (or a hand-written file in the same
// form) back into a verified code tree, so assemble(disassemble(c)) == c.
#pragma once

#include <memory>
#include <string_view>

#include "ir/code.h"
#include "ir/error.h"

namespace gyro {

// Errors are BytecodeError "<source>:<line>: what is wrong". Operands may be numbers or, for
// locals/names/cells, the name and, for BINARY_OP/COMPARE_OP/IS_OP/CONTAINS_OP, the symbol; a
// parenthesized comment after the operand is ignored. The header's "stack" is recomputed by
// the verifier. Text cannot carry a NaN's sign or payload: a NaN constant reads back as the
// default quiet NaN.
Expected<std::shared_ptr<const Code>> assemble(std::string_view text,
                                               std::string_view source_name = "<assembly>");

}  // namespace gyro
