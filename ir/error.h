// Recoverable errors for bad input: Error (kind + message), Status and Expected<T>.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "ir/assert.h"

namespace gyro {

enum class ErrorKind : unsigned char {
#define ERROR_KIND(name) name,
#include "ir/error_kinds.def"
#undef ERROR_KIND
};

// The exception type name a kind maps to ("ValueError").
std::string_view error_kind_name(ErrorKind kind);

struct Error {
  ErrorKind kind;
  std::string message;

  // "ValueError: ..." as a traceback's last line shows it.
  std::string to_string() const;
};

template <typename... Args>
Error make_error(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
  return Error{kind, fmt::format(format, std::forward<Args>(args)...)};
}

// Expected<T>: a value or the Error that prevented it (std::expected is C++23).
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::move(value)) {}
  Expected(Error error) : state_(std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return checked_value(); }
  const T& value() const& { return const_cast<Expected*>(this)->checked_value(); }
  T&& value() && { return std::move(checked_value()); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    GYRO_ASSERT(!ok(), "error() on a successful Expected");
    return std::get<1>(state_);
  }
  Error&& error() && {
    GYRO_ASSERT(!ok(), "error() on a successful Expected");
    return std::get<1>(std::move(state_));
  }

 private:
  T& checked_value() {
    GYRO_ASSERT(ok(), "value() on a failed Expected: {}", std::get<1>(state_).to_string());
    return std::get<0>(state_);
  }
  std::variant<T, Error> state_;
};

// Status: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), failed_(true) {}
  static Status ok_status() { return Status(); }

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_{ErrorKind::RuntimeError, {}};
  bool failed_ = false;
};

}  // namespace gyro

// GYRO_TRY(status_or_expected): returns its error from the enclosing function.
#define GYRO_TRY(expr)                            \
  do {                                            \
    auto&& gyro_try_result_ = (expr);             \
    if (!gyro_try_result_.ok()) [[unlikely]]      \
      return std::move(gyro_try_result_).error(); \
  } while (0)

#define GYRO_CONCAT_INNER(a, b) a##b
#define GYRO_CONCAT(a, b) GYRO_CONCAT_INNER(a, b)

// GYRO_ASSIGN_OR_RETURN(auto x, expected_expr): binds the value or returns the error.
#define GYRO_ASSIGN_OR_RETURN(decl, expr) \
  GYRO_ASSIGN_OR_RETURN_IMPL(GYRO_CONCAT(gyro_expected_, __LINE__), decl, expr)
#define GYRO_ASSIGN_OR_RETURN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) [[unlikely]]                       \
    return std::move(tmp).error();                  \
  decl = std::move(tmp).value()

// GYRO_CHECK_ARG(cond, Kind, "format", args...): rejects bad input with a formatted error.
#define GYRO_CHECK_ARG(cond, kind, ...)                                \
  do {                                                                 \
    if (!(cond)) [[unlikely]]                                          \
      return ::gyro::make_error(::gyro::ErrorKind::kind, __VA_ARGS__); \
  } while (0)
