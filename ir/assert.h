// Internal invariant checks: a failure here is a bug in gyro, never a user mistake.
#pragma once

#include <fmt/format.h>

namespace gyro::detail {
[[noreturn]] void assertion_failed(const char* file, int line, const char* condition,
                                   const std::string& message);
}  // namespace gyro::detail

// GYRO_ASSERT(cond, "message {}", x): aborts with file:line when a gyro invariant is broken.
// Stays on in release builds: the checks are cheap and a silent wrong answer costs more.
#define GYRO_ASSERT(cond, ...)                                                               \
  do {                                                                                       \
    if (!(cond)) [[unlikely]]                                                                \
      ::gyro::detail::assertion_failed(__FILE__, __LINE__, #cond, fmt::format(__VA_ARGS__)); \
  } while (0)

#define GYRO_UNREACHABLE(...) \
  ::gyro::detail::assertion_failed(__FILE__, __LINE__, "unreachable", fmt::format(__VA_ARGS__))
