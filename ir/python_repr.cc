// Python repr rules for floats and strings.
#include "ir/python_repr.h"

#include <cmath>

#include <fmt/format.h>

namespace gyro {

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // fmt's shortest round-trip form switches to exponents at the same points as Python's repr.
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".en") == std::string::npos) text += ".0";
  return text;
}

std::string python_string_repr(std::string_view text) {
  bool use_double =
      text.find('\'') != std::string_view::npos && text.find('"') == std::string_view::npos;
  char quote = use_double ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char ch : text) {
    switch (ch) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (ch == static_cast<unsigned char>(quote)) {
          out += '\\';
          out += static_cast<char>(ch);
        } else if (ch < 0x20 || ch == 0x7f) {
          out += fmt::format("\\x{:02x}", ch);
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  return out + quote;
}

}  // namespace gyro
