// Special methods of script classes (__bool__, __len__, __getitem__, __iter__) for the
// builtins and protocols that honour them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "interp/objects.h"

namespace gyro {

// instance.name bound to the instance when the instance's class chain defines `name` as a
// function, else nullopt (no exception is raised either way).
std::optional<Value> special_method(const Value& instance, std::string_view name);

class Interpreter;

// len() through a bound __len__: its result, which must be an int >= 0 (TypeError or
// ValueError otherwise, as CPython). nullopt: raised in `vm`.
std::optional<int64_t> call_len(Interpreter& vm, const Value& len_method);

// bool(value) as the VM decides it: a script instance's __bool__ (which must return a bool),
// else its __len__, else truthy(). nullopt: raised in `vm`.
std::optional<bool> truth_of(Interpreter& vm, const Value& value);

}  // namespace gyro
