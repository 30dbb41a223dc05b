// The parser: tokens to a syntax tree by recursive descent over Python's grammar (the subset
// gyro script supports); errors say file:line:col and what was expected.
#pragma once

#include <string_view>

#include "ir/error.h"
#include "lang/ast.h"

namespace gyro::lang {

Expected<Module> parse(std::string_view source, std::string_view filename);

}  // namespace gyro::lang
