// The compiler: gyro script source to a verified code tree (one Code per function and class
// body), emitted through CodeBuilder.
#pragma once

#include <memory>
#include <string_view>

#include "ir/code.h"
#include "ir/error.h"
#include "lang/ast.h"

namespace gyro::lang {

// Scope rules are Python's: module names are globals; in a function a name assigned anywhere
// is local unless declared global or nonlocal, and a name a nested function reads becomes a
// cell. Comprehensions run inline in their enclosing scope (their variables are not private).
Expected<std::shared_ptr<const Code>> compile(const Module& module);
Expected<std::shared_ptr<const Code>> compile_source(std::string_view source,
                                                     std::string_view filename);

}  // namespace gyro::lang
