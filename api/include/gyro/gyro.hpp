// gyro's C++ API: RAII classes over the stable C API (gyro.h), header-only, errors as
// exceptions. It adds no ABI of its own: everything crosses the library boundary through C.
// Its namespace is gyro::embed, apart from gyro's internals (which libgyro.a links in).
#ifndef GYRO_HPP_
#define GYRO_HPP_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gyro/gyro.h"

namespace gyro::embed {

// A failed call: the status, the VM's message, and the exception class when the program raised.
class Error : public std::runtime_error {
 public:
  Error(gyro_status status, const std::string& message, std::string exception_type)
      : std::runtime_error(message), status_(status), exception_type_(std::move(exception_type)) {}
  gyro_status status() const { return status_; }
  // "ValueError" and so on when status() is GYRO_ERROR_EXCEPTION, else "".
  const std::string& exception_type() const { return exception_type_; }

 private:
  gyro_status status_;
  std::string exception_type_;
};

namespace detail {
inline void check(gyro_vm* vm, gyro_status status) {
  if (status == GYRO_OK) return;
  if (!vm) throw Error(status, gyro_status_name(status), "");
  throw Error(status, gyro_vm_last_error(vm), gyro_vm_exception_type(vm));
}
}  // namespace detail

class Vm;

// One handle to a value of a VM: copying makes a second handle, destruction releases it. The
// VM must outlive its values.
class Value {
 public:
  Value() = default;
  // Takes over `handle` (a handle the C API gave the caller).
  Value(gyro_vm* vm, gyro_value handle) : vm_(vm), handle_(handle) {}
  Value(const Value& other) : vm_(other.vm_) {
    if (other.handle_) detail::check(vm_, gyro_value_copy(vm_, other.handle_, &handle_));
  }
  Value(Value&& other) noexcept
      : vm_(std::exchange(other.vm_, nullptr)), handle_(std::exchange(other.handle_, 0)) {}
  Value& operator=(Value other) noexcept {
    std::swap(vm_, other.vm_);
    std::swap(handle_, other.handle_);
    return *this;
  }
  ~Value() {
    if (handle_) gyro_value_release(vm_, handle_);
  }

  gyro_value handle() const { return handle_; }
  gyro_vm* vm() const { return vm_; }
  explicit operator bool() const { return handle_ != 0; }
  // Gives the handle up (the caller releases it).
  gyro_value release() {
    vm_ = nullptr;
    return std::exchange(handle_, 0);
  }

  gyro_kind kind() const {
    gyro_kind kind;
    detail::check(vm_, gyro_value_kind(vm_, handle_, &kind));
    return kind;
  }
  bool to_bool() const {
    int32_t out;
    detail::check(vm_, gyro_value_to_bool(vm_, handle_, &out));
    return out != 0;
  }
  int64_t to_int() const {
    int64_t out;
    detail::check(vm_, gyro_value_to_int(vm_, handle_, &out));
    return out;
  }
  double to_float() const {
    double out;
    detail::check(vm_, gyro_value_to_float(vm_, handle_, &out));
    return out;
  }
  std::string to_string() const {
    const char* text;
    size_t length;
    detail::check(vm_, gyro_value_to_str(vm_, handle_, &text, &length));
    return std::string(text, length);
  }
  std::string repr() const {
    gyro_value out;
    detail::check(vm_, gyro_value_repr(vm_, handle_, &out));
    return Value(vm_, out).to_string();
  }
  int64_t length() const {
    int64_t out;
    detail::check(vm_, gyro_value_length(vm_, handle_, &out));
    return out;
  }
  Value item(int64_t index) const {
    gyro_value out;
    detail::check(vm_, gyro_value_item(vm_, handle_, index, &out));
    return Value(vm_, out);
  }
  Value attr(const char* name) const {
    gyro_value out;
    detail::check(vm_, gyro_value_get_attr(vm_, handle_, name, &out));
    return Value(vm_, out);
  }
  void set_attr(const char* name, const Value& value) const {
    detail::check(vm_, gyro_value_set_attr(vm_, handle_, name, value.handle_));
  }
  // A module's global (this value is a module's globals).
  Value operator[](const char* name) const {
    gyro_value out;
    detail::check(vm_, gyro_module_get(vm_, handle_, name, &out));
    return Value(vm_, out);
  }
  Value call(std::span<const Value> args) const {
    std::vector<gyro_value> handles;
    for (const Value& arg : args) handles.push_back(arg.handle_);
    gyro_value out;
    detail::check(vm_, gyro_vm_call(vm_, handle_, handles.data(), handles.size(), &out));
    return Value(vm_, out);
  }
  template <typename... Args>
  Value operator()(const Args&... args) const {
    const Value values[] = {Value(), args...};  // a leading empty value keeps the array nonempty
    return call(std::span<const Value>(values + 1, sizeof...(Args)));
  }
  // A DLPack view of a tensor value (no copy); the caller calls its deleter.
  DLManagedTensor* to_dlpack() const {
    DLManagedTensor* out;
    detail::check(vm_, gyro_value_to_dlpack(vm_, handle_, &out));
    return out;
  }

 private:
  gyro_vm* vm_ = nullptr;
  gyro_value handle_ = 0;
};

// Bytecode built by the host, one code object at a time (docs/bytecode.md lists the opcodes
// and operands). It becomes text assembly, which Vm::load_built assembles and verifies like any
// other module: a mistake (an unknown opcode, a bad jump, an unbalanced stack) is an Error
// naming the block and line.
class Builder {
 public:
  class Code {
   public:
    Code& parameters(std::initializer_list<std::string_view> names) {
      for (std::string_view name : names) local(name);
      args_ = names.size();
      return *this;
    }
    // Indices into the code's tables (made on first use).
    uint32_t local(std::string_view name) { return index_of(locals_, quoted(name)); }
    uint32_t name(std::string_view name) { return index_of(names_, quoted(name)); }
    uint32_t constant(int64_t value) { return index_of(constants_, std::to_string(value)); }
    uint32_t constant(double value) {
      char text[32];
      std::snprintf(text, sizeof text, "%.17g", value);
      std::string written = text;
      if (written.find_first_of(".eEn") == std::string::npos) written += ".0";  // stays a float
      return index_of(constants_, written);
    }
    uint32_t constant(std::string_view text) { return index_of(constants_, quoted(text)); }
    uint32_t constant(const char* text) { return constant(std::string_view(text)); }
    uint32_t constant_none() { return index_of(constants_, "None"); }
    // A nested code object (for MAKE_FUNCTION), made by the same builder.
    uint32_t constant(const Code& code) {
      return index_of(constants_, "<code #" + std::to_string(code.index_) + " " + code.name_ + ">");
    }
    // The source line the next instructions carry (tracebacks show it); 1 at first.
    Code& line(int number) {
      line_ = number;
      return *this;
    }
    // Appends an instruction: an opcode of docs/bytecode.md and its operand as the assembler
    // reads it (a number, a name, an operator symbol such as "+"); returns its offset.
    size_t emit(std::string_view opcode) { return append(opcode, {}); }
    size_t emit(std::string_view opcode, std::string_view operand) {
      return append(opcode, operand);
    }
    size_t emit(std::string_view opcode, uint32_t operand) {
      return append(opcode, std::to_string(operand));
    }
    // The offset the next instruction will have (a jump target).
    size_t next_offset() const { return instructions_.size(); }
    // Sets the operand of the instruction at `offset` (a forward jump, once its target is known).
    void patch(size_t offset, uint32_t operand) {
      std::string& text = instructions_.at(offset);
      const size_t opcode_end = text.find(' ', text.find(' ', text.find(' ') + 1) + 1);
      text = text.substr(0, opcode_end) + " " + std::to_string(operand);
    }

   private:
    friend class Builder;
    Code(size_t index, std::string name) : index_(index), name_(std::move(name)) {}
    size_t append(std::string_view opcode, std::string_view operand) {
      instructions_.push_back(std::to_string(line_) + " " + std::to_string(instructions_.size()) +
                              " " + std::string(opcode) +
                              (operand.empty() ? "" : " " + std::string(operand)));
      return instructions_.size() - 1;
    }
    static uint32_t index_of(std::vector<std::string>& table, const std::string& entry) {
      for (size_t i = 0; i < table.size(); ++i)
        if (table[i] == entry) return static_cast<uint32_t>(i);
      table.push_back(entry);
      return static_cast<uint32_t>(table.size() - 1);
    }
    static std::string quoted(std::string_view text) {
      std::string out = "'";
      for (unsigned char c : text) {
        if (c == '\\' || c == '\'') {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\x%02x", c);
          out += escape;
        } else {
          out += static_cast<char>(c);
        }
      }
      return out + "'";
    }
    static std::string joined(const std::vector<std::string>& items) {
      std::string out;
      for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
      return out;
    }
    std::string text(const std::string& file) const {
      std::string out = "code #" + std::to_string(index_) + " " + quoted(name_) + "\n";
      out +=
          "  file " + quoted(file) + " line 1 args " + std::to_string(args_) + " flags 0 stack 0\n";
      out += "  consts: " + joined(constants_) + "\n  names: " + joined(names_) +
             "\n  locals: " + joined(locals_) + "\n  cells:\n  frees:\n";
      for (const std::string& instruction : instructions_) out += "  " + instruction + "\n";
      return out + "end\n";
    }
    size_t index_;
    std::string name_;
    size_t args_ = 0;
    int line_ = 1;
    std::vector<std::string> constants_, names_, locals_, instructions_;
  };

  // A new code object; the first one made is the module's top level.
  Code& code(std::string name) {
    codes_.push_back(std::unique_ptr<Code>(new Code(codes_.size(), std::move(name))));
    return *codes_.back();
  }
  // The text assembly of every code object, top level first.
  std::string assembly(const std::string& file = "<built>") const {
    std::string out;
    for (const auto& code : codes_) out += code->text(file) + "\n";
    return out;
  }

 private:
  std::vector<std::unique_ptr<Code>> codes_;
};

struct CompileOptions {
  const char* backend = nullptr;  // "vectorized" by default
  bool fullgraph = false;
  int dynamic = -1;  // -1 automatic, 0 static, 1 symbolic from the start
};

// A host function: gets the arguments (borrowed handles, valid for the call) and returns a
// value; a thrown gyro::Error re-raises its exception type, anything else is a RuntimeError.
using HostFunction = std::function<Value(Vm& vm, std::span<const Value> args)>;

// A VM: owns a gyro_vm. Not copyable; movable.
class Vm {
 public:
  explicit Vm(const gyro_config* config = nullptr) {
    const gyro_status status = gyro_vm_create(config, &vm_);
    if (status != GYRO_OK) throw Error(status, "gyro_vm_create failed", "");
  }
  ~Vm() {
    if (owned_) gyro_vm_destroy(vm_);
  }
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;
  Vm(Vm&& other) noexcept : vm_(std::exchange(other.vm_, nullptr)), owned_(other.owned_) {}

  gyro_vm* get() const { return vm_; }

  Value load_script(std::string_view source, const char* name = "<script>") {
    gyro_value module;
    detail::check(vm_, gyro_vm_load_script(vm_, source.data(), source.size(), name, &module));
    return Value(vm_, module);
  }
  Value load_assembly(std::string_view text, const char* name = "<assembly>") {
    gyro_value module;
    detail::check(vm_, gyro_vm_load_assembly(vm_, text.data(), text.size(), name, &module));
    return Value(vm_, module);
  }
  Value load_bytecode(std::span<const uint8_t> bytes, const char* name = "<bytecode>") {
    gyro_value module;
    detail::check(vm_, gyro_vm_load_bytecode(vm_, bytes.data(), bytes.size(), name, &module));
    return Value(vm_, module);
  }
  Value load_built(const Builder& builder, const char* name = "<built>") {
    return load_assembly(builder.assembly(name), name);
  }
  Value load_file(const char* path) {
    gyro_value module;
    detail::check(vm_, gyro_vm_load_file(vm_, path, &module));
    return Value(vm_, module);
  }

  Value none() {
    gyro_value out = 0;
    return make(gyro_value_none(vm_, &out), out);
  }
  Value from(bool value) {
    gyro_value out = 0;
    return make(gyro_value_from_bool(vm_, value, &out), out);
  }
  Value from(int64_t value) {
    gyro_value out = 0;
    return make(gyro_value_from_int(vm_, value, &out), out);
  }
  Value from(int value) { return from(static_cast<int64_t>(value)); }
  Value from(double value) {
    gyro_value out = 0;
    return make(gyro_value_from_float(vm_, value, &out), out);
  }
  Value from(std::string_view text) {
    gyro_value out = 0;
    return make(gyro_value_from_str(vm_, text.data(), text.size(), &out), out);
  }
  // Not from(bool): a pointer would take that overload before string_view's.
  Value from(const char* text) { return from(std::string_view(text)); }
  Value from(const std::string& text) { return from(std::string_view(text)); }
  Value list(std::initializer_list<Value> items) {
    std::vector<gyro_value> handles;
    for (const Value& item : items) handles.push_back(item.handle());
    gyro_value out = 0;
    return make(gyro_value_new_list(vm_, handles.data(), handles.size(), &out), out);
  }
  Value tuple(std::initializer_list<Value> items) {
    std::vector<gyro_value> handles;
    for (const Value& item : items) handles.push_back(item.handle());
    gyro_value out = 0;
    return make(gyro_value_new_tuple(vm_, handles.data(), handles.size(), &out), out);
  }
  // Takes over `tensor` on success (see gyro_value_from_dlpack).
  Value from_dlpack(DLManagedTensor* tensor) {
    gyro_value out = 0;
    return make(gyro_value_from_dlpack(vm_, tensor, &out), out);
  }
  Value host_function(const char* name, HostFunction function) {
    auto* state = new Hosted{std::move(function)};
    gyro_value out = 0;
    const gyro_status status = gyro_value_from_host_function(
        vm_, name, &Vm::trampoline, state, [](void* data) { delete static_cast<Hosted*>(data); },
        &out);
    if (status != GYRO_OK) delete state;  // not taken over on failure
    return make(status, out);
  }

  Value compile(const Value& function, const CompileOptions& options = {}) {
    gyro_compile_options settings;
    gyro_compile_options_init(&settings, sizeof(settings));
    settings.backend = options.backend;
    settings.fullgraph = options.fullgraph;
    settings.dynamic = options.dynamic;
    gyro_value out = 0;
    return make(gyro_vm_compile(vm_, function.handle(), &settings, &out), out);
  }
  std::string explain(const Value& function, std::initializer_list<Value> args) {
    std::vector<gyro_value> handles;
    for (const Value& arg : args) handles.push_back(arg.handle());
    gyro_value out = 0;
    return make(gyro_vm_explain(vm_, function.handle(), handles.data(), handles.size(), &out), out)
        .to_string();
  }
  gyro_stats stats() {
    gyro_stats stats{};
    stats.struct_size = sizeof(stats);
    detail::check(vm_, gyro_vm_stats(vm_, &stats));
    return stats;
  }
  void set_config(const char* name, const char* value) {
    detail::check(vm_, gyro_vm_set_config(vm_, name, value));
  }
  void set_builtin(const char* name, const Value& value) {
    detail::check(vm_, gyro_vm_set_builtin(vm_, name, value.handle()));
  }
  int64_t collect() {
    int64_t freed = 0;
    detail::check(vm_, gyro_vm_collect(vm_, &freed));
    return freed;
  }
  // Any thread.
  void interrupt() { gyro_vm_interrupt(vm_); }

 private:
  // A view of a VM owned elsewhere (what host functions get): destroys nothing.
  struct View {};
  Vm(gyro_vm* vm, View) : vm_(vm), owned_(false) {}

  struct Hosted {
    HostFunction function;
  };
  static gyro_status trampoline(gyro_vm* vm, void* data, const gyro_value* args, size_t count,
                                gyro_value* result) {
    auto* hosted = static_cast<Hosted*>(data);
    try {
      // Borrowed: copies of the caller's handles, released when this call ends.
      std::vector<Value> values;
      for (size_t i = 0; i < count; ++i) {
        gyro_value copy;
        detail::check(vm, gyro_value_copy(vm, args[i], &copy));
        values.emplace_back(vm, copy);
      }
      Vm view(vm, View{});
      *result = hosted->function(view, values).release();
      return GYRO_OK;
    } catch (const Error& error) {
      // Its own exception type when that is a builtin one, else a RuntimeError.
      if (error.status() == GYRO_ERROR_EXCEPTION && !error.exception_type().empty() &&
          gyro_vm_raise(vm, error.exception_type().c_str(), error.what()) == GYRO_ERROR_EXCEPTION)
        return GYRO_ERROR_EXCEPTION;
      return gyro_vm_raise(vm, "RuntimeError", error.what());
    } catch (const std::exception& error) {
      return gyro_vm_raise(vm, "RuntimeError", error.what());
    } catch (...) {
      return gyro_vm_raise(vm, "RuntimeError", "a host function threw");
    }
  }
  // `out` by reference: read after the call that fills it (argument order is unspecified).
  Value make(gyro_status status, const gyro_value& out) {
    detail::check(vm_, status);
    return Value(vm_, out);
  }
  gyro_vm* vm_ = nullptr;
  bool owned_ = true;
};

}  // namespace gyro::embed

#endif  // GYRO_HPP_
