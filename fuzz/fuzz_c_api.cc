// fuzz_c_api: the input drives a host through the C API (api/include/gyro/gyro.h): each step
// picks a function and its arguments from a pool of handles (live ones, released ones, another
// VM's, 0 and made-up numbers), with NULL pointers, bad sizes and DLPack tensors of any dtype,
// shape and strides that fit their buffer. Whatever the calls, each must return a status: no
// crash, no sanitizer report, no leak.
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz/sandbox.h"
#include "gyro/gyro.h"
#include "interp/python_ops.h"
#include "ir/storage.h"

namespace {

constexpr const char* kScript = R"(
def add(a, b=1):
    return a + b

def pair(x):
    return [x, (x, None)]

def fails(x):
    raise ValueError("fails " + str(x))

class Box:
    def __init__(self, item):
        self.item = item

def scale(x, k):
    return x * k + 1
)";

// The input, read a byte at a time (zeros once it runs out).
struct Reader {
  const uint8_t* data;
  size_t size;
  size_t at = 0;
  bool more() const { return at < size; }
  uint8_t byte() { return at < size ? data[at++] : 0; }
  uint64_t u64() {
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value = (value << 8) | byte();
    return value;
  }
};

// A DLPack tensor over a buffer the harness owns; its deleter only counts.
struct Buffer {
  alignas(64) std::array<uint8_t, 1024> bytes{};
  int64_t shape[4]{};
  int64_t strides[4]{};
  DLManagedTensor managed{};
  int deleted = 0;
};

gyro_status host_twice(gyro_vm* vm, void* user, const gyro_value* args, size_t count,
                       gyro_value* result) {
  if (count != 1) return gyro_vm_raise(vm, "TypeError", "twice() takes one argument");
  gyro_value pair[] = {args[0], args[0]};
  return gyro_value_new_tuple(vm, pair, 2, result);
}

gyro_status host_lies(gyro_vm*, void*, const gyro_value*, size_t, gyro_value*) {
  return GYRO_ERROR_EXCEPTION;  // without raising
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The sandbox's walls (fuzz/sandbox.h): one `seq * n` is one step, whatever its size.
  static const bool limited = (gyro::set_tensor_memory_limit(gyro::fuzz::kTensorMemoryLimit),
                               gyro::set_repeat_limit(gyro::fuzz::kRepeatLimit), true);
  (void)limited;
  Reader in{data, size};
  gyro_config config;
  gyro_config_init(&config, sizeof(config));
  config.write = [](void*, const char*, size_t) {};
  config.log = [](void*, const char*, const char*, size_t) {};
  config.step_budget = 20000;
  config.file_access = 0;
  config.install_prelude = in.byte() & 1;
  gyro_vm *vm = nullptr, *other = nullptr;
  if (gyro_vm_create(&config, &vm) != GYRO_OK) return 0;
  gyro_vm_create(&config, &other);
  std::vector<gyro_value> pool = {0, 0xdeadbeef00000001ull, 1};
  gyro_value module = 0, foreign = 0;
  if (gyro_vm_load_script(vm, kScript, std::strlen(kScript), "fuzz.gy", &module) == GYRO_OK)
    pool.push_back(module);
  if (other && gyro_value_from_int(other, 7, &foreign) == GYRO_OK) pool.push_back(foreign);
  const char* names[] = {"add", "pair", "fails", "Box", "scale", "item", "missing", "", "x"};
  for (const char* name : {"add", "pair", "fails", "Box", "scale"}) {
    gyro_value found = 0;
    if (gyro_module_get(vm, module, name, &found) == GYRO_OK) pool.push_back(found);
  }
  std::vector<Buffer*> buffers;
  auto pick = [&] { return pool[in.byte() % pool.size()]; };
  auto keep = [&](gyro_status status, gyro_value value) {
    if (status == GYRO_OK && value) pool.push_back(value);
  };
  // An out parameter, or NULL when the input says so (a misuse to survive).
  gyro_value scratch = 0;
  auto out = [&]() -> gyro_value* {
    scratch = 0;
    return (in.byte() & 15) == 0 ? nullptr : &scratch;
  };
  for (int step = 0; step < 64 && in.more(); ++step) {
    gyro_value args[4];
    const size_t count = in.byte() % 5;
    for (size_t i = 0; i < count && i < 4; ++i) args[i] = pick();
    const gyro_value* maybe_args = (in.byte() & 31) == 0 ? nullptr : args;
    gyro_value* result = nullptr;
    switch (in.byte() % 20) {
      case 0:
        result = out();
        keep(gyro_value_from_int(vm, static_cast<int64_t>(in.u64()), result), scratch);
        break;
      case 1: {
        double value;
        const uint64_t bits = in.u64();
        std::memcpy(&value, &bits, sizeof value);
        result = out();
        keep(gyro_value_from_float(vm, value, result), scratch);
        break;
      }
      case 2: {
        std::string text;  // any bytes, UTF-8 or not
        const size_t length = in.byte() % 16;
        for (size_t i = 0; i < length; ++i) text.push_back(static_cast<char>(in.byte()));
        result = out();
        keep(gyro_value_from_str(vm, (in.byte() & 7) ? text.data() : nullptr, length, result),
             scratch);
        break;
      }
      case 3:
        result = out();
        keep((in.byte() & 1) ? gyro_value_new_list(vm, maybe_args, count, result)
                             : gyro_value_new_tuple(vm, maybe_args, count, result),
             scratch);
        break;
      case 4:
        result = out();
        keep(gyro_vm_call(vm, pick(), maybe_args, count, result), scratch);
        break;
      case 5: {
        const char* kw_names[] = {"b", "x", "k", "nope"};
        const size_t kw = in.byte() % 3;
        result = out();
        keep(gyro_vm_call_kw(vm, pick(), maybe_args, count, (in.byte() & 7) ? kw_names : nullptr,
                             args, kw, result),
             scratch);
        break;
      }
      case 6:
        gyro_value_release((in.byte() & 7) ? vm : other, pick());
        break;
      case 7:
        result = out();
        keep(gyro_value_copy(vm, pick(), result), scratch);
        break;
      case 8: {
        const gyro_value value = pick();
        int64_t integer;
        double real;
        int32_t flag;
        const char* text;
        size_t length;
        gyro_kind kind;
        gyro_value_to_int(vm, value, (in.byte() & 7) ? &integer : nullptr);
        gyro_value_to_float(vm, value, &real);
        gyro_value_to_bool(vm, value, &flag);
        if (gyro_value_to_str(vm, value, &text, &length) == GYRO_OK && length > 0)
          (void)text[length - 1];  // readable while the handle lives
        gyro_value_kind(vm, value, &kind);
        gyro_value_length(vm, value, &integer);
        result = out();
        keep(gyro_value_repr(vm, value, result), scratch);
        result = out();
        keep(gyro_value_item(vm, value, static_cast<int8_t>(in.byte()), result), scratch);
        break;
      }
      case 9: {
        const char* name = names[in.byte() % std::size(names)];
        result = out();
        keep(gyro_value_get_attr(vm, pick(), (in.byte() & 7) ? name : nullptr, result), scratch);
        gyro_value_set_attr(vm, pick(), name, pick());
        break;
      }
      case 10: {
        const char* name = names[in.byte() % std::size(names)];
        result = out();
        keep(gyro_module_get(vm, pick(), name, result), scratch);
        gyro_module_set(vm, pick(), name, pick());
        if (in.byte() & 1) gyro_vm_set_builtin(vm, name, pick());
        break;
      }
      case 11: {
        const char* backends[] = {"eager", "vectorized", "aot_eager", "no_such_backend", nullptr};
        gyro_compile_options options;
        gyro_compile_options_init(&options, sizeof(options));
        options.backend = backends[in.byte() % std::size(backends)];
        options.fullgraph = in.byte() & 1;
        options.dynamic = static_cast<int32_t>(in.byte() % 4) - 2;  // -2 is out of range
        if ((in.byte() & 7) == 0) options.struct_size = in.byte() % 16;
        result = out();
        keep(gyro_vm_compile(vm, pick(), (in.byte() & 7) ? &options : nullptr, result), scratch);
        break;
      }
      case 12: {
        DLManagedTensor* view = nullptr;
        if (gyro_value_to_dlpack(vm, pick(), (in.byte() & 15) ? &view : nullptr) == GYRO_OK &&
            view) {
          // Back in through DLPack: gyro owns the view on success, the harness otherwise.
          gyro_value back = 0;
          if (gyro_value_from_dlpack(vm, view, &back) == GYRO_OK)
            pool.push_back(back);
          else
            view->deleter(view);
        }
        break;
      }
      case 13: {
        // A tensor of any dtype and layout whose every element lies inside its buffer.
        auto* buffer = new Buffer;
        buffers.push_back(buffer);
        for (auto& b : buffer->bytes) b = in.byte() & 3;  // bool-valid bytes, mostly
        DLTensor& dl = buffer->managed.dl_tensor;
        const DLDataType types[] = {{kDLFloat, 32, 1}, {kDLFloat, 64, 1}, {kDLInt, 64, 1},
                                    {6, 8, 1},         {kDLUInt, 8, 1},   {kDLFloat, 16, 1},
                                    {kDLFloat, 32, 2}};
        dl.dtype = types[in.byte() % std::size(types)];
        dl.device = {(in.byte() & 7) ? kDLCPU : kDLCUDA, 0};
        dl.ndim = in.byte() % 5;
        const int64_t itemsize = std::max<int64_t>(1, dl.dtype.bits / 8) * dl.dtype.lanes;
        int64_t last = 0;
        for (int d = 0; d < dl.ndim; ++d) {
          buffer->shape[d] = in.byte() % 5;
          buffer->strides[d] = static_cast<int8_t>(in.byte()) % 9;
          if (buffer->shape[d] > 0 && buffer->strides[d] > 0)
            last += (buffer->shape[d] - 1) * buffer->strides[d];
        }
        dl.shape = buffer->shape;
        dl.strides = (in.byte() & 3) ? buffer->strides : nullptr;
        if (!dl.strides) {  // row-major: the span is the element count
          last = 1;
          for (int d = 0; d < dl.ndim; ++d) last *= buffer->shape[d];
          last = last > 0 ? last - 1 : 0;
        }
        dl.byte_offset = in.byte() % 64;
        if (static_cast<int64_t>(dl.byte_offset) + (last + 1) * itemsize >
            static_cast<int64_t>(buffer->bytes.size()))
          dl.byte_offset = 0;
        if ((last + 1) * itemsize > static_cast<int64_t>(buffer->bytes.size())) break;
        dl.data = buffer->bytes.data();
        buffer->managed.manager_ctx = buffer;
        buffer->managed.deleter = [](DLManagedTensor* self) {
          ++static_cast<Buffer*>(self->manager_ctx)->deleted;
        };
        result = out();
        keep(gyro_value_from_dlpack(vm, &buffer->managed, result), scratch);
        break;
      }
      case 14: {
        const char* knobs[] = {"recompile_limit",     "automatic_dynamic_shapes", "duck_shape",
                               "z3_rlimit_per_query", "time_graph_runs",          "no_such_knob"};
        const char* values[] = {"0", "1", "true", "False", "-1", "x", "99999999999999999999"};
        gyro_vm_set_config(vm, knobs[in.byte() % std::size(knobs)],
                           (in.byte() & 7) ? values[in.byte() % std::size(values)] : nullptr);
        break;
      }
      case 15:
        result = out();
        keep(gyro_vm_explain(vm, pick(), maybe_args, count, result), scratch);
        break;
      case 16: {
        alignas(8) uint8_t bytes[sizeof(gyro_stats) + 32];
        gyro_stats* stats = reinterpret_cast<gyro_stats*>(bytes);
        const size_t sizes[] = {0, sizeof(size_t), sizeof(gyro_stats) / 2, sizeof(gyro_stats),
                                sizeof(bytes)};
        stats->struct_size = sizes[in.byte() % std::size(sizes)];
        gyro_vm_stats(vm, (in.byte() & 7) ? stats : nullptr);
        break;
      }
      case 17: {
        int64_t freed;
        gyro_vm_collect(vm, (in.byte() & 1) ? &freed : nullptr);
        break;
      }
      case 18:
        result = out();
        keep(gyro_value_from_host_function(vm, "twice", (in.byte() & 1) ? host_twice : host_lies,
                                           nullptr, nullptr, result),
             scratch);
        if (scratch) gyro_vm_set_builtin(vm, (in.byte() & 1) ? "twice" : "add", scratch);
        break;
      case 19:
        result = out();
        keep((in.byte() & 1) ? gyro_value_none(vm, result)
                             : gyro_value_from_bool(vm, in.byte(), result),
             scratch);
        break;
    }
    gyro_vm_last_error(vm);
    gyro_vm_exception_type(vm);
  }
  gyro_vm_destroy(vm);
  gyro_vm_destroy(other);
  // Every buffer gyro took over was given back exactly once when its VM went.
  for (Buffer* buffer : buffers) {
    if (buffer->deleted > 1) __builtin_trap();
    delete buffer;
  }
  return 0;
}
