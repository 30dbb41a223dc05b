// Error kind names and the assertion-failure handler.
#include "ir/error.h"

#include <cstdio>
#include <cstdlib>

namespace gyro {

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
#define ERROR_KIND(name) \
  case ErrorKind::name:  \
    return #name;
#include "ir/error_kinds.def"
#undef ERROR_KIND
  }
  GYRO_UNREACHABLE("bad ErrorKind {}", static_cast<int>(kind));
}

std::string Error::to_string() const {
  return fmt::format("{}: {}", error_kind_name(kind), message);
}

namespace detail {
void assertion_failed(const char* file, int line, const char* condition,
                      const std::string& message) {
  std::fprintf(stderr, "gyro internal error at %s:%d: %s (%s)\n", file, line, message.c_str(),
               condition);
  std::abort();
}
}  // namespace detail

}  // namespace gyro
