// The builtin functions, the builtin types (int, float, ..., callable as constructors), the
// exception classes, and one global function per tensor op.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>

#include "interp/interpreter.h"
#include "interp/python_ops.h"
#include "interp/special_methods.h"
#include "interp/tensor_calls.h"
#include "ir/random.h"
#include "ir/safetensors.h"

namespace gyro {

BuiltinFn tensor_op_builtin(OpKind op);  // attributes.cc

namespace {
std::optional<Value> builtin_sorted(Interpreter& vm, std::span<const Value> args,
                                    std::span<const KeywordArg> kwargs);
}  // namespace

// list.sort(key=None, reverse=False): sorted() written back into the list (stable, in place).
std::optional<Value> list_sort(Interpreter& vm, std::span<const Value> args,
                               std::span<const KeywordArg> kwargs) {
  if (args.size() != 1)
    return vm.raise(ErrorKind::TypeError, "sort() takes no positional arguments");
  auto sorted = builtin_sorted(vm, args, kwargs);
  if (!sorted) return std::nullopt;
  args[0].as<ListObject>().items = sorted->as<ListObject>().items;
  return Value();
}

namespace {

using Args = std::span<const Value>;
using Kwargs = std::span<const KeywordArg>;

bool expect_args(Interpreter& vm, std::string_view name, Args args, std::size_t low,
                 std::size_t high, Kwargs kwargs = {}) {
  if (!kwargs.empty()) {
    vm.raise(ErrorKind::TypeError, "{}() takes no keyword arguments", name);
    return false;
  }
  if (args.size() >= low && args.size() <= high) return true;
  if (low == high)
    vm.raise(ErrorKind::TypeError, "{}() takes exactly {} argument{} ({} given)", name, low,
             low == 1 ? "" : "s", args.size());
  else if (args.size() < low)
    vm.raise(ErrorKind::TypeError, "{} expected at least {} argument{}, got {}", name, low,
             low == 1 ? "" : "s", args.size());
  else
    vm.raise(ErrorKind::TypeError, "{} expected at most {} argument{}, got {}", name, high,
             high == 1 ? "" : "s", args.size());
  return false;
}

std::optional<Value> builtin_print(Interpreter& vm, Args args, Kwargs kwargs) {
  std::string separator = " ", end = "\n";
  for (const KeywordArg& keyword : kwargs) {
    if (keyword.name != "sep" && keyword.name != "end")
      return vm.raise(ErrorKind::TypeError, "'{}' is an invalid keyword argument for print()",
                      keyword.name);
    if (!keyword.value.is_none() && !keyword.value.is(ObjectKind::Str))
      return vm.raise(ErrorKind::TypeError, "{} must be None or a string, not {}", keyword.name,
                      type_name(keyword.value));
    if (keyword.value.is(ObjectKind::Str))
      (keyword.name == "sep" ? separator : end) = keyword.value.as<StrObject>().text;
  }
  std::string out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i) out += separator;
    out += str(args[i]);
  }
  out += end;
  vm.write(out);
  return Value();
}

std::optional<Value> builtin_len(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "len", args, 1, 1, kwargs)) return std::nullopt;
  const Value& v = args[0];
  if (v.is(ObjectKind::Str)) return Value::integer(v.as<StrObject>().length());
  if (v.is(ObjectKind::List) || v.is(ObjectKind::Tuple))
    return Value::integer(static_cast<int64_t>(sequence_items(v).size()));
  if (v.is(ObjectKind::Dict))
    return Value::integer(static_cast<int64_t>(v.as<DictObject>().table.size()));
  if (v.is(ObjectKind::DictView))
    return Value::integer(
        static_cast<int64_t>(v.as<DictViewObject>().dict.as<DictObject>().table.size()));
  if (v.is(ObjectKind::Range)) return Value::integer(v.as<RangeObject>().length());
  if (v.is(ObjectKind::TensorBox)) {
    const Tensor& tensor = v.as<TensorBoxObject>().tensor;
    if (tensor.dim() == 0) return vm.raise(ErrorKind::TypeError, "len() of a 0-d tensor");
    return Value::integer(tensor.size(0));
  }
  if (v.is(ObjectKind::SparseTensor)) {
    const Dims& sizes = v.as<SparseTensorObject>().sizes;
    if (sizes.size() == 0) return vm.raise(ErrorKind::TypeError, "len() of a 0-d tensor");
    return Value::integer(sizes[0]);
  }
  if (auto method = special_method(v, "__len__")) {
    auto length = call_len(vm, *method);
    if (!length) return std::nullopt;
    return Value::integer(*length);
  }
  return vm.raise(ErrorKind::TypeError, "object of type '{}' has no len()", type_name(v));
}

std::optional<Value> builtin_range(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "range", args, 1, 3, kwargs)) return std::nullopt;
  for (const Value& a : args)
    if (!a.is_integral())
      return vm.raise(ErrorKind::TypeError, "'{}' object cannot be interpreted as an integer",
                      type_name(a));
  int64_t start = 0, stop, step = 1;
  if (args.size() == 1) {
    stop = args[0].as_int();
  } else {
    start = args[0].as_int();
    stop = args[1].as_int();
    if (args.size() == 3) step = args[2].as_int();
  }
  if (step == 0) return vm.raise(ErrorKind::ValueError, "range() arg 3 must not be zero");
  // len() of the range must fit in an int64 (CPython's limit is the same: ssize_t).
  __int128 span = static_cast<__int128>(stop) - start;
  __int128 length = step > 0 ? (span > 0 ? (span + step - 1) / step : 0)
                             : (span < 0 ? (span + step + 1) / step : 0);
  if (length > std::numeric_limits<int64_t>::max())
    return vm.raise(ErrorKind::OverflowError, "Python int too large to convert to C ssize_t");
  return make_range(start, stop, step);
}

std::optional<Value> builtin_abs(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "abs", args, 1, 1, kwargs)) return std::nullopt;
  const Value& v = args[0];
  if (v.is_integral()) {
    if (v.as_int() == std::numeric_limits<int64_t>::min())
      return vm.raise(ErrorKind::OverflowError, "integer overflow: gyro ints are 64-bit");
    return Value::integer(std::abs(v.as_int()));
  }
  if (v.is_float()) return Value::real(std::fabs(v.as_float()));
  if (v.is(ObjectKind::TensorBox)) return call_tensor_op(vm, OpKind::abs, args, {});
  return vm.raise(ErrorKind::TypeError, "bad operand type for abs(): '{}'", type_name(v));
}

// min/max over one iterable or several arguments, with key= and default=.
std::optional<Value> extremum(Interpreter& vm, Args args, Kwargs kwargs, bool want_max) {
  std::string_view name = want_max ? "max" : "min";
  Value key, fallback;
  bool has_default = false;
  for (const KeywordArg& keyword : kwargs) {
    if (keyword.name == "key")
      key = keyword.value;
    else if (keyword.name == "default") {
      fallback = keyword.value;
      has_default = true;
    } else {
      return vm.raise(ErrorKind::TypeError, "'{}' is an invalid keyword argument for {}()",
                      keyword.name, name);
    }
  }
  if (args.empty())
    return vm.raise(ErrorKind::TypeError, "{} expected at least 1 argument, got 0", name);
  std::vector<Value> items;
  if (args.size() == 1) {
    auto collected = vm.collect(args[0]);
    if (!collected) return std::nullopt;
    items = std::move(*collected);
  } else {
    items.assign(args.begin(), args.end());
  }
  if (items.empty()) {
    if (has_default) return fallback;
    return vm.raise(ErrorKind::ValueError, "{}() arg is an empty sequence", name);
  }
  Value best = items[0];
  Value best_key = best;
  if (!key.is_none()) {
    auto k = vm.call(key, std::span<const Value>(&best, 1));
    if (!k) return std::nullopt;
    best_key = *k;
  }
  for (std::size_t i = 1; i < items.size(); ++i) {
    Value candidate_key = items[i];
    if (!key.is_none()) {
      auto k = vm.call(key, std::span<const Value>(&items[i], 1));
      if (!k) return std::nullopt;
      candidate_key = *k;
    }
    auto better = compare_op(want_max ? CompareOp::GT : CompareOp::LT, candidate_key, best_key);
    if (!better.ok()) return vm.raise(better.error());
    auto truth = truth_of(vm, *better);
    if (!truth) return std::nullopt;
    if (*truth) {
      best = items[i];
      best_key = candidate_key;
    }
  }
  return best;
}
std::optional<Value> builtin_min(Interpreter& vm, Args args, Kwargs kwargs) {
  return extremum(vm, args, kwargs, false);
}
std::optional<Value> builtin_max(Interpreter& vm, Args args, Kwargs kwargs) {
  return extremum(vm, args, kwargs, true);
}

std::optional<Value> builtin_sum(Interpreter& vm, Args args, Kwargs kwargs) {
  Value total = Value::integer(0);
  for (const KeywordArg& keyword : kwargs) {
    if (keyword.name != "start")
      return vm.raise(ErrorKind::TypeError, "'{}' is an invalid keyword argument for sum()",
                      keyword.name);
    total = keyword.value;
  }
  if (!expect_args(vm, "sum", args, 1, 2)) return std::nullopt;
  if (args.size() == 2) total = args[1];
  if (total.is(ObjectKind::Str))
    return vm.raise(ErrorKind::TypeError, "sum() can't sum strings [use ''.join(seq) instead]");
  auto items = vm.collect(args[0]);
  if (!items) return std::nullopt;
  for (const Value& item : *items) {
    auto next = binary_op(Binop::ADD, total, item);
    if (!next.ok()) return vm.raise(next.error());
    total = std::move(*next);
  }
  return total;
}

std::optional<Value> builtin_isinstance(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "isinstance", args, 2, 2, kwargs)) return std::nullopt;
  if (args[1].is(ObjectKind::Tuple)) {
    for (const Value& cls : args[1].as<TupleObject>().items) {
      if (!cls.is(ObjectKind::Class))
        return vm.raise(ErrorKind::TypeError,
                        "isinstance() arg 2 must be a type, a tuple of types, or a union");
      if (vm.is_instance(args[0], cls)) return Value::boolean(true);
    }
    return Value::boolean(false);
  }
  if (!args[1].is(ObjectKind::Class))
    return vm.raise(ErrorKind::TypeError,
                    "isinstance() arg 2 must be a type, a tuple of types, or a union");
  return Value::boolean(vm.is_instance(args[0], args[1]));
}

std::optional<Value> builtin_repr(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "repr", args, 1, 1, kwargs)) return std::nullopt;
  return make_str(repr(args[0]));
}

std::optional<Value> builtin_enumerate(Interpreter& vm, Args args, Kwargs kwargs) {
  int64_t start = 0;
  for (const KeywordArg& keyword : kwargs) {
    if (keyword.name != "start" || !keyword.value.is_integral())
      return vm.raise(ErrorKind::TypeError, "enumerate() got an unexpected keyword argument '{}'",
                      keyword.name);
    start = keyword.value.as_int();
  }
  if (!expect_args(vm, "enumerate", args, 1, 2)) return std::nullopt;
  if (args.size() == 2) start = args[1].as_int();
  auto inner = vm.iterate(args[0]);
  if (!inner) return std::nullopt;
  Value it = Value::object(new IteratorObject(IteratorObject::Source::kEnumerate));
  it.as<IteratorObject>().parts.push_back(std::move(*inner));
  it.as<IteratorObject>().index = start;
  return it;
}

std::optional<Value> builtin_zip(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "zip", args, 0, 64, kwargs)) return std::nullopt;
  Value it = Value::object(new IteratorObject(IteratorObject::Source::kZip));
  for (const Value& iterable : args) {
    auto inner = vm.iterate(iterable);
    if (!inner) return std::nullopt;
    it.as<IteratorObject>().parts.push_back(std::move(*inner));
  }
  return it;
}

std::optional<Value> builtin_sorted(Interpreter& vm, Args args, Kwargs kwargs) {
  Value key;
  bool reverse = false;
  for (const KeywordArg& keyword : kwargs) {
    if (keyword.name == "key")
      key = keyword.value;
    else if (keyword.name == "reverse") {
      auto truth = truthy(keyword.value);
      if (!truth.ok()) return vm.raise(truth.error());
      reverse = *truth;
    } else {
      return vm.raise(ErrorKind::TypeError, "'{}' is an invalid keyword argument for sort()",
                      keyword.name);
    }
  }
  if (!expect_args(vm, "sorted", args, 1, 1)) return std::nullopt;
  auto items = vm.collect(args[0]);
  if (!items) return std::nullopt;
  std::vector<Value> keys = *items;
  if (!key.is_none()) {
    for (std::size_t i = 0; i < items->size(); ++i) {
      auto k = vm.call(key, std::span<const Value>(&(*items)[i], 1));
      if (!k) return std::nullopt;
      keys[i] = std::move(*k);
    }
  }
  // A stable merge sort through Python's <; the first comparison error stops the sort.
  std::vector<std::size_t> order(items->size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::optional<Error> failure;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (failure) return false;
    const Value& left = reverse ? keys[b] : keys[a];
    const Value& right = reverse ? keys[a] : keys[b];
    auto less = compare_op(CompareOp::LT, left, right);
    if (!less.ok()) {
      failure = less.error();
      return false;
    }
    auto truth = truthy(*less);
    if (!truth.ok()) {
      failure = truth.error();
      return false;
    }
    return *truth;
  });
  if (failure) return vm.raise(*failure);
  std::vector<Value> sorted;
  for (std::size_t i : order) sorted.push_back((*items)[i]);
  return make_list(std::move(sorted));
}

std::optional<Value> builtin_reversed(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "reversed", args, 1, 1, kwargs)) return std::nullopt;
  if (!(args[0].is(ObjectKind::List) || args[0].is(ObjectKind::Tuple) ||
        args[0].is(ObjectKind::Range) || args[0].is(ObjectKind::Str)))
    return vm.raise(ErrorKind::TypeError, "'{}' object is not reversible", type_name(args[0]));
  auto items = vm.collect(args[0]);
  if (!items) return std::nullopt;
  std::reverse(items->begin(), items->end());
  return vm.iterate(make_list(std::move(*items)));
}

std::optional<Value> any_all(Interpreter& vm, Args args, Kwargs kwargs, bool want_any) {
  if (!expect_args(vm, want_any ? "any" : "all", args, 1, 1, kwargs)) return std::nullopt;
  auto items = vm.collect(args[0]);
  if (!items) return std::nullopt;
  for (const Value& item : *items) {
    auto truth = truth_of(vm, item);
    if (!truth) return std::nullopt;
    if (*truth == want_any) return Value::boolean(want_any);
  }
  return Value::boolean(!want_any);
}
std::optional<Value> builtin_any(Interpreter& vm, Args args, Kwargs kwargs) {
  return any_all(vm, args, kwargs, true);
}
std::optional<Value> builtin_all(Interpreter& vm, Args args, Kwargs kwargs) {
  return any_all(vm, args, kwargs, false);
}

std::optional<Value> builtin_getattr(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "getattr", args, 2, 3, kwargs)) return std::nullopt;
  if (!args[1].is(ObjectKind::Str))
    return vm.raise(ErrorKind::TypeError, "attribute name must be string, not '{}'",
                    type_name(args[1]));
  auto value = vm.get_attribute(args[0], args[1].as<StrObject>().text);
  if (value || args.size() == 2) return value;
  if (!vm.is_instance(vm.exception(), vm.builtin_class("AttributeError"))) return std::nullopt;
  return args[2];
}
std::optional<Value> builtin_hasattr(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "hasattr", args, 2, 2, kwargs)) return std::nullopt;
  auto value = builtin_getattr(vm, args, {});
  if (value) return Value::boolean(true);
  if (!vm.is_instance(vm.exception(), vm.builtin_class("AttributeError"))) return std::nullopt;
  return Value::boolean(false);
}
std::optional<Value> builtin_setattr(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "setattr", args, 3, 3, kwargs)) return std::nullopt;
  if (!args[1].is(ObjectKind::Str))
    return vm.raise(ErrorKind::TypeError, "attribute name must be string, not '{}'",
                    type_name(args[1]));
  return vm.set_attribute(args[0], args[1].as<StrObject>().text, args[2]);
}

std::optional<Value> builtin_round(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "round", args, 1, 2, kwargs)) return std::nullopt;
  const Value& v = args[0];
  if (args.size() == 1 || args[1].is_none()) {
    if (v.is_integral()) return Value::integer(v.as_int());
    if (!v.is_float())
      return vm.raise(ErrorKind::TypeError, "type {} doesn't define __round__ method",
                      type_name(v));
    double x = v.as_float();
    if (std::isnan(x))
      return vm.raise(ErrorKind::ValueError, "cannot convert float NaN to integer");
    if (std::isinf(x))
      return vm.raise(ErrorKind::OverflowError, "cannot convert float infinity to integer");
    double rounded = std::nearbyint(x);  // half to even
    if (std::fabs(rounded) >= 9.2e18)
      return vm.raise(ErrorKind::OverflowError, "integer overflow: gyro ints are 64-bit");
    return Value::integer(static_cast<int64_t>(rounded));
  }
  if (!args[1].is_integral())
    return vm.raise(ErrorKind::TypeError, "'{}' object cannot be interpreted as an integer",
                    type_name(args[1]));
  if (v.is_integral()) {
    int64_t digits = args[1].as_int(), x = v.as_int();
    if (digits >= 0) return Value::integer(x);
    if (digits < -18) return Value::integer(0);
    int64_t scale = 1;
    for (int64_t i = 0; i < -digits; ++i) scale *= 10;
    // Round half to even on the exact integer, as CPython does: round(1250, -2) == 1200.
    int64_t quotient = x / scale, remainder = x % scale;
    if (remainder < 0) {
      remainder += scale;
      --quotient;
    }
    if (remainder * 2 > scale || (remainder * 2 == scale && (quotient & 1))) ++quotient;
    int64_t result = 0;
    if (__builtin_mul_overflow(quotient, scale, &result))
      return vm.raise(ErrorKind::OverflowError, "integer overflow: gyro ints are 64-bit");
    return Value::integer(result);
  }
  if (!v.is_float())
    return vm.raise(ErrorKind::TypeError, "type {} doesn't define __round__ method", type_name(v));
  // Python rounds the exact decimal value; formatting with that many digits does the same.
  int64_t digits = args[1].as_int();
  if (digits > 300 || !std::isfinite(v.as_float())) return Value::real(v.as_float());
  if (digits < -300) return Value::real(0.0 * v.as_float());
  double rounded = std::strtod(
      fmt::format("{:.{}f}", v.as_float(), std::max<int64_t>(digits, 0)).c_str(), nullptr);
  if (digits < 0) {
    double scale = std::pow(10.0, static_cast<double>(-digits));
    rounded = std::nearbyint(v.as_float() / scale) * scale;
  }
  return Value::real(rounded);
}

std::optional<Value> builtin_type(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "type", args, 1, 1, kwargs)) return std::nullopt;
  return vm.type_of(args[0]);
}

std::optional<Value> builtin_perf_counter(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "perf_counter", args, 0, 0, kwargs)) return std::nullopt;
  auto now = std::chrono::steady_clock::now().time_since_epoch();
  return Value::real(std::chrono::duration<double>(now).count());
}

// vars(x): the instance's (or class's) attribute dict itself, live, in insertion order; the
// prelude's Module walks it to find parameters and submodules.
std::optional<Value> builtin_vars(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "vars", args, 1, 1, kwargs)) return std::nullopt;
  if (args[0].is(ObjectKind::Instance)) return args[0].as<InstanceObject>().attributes;
  if (args[0].is(ObjectKind::Class) && args[0].as<ClassObject>().builtin_tag < 0)
    return args[0].as<ClassObject>().attributes;
  return vm.raise(ErrorKind::TypeError, "vars() argument must have __dict__ attribute");
}

// manual_seed(n): reseeds the default generator (rand, randn, Dropout, Linear's init), as
// torch.manual_seed does; the stream restarts at offset 0.
std::optional<Value> builtin_manual_seed(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "manual_seed", args, 1, 1, kwargs)) return std::nullopt;
  if (!args[0].is_integral())
    return vm.raise(ErrorKind::TypeError, "manual_seed() expected an int, not {}",
                    type_name(args[0]));
  default_generator().manual_seed(static_cast<uint64_t>(args[0].as_int()));
  return Value();
}

// tensor(data, dtype=None), as torch.tensor: data is the only positional argument, and dtype
// must be a dtype object (torch.tensor rejects dtype names).
std::optional<Value> builtin_tensor(Interpreter& vm, Args args, Kwargs kwargs) {
  if (args.size() > 1)
    return vm.raise(ErrorKind::TypeError, "tensor() takes 1 positional argument but {} were given",
                    args.size());
  std::optional<Value> data;
  if (!args.empty()) data = args[0];
  std::optional<DType> dtype;
  for (const KeywordArg& keyword : kwargs) {
    if (keyword.name == "data" && !data) {
      data = keyword.value;
    } else if (keyword.name == "dtype") {
      if (keyword.value.is(ObjectKind::DTypeValue))
        dtype = keyword.value.as<DTypeValueObject>().dtype;
      else if (!keyword.value.is_none())
        return vm.raise(ErrorKind::TypeError,
                        "tensor(): argument 'dtype' must be torch.dtype, not {}",
                        type_name(keyword.value));
    } else if (keyword.name == "data") {
      return vm.raise(ErrorKind::TypeError, "tensor() got multiple values for argument 'data'");
    } else {
      return vm.raise(ErrorKind::TypeError, "tensor() got an unexpected keyword argument '{}'",
                      keyword.name);
    }
  }
  if (!data)
    return vm.raise(ErrorKind::TypeError,
                    "tensor() missing 1 required positional arguments: \"data\"");
  return tensor_from_data(vm, *data, dtype);
}

// Binds positional and keyword arguments to `parameters` by name, with CPython's messages;
// the first `required` must be given, the others default to None.
bool bind_parameters(Interpreter& vm, std::string_view name, Args args, Kwargs kwargs,
                     std::span<const std::string_view> parameters, std::size_t required,
                     std::span<Value> bound) {
  if (args.size() > parameters.size()) {
    if (required == parameters.size())
      vm.raise(ErrorKind::TypeError, "{}() takes {} positional argument{} but {} were given", name,
               required, required == 1 ? "" : "s", args.size());
    else
      vm.raise(ErrorKind::TypeError,
               "{}() takes from {} to {} positional arguments but {} were "
               "given",
               name, required, parameters.size(), args.size());
    return false;
  }
  std::vector<bool> given(parameters.size(), false);
  for (std::size_t i = 0; i < args.size(); ++i) {
    bound[i] = args[i];
    given[i] = true;
  }
  for (const KeywordArg& keyword : kwargs) {
    auto at = std::find(parameters.begin(), parameters.end(), keyword.name);
    if (at == parameters.end()) {
      vm.raise(ErrorKind::TypeError, "{}() got an unexpected keyword argument '{}'", name,
               keyword.name);
      return false;
    }
    std::size_t index = static_cast<std::size_t>(at - parameters.begin());
    if (given[index]) {
      vm.raise(ErrorKind::TypeError, "{}() got multiple values for argument '{}'", name,
               keyword.name);
      return false;
    }
    bound[index] = keyword.value;
    given[index] = true;
  }
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < required; ++i)
    if (!given[i]) missing.push_back(fmt::format("'{}'", parameters[i]));
  if (missing.empty()) return true;
  std::string listed = missing.back();
  if (missing.size() > 1)
    listed = fmt::format("{} and {}", fmt::join(missing.begin(), missing.end() - 1, ", "),
                         missing.back());
  vm.raise(ErrorKind::TypeError, "{}() missing {} required positional argument{}: {}", name,
           missing.size(), missing.size() == 1 ? "" : "s", listed);
  return false;
}

// save_file(tensors, filename, metadata=None), as safetensors.torch.save_file: a dict of str
// to Tensor written as a safetensors file (atomically), with optional str-to-str metadata.
// Tensors are written in Hugging Face's order (ir/safetensors.h); views are written
// contiguously, and tensors that share memory are each written whole.
std::optional<Value> builtin_save_file(Interpreter& vm, Args args, Kwargs kwargs) {
  static constexpr std::string_view kParameters[] = {"tensors", "filename", "metadata"};
  Value bound[3];
  if (!vm.check_file_access("save_file") ||
      !bind_parameters(vm, "save_file", args, kwargs, kParameters, 2, bound))
    return std::nullopt;
  const Value& tensors = bound[0];
  const Value& filename = bound[1];
  const Value& metadata = bound[2];
  if (!tensors.is(ObjectKind::Dict))
    return vm.raise(ErrorKind::TypeError,
                    "save_file(): tensors must be a dict of str to Tensor, not {}",
                    type_name(tensors));
  if (!filename.is(ObjectKind::Str))
    return vm.raise(ErrorKind::TypeError, "save_file(): filename must be str, not {}",
                    type_name(filename));
  if (!metadata.is_none() && !metadata.is(ObjectKind::Dict))
    return vm.raise(ErrorKind::TypeError,
                    "save_file(): metadata must be a dict of str to str or None, not {}",
                    type_name(metadata));
  std::vector<NamedTensor> named;
  std::optional<Error> failure;
  tensors.as<DictObject>().table.for_each([&](const Value& key, const Value& value) {
    if (failure) return;
    if (!key.is(ObjectKind::Str))
      failure = make_error(ErrorKind::TypeError,
                           "save_file(): tensors' keys must be str, not {} (key {})",
                           type_name(key), repr(key));
    else if (value.is(ObjectKind::SparseTensor))
      failure = make_error(ErrorKind::ValueError,
                           "save_file(): tensors[{}] is a sparse tensor; safetensors holds dense "
                           "tensors (call to_dense() first)",
                           repr(key));
    else if (!value.is(ObjectKind::TensorBox))
      failure =
          make_error(ErrorKind::TypeError, "save_file(): tensors[{}] must be a Tensor, not {}",
                     repr(key), type_name(value));
    else
      named.push_back({key.as<StrObject>().text, value.as<TensorBoxObject>().tensor});
  });
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!failure && metadata.is(ObjectKind::Dict))
    metadata.as<DictObject>().table.for_each([&](const Value& key, const Value& value) {
      if (failure) return;
      if (!key.is(ObjectKind::Str) || !value.is(ObjectKind::Str))
        failure = make_error(ErrorKind::TypeError,
                             "save_file(): metadata must be a dict of str to str, but it maps {} "
                             "to {}",
                             repr(key), type_name(value));
      else
        pairs.emplace_back(key.as<StrObject>().text, value.as<StrObject>().text);
    });
  if (failure) return vm.raise(*failure);
  Status saved = save_safetensors_file(filename.as<StrObject>().text, named, pairs);
  if (!saved.ok()) return vm.raise(saved.error());
  return Value();
}

// load_file(filename), as safetensors.torch.load_file: a dict of name to Tensor, in the
// file's data order. Aligned tensors view the file's pages (copy-on-write) instead of copies.
std::optional<Value> builtin_load_file(Interpreter& vm, Args args, Kwargs kwargs) {
  static constexpr std::string_view kParameters[] = {"filename"};
  Value bound[1];
  if (!vm.check_file_access("load_file") ||
      !bind_parameters(vm, "load_file", args, kwargs, kParameters, 1, bound))
    return std::nullopt;
  if (!bound[0].is(ObjectKind::Str))
    return vm.raise(ErrorKind::TypeError, "load_file(): filename must be str, not {}",
                    type_name(bound[0]));
  auto contents = load_safetensors_file(bound[0].as<StrObject>().text);
  if (!contents.ok()) return vm.raise(contents.error());
  Value result = make_dict();
  Dict& table = result.as<DictObject>().table;
  for (NamedTensor& named : contents->tensors)
    (void)table.set(make_str(std::move(named.name)), make_tensor(std::move(named.tensor)));
  return result;
}

std::optional<Value> builtin_iter(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "iter", args, 1, 1, kwargs)) return std::nullopt;
  return vm.iterate(args[0]);
}

std::optional<Value> builtin_next(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "next", args, 1, 2, kwargs)) return std::nullopt;
  if (!args[0].is(ObjectKind::Iterator))
    return vm.raise(ErrorKind::TypeError, "'{}' object is not an iterator", type_name(args[0]));
  bool exhausted = false;
  auto item = vm.next(args[0], exhausted);
  if (exhausted) {
    if (args.size() == 2) return args[1];
    return vm.raise_named("StopIteration", "");
  }
  return item;
}

// ---- builtin types as constructors ----

std::optional<Value> new_int(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "int", args, 0, 1, kwargs)) return std::nullopt;
  if (args.empty()) return Value::integer(0);
  const Value& v = args[0];
  if (v.is_integral()) return Value::integer(v.as_int());
  if (v.is_float()) {
    double x = v.as_float();
    if (std::isnan(x))
      return vm.raise(ErrorKind::ValueError, "cannot convert float NaN to integer");
    if (std::isinf(x))
      return vm.raise(ErrorKind::OverflowError, "cannot convert float infinity to integer");
    if (std::fabs(x) >= 9.223372036854775807e18)
      return vm.raise(ErrorKind::OverflowError, "integer overflow: gyro ints are 64-bit");
    return Value::integer(static_cast<int64_t>(x));  // truncates toward zero
  }
  if (v.is(ObjectKind::Str)) {
    std::string text = v.as<StrObject>().text;
    std::size_t begin = 0, end = text.size();
    while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
    while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
    std::string digits;
    for (std::size_t i = begin; i < end; ++i)
      if (text[i] != '_') digits += text[i];
    int64_t value = 0;
    const char* first = digits.data() + (!digits.empty() && digits[0] == '+' ? 1 : 0);
    auto [ptr, ec] = std::from_chars(first, digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size())
      return vm.raise(ErrorKind::ValueError, "invalid literal for int() with base 10: {}", repr(v));
    return Value::integer(value);
  }
  if (v.is(ObjectKind::TensorBox)) {
    const Tensor& tensor = v.as<TensorBoxObject>().tensor;
    if (tensor.numel() != 1)
      return vm.raise(ErrorKind::ValueError,
                      "only one element tensors can be converted to Python scalars");
    return Value::integer(tensor.to_vector<int64_t>()[0]);
  }
  return vm.raise(ErrorKind::TypeError,
                  "int() argument must be a string, a bytes-like object or a real number, not '{}'",
                  type_name(v));
}

std::optional<Value> new_float(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "float", args, 0, 1, kwargs)) return std::nullopt;
  if (args.empty()) return Value::real(0.0);
  const Value& v = args[0];
  if (v.is_number()) return Value::real(v.to_double());
  if (v.is(ObjectKind::Str)) {
    std::string text = v.as<StrObject>().text;
    std::size_t begin = text.find_first_not_of(" \t\n\r");
    std::size_t end = text.find_last_not_of(" \t\n\r");
    std::string trimmed = begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
    std::string lower = trimmed;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "nan" || lower == "+nan" || lower == "-nan") return Value::real(std::nan(""));
    if (lower == "inf" || lower == "+inf" || lower == "infinity" || lower == "+infinity")
      return Value::real(std::numeric_limits<double>::infinity());
    if (lower == "-inf" || lower == "-infinity")
      return Value::real(-std::numeric_limits<double>::infinity());
    double value = 0;
    const char* first = trimmed.data() + (!trimmed.empty() && trimmed[0] == '+' ? 1 : 0);
    auto [ptr, ec] = std::from_chars(first, trimmed.data() + trimmed.size(), value);
    if (trimmed.empty() || ptr != trimmed.data() + trimmed.size() ||
        (ec != std::errc() && ec != std::errc::result_out_of_range))
      return vm.raise(ErrorKind::ValueError, "could not convert string to float: {}", repr(v));
    // Out of range: from_chars leaves the value alone; strtod gives inf or 0 as Python does.
    if (ec == std::errc::result_out_of_range) value = std::strtod(trimmed.c_str(), nullptr);
    return Value::real(value);
  }
  if (v.is(ObjectKind::TensorBox)) {
    const Tensor& tensor = v.as<TensorBoxObject>().tensor;
    if (tensor.numel() != 1)
      return vm.raise(ErrorKind::ValueError,
                      "only one element tensors can be converted to Python scalars");
    return Value::real(tensor.item());
  }
  return vm.raise(ErrorKind::TypeError,
                  "float() argument must be a string or a real number, not '{}'", type_name(v));
}

std::optional<Value> new_bool(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "bool", args, 0, 1, kwargs)) return std::nullopt;
  if (args.empty()) return Value::boolean(false);
  auto truth = truth_of(vm, args[0]);
  if (!truth) return std::nullopt;
  return Value::boolean(*truth);
}

std::optional<Value> new_str(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "str", args, 0, 1, kwargs)) return std::nullopt;
  return make_str(args.empty() ? std::string() : str(args[0]));
}

std::optional<Value> new_list(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "list", args, 0, 1, kwargs)) return std::nullopt;
  if (args.empty()) return make_list();
  auto items = vm.collect(args[0]);
  if (!items) return std::nullopt;
  return make_list(std::move(*items));
}

std::optional<Value> new_tuple(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "tuple", args, 0, 1, kwargs)) return std::nullopt;
  if (args.empty()) return make_tuple();
  if (args[0].is(ObjectKind::Tuple)) return args[0];
  auto items = vm.collect(args[0]);
  if (!items) return std::nullopt;
  return make_tuple(std::move(*items));
}

std::optional<Value> new_dict(Interpreter& vm, Args args, Kwargs kwargs) {
  if (args.size() > 1)
    return vm.raise(ErrorKind::TypeError, "dict expected at most 1 argument, got {}", args.size());
  Value dict = make_dict();
  Dict& table = dict.as<DictObject>().table;
  if (!args.empty()) {
    if (args[0].is(ObjectKind::Dict)) {
      args[0].as<DictObject>().table.for_each(
          [&](const Value& key, const Value& value) { (void)table.set(key, value); });
    } else {
      auto pairs = vm.collect(args[0]);
      if (!pairs) return std::nullopt;
      for (std::size_t i = 0; i < pairs->size(); ++i) {
        auto pair = vm.collect((*pairs)[i]);
        if (!pair) return std::nullopt;
        if (pair->size() != 2)
          return vm.raise(ErrorKind::ValueError,
                          "dictionary update sequence element #{} has length {}; 2 is required", i,
                          pair->size());
        Status status = table.set((*pair)[0], (*pair)[1]);
        if (!status.ok()) return vm.raise(status.error());
      }
    }
  }
  for (const KeywordArg& keyword : kwargs)
    (void)table.set(make_str(std::string(keyword.name)), keyword.value);
  return dict;
}

std::optional<Value> new_object(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!expect_args(vm, "object", args, 0, 0, kwargs)) return std::nullopt;
  return make_instance(vm.builtin_class("object"));
}

// super(cls, obj): the explicit form; the compiler turns a zero-argument super() inside a method
// into super(__class__, <first argument>), so reaching here with no arguments means there
// was no method to take them from.
std::optional<Value> new_super(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!kwargs.empty()) return vm.raise(ErrorKind::TypeError, "super() takes no keyword arguments");
  if (args.empty()) return vm.raise(ErrorKind::RuntimeError, "super(): no arguments");
  if (args.size() > 2)
    return vm.raise(ErrorKind::TypeError, "super() expected at most 2 arguments, got {}",
                    args.size());
  if (!args[0].is(ObjectKind::Class))
    return vm.raise(ErrorKind::TypeError, "super() argument 1 must be a type, not {}",
                    type_name(args[0]));
  if (args.size() == 1)
    return vm.raise(ErrorKind::TypeError,
                    "super() with one argument (an unbound super object) is not supported by "
                    "gyro");
  const Value& cls = args[0];
  const Value& object = args[1];
  bool related = vm.is_instance(object, cls);
  for (Value each = object; !related && each.is(ObjectKind::Class);
       each = each.as<ClassObject>().base)
    related = each.as_object() == cls.as_object();
  if (!related)
    return vm.raise(ErrorKind::TypeError,
                    "super(type, obj): obj must be an instance or subtype of type");
  return Value::object(new SuperObject(cls, object, cls.as<ClassObject>().base));
}

// object.__init__(self): what super().__init__() reaches at the top of a class chain.
std::optional<Value> object_init(Interpreter& vm, Args args, Kwargs kwargs) {
  if (args.size() != 1 || !kwargs.empty())
    return vm.raise(ErrorKind::TypeError,
                    "object.__init__() takes exactly one argument (the instance to initialize)");
  return Value();
}

// BaseException.__init__(self, *args): what a user exception's __init__ calls to set args.
std::optional<Value> exception_init(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!kwargs.empty())
    return vm.raise(ErrorKind::TypeError, "BaseException.__init__() takes no keyword arguments");
  if (args.empty() || !args[0].is(ObjectKind::Instance))
    return vm.raise(ErrorKind::TypeError, "BaseException.__init__() needs an exception instance");
  (void)args[0].as<InstanceObject>().attributes.as<DictObject>().table.set(
      make_str("args"), make_tuple(std::vector<Value>(args.begin() + 1, args.end())));
  return Value();
}

struct BuiltinType {
  std::string_view name;
  BuiltinFn constructor;
  int tag;
};
constexpr BuiltinType kBuiltinTypes[] = {
    {"NoneType", nullptr, static_cast<int>(ValueTag::kNone)},
    {"bool", new_bool, static_cast<int>(ValueTag::kBool)},
    {"int", new_int, static_cast<int>(ValueTag::kInt)},
    {"float", new_float, static_cast<int>(ValueTag::kFloat)},
#define OBJECT_KIND(kind, type_name) {type_name, nullptr, 100 + static_cast<int>(ObjectKind::kind)},
#include "interp/object_kinds.def"
#undef OBJECT_KIND
};

}  // namespace

#define BUILTIN(name)                                                               \
  std::optional<Value> builtin_##name(Interpreter& vm, std::span<const Value> args, \
                                      std::span<const KeywordArg> kwargs);
#include "interp/compile_builtins.def"
BUILTIN(save)  // saved_object.cc
BUILTIN(load)
#undef BUILTIN

struct BuiltinsInstaller {
  static void install(Interpreter& vm) {
    vm.builtins_ = make_dict();
    Dict& table = vm.builtins_.as<DictObject>().table;
    auto define = [&](std::string_view name, Value value) {
      (void)table.set(make_str(std::string(name)), std::move(value));
    };
    // Tensor ops first, so Python's builtins of the same name (abs, max, min, sum, all, any,
    // round) take precedence as they do in Python; those accept tensors where PyTorch does.
    for (int i = 0; i < kNumOps; ++i) {
      auto op = static_cast<OpKind>(i);
      define(op_name(op), Value::object(new BuiltinObject(std::string(op_name(op)),
                                                          tensor_op_builtin(op), Value())));
    }
    // PyTorch's name for the floordiv op.
    define("floor_divide", Value::object(new BuiltinObject(
                               "floor_divide", tensor_op_builtin(OpKind::floordiv), Value())));
#define BUILTIN(name) \
  define(#name, Value::object(new BuiltinObject(#name, builtin_##name, Value())));
#include "interp/builtins.def"
#include "interp/compile_builtins.def"
#undef BUILTIN
    for (const BuiltinType& type : kBuiltinTypes) {
      // Sparse tensors share the name Tensor: the first row (dense tensors) names the class.
      if (&type != kBuiltinTypes &&
          std::find_if(kBuiltinTypes, &type, [&](const BuiltinType& earlier) {
            return earlier.name == type.name;
          }) != &type)
        continue;
      Value cls = make_class(std::string(type.name), Value());
      cls.as<ClassObject>().builtin_tag = type.tag;
      define(type.name, cls);
    }
    auto set_constructor = [&](std::string_view name, BuiltinFn fn) {
      Value cls = vm.builtin_class(name);
      (void)cls.as<ClassObject>().attributes.as<DictObject>().table.set(
          make_str("__new__"), Value::object(new BuiltinObject(std::string(name), fn, Value())));
    };
    set_constructor("bool", new_bool);
    set_constructor("int", new_int);
    set_constructor("float", new_float);
    set_constructor("str", new_str);
    set_constructor("list", new_list);
    set_constructor("tuple", new_tuple);
    set_constructor("dict", new_dict);
    set_constructor("range", builtin_range);
    set_constructor("type", builtin_type);
    // object: the root every script class derives from implicitly.
    Value object_class = make_class("object", Value());
    object_class.as<ClassObject>().builtin_tag = 99;
    define("object", object_class);
    set_constructor("object", new_object);
    (void)object_class.as<ClassObject>().attributes.as<DictObject>().table.set(
        make_str("__init__"), Value::object(new BuiltinObject("__init__", object_init, Value())));
    set_constructor("super", new_super);
#define EXCEPTION(name, base)                                                                     \
  {                                                                                               \
    Value cls =                                                                                   \
        make_class(#name, std::string_view(#base) == "None" ? Value() : vm.builtin_class(#base)); \
    cls.as<ClassObject>().is_exception = true;                                                    \
    define(#name, cls);                                                                           \
  }
#include "interp/exceptions.def"
#undef EXCEPTION
    (void)vm.builtin_class("BaseException")
        .as<ClassObject>()
        .attributes.as<DictObject>()
        .table.set(make_str("__init__"),
                   Value::object(new BuiltinObject("__init__", exception_init, Value())));
    // The dtypes (torch.float32, ...): x.to(float64), zeros(2, dtype=int64), x.dtype == int64.
    for (int i = 0; i < kNumDTypes; ++i) {
      auto dtype = static_cast<DType>(i);
      std::string name(dtype_name(dtype));
      define(name == "bool" ? "bool_" : name, dtype_value(dtype));
    }
    define("Ellipsis", ellipsis_value());
    define("config", Value::object(new ConfigObject(&vm.compile_config_)));
  }
};

void Interpreter::install_builtins() {
  BuiltinsInstaller::install(*this);
}

}  // namespace gyro
