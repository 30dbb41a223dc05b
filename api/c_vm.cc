// The C API's VMs and modules: versions, configs, creating and destroying VMs, errors,
// loading modules, compile knobs, compile(), stats and explain.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "api/vm_state.h"
#include "gyro/gyro.h"
#include "interp/compile_api.h"
#include "ir/assembler.h"
#include "ir/bytecode_file.h"
#include "ir/version.h"
#include "lang/compiler.h"
#include "lang/prelude.h"

namespace gyro::api {

HandleTable::HandleTable() {
  // VMs made one after another get different tags (0 is skipped so that no tag is 0).
  static std::atomic<uint16_t> next_tag{0};
  uint16_t tag = ++next_tag;
  if (tag == 0) tag = ++next_tag;
  tag_ = static_cast<uint64_t>(tag) << 48;
}

gyro_value HandleTable::add(Value value) {
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[index];
  slot.value = std::move(value);
  slot.live = true;
  return tag_ | (static_cast<uint64_t>(slot.generation) << 32) | (static_cast<uint64_t>(index) + 1);
}

const Value* HandleTable::find(gyro_value handle) const {
  const uint64_t index_plus_one = handle & 0xffffffffu;
  if ((handle & 0xffff000000000000u) != tag_ || index_plus_one == 0 ||
      index_plus_one > slots_.size())
    return nullptr;
  const Slot& slot = slots_[index_plus_one - 1];
  if (!slot.live || slot.generation != static_cast<uint16_t>(handle >> 32)) return nullptr;
  return &slot.value;
}

bool HandleTable::remove(gyro_value handle) {
  if (!find(handle)) return false;
  const auto index = static_cast<uint32_t>((handle & 0xffffffffu) - 1);
  Slot& slot = slots_[index];
  Value dropped = std::move(slot.value);
  slot.live = false;
  // A slot whose generation would wrap is retired: a handle from 65535 releases ago must not
  // find a new value there.
  if (++slot.generation != 0) free_.push_back(index);
  return true;  // `dropped` goes last: freeing it may run nothing that reads the table
}

void HandleTable::clear() {
  std::vector<Slot> slots = std::move(slots_);
  slots_.clear();
  free_.clear();
}

const Value* lookup(gyro_vm* vm, const char* function, gyro_value handle, const char* what) {
  const Value* value = vm->handles.find(handle);
  if (!value) {
    vm->fail(GYRO_ERROR_INVALID_ARGUMENT,
             handle == 0 ? fmt::format("{}: {} is the null handle 0", function, what)
                         : fmt::format("{}: {} (handle {:#x}) is not a live value of this VM "
                                       "(released already, or another VM's)",
                                       function, what, handle));
  }
  return value;
}

namespace {

// Runs a module's top level as __main__; its globals go to *module when asked for.
gyro_status run_module(gyro_vm* vm, Module module, gyro_value* out) {
  auto globals = vm->interpreter->run_module(module);
  if (!globals) return vm->fail_with_exception();
  if (out) give(vm, std::move(*globals), out);
  return GYRO_OK;
}

gyro_status syntax_error(gyro_vm* vm, const char* function, const Error& error) {
  return vm->fail(GYRO_ERROR_SYNTAX, fmt::format("{}: {}", function, error.to_string()));
}

// A log line to the host's callback: "[gyro <channel>] text" or "gyro warning: text".
void forward_log_line(gyro_vm* vm, std::string_view line) {
  std::string channel = "warning";
  std::string_view text = line;
  constexpr std::string_view kChannel = "[gyro ", kWarning = "gyro warning: ";
  if (line.starts_with(kChannel)) {
    const auto end = line.find("] ");
    if (end != std::string_view::npos) {
      channel = std::string(line.substr(kChannel.size(), end - kChannel.size()));
      text = line.substr(end + 2);
    }
  } else if (line.starts_with(kWarning)) {
    text = line.substr(kWarning.size());
  }
  vm->log(vm->log_user_data, channel.c_str(), text.data(), text.size());
}

std::string name_or(const char* name, const char* fallback) {
  return name && *name ? std::string(name) : std::string(fallback);
}

}  // namespace
}  // namespace gyro::api

using namespace gyro;
using namespace gyro::api;

gyro_status gyro_vm::fail_with_exception() {
  const Value& exception = interpreter->exception();
  std::string type;
  Value cls = interpreter->type_of(exception);
  if (cls.is(ObjectKind::Class)) type = cls.as<ClassObject>().name;
  return fail(GYRO_ERROR_EXCEPTION, interpreter->format_exception(exception), std::move(type));
}

extern "C" {

uint32_t gyro_abi_version(void) {
  return GYRO_ABI_VERSION;
}

const char* gyro_version(void) {
  return kGyroVersion;
}

const char* gyro_status_name(gyro_status status) {
  switch (status) {
    case GYRO_OK:
      return "GYRO_OK";
    case GYRO_ERROR_INVALID_ARGUMENT:
      return "GYRO_ERROR_INVALID_ARGUMENT";
    case GYRO_ERROR_EXCEPTION:
      return "GYRO_ERROR_EXCEPTION";
    case GYRO_ERROR_SYNTAX:
      return "GYRO_ERROR_SYNTAX";
    case GYRO_ERROR_NOT_FOUND:
      return "GYRO_ERROR_NOT_FOUND";
    case GYRO_ERROR_TYPE:
      return "GYRO_ERROR_TYPE";
    case GYRO_ERROR_IO:
      return "GYRO_ERROR_IO";
    case GYRO_ERROR_UNSUPPORTED:
      return "GYRO_ERROR_UNSUPPORTED";
    case GYRO_ERROR_INTERNAL:
      return "GYRO_ERROR_INTERNAL";
  }
  return "GYRO_ERROR_UNKNOWN_STATUS";
}

void gyro_config_init(gyro_config* config, size_t struct_size) {
  if (!config || struct_size < sizeof(size_t)) return;
  gyro_config defaults{};
  defaults.struct_size = struct_size;
  defaults.max_call_depth = 1000;
  defaults.file_access = 1;
  defaults.install_prelude = 1;
  std::memcpy(config, &defaults, std::min(struct_size, sizeof(gyro_config)));
}

gyro_status gyro_vm_create(const gyro_config* given, gyro_vm** out) {
  if (!out) return GYRO_ERROR_INVALID_ARGUMENT;
  *out = nullptr;
  // Fields past what the caller's struct holds keep their defaults.
  gyro_config config;
  gyro_config_init(&config, sizeof(config));
  if (given) {
    if (given->struct_size < sizeof(size_t) ||
        !whole_fields(
            given->struct_size, sizeof(gyro_config),
            {GYRO_FIELD(gyro_config, write), GYRO_FIELD(gyro_config, write_user_data),
             GYRO_FIELD(gyro_config, log), GYRO_FIELD(gyro_config, log_user_data),
             GYRO_FIELD(gyro_config, logs), GYRO_FIELD(gyro_config, step_budget),
             GYRO_FIELD(gyro_config, max_call_depth), GYRO_FIELD(gyro_config, file_access),
             GYRO_FIELD(gyro_config, install_prelude), GYRO_FIELD(gyro_config, progress),
             GYRO_FIELD(gyro_config, progress_user_data), GYRO_FIELD(gyro_config, dump_dir)}))
      return GYRO_ERROR_INVALID_ARGUMENT;
    std::memcpy(&config, given, std::min(given->struct_size, sizeof(gyro_config)));
    config.struct_size = sizeof(config);
  }
  if (config.max_call_depth <= 0) return GYRO_ERROR_INVALID_ARGUMENT;
  try {
    auto vm = std::make_unique<gyro_vm>();
    gyro_vm* raw = vm.get();
    raw->write = config.write;
    raw->write_user_data = config.write_user_data;
    raw->log = config.log;
    raw->log_user_data = config.log_user_data;
    std::function<void(std::string_view)> write;
    if (config.write)
      write = [raw](std::string_view text) {
        raw->write(raw->write_user_data, text.data(), text.size());
      };
    raw->interpreter = std::make_unique<Interpreter>(std::move(write));
    Interpreter& interpreter = *raw->interpreter;
    if (config.log) {
      // Lines come as "[gyro <channel>] text" or "gyro warning: text".
      interpreter.set_log_callback([raw](std::string_view line) noexcept {
        try {
          forward_log_line(raw, line);
        } catch (...) {
          // Out of memory formatting a log line: the line is lost, the compile goes on.
        }
      });
    }
    if (config.logs) interpreter.set_logs(config.logs);
    if (config.dump_dir) interpreter.set_dump_dir(config.dump_dir);
    if (config.progress) {
      interpreter.set_progress_callback(
          [progress = config.progress, user = config.progress_user_data](
              std::string_view phase, std::string_view function) noexcept {
            try {
              const std::string phase_text(phase), function_text(function);
              progress(user, phase_text.c_str(), function_text.c_str());
            } catch (...) {
              // Out of memory: this report is lost, the compile goes on.
            }
          });
    }
    interpreter.limits().step_budget = config.step_budget;
    interpreter.limits().max_call_depth = config.max_call_depth;
    interpreter.limits().file_access = config.file_access != 0;
    if (config.install_prelude) {
      Status prelude = lang::install_prelude(interpreter);
      if (!prelude.ok()) return GYRO_ERROR_INTERNAL;
    }
    *out = vm.release();
    return GYRO_OK;
  } catch (...) {
    return GYRO_ERROR_INTERNAL;
  }
}

void gyro_vm_destroy(gyro_vm* vm) {
  if (!vm || vm->closing) return;
  try {
    {
      Interpreter::HostLock lock(*vm->interpreter);
      vm->handles.clear();
      vm->closing = true;
    }
    // The interpreter first, while the handle table and the error map still exist for the
    // host callbacks its destruction runs (they get "the VM is being destroyed").
    vm->interpreter.reset();
    delete vm;
  } catch (...) {
    // Nothing to report to: destruction frees what it can.
  }
}

const char* gyro_vm_last_error(const gyro_vm* vm) {
  if (!vm) return "gyro_vm_last_error: vm is NULL";
  try {
    return vm->error_of_this_thread().message.c_str();
  } catch (...) {
    return "gyro_vm_last_error: out of memory";
  }
}

const char* gyro_vm_exception_type(const gyro_vm* vm) {
  if (!vm) return "";
  try {
    return vm->error_of_this_thread().exception_type.c_str();
  } catch (...) {
    return "";
  }
}

gyro_status gyro_vm_interrupt(gyro_vm* vm) {
  if (!vm) return GYRO_ERROR_INVALID_ARGUMENT;
  vm->interpreter->interrupt();  // an atomic store: no lock, any thread
  return GYRO_OK;
}

gyro_status gyro_vm_set_config(gyro_vm* vm, const char* name, const char* value) {
  return guarded(vm, "gyro_vm_set_config", [&] {
    GYRO_API_REQUIRE(name && value, "gyro_vm_set_config", "name and value must not be NULL");
    Interpreter& interpreter = *vm->interpreter;
    auto config = interpreter.builtins().as<DictObject>().table.get(make_str("config"));
    if (!config.ok() || !config->has_value() || !(*config)->is(ObjectKind::Config))
      return vm->fail(GYRO_ERROR_INTERNAL, "gyro_vm_set_config: the VM has no config object");
    auto current = get_config_attribute(interpreter, (*config)->as<ConfigObject>(), name);
    if (!current)
      return vm->fail(GYRO_ERROR_NOT_FOUND,
                      fmt::format("gyro_vm_set_config: no compile knob '{}'", name));
    // The text becomes a value of the knob's own type; set_config_attribute checks the rest.
    std::string_view text = value;
    Value parsed;
    if (current->is_bool()) {
      if (text == "1" || text == "true" || text == "True") {
        parsed = Value::boolean(true);
      } else if (text == "0" || text == "false" || text == "False") {
        parsed = Value::boolean(false);
      } else {
        return vm->fail(
            GYRO_ERROR_TYPE,
            fmt::format("gyro_vm_set_config: {} takes true or false, not '{}'", name, text));
      }
    } else {
      int64_t number = 0;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
      if (error != std::errc() || end != text.data() + text.size())
        return vm->fail(
            GYRO_ERROR_TYPE,
            fmt::format("gyro_vm_set_config: {} takes an integer, not '{}'", name, text));
      parsed = Value::integer(number);
    }
    if (!set_config_attribute(interpreter, (*config)->as<ConfigObject>(), name, parsed))
      return vm->fail_with_exception();
    return GYRO_OK;
  });
}

gyro_status gyro_vm_collect(gyro_vm* vm, int64_t* freed) {
  return guarded(vm, "gyro_vm_collect", [&] {
    const int64_t count = vm->interpreter->collect_cycles();
    if (freed) *freed = count;
    return GYRO_OK;
  });
}

gyro_status gyro_vm_load_script(gyro_vm* vm, const char* source, size_t length, const char* name,
                                gyro_value* module) {
  return guarded(vm, "gyro_vm_load_script", [&] {
    GYRO_API_REQUIRE(source || length == 0, "gyro_vm_load_script", "source is NULL");
    const std::string filename = name_or(name, "<script>");
    auto code = lang::compile_source(std::string_view(source ? source : "", length), filename);
    if (!code.ok()) return syntax_error(vm, "gyro_vm_load_script", code.error());
    return run_module(vm, Module{filename, *code}, module);
  });
}

gyro_status gyro_vm_load_assembly(gyro_vm* vm, const char* text, size_t length, const char* name,
                                  gyro_value* module) {
  return guarded(vm, "gyro_vm_load_assembly", [&] {
    GYRO_API_REQUIRE(text || length == 0, "gyro_vm_load_assembly", "text is NULL");
    const std::string filename = name_or(name, "<assembly>");
    auto code = assemble(std::string_view(text ? text : "", length), filename);
    if (!code.ok()) return syntax_error(vm, "gyro_vm_load_assembly", code.error());
    return run_module(vm, Module{filename, *code}, module);
  });
}

gyro_status gyro_vm_load_bytecode(gyro_vm* vm, const uint8_t* bytes, size_t length,
                                  const char* name, gyro_value* module) {
  return guarded(vm, "gyro_vm_load_bytecode", [&] {
    GYRO_API_REQUIRE(bytes || length == 0, "gyro_vm_load_bytecode", "bytes is NULL");
    auto loaded = read_bytecode(std::span<const uint8_t>(bytes, length));
    if (!loaded.ok()) return syntax_error(vm, "gyro_vm_load_bytecode", loaded.error());
    if (name && *name) loaded->name = name;
    return run_module(vm, std::move(*loaded), module);
  });
}

gyro_status gyro_vm_load_file(gyro_vm* vm, const char* path, gyro_value* module) {
  return guarded(vm, "gyro_vm_load_file", [&] {
    GYRO_API_REQUIRE(path, "gyro_vm_load_file", "path is NULL");
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return vm->fail(GYRO_ERROR_IO, fmt::format("gyro_vm_load_file: cannot open {}: {}", path,
                                                 std::strerror(errno)));
    std::ostringstream contents;
    contents << in.rdbuf();
    const std::string bytes = contents.str();
    const std::string_view file = path;
    if (file.ends_with(".gy")) {
      auto code = lang::compile_source(bytes, path);
      if (!code.ok()) return syntax_error(vm, "gyro_vm_load_file", code.error());
      return run_module(vm, Module{path, *code}, module);
    }
    if (file.ends_with(".gya")) {
      auto code = assemble(bytes, path);
      if (!code.ok()) return syntax_error(vm, "gyro_vm_load_file", code.error());
      return run_module(vm, Module{path, *code}, module);
    }
    auto loaded = read_bytecode(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    if (!loaded.ok()) return syntax_error(vm, "gyro_vm_load_file", loaded.error());
    loaded->name = path;
    return run_module(vm, std::move(*loaded), module);
  });
}

gyro_status gyro_vm_compile(gyro_vm* vm, gyro_value function, const gyro_compile_options* given,
                            gyro_value* out) {
  return guarded(vm, "gyro_vm_compile", [&] {
    GYRO_API_REQUIRE(out, "gyro_vm_compile", "out is NULL");
    const Value* fn = lookup(vm, "gyro_vm_compile", function, "function");
    if (!fn) return GYRO_ERROR_INVALID_ARGUMENT;
    gyro_compile_options options;
    gyro_compile_options_init(&options, sizeof(options));
    if (given) {
      GYRO_API_REQUIRE(given->struct_size >= sizeof(size_t) &&
                           whole_fields(given->struct_size, sizeof(gyro_compile_options),
                                        {GYRO_FIELD(gyro_compile_options, backend),
                                         GYRO_FIELD(gyro_compile_options, fullgraph),
                                         GYRO_FIELD(gyro_compile_options, dynamic)}),
                       "gyro_vm_compile", "options->struct_size {} ends inside a field",
                       given->struct_size);
      std::memcpy(&options, given, std::min(given->struct_size, sizeof(options)));
    }
    GYRO_API_REQUIRE(options.dynamic >= -1 && options.dynamic <= 1, "gyro_vm_compile",
                     "options->dynamic is {} (-1, 0 or 1)", options.dynamic);
    // The script builtin does the checks (an unknown backend, a value that is not callable).
    Interpreter& interpreter = *vm->interpreter;
    auto compile = interpreter.builtins().as<DictObject>().table.get(make_str("compile"));
    if (!compile.ok() || !compile->has_value())
      return vm->fail(GYRO_ERROR_INTERNAL, "gyro_vm_compile: the VM has no compile builtin");
    std::vector<KeywordArg> kwargs;
    if (options.backend) kwargs.push_back({"backend", make_str(options.backend)});
    kwargs.push_back({"fullgraph", Value::boolean(options.fullgraph != 0)});
    if (options.dynamic >= 0) kwargs.push_back({"dynamic", Value::boolean(options.dynamic == 1)});
    auto compiled = interpreter.call(**compile, std::span<const Value>(fn, 1), kwargs);
    if (!compiled) return vm->fail_with_exception();
    return give(vm, std::move(*compiled), out);
  });
}

void gyro_compile_options_init(gyro_compile_options* options, size_t struct_size) {
  if (!options || struct_size < sizeof(size_t)) return;
  gyro_compile_options defaults{};
  defaults.struct_size = struct_size;
  defaults.dynamic = -1;
  std::memcpy(options, &defaults, std::min(struct_size, sizeof(gyro_compile_options)));
}

gyro_status gyro_vm_explain(gyro_vm* vm, gyro_value function, const gyro_value* args,
                            size_t arg_count, gyro_value* text) {
  return guarded(vm, "gyro_vm_explain", [&] {
    GYRO_API_REQUIRE(text, "gyro_vm_explain", "text is NULL");
    GYRO_API_REQUIRE(args || arg_count == 0, "gyro_vm_explain", "args is NULL");
    const Value* fn = lookup(vm, "gyro_vm_explain", function, "function");
    if (!fn) return GYRO_ERROR_INVALID_ARGUMENT;
    std::vector<Value> values;
    for (size_t i = 0; i < arg_count; ++i) {
      const Value* arg = lookup(vm, "gyro_vm_explain", args[i], "an argument");
      if (!arg) return GYRO_ERROR_INVALID_ARGUMENT;
      values.push_back(*arg);
    }
    Interpreter& interpreter = *vm->interpreter;
    auto explain = interpreter.builtins().as<DictObject>().table.get(make_str("explain"));
    if (!explain.ok() || !explain->has_value())
      return vm->fail(GYRO_ERROR_INTERNAL, "gyro_vm_explain: the VM has no explain builtin");
    auto explainer = interpreter.call(**explain, std::span<const Value>(fn, 1));
    if (!explainer) return vm->fail_with_exception();
    auto explanation = interpreter.call(*explainer, values);
    if (!explanation) return vm->fail_with_exception();
    if (!explanation->is(ObjectKind::Explanation))
      return vm->fail(GYRO_ERROR_INTERNAL, "gyro_vm_explain: explain() made no explanation");
    return give(vm, make_str(explanation->as<ExplanationObject>().describe()), text);
  });
}

gyro_status gyro_vm_stats(gyro_vm* vm, gyro_stats* stats) {
  return guarded(vm, "gyro_vm_stats", [&] {
    GYRO_API_REQUIRE(stats && stats->struct_size >= sizeof(size_t), "gyro_vm_stats",
                     "stats is NULL or its struct_size is not set");
    // Every field is 8 bytes: a size on an 8-byte step ends on a field.
    GYRO_API_REQUIRE(stats->struct_size % 8 == 0, "gyro_vm_stats",
                     "stats->struct_size {} ends inside a field", stats->struct_size);
    const CompileStats& kept = vm->interpreter->compile_stats();
    // Fields a newer header has and this library does not are zero.
    const size_t size = stats->struct_size;
    std::memset(static_cast<void*>(stats), 0, size);
    gyro_stats filled{};
    filled.struct_size = size;
#define COMPILE_STAT(type, name, help) filled.name = kept.name;
#include "interp/compile_stats.def"
#undef COMPILE_STAT
    std::memcpy(stats, &filled, std::min(size, sizeof(gyro_stats)));
    return GYRO_OK;
  });
}

gyro_status gyro_vm_reset_stats(gyro_vm* vm) {
  return guarded(vm, "gyro_vm_reset_stats", [&] {
    vm->interpreter->compile_stats() = CompileStats{};
    return GYRO_OK;
  });
}

}  // extern "C"

// gyro_stats is the ABI's copy of compile_stats.def: same fields, same order, after struct_size.
namespace {
constexpr std::size_t kStatFields = 0
#define COMPILE_STAT(type, name, help) +1
#include "interp/compile_stats.def"
#undef COMPILE_STAT
    ;
static_assert(sizeof(gyro_stats) == sizeof(size_t) + kStatFields * 8,
              "gyro_stats and interp/compile_stats.def disagree");
}  // namespace
