// Special methods of script classes (__len__, __getitem__, __iter__) for the builtins and
// protocols that honour them.
#pragma once

#include <optional>
#include <string_view>

#include "interp/objects.h"

namespace gyro {

// instance.name bound to the instance when the instance's class chain defines `name` as a
// function, else nullopt (no exception is raised either way).
std::optional<Value> special_method(const Value& instance, std::string_view name);

}  // namespace gyro
