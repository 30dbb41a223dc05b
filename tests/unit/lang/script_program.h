// A gyro-script program for tests: a fresh interpreter with the prelude, a module run from
// source, and its globals by name.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "interp/interpreter.h"
#include "interp/objects.h"
#include "lang/compiler.h"
#include "lang/prelude.h"

namespace gyro {

struct ScriptProgram {
  Interpreter vm;
  Value globals;

  explicit ScriptProgram(std::string_view source, const std::string& name = "test") {
    EXPECT_TRUE(lang::install_prelude(vm).ok());
    auto code = lang::compile_source(source, name + ".gy");
    EXPECT_TRUE(code.ok()) << code.error().to_string();
    if (!code.ok()) return;
    auto result = vm.run_module(Module{name, *code});
    EXPECT_TRUE(result.has_value()) << vm.format_exception(vm.exception());
    if (result) globals = *result;
  }
  // A global the module defined (a test failure when it did not).
  Value global(const std::string& name) {
    if (!globals.is(ObjectKind::Dict)) return Value();
    auto found = globals.as<DictObject>().table.get(make_str(name));
    EXPECT_TRUE(found.ok() && found->has_value()) << name;
    return found.ok() && found->has_value() ? **found : Value();
  }
};

}  // namespace gyro
