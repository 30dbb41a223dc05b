// The prelude: torch.nn's Module, Linear, ReLU, GELU, Sigmoid, Tanh, Dropout, LayerNorm,
// Embedding and Sequential, written in gyro script (lang/prelude.gy) and installed as builtins.
#pragma once

#include <string_view>

#include "interp/interpreter.h"
#include "ir/error.h"

namespace gyro::lang {

// The prelude's `__name__` (torch.nn's place in gyro): its classes' module.
inline constexpr std::string_view kPreludeModuleName = "gyro.nn";

// The text of lang/prelude.gy, embedded in the binary at build time.
std::string_view prelude_source();

// Runs the prelude on `vm` and makes its public names (those not starting with "_") builtins
// of every module `vm` runs afterwards; a program's own globals still shadow them. The prelude
// is compiled once per process. Fails only if the prelude itself does not compile or run.
Status install_prelude(Interpreter& vm);

}  // namespace gyro::lang
