// The lexer: gyro script source to tokens, with Python's indentation and line-joining rules.
#pragma once

#include <string_view>
#include <vector>

#include "ir/error.h"
#include "lang/token.h"

namespace gyro::lang {

// Errors are SyntaxError or IndentationError with "file:line:col: what" messages.
Expected<std::vector<Token>> tokenize(std::string_view source, std::string_view filename);

}  // namespace gyro::lang
