// The disassembler: a CPython-dis-style listing of a code object and every function in it,
// complete enough that the assembler rebuilds the same code from it.
#pragma once

#include <string>

#include "ir/code.h"

namespace gyro {

// One block per code object, parent first, numbered #0, #1, ... (code constants print as
// <code #N name>):
//
//   code #0 'add'
//     file 'add.gy' line 1 args 2 flags 0 stack 2
//     consts: None
//     names:
//     locals: 'a', 'b'
//     cells:
//     frees:
//      2           0 LOAD_FAST                 0 (a)
//     ...
//   end
//
// Instruction columns: source line (when it changes), ">>" on jump targets, offset, opcode,
// operand, and the operand's meaning in parentheses.
std::string disassemble(const Code& code);

}  // namespace gyro
