// Helpers shared by the interp unit tests: value builders and result checks.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "interp/objects.h"
#include "interp/python_ops.h"
#include "tests/unit/test_support.h"

namespace gyro::testing {

// Value builders, as a test writes literals.
inline Value num(int64_t v) {
  return Value::integer(v);
}
inline Value real(double v) {
  return Value::real(v);
}
inline Value text(std::string v) {
  return make_str(std::move(v));
}
inline Value list(std::vector<Value> items) {
  return make_list(std::move(items));
}
inline Value tuple(std::vector<Value> items) {
  return make_tuple(std::move(items));
}

// repr of the result, or "Kind: message" as CPython's traceback ends.
inline std::string show(const Expected<Value>& result) {
  return result.ok() ? repr(*result) : result.error().to_string();
}

}  // namespace gyro::testing
