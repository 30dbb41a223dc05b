// fuzz_differential: bytes -> a generated gyro program over tensors (program_generator.h),
// run in the reference VM and then compiled: on `eager` (static, then automatic dynamic after
// the shape change), on `eager` with dynamic=True, on `vectorized`, and from a saved compile
// cache in a fresh interpreter. Every mode must agree with the VM on each call: the returned
// values, the exception (type and message), what the call printed and the arguments' state
// after it (in-place writes, appends). Eager modes must match bit for bit; vectorized within
// the reassociation tolerance of backends/README.md. A disagreement aborts with both sides.
#include <unistd.h>

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/program_generator.h"
#include "fuzz/sandbox.h"
#include "interp/objects.h"
#include "interp/persistent_cache.h"
#include "interp/python_ops.h"
#include "lang/compiler.h"

namespace {

using gyro::ObjectKind;
using gyro::Value;

// One piece of an observed value: structure and exact values as text, floats and tensor
// elements as numbers (compared exactly or within the tolerance).
struct Atom {
  std::string text;
  std::vector<double> numbers;
};

// What one call of f did.
struct Observation {
  std::string printed;
  std::string raised;  // the exception's "Type: message" line, or ""
  std::vector<Atom> result;
  std::vector<Atom> arguments;  // after the call
};

void flatten(const Value& value, std::vector<Atom>& out, int depth = 0) {
  if (depth > 8) return out.push_back({"<deep>", {}});
  if (value.is_none()) return out.push_back({"None", {}});
  if (value.is_bool()) return out.push_back({value.as_bool() ? "True" : "False", {}});
  if (value.is_int()) return out.push_back({fmt::format("int {}", value.as_int()), {}});
  if (value.is_float()) return out.push_back({"float", {value.as_float()}});
  if (value.is(ObjectKind::Str))
    return out.push_back({fmt::format("str {}", value.as<gyro::StrObject>().text), {}});
  if (value.is(ObjectKind::TensorBox)) {
    const gyro::Tensor& tensor = value.as<gyro::TensorBoxObject>().tensor;
    return out.push_back({fmt::format("tensor {} {}", gyro::dtype_name(tensor.dtype()),
                                      gyro::to_string(tensor.sizes())),
                          tensor.to_vector<double>()});
  }
  if (value.is(ObjectKind::List) || value.is(ObjectKind::Tuple)) {
    const auto& items = value.is(ObjectKind::List) ? value.as<gyro::ListObject>().items
                                                   : value.as<gyro::TupleObject>().items;
    out.push_back({fmt::format("{} of {}", gyro::type_name(value), items.size()), {}});
    for (const Value& item : items) flatten(item, out, depth + 1);
    return;
  }
  out.push_back({std::string(gyro::type_name(value)), {}});
}

// The value of global `name` in a module's globals dict.
Value global(const Value& globals, std::string_view name) {
  auto found = globals.as<gyro::DictObject>().table.get(gyro::make_str(std::string(name)));
  return found.ok() && found->has_value() ? **found : Value();
}

std::string last_line(const std::string& text) {
  std::size_t end = text.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  std::size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - start);
}

// One interpreter running the program: calls `callable` once per shape set.
class Run {
 public:
  explicit Run(const std::shared_ptr<const gyro::Code>& code)
      : vm_(gyro::fuzz::make_sandboxed_interpreter(
            [this](std::string_view text) { printed_ += text; }, /*prelude=*/false)) {
    auto globals = vm_->run_module(gyro::Module{"differential", code});
    if (!globals) fail_generator("the program's top level raised", *vm_);
    globals_ = *globals;
  }

  gyro::Interpreter& vm() { return *vm_; }
  Value function(std::string_view name) { return global(globals_, name); }

  // compile(f, backend=..., dynamic=...) through the program's compiled_with.
  Value compiled(std::string_view backend, std::optional<bool> dynamic) {
    Value args[] = {gyro::make_str(std::string(backend)),
                    dynamic ? Value::boolean(*dynamic) : Value()};
    auto made = vm_->call(function("compiled_with"), args);
    if (!made) fail_generator("compile() raised", *vm_);
    return *made;
  }

  Observation call(const Value& callable, const gyro::fuzz::ShapeSet& shapes) {
    Value sizes[] = {Value::integer(shapes.sizes[0]), Value::integer(shapes.sizes[1]),
                     Value::integer(shapes.sizes[2]), Value::integer(shapes.n)};
    auto inputs = vm_->call(function("inputs"), sizes);
    if (!inputs) fail_generator("inputs() raised", *vm_);
    std::vector<Value> args = inputs->as<gyro::ListObject>().items;
    Observation seen;
    printed_.clear();
    auto result = vm_->call(callable, args);
    seen.printed = std::move(printed_);
    if (result) {
      flatten(*result, seen.result);
    } else {
      seen.raised = last_line(vm_->format_exception(vm_->exception()));
    }
    for (const Value& arg : args) flatten(arg, seen.arguments);
    return seen;
  }

  [[noreturn]] static void fail_generator(std::string_view what, gyro::Interpreter& vm) {
    std::fprintf(stderr, "fuzz_differential: generator bug: %.*s:\n%s\n",
                 static_cast<int>(what.size()), what.data(),
                 vm.format_exception(vm.exception()).c_str());
    std::abort();
  }

 private:
  std::string printed_;
  std::unique_ptr<gyro::Interpreter> vm_;
  Value globals_;
};

// Reassociated float sums (vectorized reductions) differ from eager's in the last bits.
bool close(double want, double got, bool exact) {
  if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got);
  if (exact) return want == got && std::signbit(want) == std::signbit(got);
  if (std::isinf(want) || std::isinf(got)) return want == got;
  return std::abs(want - got) <= 1e-4 * std::max({1.0, std::abs(want), std::abs(got)});
}

bool atoms_agree(const std::vector<Atom>& want, const std::vector<Atom>& got, bool exact) {
  if (want.size() != got.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i].text != got[i].text || want[i].numbers.size() != got[i].numbers.size())
      return false;
    for (std::size_t j = 0; j < want[i].numbers.size(); ++j)
      if (!close(want[i].numbers[j], got[i].numbers[j], exact)) return false;
  }
  return true;
}

// Printed text: exact, or (vectorized) the same words with numbers within the tolerance.
bool printed_agree(std::string_view want, std::string_view got, bool exact) {
  if (exact || want == got) return want == got;
  auto number_at = [](std::string_view text, std::size_t& at) -> std::optional<double> {
    const char* start = text.data() + at;
    char* end = nullptr;
    double value = std::strtod(start, &end);
    if (end == start || !(std::isdigit(static_cast<unsigned char>(*start)) || *start == '-'))
      return std::nullopt;
    at += end - start;
    return value;
  };
  std::string want_text(want), got_text(got);  // strtod needs the terminator
  std::size_t i = 0, j = 0;
  while (i < want_text.size() && j < got_text.size()) {
    std::size_t i_next = i, j_next = j;
    auto a = number_at(want_text, i_next);
    auto b = number_at(got_text, j_next);
    if (a && b) {
      if (std::abs(*a - *b) > 1e-3 * std::max(1.0, std::abs(*a))) return false;
      i = i_next;
      j = j_next;
    } else if (want_text[i++] != got_text[j++]) {
      return false;
    }
  }
  return i == want_text.size() && j == got_text.size();
}

void describe(const char* side, const Observation& seen) {
  std::fprintf(stderr, "--- %s\nprinted:\n%sraised: %s\nresult:", side, seen.printed.c_str(),
               seen.raised.c_str());
  for (const Atom& atom : seen.result)
    std::fprintf(stderr, " %s %s;", atom.text.c_str(),
                 fmt::format("{}", fmt::join(atom.numbers, ",")).c_str());
  std::fprintf(stderr, "\narguments after:");
  for (const Atom& atom : seen.arguments)
    std::fprintf(stderr, " %s %s;", atom.text.c_str(),
                 fmt::format("{}", fmt::join(atom.numbers, ",")).c_str());
  std::fprintf(stderr, "\n");
}

void expect_agreement(std::string_view mode, std::size_t call, const std::string& source,
                      const Observation& want, const Observation& got, bool exact) {
  if (want.raised == got.raised && printed_agree(want.printed, got.printed, exact) &&
      atoms_agree(want.result, got.result, exact) &&
      atoms_agree(want.arguments, got.arguments, exact))
    return;
  std::fprintf(stderr, "fuzz_differential: %.*s disagrees with the VM on call %zu of\n%s\n",
               static_cast<int>(mode.size()), mode.data(), call, source.c_str());
  describe("VM", want);
  describe(std::string(mode).c_str(), got);
  std::abort();
}

// The saved compile cache lives in one file per process.
std::string cache_file() {
  static const std::string path = fmt::format("/tmp/gyro_fuzz_differential_{}.gyk", ::getpid());
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  gyro::fuzz::GeneratedProgram program = gyro::fuzz::generate_program({data, size});
  auto code = gyro::lang::compile_source(program.source, "differential.gy");
  if (!code.ok()) {
    std::fprintf(stderr, "fuzz_differential: generator bug: %s\n%s\n",
                 code.error().to_string().c_str(), program.source.c_str());
    std::abort();
  }

  std::vector<Observation> reference;
  {
    Run vm(*code);
    Value f = vm.function("f");
    for (const auto& shapes : program.calls) reference.push_back(vm.call(f, shapes));
  }
  // GYRO_FUZZ_SHOW=1: what the input became and what the VM did with it (to read a finding).
  static const bool show = std::getenv("GYRO_FUZZ_SHOW") != nullptr;
  if (show) {
    std::fprintf(stderr, "%s\n", program.source.c_str());
    for (std::size_t i = 0; i < reference.size(); ++i) {
      const auto& shapes = program.calls[i];
      describe(fmt::format("VM call {}: inputs({}, {}, {}, {})", i, shapes.sizes[0],
                           shapes.sizes[1], shapes.sizes[2], shapes.n)
                   .c_str(),
               reference[i]);
    }
  }

  struct Mode {
    const char* name;
    const char* backend;
    std::optional<bool> dynamic;
    bool exact;
  };
  static constexpr Mode kModes[] = {{"eager", "eager", std::nullopt, true},
                                    {"eager dynamic=True", "eager", true, true},
                                    {"vectorized", "vectorized", std::nullopt, false}};
  for (const Mode& mode : kModes) {
    Run run(*code);
    Value compiled = run.compiled(mode.backend, mode.dynamic);
    for (std::size_t i = 0; i < program.calls.size(); ++i)
      expect_agreement(mode.name, i, program.source, reference[i],
                       run.call(compiled, program.calls[i]), mode.exact);
    if (mode.dynamic || !mode.exact) continue;
    // A warm start: the entries eager made, saved and loaded by a fresh interpreter.
    if (!run.vm().persistent_cache().save(cache_file()).ok()) continue;
    Run warm(*code);
    if (!warm.vm().persistent_cache().load(cache_file(), [](std::string) {}).ok()) {
      std::fprintf(stderr, "fuzz_differential: a saved cache does not load\n%s\n",
                   program.source.c_str());
      std::abort();
    }
    Value reloaded = warm.compiled(mode.backend, mode.dynamic);
    for (std::size_t i = 0; i < program.calls.size(); ++i)
      expect_agreement("eager from a saved cache", i, program.source, reference[i],
                       warm.call(reloaded, program.calls[i]), true);
  }
  return 0;
}
