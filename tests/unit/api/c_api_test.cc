// The C API through libgyro.so: values in and out, calls, errors and misuse, DLPack without
// copies, host functions, compile, stats, config, logs and interrupts.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gyro/gyro.h"

namespace {

constexpr const char* kProgram = R"(
def add(a, b):
    return a + b

def fails(x):
    raise ValueError("bad " + str(x))

def scale(x, k):
    return x * k

def twice(x):
    return x * 2 + 1

def with_host(x):
    y = x + 1
    z = host_double(y)
    return z * 3

def spin():
    while True:
        pass

def shout():
    print("hello from the script")
    return None
)";

// A VM with the program loaded; fails the test on any error.
struct Loaded {
  gyro_vm* vm = nullptr;
  gyro_value module = 0;
  explicit Loaded(const gyro_config* config = nullptr) {
    EXPECT_EQ(gyro_vm_create(config, &vm), GYRO_OK);
    EXPECT_EQ(gyro_vm_load_script(vm, kProgram, std::strlen(kProgram), "program.gy", &module),
              GYRO_OK)
        << gyro_vm_last_error(vm);
  }
  ~Loaded() { gyro_vm_destroy(vm); }
  gyro_value get(const char* name) {
    gyro_value out = 0;
    EXPECT_EQ(gyro_module_get(vm, module, name, &out), GYRO_OK) << gyro_vm_last_error(vm);
    return out;
  }
  gyro_value integer(int64_t value) {
    gyro_value out = 0;
    EXPECT_EQ(gyro_value_from_int(vm, value, &out), GYRO_OK);
    return out;
  }
};

TEST(CApi, ReportsItsVersionAndStatusNames) {
  EXPECT_EQ(gyro_abi_version(), static_cast<uint32_t>(GYRO_ABI_VERSION));
  EXPECT_STREQ(gyro_version(), "0.1.0");
  EXPECT_STREQ(gyro_status_name(GYRO_ERROR_TYPE), "GYRO_ERROR_TYPE");
  EXPECT_STREQ(gyro_status_name(static_cast<gyro_status>(99)), "GYRO_ERROR_UNKNOWN_STATUS");
}

TEST(CApi, ConfigInitGivesDefaultsToFieldsAnOlderCallerDoesNotKnow) {
  // A caller compiled against a gyro_config that ended after `log_user_data`.
  const size_t old_size = offsetof(gyro_config, logs);
  gyro_config config;
  std::memset(&config, 0xAB, sizeof(config));
  gyro_config_init(&config, old_size);
  EXPECT_EQ(config.struct_size, old_size);
  EXPECT_EQ(config.write, nullptr);
  // Bytes past old_size are the caller's; gyro_vm_create must not read them.
  gyro_vm* vm = nullptr;
  ASSERT_EQ(gyro_vm_create(&config, &vm), GYRO_OK);
  gyro_value module = 0;
  const char* source = "x = 1\n";
  EXPECT_EQ(gyro_vm_load_script(vm, source, std::strlen(source), "x.gy", &module), GYRO_OK)
      << gyro_vm_last_error(vm);
  gyro_value_release(vm, module);
  gyro_vm_destroy(vm);
}

TEST(CApi, CallsAScriptFunctionWithValuesInAndOut) {
  Loaded program;
  gyro_value add = program.get("add");
  gyro_value args[] = {program.integer(40), program.integer(2)};
  gyro_value result = 0;
  ASSERT_EQ(gyro_vm_call(program.vm, add, args, 2, &result), GYRO_OK)
      << gyro_vm_last_error(program.vm);
  int64_t sum = 0;
  ASSERT_EQ(gyro_value_to_int(program.vm, result, &sum), GYRO_OK);
  EXPECT_EQ(sum, 42);
  gyro_kind kind;
  ASSERT_EQ(gyro_value_kind(program.vm, result, &kind), GYRO_OK);
  EXPECT_EQ(kind, GYRO_KIND_INT);
  // str + str, and its text back.
  gyro_value a = 0, b = 0, joined = 0;
  ASSERT_EQ(gyro_value_from_str(program.vm, "gy", 2, &a), GYRO_OK);
  ASSERT_EQ(gyro_value_from_str(program.vm, "ro", 2, &b), GYRO_OK);
  gyro_value strs[] = {a, b};
  ASSERT_EQ(gyro_vm_call(program.vm, add, strs, 2, &joined), GYRO_OK);
  const char* text = nullptr;
  size_t length = 0;
  ASSERT_EQ(gyro_value_to_str(program.vm, joined, &text, &length), GYRO_OK);
  EXPECT_EQ(std::string(text, length), "gyro");
  // Lists and tuples: made from handles, read back item by item.
  gyro_value list = 0, item = 0;
  ASSERT_EQ(gyro_value_new_list(program.vm, args, 2, &list), GYRO_OK);
  int64_t count = 0;
  ASSERT_EQ(gyro_value_length(program.vm, list, &count), GYRO_OK);
  EXPECT_EQ(count, 2);
  ASSERT_EQ(gyro_value_item(program.vm, list, -1, &item), GYRO_OK);
  ASSERT_EQ(gyro_value_to_int(program.vm, item, &sum), GYRO_OK);
  EXPECT_EQ(sum, 2);
  EXPECT_EQ(gyro_value_item(program.vm, list, 5, &item), GYRO_ERROR_EXCEPTION);
  EXPECT_STREQ(gyro_vm_exception_type(program.vm), "IndexError");
}

TEST(CApi, AnExceptionComesBackWithItsTypeAndTraceback) {
  Loaded program;
  gyro_value fails = program.get("fails");
  gyro_value arg = program.integer(7), result = 0;
  ASSERT_EQ(gyro_vm_call(program.vm, fails, &arg, 1, &result), GYRO_ERROR_EXCEPTION);
  EXPECT_EQ(result, 0u);
  EXPECT_STREQ(gyro_vm_exception_type(program.vm), "ValueError");
  const std::string message = gyro_vm_last_error(program.vm);
  EXPECT_NE(message.find("Traceback (most recent call last):"), std::string::npos) << message;
  EXPECT_NE(message.find("program.gy\", line 6, in fails"), std::string::npos) << message;
  EXPECT_NE(message.find("ValueError: bad 7"), std::string::npos) << message;
  // The next successful call clears it.
  gyro_value none = 0;
  ASSERT_EQ(gyro_value_none(program.vm, &none), GYRO_OK);
  EXPECT_STREQ(gyro_vm_last_error(program.vm), "");
  EXPECT_STREQ(gyro_vm_exception_type(program.vm), "");
}

TEST(CApi, SourceThatDoesNotCompileIsASyntaxErrorWithItsPlace) {
  gyro_vm* vm = nullptr;
  ASSERT_EQ(gyro_vm_create(nullptr, &vm), GYRO_OK);
  const char* source = "def f(:\n";
  EXPECT_EQ(gyro_vm_load_script(vm, source, std::strlen(source), "broken.gy", nullptr),
            GYRO_ERROR_SYNTAX);
  EXPECT_NE(std::string(gyro_vm_last_error(vm)).find("broken.gy:1:"), std::string::npos)
      << gyro_vm_last_error(vm);
  const uint8_t garbage[] = {1, 2, 3, 4};
  EXPECT_EQ(gyro_vm_load_bytecode(vm, garbage, sizeof(garbage), "garbage.gyc", nullptr),
            GYRO_ERROR_SYNTAX);
  EXPECT_EQ(gyro_vm_load_file(vm, "/nonexistent/file.gy", nullptr), GYRO_ERROR_IO);
  const char* assembly = "code #0 'main'\n  nonsense\nend\n";
  EXPECT_EQ(gyro_vm_load_assembly(vm, assembly, std::strlen(assembly), "bad.gya", nullptr),
            GYRO_ERROR_SYNTAX);
  gyro_vm_destroy(vm);
}

TEST(CApi, MisuseIsAnErrorStatusNeverACrash) {
  Loaded program;
  gyro_vm* vm = program.vm;
  gyro_value out = 0;
  EXPECT_EQ(gyro_value_from_int(nullptr, 1, &out), GYRO_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(gyro_value_from_int(vm, 1, nullptr), GYRO_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(gyro_vm_create(nullptr, nullptr), GYRO_ERROR_INVALID_ARGUMENT);
  gyro_vm_destroy(nullptr);
  EXPECT_STRNE(gyro_vm_last_error(nullptr), "");
  // A released handle, released again or used.
  gyro_value one = program.integer(1);
  EXPECT_EQ(gyro_value_release(vm, one), GYRO_OK);
  EXPECT_EQ(gyro_value_release(vm, one), GYRO_ERROR_INVALID_ARGUMENT);
  int64_t number = 0;
  EXPECT_EQ(gyro_value_to_int(vm, one, &number), GYRO_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(gyro_vm_last_error(vm)).find("not a live value"), std::string::npos);
  // Its slot reused by a new value: the old handle still does not reach it.
  gyro_value two = program.integer(2);
  EXPECT_NE(two, one);
  EXPECT_EQ(gyro_value_to_int(vm, one, &number), GYRO_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(gyro_value_to_int(vm, two, &number), GYRO_OK);
  EXPECT_EQ(gyro_value_to_int(vm, 0, &number), GYRO_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(gyro_value_to_int(vm, 0xdeadbeef00000007ull, &number), GYRO_ERROR_INVALID_ARGUMENT);
  // Another VM's handle.
  gyro_vm* other = nullptr;
  ASSERT_EQ(gyro_vm_create(nullptr, &other), GYRO_OK);
  gyro_value foreign = 0;
  ASSERT_EQ(gyro_value_from_int(other, 5, &foreign), GYRO_OK);
  gyro_value_release(vm, two);
  EXPECT_EQ(gyro_value_to_int(vm, foreign, &number), GYRO_ERROR_INVALID_ARGUMENT);
  gyro_vm_destroy(other);
  // A value of the wrong kind.
  gyro_value text = 0;
  ASSERT_EQ(gyro_value_from_str(vm, "x", 1, &text), GYRO_OK);
  EXPECT_EQ(gyro_value_to_int(vm, text, &number), GYRO_ERROR_TYPE);
  EXPECT_STREQ(gyro_vm_last_error(vm), "gyro_value_to_int: the value is a str, not an int");
  EXPECT_EQ(gyro_vm_call(vm, text, nullptr, 0, &out), GYRO_ERROR_EXCEPTION);
  EXPECT_STREQ(gyro_vm_exception_type(vm), "TypeError");
  EXPECT_EQ(gyro_module_get(vm, program.module, "missing", &out), GYRO_ERROR_NOT_FOUND);
  EXPECT_EQ(gyro_vm_call(vm, program.get("add"), nullptr, 2, &out), GYRO_ERROR_INVALID_ARGUMENT);
  DLManagedTensor* tensor = nullptr;
  EXPECT_EQ(gyro_value_to_dlpack(vm, text, &tensor), GYRO_ERROR_TYPE);
  EXPECT_EQ(tensor, nullptr);
}

// A float32 buffer the test owns, handed over through DLPack; counts its deleter's calls.
struct HostBuffer {
  std::vector<float> data;
  int64_t shape[2] = {2, 3};
  DLManagedTensor managed{};
  std::atomic<int> deleted{0};
  HostBuffer() : data{1, 2, 3, 4, 5, 6} {
    managed.dl_tensor.data = data.data();
    managed.dl_tensor.device = {kDLCPU, 0};
    managed.dl_tensor.ndim = 2;
    managed.dl_tensor.dtype = {kDLFloat, 32, 1};
    managed.dl_tensor.shape = shape;
    managed.dl_tensor.strides = nullptr;  // row-major
    managed.manager_ctx = this;
    managed.deleter = [](DLManagedTensor* self) {
      ++static_cast<HostBuffer*>(self->manager_ctx)->deleted;
    };
  }
};

TEST(CApi, TensorsCrossThroughDLPackWithoutCopies) {
  HostBuffer buffer;
  DLManagedTensor* result_tensor = nullptr;
  {
    Loaded program;
    gyro_value x = 0;
    ASSERT_EQ(gyro_value_from_dlpack(program.vm, &buffer.managed, &x), GYRO_OK)
        << gyro_vm_last_error(program.vm);
    // The same memory: a write by the host shows in gyro's result.
    buffer.data[0] = 10;
    gyro_value result = 0;
    ASSERT_EQ(gyro_vm_call(program.vm, program.get("twice"), &x, 1, &result), GYRO_OK)
        << gyro_vm_last_error(program.vm);
    ASSERT_EQ(gyro_value_to_dlpack(program.vm, result, &result_tensor), GYRO_OK);
    // The input's view out again points at the host's own memory.
    DLManagedTensor* input_again = nullptr;
    ASSERT_EQ(gyro_value_to_dlpack(program.vm, x, &input_again), GYRO_OK);
    EXPECT_EQ(static_cast<char*>(input_again->dl_tensor.data) + input_again->dl_tensor.byte_offset,
              reinterpret_cast<char*>(buffer.data.data()));
    input_again->deleter(input_again);
    EXPECT_EQ(buffer.deleted.load(), 0);  // the handle still views it
    gyro_value_release(program.vm, x);
    // Nothing else held it (the call's frame is gone): gyro let go of it, once.
    EXPECT_EQ(buffer.deleted.load(), 1);
  }
  EXPECT_EQ(buffer.deleted.load(), 1);
  // The VM is gone; the result it handed out lives on.
  const DLTensor& out = result_tensor->dl_tensor;
  ASSERT_EQ(out.ndim, 2);
  EXPECT_EQ(out.shape[0], 2);
  EXPECT_EQ(out.shape[1], 3);
  EXPECT_EQ(out.dtype.code, kDLFloat);
  EXPECT_EQ(out.dtype.bits, 32);
  const auto* values =
      reinterpret_cast<const float*>(static_cast<const char*>(out.data) + out.byte_offset);
  EXPECT_EQ(values[0], 21.0f);
  EXPECT_EQ(values[5], 13.0f);
  result_tensor->deleter(result_tensor);
}

TEST(CApi, DLPackInputsGyroCannotTakeAreRefusedAndStayTheCallers) {
  HostBuffer buffer;
  Loaded program;
  gyro_value out = 0;
  buffer.managed.dl_tensor.device = {kDLCUDA, 0};
  EXPECT_EQ(gyro_value_from_dlpack(program.vm, &buffer.managed, &out), GYRO_ERROR_UNSUPPORTED);
  buffer.managed.dl_tensor.device = {kDLCPU, 0};
  buffer.managed.dl_tensor.dtype = {kDLFloat, 16, 1};
  EXPECT_EQ(gyro_value_from_dlpack(program.vm, &buffer.managed, &out), GYRO_ERROR_UNSUPPORTED);
  EXPECT_NE(std::string(gyro_vm_last_error(program.vm)).find("16 bits"), std::string::npos);
  buffer.managed.dl_tensor.dtype = {kDLFloat, 32, 1};
  int64_t negative[] = {-1, 1};
  buffer.managed.dl_tensor.strides = negative;
  EXPECT_EQ(gyro_value_from_dlpack(program.vm, &buffer.managed, &out), GYRO_ERROR_UNSUPPORTED);
  EXPECT_EQ(buffer.deleted.load(), 0);  // refused: still the caller's
  // Strided (a transposed view) is taken as it is.
  int64_t transposed_shape[] = {3, 2};
  int64_t transposed[] = {1, 3};
  buffer.managed.dl_tensor.shape = transposed_shape;
  buffer.managed.dl_tensor.strides = transposed;
  ASSERT_EQ(gyro_value_from_dlpack(program.vm, &buffer.managed, &out), GYRO_OK);
  gyro_value repr = 0;
  ASSERT_EQ(gyro_value_repr(program.vm, out, &repr), GYRO_OK);
  const char* text = nullptr;
  ASSERT_EQ(gyro_value_to_str(program.vm, repr, &text, nullptr), GYRO_OK);
  EXPECT_STREQ(text, "tensor([[1., 4.],\n        [2., 5.],\n        [3., 6.]])");
}

gyro_status host_double(gyro_vm* vm, void* user_data, const gyro_value* args, size_t count,
                        gyro_value* result) {
  ++*static_cast<int*>(user_data);
  if (count != 1) return gyro_vm_raise(vm, "TypeError", "host_double() takes one argument");
  gyro_value two = 0;
  gyro_status status = gyro_value_from_int(vm, 2, &two);
  if (status != GYRO_OK) return status;
  gyro_value mul = 0;
  // Calls back into the VM: the host function runs under the VM's lock already.
  const char* source = "def mul(a, b):\n    return a * b\n";
  gyro_value helpers = 0;
  status = gyro_vm_load_script(vm, source, std::strlen(source), "helpers.gy", &helpers);
  if (status != GYRO_OK) return status;
  gyro_module_get(vm, helpers, "mul", &mul);
  gyro_value operands[] = {args[0], two};
  status = gyro_vm_call(vm, mul, operands, 2, result);
  gyro_value_release(vm, two);
  gyro_value_release(vm, mul);
  gyro_value_release(vm, helpers);
  return status;
}

TEST(CApi, HostFunctionsRunFromScriptsAndBreakCompiledGraphs) {
  Loaded program;
  int calls = 0;
  gyro_value host = 0;
  ASSERT_EQ(gyro_value_from_host_function(
                program.vm, "host_double", host_double, &calls,
                [](void* data) { *static_cast<int*>(data) = -100; }, &host),
            GYRO_OK);
  ASSERT_EQ(gyro_vm_set_builtin(program.vm, "host_double", host), GYRO_OK);
  gyro_value with_host = program.get("with_host");
  gyro_value arg = program.integer(4), result = 0;
  ASSERT_EQ(gyro_vm_call(program.vm, with_host, &arg, 1, &result), GYRO_OK)
      << gyro_vm_last_error(program.vm);
  int64_t value = 0;
  ASSERT_EQ(gyro_value_to_int(program.vm, result, &value), GYRO_OK);
  EXPECT_EQ(value, 30);  // ((4 + 1) * 2) * 3
  EXPECT_EQ(calls, 1);
  // Compiled: the host call is a graph break, and the result is the VM's.
  gyro_value compiled = 0;
  gyro_compile_options options;
  gyro_compile_options_init(&options, sizeof(options));
  options.backend = "eager";
  ASSERT_EQ(gyro_vm_compile(program.vm, with_host, &options, &compiled), GYRO_OK)
      << gyro_vm_last_error(program.vm);
  ASSERT_EQ(gyro_vm_call(program.vm, compiled, &arg, 1, &result), GYRO_OK)
      << gyro_vm_last_error(program.vm);
  ASSERT_EQ(gyro_value_to_int(program.vm, result, &value), GYRO_OK);
  EXPECT_EQ(value, 30);
  EXPECT_EQ(calls, 2);
  gyro_stats stats;
  stats.struct_size = sizeof(stats);
  ASSERT_EQ(gyro_vm_stats(program.vm, &stats), GYRO_OK);
  EXPECT_EQ(stats.graph_breaks, 1);
  // A raising host function raises in the script, with its type.
  gyro_value two_args[] = {arg, arg};
  EXPECT_EQ(gyro_vm_call(program.vm, host, two_args, 2, &result), GYRO_ERROR_EXCEPTION);
  EXPECT_STREQ(gyro_vm_exception_type(program.vm), "TypeError");
  EXPECT_NE(std::string(gyro_vm_last_error(program.vm)).find("takes one argument"),
            std::string::npos);
  // The user data is destroyed with the last reference (the builtin's, the compiled entry's
  // identity guard's, then the handle's).
  gyro_value none = 0;
  gyro_value_none(program.vm, &none);
  gyro_vm_set_builtin(program.vm, "host_double", none);
  gyro_value_release(program.vm, compiled);
  EXPECT_EQ(calls, 3);  // the handle still holds it: not destroyed yet
  gyro_value_release(program.vm, host);
  EXPECT_EQ(calls, -100);
}

TEST(CApi, CompilesCountsAndExplains) {
  HostBuffer buffer;  // outlives the VM, which may hold views of it
  Loaded program;
  gyro_value scale = program.get("scale");
  gyro_value compiled = 0;
  gyro_compile_options options;
  gyro_compile_options_init(&options, sizeof(options));
  options.backend = "no_such_backend";
  EXPECT_EQ(gyro_vm_compile(program.vm, scale, &options, &compiled), GYRO_ERROR_EXCEPTION);
  options.backend = "eager";
  options.dynamic = 0;
  ASSERT_EQ(gyro_vm_compile(program.vm, scale, &options, &compiled), GYRO_OK)
      << gyro_vm_last_error(program.vm);
  gyro_value x = 0, k = 0, result = 0;
  ASSERT_EQ(gyro_value_from_dlpack(program.vm, &buffer.managed, &x), GYRO_OK);
  ASSERT_EQ(gyro_value_from_float(program.vm, 0.5, &k), GYRO_OK);
  gyro_value args[] = {x, k};
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(gyro_vm_call(program.vm, compiled, args, 2, &result), GYRO_OK)
        << gyro_vm_last_error(program.vm);
  gyro_stats stats;
  stats.struct_size = sizeof(stats);
  ASSERT_EQ(gyro_vm_stats(program.vm, &stats), GYRO_OK);
  EXPECT_EQ(stats.graphs, 1);
  EXPECT_EQ(stats.cache_hits, 2);
  EXPECT_EQ(stats.cache_misses, 1);
  EXPECT_EQ(stats.graph_breaks, 0);
  ASSERT_EQ(gyro_vm_reset_stats(program.vm), GYRO_OK);
  ASSERT_EQ(gyro_vm_stats(program.vm, &stats), GYRO_OK);
  EXPECT_EQ(stats.graphs, 0);
  gyro_value text = 0;
  ASSERT_EQ(gyro_vm_explain(program.vm, scale, args, 2, &text), GYRO_OK)
      << gyro_vm_last_error(program.vm);
  const char* explanation = nullptr;
  ASSERT_EQ(gyro_value_to_str(program.vm, text, &explanation, nullptr), GYRO_OK);
  EXPECT_NE(std::string(explanation).find("Graph Count: 1"), std::string::npos) << explanation;
}

TEST(CApi, SetsCompileKnobsByName) {
  Loaded program;
  EXPECT_EQ(gyro_vm_set_config(program.vm, "recompile_limit", "2"), GYRO_OK);
  EXPECT_EQ(gyro_vm_set_config(program.vm, "automatic_dynamic_shapes", "false"), GYRO_OK);
  EXPECT_EQ(gyro_vm_set_config(program.vm, "no_such_knob", "1"), GYRO_ERROR_NOT_FOUND);
  EXPECT_EQ(gyro_vm_set_config(program.vm, "recompile_limit", "many"), GYRO_ERROR_TYPE);
  EXPECT_EQ(gyro_vm_set_config(program.vm, "recompile_limit", "-1"), GYRO_ERROR_EXCEPTION);
  EXPECT_STREQ(gyro_vm_exception_type(program.vm), "ValueError");
  const char* source = "print(config.recompile_limit, config.automatic_dynamic_shapes)\n";
  std::string printed;
  gyro_config config;
  gyro_config_init(&config, sizeof(config));
  config.write = [](void* user, const char* text, size_t length) {
    static_cast<std::string*>(user)->append(text, length);
  };
  config.write_user_data = &printed;
  gyro_vm* vm = nullptr;
  ASSERT_EQ(gyro_vm_create(&config, &vm), GYRO_OK);
  ASSERT_EQ(gyro_vm_set_config(vm, "recompile_limit", "3"), GYRO_OK);
  ASSERT_EQ(gyro_vm_load_script(vm, source, std::strlen(source), "knobs.gy", nullptr), GYRO_OK)
      << gyro_vm_last_error(vm);
  EXPECT_EQ(printed, "3 True\n");
  gyro_vm_destroy(vm);
}

TEST(CApi, LogLinesComeToTheHostWithTheirChannel) {
  std::vector<std::string> lines;
  gyro_config config;
  gyro_config_init(&config, sizeof(config));
  config.logs = "graph_breaks";
  config.log = [](void* user, const char* channel, const char* text, size_t length) {
    static_cast<std::vector<std::string>*>(user)->push_back(std::string(channel) + "|" +
                                                            std::string(text, length));
  };
  config.log_user_data = &lines;
  std::vector<std::string> steps;
  config.progress = [](void* user, const char* phase, const char* function) {
    static_cast<std::vector<std::string>*>(user)->push_back(std::string(phase) + " " + function);
  };
  config.progress_user_data = &steps;
  const char* source =
      "def f(x):\n    graph_break()\n    return x\n\ncompile(f, backend='eager')(1)\n";
  gyro_vm* vm = nullptr;
  ASSERT_EQ(gyro_vm_create(&config, &vm), GYRO_OK);
  ASSERT_EQ(gyro_vm_load_script(vm, source, std::strlen(source), "logs.gy", nullptr), GYRO_OK)
      << gyro_vm_last_error(vm);
  gyro_vm_destroy(vm);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0],
            "graph_breaks|[0/0] GraphBreakCall (logs.gy:2): graph_break() was called\n"
            "    hint: remove the call to capture one graph");
  // The compile's steps: the trace breaks at once (an empty graph goes to the backend), then
  // the code after the break is traced from the resume point.
  EXPECT_EQ(steps, (std::vector<std::string>{"trace f", "backend f", "done f", "trace f",
                                             "backend f", "done f"}));
}

TEST(CApi, AnotherThreadInterruptsARunningCall) {
  Loaded program;
  gyro_value spin = program.get("spin");
  std::thread interrupter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    gyro_vm_interrupt(program.vm);
  });
  gyro_value result = 0;
  EXPECT_EQ(gyro_vm_call(program.vm, spin, nullptr, 0, &result), GYRO_ERROR_EXCEPTION);
  interrupter.join();
  EXPECT_STREQ(gyro_vm_exception_type(program.vm), "KeyboardInterrupt");
}

TEST(CApi, CollectsCyclesOnRequest) {
  Loaded program;
  const char* source =
      "def cycles(n):\n    for i in range(n):\n        a = []\n        a.append(a)\n";
  gyro_value module = 0, cycles = 0, result = 0;
  ASSERT_EQ(gyro_vm_load_script(program.vm, source, std::strlen(source), "c.gy", &module), GYRO_OK);
  ASSERT_EQ(gyro_module_get(program.vm, module, "cycles", &cycles), GYRO_OK);
  gyro_value n = program.integer(50);
  ASSERT_EQ(gyro_vm_call(program.vm, cycles, &n, 1, &result), GYRO_OK);
  int64_t freed = 0;
  ASSERT_EQ(gyro_vm_collect(program.vm, &freed), GYRO_OK);
  EXPECT_EQ(freed, 50);
}

}  // namespace

namespace {

// Host backends: an observer (looks at the JSON, lets eager run the graph) and one that runs
// the graph itself (x * 2, the only graph the test gives it).
struct BackendLog {
  std::vector<std::string> graphs;
  int runs = 0;
  int released = 0;
};
BackendLog observer_log, doubler_log;

gyro_status observe(void* user, const char* json, size_t length, void** compiled) {
  static_cast<BackendLog*>(user)->graphs.emplace_back(json, length);
  *compiled = nullptr;  // eager runs it
  return GYRO_OK;
}

gyro_status never_runs(void*, void*, DLManagedTensor* const*, size_t, DLManagedTensor**, size_t) {
  return GYRO_ERROR_INTERNAL;
}

gyro_status compile_doubler(void* user, const char* json, size_t length, void** compiled) {
  static_cast<BackendLog*>(user)->graphs.emplace_back(json, length);
  *compiled = user;
  return GYRO_OK;
}

struct Doubled {
  std::vector<float> data;
  int64_t shape[8];
  DLManagedTensor managed{};
};

gyro_status run_doubler(void* user, void* compiled, DLManagedTensor* const* inputs,
                        size_t input_count, DLManagedTensor** outputs, size_t output_count) {
  ++static_cast<BackendLog*>(compiled)->runs;
  if (input_count != 1 || output_count != 1) {
    gyro_backend_set_error("the doubler takes one input and makes one output");
    return GYRO_ERROR_UNSUPPORTED;
  }
  const DLTensor& in = inputs[0]->dl_tensor;
  auto* out = new Doubled;
  int64_t numel = 1;
  for (int d = 0; d < in.ndim; ++d) {
    out->shape[d] = in.shape[d];
    numel *= in.shape[d];
  }
  const auto* x =
      reinterpret_cast<const float*>(static_cast<const char*>(in.data) + in.byte_offset);
  for (int64_t i = 0; i < numel; ++i) out->data.push_back(x[i] * 2);  // contiguous inputs here
  out->managed.dl_tensor = in;
  out->managed.dl_tensor.data = out->data.data();
  out->managed.dl_tensor.byte_offset = 0;
  out->managed.dl_tensor.shape = out->shape;
  out->managed.dl_tensor.strides = nullptr;
  out->managed.manager_ctx = out;
  out->managed.deleter = [](DLManagedTensor* self) {
    delete static_cast<Doubled*>(self->manager_ctx);
  };
  outputs[0] = &out->managed;
  return GYRO_OK;
}

void release_doubler(void* user, void* compiled) {
  ++static_cast<BackendLog*>(compiled)->released;
}

gyro_status refuse_to_compile(void*, const char*, size_t, void**) {
  gyro_backend_set_error("this backend compiles nothing");
  return GYRO_ERROR_UNSUPPORTED;
}

TEST(CApi, HostBackendsGetTheGraphAsJsonAndTensorsAsDLPack) {
  gyro_backend backend;
  gyro_backend_init(&backend, sizeof(backend));
  backend.name = "test_observer";
  backend.user_data = &observer_log;
  backend.compile = observe;
  backend.run = never_runs;
  ASSERT_EQ(gyro_register_backend(nullptr, &backend), GYRO_OK);
  backend.name = "test_doubler";
  backend.user_data = &doubler_log;
  backend.compile = compile_doubler;
  backend.run = run_doubler;
  backend.release = release_doubler;
  ASSERT_EQ(gyro_register_backend(nullptr, &backend), GYRO_OK);
  backend.name = "test_refuser";
  backend.compile = refuse_to_compile;
  ASSERT_EQ(gyro_register_backend(nullptr, &backend), GYRO_OK);
  {
    HostBuffer buffer;
    Loaded program;
    EXPECT_EQ(gyro_register_backend(program.vm, &backend), GYRO_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(gyro_vm_last_error(program.vm)).find("test_refuser"), std::string::npos);
    gyro_value x = 0, result = 0, compiled = 0, text = 0;
    ASSERT_EQ(gyro_value_from_dlpack(program.vm, &buffer.managed, &x), GYRO_OK);
    gyro_compile_options options;
    gyro_compile_options_init(&options, sizeof(options));
    const char* expected = "tensor([[ 3.,  5.,  7.],\n        [ 9., 11., 13.]])";
    for (const char* name : {"test_observer", "test_doubler"}) {
      options.backend = name;
      ASSERT_EQ(gyro_vm_compile(program.vm, program.get("twice"), &options, &compiled), GYRO_OK);
      ASSERT_EQ(gyro_vm_call(program.vm, compiled, &x, 1, &result), GYRO_OK)
          << name << ": " << gyro_vm_last_error(program.vm);
      ASSERT_EQ(gyro_value_repr(program.vm, result, &text), GYRO_OK);
      const char* shown = nullptr;
      ASSERT_EQ(gyro_value_to_str(program.vm, text, &shown, nullptr), GYRO_OK);
      // twice(x) = x * 2 + 1 on eager; the doubler runs the whole graph its own way (x * 2).
      if (std::string(name) == "test_observer") {
        EXPECT_STREQ(shown, expected);
      } else {
        EXPECT_STREQ(shown, "tensor([[ 2.,  4.,  6.],\n        [ 8., 10., 12.]])");
      }
      gyro_value_release(program.vm, compiled);
    }
    ASSERT_EQ(observer_log.graphs.size(), 1u);
    const std::string& json = observer_log.graphs[0];
    EXPECT_NE(json.find("\"op\":\"mul\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"op\":\"add\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"kind\":\"input\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"sizes\":[2,3]"), std::string::npos) << json;
    EXPECT_EQ(doubler_log.runs, 1);
    // A backend that fails to compile: the script sees a RuntimeError with its message.
    options.backend = "test_refuser";
    ASSERT_EQ(gyro_vm_compile(program.vm, program.get("twice"), &options, &compiled), GYRO_OK);
    EXPECT_EQ(gyro_vm_call(program.vm, compiled, &x, 1, &result), GYRO_ERROR_EXCEPTION);
    EXPECT_STREQ(gyro_vm_exception_type(program.vm), "RuntimeError");
    EXPECT_NE(std::string(gyro_vm_last_error(program.vm)).find("this backend compiles nothing"),
              std::string::npos)
        << gyro_vm_last_error(program.vm);
  }
  // The doubler's compiled state went with the VM's cache entry.
  EXPECT_EQ(doubler_log.released, 1);
}

}  // namespace

namespace {

// What the review of the first version found: each a misuse or a callback order that crashed.

gyro_status release_the_caller(gyro_vm* vm, void* user, const gyro_value*, size_t,
                               gyro_value* result) {
  // Drops the host's only handle to the compiled function that is calling this.
  gyro_value_release(vm, *static_cast<gyro_value*>(user));
  return gyro_value_from_int(vm, 1, result);
}

TEST(CApi, ACallOutlivesTheReleaseOfItsCallablesLastHandle) {
  Loaded program;
  const char* source = "def outer(x):\n    return release_the_caller() + x\n";
  gyro_value module = 0, outer = 0, compiled = 0, host = 0, result = 0;
  ASSERT_EQ(gyro_vm_load_script(program.vm, source, std::strlen(source), "o.gy", &module), GYRO_OK);
  ASSERT_EQ(gyro_module_get(program.vm, module, "outer", &outer), GYRO_OK);
  ASSERT_EQ(gyro_vm_compile(program.vm, outer, nullptr, &compiled), GYRO_OK);
  ASSERT_EQ(gyro_value_from_host_function(program.vm, "release_the_caller", release_the_caller,
                                          &compiled, nullptr, &host),
            GYRO_OK);
  ASSERT_EQ(gyro_vm_set_builtin(program.vm, "release_the_caller", host), GYRO_OK);
  gyro_value arg = program.integer(41);
  ASSERT_EQ(gyro_vm_call(program.vm, compiled, &arg, 1, &result), GYRO_OK)
      << gyro_vm_last_error(program.vm);
  int64_t value = 0;
  ASSERT_EQ(gyro_value_to_int(program.vm, result, &value), GYRO_OK);
  EXPECT_EQ(value, 42);
  EXPECT_EQ(gyro_value_release(program.vm, compiled), GYRO_ERROR_INVALID_ARGUMENT);  // gone
}

struct Teardown {
  gyro_vm* vm;
  gyro_value kept;
  gyro_status status = GYRO_OK;
};

TEST(CApi, CallbacksDuringDestroyGetAnErrorNotAFreedVm) {
  gyro_vm* vm = nullptr;
  ASSERT_EQ(gyro_vm_create(nullptr, &vm), GYRO_OK);
  Teardown teardown{vm, 0};
  ASSERT_EQ(gyro_value_from_int(vm, 5, &teardown.kept), GYRO_OK);
  gyro_value host = 0;
  ASSERT_EQ(gyro_value_from_host_function(
                vm, "f", release_the_caller, &teardown,
                [](void* data) {
                  auto* state = static_cast<Teardown*>(data);
                  state->status = gyro_value_release(state->vm, state->kept);
                },
                &host),
            GYRO_OK);
  ASSERT_EQ(gyro_vm_set_builtin(vm, "f", host), GYRO_OK);
  gyro_vm_destroy(vm);  // the builtin (and its destroy callback) go with the interpreter
  EXPECT_EQ(teardown.status, GYRO_ERROR_INVALID_ARGUMENT);
}

TEST(CApi, AReleasedHandleStaysInvalidHoweverOftenItsSlotIsReused) {
  Loaded program;
  gyro_value first = program.integer(1);
  ASSERT_EQ(gyro_value_release(program.vm, first), GYRO_OK);
  for (int i = 0; i < 70000; ++i) {
    gyro_value again = 0;
    ASSERT_EQ(gyro_value_from_int(program.vm, i, &again), GYRO_OK);
    int64_t number = 0;
    ASSERT_EQ(gyro_value_to_int(program.vm, first, &number), GYRO_ERROR_INVALID_ARGUMENT) << i;
    ASSERT_EQ(gyro_value_release(program.vm, again), GYRO_OK);
  }
}

gyro_status claims_to_raise(gyro_vm*, void*, const gyro_value*, size_t, gyro_value*) {
  return GYRO_ERROR_EXCEPTION;  // without gyro_vm_raise
}

TEST(CApi, AHostFunctionThatClaimsAnExceptionItDidNotRaiseIsARuntimeError) {
  Loaded program;
  // An old exception is pending from an earlier failed call; it must not come back.
  gyro_value arg = program.integer(1), result = 0, host = 0;
  ASSERT_EQ(gyro_vm_call(program.vm, program.get("fails"), &arg, 1, &result), GYRO_ERROR_EXCEPTION);
  ASSERT_EQ(
      gyro_value_from_host_function(program.vm, "liar", claims_to_raise, nullptr, nullptr, &host),
      GYRO_OK);
  EXPECT_EQ(gyro_vm_call(program.vm, host, nullptr, 0, &result), GYRO_ERROR_EXCEPTION);
  EXPECT_STREQ(gyro_vm_exception_type(program.vm), "RuntimeError");
  EXPECT_NE(std::string(gyro_vm_last_error(program.vm))
                .find("liar() failed: GYRO_ERROR_EXCEPTION without raising"),
            std::string::npos)
      << gyro_vm_last_error(program.vm);
}

TEST(CApi, StrLengthCountsCodePointsAsLenDoes) {
  Loaded program;
  gyro_value text = 0;
  ASSERT_EQ(gyro_value_from_str(program.vm, "h\xc3\xa9llo", 6, &text), GYRO_OK);
  int64_t length = 0;
  ASSERT_EQ(gyro_value_length(program.vm, text, &length), GYRO_OK);
  EXPECT_EQ(length, 5);
}

TEST(CApi, DLPackStridesOfOneElementDimsAreIgnoredAndUint8IsNotBool) {
  HostBuffer buffer;
  Loaded program;
  int64_t shape[] = {1, 6};
  int64_t strides[] = {-7, 1};  // NumPy may give any stride to a dim of size 1
  buffer.managed.dl_tensor.shape = shape;
  buffer.managed.dl_tensor.strides = strides;
  gyro_value out = 0;
  EXPECT_EQ(gyro_value_from_dlpack(program.vm, &buffer.managed, &out), GYRO_OK)
      << gyro_vm_last_error(program.vm);
  gyro_value_release(program.vm, out);
  EXPECT_EQ(buffer.deleted.load(), 1);
  HostBuffer bytes;
  bytes.managed.dl_tensor.dtype = {kDLUInt, 8, 1};
  EXPECT_EQ(gyro_value_from_dlpack(program.vm, &bytes.managed, &out), GYRO_ERROR_UNSUPPORTED);
}

gyro_status compile_wrong_dtype(void* user, const char*, size_t, void** compiled) {
  *compiled = user;
  return GYRO_OK;
}

gyro_status run_wrong_dtype(void*, void*, DLManagedTensor* const* inputs, size_t,
                            DLManagedTensor** outputs, size_t) {
  // Hands the input back as the output, declared float64: not what the graph says.
  static int64_t shape[2];
  auto* out = new DLManagedTensor(*inputs[0]);
  shape[0] = inputs[0]->dl_tensor.shape[0];
  shape[1] = inputs[0]->dl_tensor.shape[1];
  out->dl_tensor.shape = shape;
  out->dl_tensor.strides = nullptr;
  out->dl_tensor.dtype = {kDLFloat, 64, 1};
  out->dl_tensor.shape[1] = 1;  // fewer bytes than the input holds
  out->manager_ctx = nullptr;
  out->deleter = [](DLManagedTensor* self) { delete self; };
  outputs[0] = out;
  return GYRO_OK;
}

TEST(CApi, AHostBackendsOutputsAreCheckedAgainstTheGraph) {
  gyro_backend backend;
  gyro_backend_init(&backend, sizeof(backend));
  static int state = 0;
  backend.name = "test_wrong_dtype";
  backend.user_data = &state;
  backend.compile = compile_wrong_dtype;
  backend.run = run_wrong_dtype;
  ASSERT_EQ(gyro_register_backend(nullptr, &backend), GYRO_OK);
  HostBuffer buffer;
  Loaded program;
  gyro_value x = 0, compiled = 0, result = 0;
  ASSERT_EQ(gyro_value_from_dlpack(program.vm, &buffer.managed, &x), GYRO_OK);
  gyro_compile_options options;
  gyro_compile_options_init(&options, sizeof(options));
  options.backend = "test_wrong_dtype";
  ASSERT_EQ(gyro_vm_compile(program.vm, program.get("twice"), &options, &compiled), GYRO_OK);
  EXPECT_EQ(gyro_vm_call(program.vm, compiled, &x, 1, &result), GYRO_ERROR_EXCEPTION);
  EXPECT_NE(std::string(gyro_vm_last_error(program.vm))
                .find("output 0 is float64[2, 1], the graph says f32[2, 3]"),
            std::string::npos)
      << gyro_vm_last_error(program.vm);
}

}  // namespace

namespace {

TEST(CApi, AStructSizeThatCutsAFieldIsAnError) {
  Loaded program;
  gyro_compile_options options;
  gyro_compile_options_init(&options, sizeof(options));
  options.backend = "eager";
  options.struct_size = sizeof(size_t) + 4;  // half of `backend` (found by fuzz_c_api)
  gyro_value compiled = 0;
  EXPECT_EQ(gyro_vm_compile(program.vm, program.get("add"), &options, &compiled),
            GYRO_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(gyro_vm_last_error(program.vm)).find("ends inside a field"),
            std::string::npos);
  options.struct_size = offsetof(gyro_compile_options, fullgraph);  // an older caller's size
  EXPECT_EQ(gyro_vm_compile(program.vm, program.get("add"), &options, &compiled), GYRO_OK)
      << gyro_vm_last_error(program.vm);
  gyro_config config;
  gyro_config_init(&config, sizeof(config));
  config.struct_size = offsetof(gyro_config, logs) + 3;
  gyro_vm* vm = nullptr;
  EXPECT_EQ(gyro_vm_create(&config, &vm), GYRO_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(vm, nullptr);
  gyro_stats stats;
  stats.struct_size = sizeof(size_t) + 4;
  EXPECT_EQ(gyro_vm_stats(program.vm, &stats), GYRO_ERROR_INVALID_ARGUMENT);
}

}  // namespace
