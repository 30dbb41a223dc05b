// Python's repr of floats and strings, shared by the disassembler and the reference VM.
#pragma once

#include <string>
#include <string_view>

namespace gyro {

// repr(float): the shortest digits that round-trip, ".0" on integral values, exponent form
// outside [1e-4, 1e16) ("1e+16", "1e-05"), and "inf", "-inf", "nan".
std::string python_float_repr(double value);

// repr(str): single quotes unless the text holds a ' and no "; \\, \n, \r, \t and the quote
// escaped; other control bytes as \xNN. (Bytes >= 0x80 are copied as they are: CPython
// escapes non-printable non-ASCII characters, which gyro does not yet distinguish.)
std::string python_string_repr(std::string_view text);

}  // namespace gyro
