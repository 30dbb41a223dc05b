// What a gyro_vm handle is: an interpreter, its value handles and per-thread last errors, and
// the wrapper every C API function runs its body in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "gyro/gyro.h"
#include "interp/interpreter.h"

namespace gyro::api {

// Value handles: a slot index (plus one, so that 0 is never a handle) in the low 32 bits, the
// slot's generation in the next 16 and the VM's tag in the top 16, so that a released handle
// (its slot reused or not) and another VM's handle are recognized as such rather than read.
class HandleTable {
 public:
  HandleTable();
  gyro_value add(Value value);
  // The value a live handle holds, or nullptr.
  const Value* find(gyro_value handle) const;
  // False for a handle that is not live.
  bool remove(gyro_value handle);
  // Drops every value (the VM's end).
  void clear();

 private:
  struct Slot {
    Value value;
    uint16_t generation = 1;
    bool live = false;
  };
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  uint64_t tag_;  // this VM's, shifted into place
};

// A failed call's report: the message, and the exception class when the program raised.
struct LastError {
  std::string message;
  std::string exception_type;
};

}  // namespace gyro::api

struct gyro_vm {
  std::unique_ptr<gyro::Interpreter> interpreter;
  // Set by gyro_vm_destroy before the interpreter goes: host callbacks run while it is torn
  // down (a host function's destroy) get an error instead of a dying interpreter.
  bool closing = false;
  gyro::api::HandleTable handles;  // used under the interpreter's host lock
  gyro_write_fn write = nullptr;
  void* write_user_data = nullptr;
  gyro_log_fn log = nullptr;
  void* log_user_data = nullptr;

  // Each thread's last error. Their own lock: gyro_vm_last_error takes no host lock.
  mutable std::mutex errors_mutex;
  mutable std::unordered_map<std::thread::id, gyro::api::LastError> errors;

  gyro::api::LastError& error_of_this_thread() const {
    std::lock_guard lock(errors_mutex);
    return errors[std::this_thread::get_id()];
  }
  // Records an error for this thread and returns its status.
  gyro_status fail(gyro_status status, std::string message, std::string exception_type = {}) {
    gyro::api::LastError& error = error_of_this_thread();
    error.message = std::move(message);
    error.exception_type = std::move(exception_type);
    return status;
  }
  // The pending exception of the interpreter as GYRO_ERROR_EXCEPTION (its traceback text).
  gyro_status fail_with_exception();
};

namespace gyro::api {

// Runs a C API function's body under the VM's host lock with this thread's error cleared;
// turns any C++ exception (out of memory, a bug) into GYRO_ERROR_INTERNAL. `function` names
// the API function in messages.
template <typename Body>
gyro_status guarded(gyro_vm* vm, const char* function, Body&& body) noexcept {
  if (!vm) return GYRO_ERROR_INVALID_ARGUMENT;
  try {
    if (vm->closing)
      return vm->fail(GYRO_ERROR_INVALID_ARGUMENT,
                      fmt::format("{}: the VM is being destroyed", function));
    Interpreter::HostLock lock(*vm->interpreter);
    LastError& error = vm->error_of_this_thread();
    error.message.clear();
    error.exception_type.clear();
    return body();
  } catch (const std::bad_alloc&) {
    return vm->fail(GYRO_ERROR_INTERNAL, fmt::format("{}: out of memory", function));
  } catch (const std::exception& e) {
    return vm->fail(GYRO_ERROR_INTERNAL, fmt::format("{}: internal error: {}", function, e.what()));
  } catch (...) {
    return vm->fail(GYRO_ERROR_INTERNAL, fmt::format("{}: internal error", function));
  }
}

// The value behind a handle, or nullptr with GYRO_ERROR_INVALID_ARGUMENT recorded.
const Value* lookup(gyro_vm* vm, const char* function, gyro_value handle, const char* what);

// Whether a caller's struct_size ends where one of the struct's fields starts or ends (or
// covers the whole struct), so that copying that many bytes takes whole fields: a size that
// cuts a pointer in half would hand gyro a pointer nobody wrote.
inline bool whole_fields(size_t size, size_t full_size,
                         std::initializer_list<std::pair<size_t, size_t>> fields) {
  if (size >= full_size) return true;
  for (const auto& [offset, field_size] : fields)
    if (size == offset || size == offset + field_size) return true;
  return false;
}
#define GYRO_FIELD(type, field) \
  std::pair<size_t, size_t>(offsetof(type, field), sizeof(static_cast<type*>(nullptr)->field))

// Stores a new handle in *out (the caller checked `out`).
inline gyro_status give(gyro_vm* vm, Value value, gyro_value* out) {
  *out = vm->handles.add(std::move(value));
  return GYRO_OK;
}

}  // namespace gyro::api

// Shorthands for the checks every function starts with.
#define GYRO_API_REQUIRE(condition, function, ...)                                \
  do {                                                                            \
    if (!(condition))                                                             \
      return vm->fail(GYRO_ERROR_INVALID_ARGUMENT,                                \
                      fmt::format("{}: {}", function, fmt::format(__VA_ARGS__))); \
  } while (0)
