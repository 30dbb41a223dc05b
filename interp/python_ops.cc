// Python value semantics: CPython's rules and messages for the types the reference VM has.
#include "interp/python_ops.h"

#include <atomic>

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>

#include "backends/eager/eager.h"
#include "interp/interpreter.h"
#include "interp/objects.h"
#include "interp/sparse.h"
#include "interp/tensor_repr.h"
#include "ir/python_arith.h"
#include "ir/python_repr.h"

namespace gyro {

std::string_view type_name(const Value& value) {
  switch (value.tag()) {
    case ValueTag::kNone:
      return "NoneType";
    case ValueTag::kBool:
      return "bool";
    case ValueTag::kInt:
      return "int";
    case ValueTag::kFloat:
      return "float";
    case ValueTag::kObject:
      break;
  }
  if (value.is(ObjectKind::Instance)) return value.as<InstanceObject>().cls.as<ClassObject>().name;
  if (value.is(ObjectKind::DictView)) {
    static constexpr std::string_view kNames[] = {"dict_keys", "dict_values", "dict_items"};
    return kNames[static_cast<int>(value.as<DictViewObject>().which)];
  }
  return object_kind_name(value.as_object()->kind());
}

Expected<bool> truthy(const Value& value) {
  switch (value.tag()) {
    case ValueTag::kNone:
      return false;
    case ValueTag::kBool:
    case ValueTag::kInt:
      return value.as_int() != 0;
    case ValueTag::kFloat:
      return value.as_float() != 0.0;
    case ValueTag::kObject:
      break;
  }
  switch (value.as_object()->kind()) {
    case ObjectKind::Str:
      return !value.as<StrObject>().text.empty();
    case ObjectKind::List:
      return !value.as<ListObject>().items.empty();
    case ObjectKind::Tuple:
      return !value.as<TupleObject>().items.empty();
    case ObjectKind::Dict:
      return value.as<DictObject>().table.size() != 0;
    case ObjectKind::DictView:
      return value.as<DictViewObject>().dict.as<DictObject>().table.size() != 0;
    case ObjectKind::Range:
      return value.as<RangeObject>().length() != 0;
    case ObjectKind::TensorBox: {
      const Tensor& tensor = value.as<TensorBoxObject>().tensor;
      GYRO_CHECK_ARG(tensor.numel() == 1, RuntimeError,
                     "Boolean value of Tensor with {} is ambiguous",
                     tensor.numel() == 0 ? "no values" : "more than one value");
      return tensor.item() != 0.0;
    }
    case ObjectKind::SparseTensor: {
      // One element: true when it is stored (only nonzeros are).
      const auto& sparse = value.as<SparseTensorObject>();
      int64_t numel = 1;
      for (int64_t s : sparse.sizes) numel *= s;
      GYRO_CHECK_ARG(numel == 1, RuntimeError, "Boolean value of Tensor with {} is ambiguous",
                     numel == 0 ? "no values" : "more than one value");
      return sparse.nnz() != 0;
    }
    case ObjectKind::DTypeValue:
    case ObjectKind::Ellipsis:
    case ObjectKind::Slice:
    case ObjectKind::Cell:
    case ObjectKind::Function:
    case ObjectKind::Builtin:
    case ObjectKind::HostFunction:
    case ObjectKind::BoundMethod:
    case ObjectKind::Iterator:
    case ObjectKind::Class:
    case ObjectKind::Instance:
    case ObjectKind::Super:
    case ObjectKind::CompiledFunction:
    case ObjectKind::CapturedGraph:
    case ObjectKind::Explanation:
    case ObjectKind::Config:
      return true;
  }
  GYRO_UNREACHABLE("bad object kind");
}

// ---- repr and str ----

namespace {

// Containers being printed on this thread, so a list that contains itself prints [...].
thread_local std::vector<const Object*> printing;

struct PrintGuard {
  explicit PrintGuard(const Object* object) { printing.push_back(object); }
  ~PrintGuard() { printing.pop_back(); }
  static bool active(const Object* object) {
    return std::find(printing.begin(), printing.end(), object) != printing.end();
  }
};

std::string join_reprs(const std::vector<Value>& items) {
  std::string text;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) text += ", ";
    text += repr(items[i]);
  }
  return text;
}

}  // namespace

std::string repr(const Value& value) {
  switch (value.tag()) {
    case ValueTag::kNone:
      return "None";
    case ValueTag::kBool:
      return value.as_bool() ? "True" : "False";
    case ValueTag::kInt:
      return fmt::format("{}", value.as_int());
    case ValueTag::kFloat:
      return python_float_repr(value.as_float());
    case ValueTag::kObject:
      break;
  }
  const Object* object = value.as_object();
  switch (object->kind()) {
    case ObjectKind::Str:
      return python_string_repr(value.as<StrObject>().text);
    case ObjectKind::List: {
      if (PrintGuard::active(object)) return "[...]";
      PrintGuard guard(object);
      return fmt::format("[{}]", join_reprs(value.as<ListObject>().items));
    }
    case ObjectKind::Tuple: {
      if (PrintGuard::active(object)) return "(...)";  // reachable again through a list
      PrintGuard guard(object);
      const auto& items = value.as<TupleObject>().items;
      return fmt::format("({}{})", join_reprs(items), items.size() == 1 ? "," : "");
    }
    case ObjectKind::Dict: {
      if (PrintGuard::active(object)) return "{...}";
      PrintGuard guard(object);
      std::string text = "{";
      bool first = true;
      value.as<DictObject>().table.for_each([&](const Value& key, const Value& item) {
        text += (first ? "" : ", ") + repr(key) + ": " + repr(item);
        first = false;
      });
      return text + "}";
    }
    case ObjectKind::DictView:
      return fmt::format("{}([{}])", type_name(value),
                         join_reprs(value.as<DictViewObject>().items()));
    case ObjectKind::Range: {
      const auto& range = value.as<RangeObject>();
      if (range.step == 1) return fmt::format("range({}, {})", range.start, range.stop);
      return fmt::format("range({}, {}, {})", range.start, range.stop, range.step);
    }
    case ObjectKind::Slice: {
      const auto& slice = value.as<SliceObject>();
      return fmt::format("slice({}, {}, {})", repr(slice.start), repr(slice.stop),
                         repr(slice.step));
    }
    case ObjectKind::Cell:
      return "<cell>";
    case ObjectKind::TensorBox:
      return tensor_repr(value.as<TensorBoxObject>().tensor);
    case ObjectKind::SparseTensor: {
      const auto& sparse = value.as<SparseTensorObject>();
      return sparse_tensor_repr(sparse.indices, sparse.values, sparse.sizes);
    }
    case ObjectKind::DTypeValue:
      // PyTorch's spelling, as tensor reprs already show dtypes ("dtype=torch.float64").
      return fmt::format("torch.{}", dtype_name(value.as<DTypeValueObject>().dtype));
    case ObjectKind::Ellipsis:
      return "Ellipsis";
    case ObjectKind::Function:
      return fmt::format("<function {} at {}>", value.as<FunctionObject>().code->name,
                         static_cast<const void*>(object));
    case ObjectKind::Builtin: {
      const auto& builtin = value.as<BuiltinObject>();
      if (builtin.self.is_none()) return fmt::format("<built-in function {}>", builtin.name);
      return fmt::format("<built-in method {} of {} object at {}>", builtin.name,
                         type_name(builtin.self),
                         static_cast<const void*>(builtin.self.as_object()));
    }
    case ObjectKind::HostFunction:
      return fmt::format("<built-in function {}>", value.as<HostFunctionObject>().name);
    case ObjectKind::BoundMethod: {
      const auto& method = value.as<BoundMethodObject>();
      std::string name = method.function.is(ObjectKind::Function)
                             ? method.function.as<FunctionObject>().code->name
                             : "?";
      return fmt::format("<bound method {}.{} of {}>", type_name(method.self), name,
                         repr(method.self));
    }
    case ObjectKind::Iterator:
      return fmt::format("<iterator object at {}>", static_cast<const void*>(object));
    case ObjectKind::CompiledFunction: {
      const Value& function = value.as<CompiledFunctionObject>().function;
      return fmt::format("<compiled function {} at {}>", function.as<FunctionObject>().code->name,
                         static_cast<const void*>(object));
    }
    case ObjectKind::CapturedGraph:
      return fmt::format("<captured graph at {}>", static_cast<const void*>(object));
    case ObjectKind::Explanation:
      return value.as<ExplanationObject>().describe();
    case ObjectKind::Config:
      return describe_config(*value.as<ConfigObject>().config);
    case ObjectKind::Class: {
      const auto& cls = value.as<ClassObject>();
      return cls.builtin_tag >= 0 || cls.is_exception
                 ? fmt::format("<class '{}'>", cls.name)
                 : fmt::format("<class '__main__.{}'>", cls.name);
    }
    case ObjectKind::Instance: {
      const auto& instance = value.as<InstanceObject>();
      if (instance.cls.as<ClassObject>().is_exception) {
        auto args = exception_args(value);
        const auto& items = args.as<TupleObject>().items;
        std::string inner = items.size() == 1 ? repr(items[0]) : join_reprs(items);
        return fmt::format("{}({})", type_name(value), inner);
      }
      // A builtin class's instance (object()) has no module prefix, as in CPython.
      return fmt::format("<{}{} object at {}>",
                         instance.cls.as<ClassObject>().builtin_tag >= 0 ? "" : "__main__.",
                         type_name(value), static_cast<const void*>(object));
    }
    case ObjectKind::Super: {
      const auto& super = value.as<SuperObject>();
      std::string_view of = super.object.is(ObjectKind::Class)
                                ? std::string_view(super.object.as<ClassObject>().name)
                                : type_name(super.object);
      return fmt::format("<super: {}, <{} object>>", repr(super.cls), of);
    }
  }
  GYRO_UNREACHABLE("bad object kind");
}

std::string str(const Value& value) {
  if (value.is(ObjectKind::Str)) return value.as<StrObject>().text;
  if (value.is(ObjectKind::Instance) &&
      value.as<InstanceObject>().cls.as<ClassObject>().is_exception) {
    // str(ValueError("x")) is "x"; with no args "", with several the tuple's repr.
    Value args = exception_args(value);
    const auto& items = args.as<TupleObject>().items;
    if (items.empty()) return "";
    if (items.size() == 1) {
      // KeyError shows its key's repr: str(KeyError('k')) is "'k'".
      for (Value cls = value.as<InstanceObject>().cls; cls.is(ObjectKind::Class);
           cls = cls.as<ClassObject>().base)
        if (cls.as<ClassObject>().name == "KeyError" && cls.as<ClassObject>().is_exception)
          return repr(items[0]);
      return str(items[0]);
    }
    return repr(args);
  }
  return repr(value);
}

Value exception_args(const Value& exception) {
  auto found =
      exception.as<InstanceObject>().attributes.as<DictObject>().table.get(make_str("args"));
  if (found.ok() && found->has_value() && (*found)->is(ObjectKind::Tuple)) return **found;
  return make_tuple();
}

// ---- equality and hashing ----

namespace {

// Orders an int against a float exactly (CPython compares the mathematical values).
// Returns -1, 0, 1, or 2 when unordered (NaN).
int compare_int_float(int64_t i, double f) {
  if (std::isnan(f)) return 2;
  if (f >= 9223372036854775808.0) return -1;
  if (f < -9223372036854775808.0) return 1;
  double floored = std::floor(f);
  int64_t whole = static_cast<int64_t>(floored);
  if (i < whole) return -1;
  if (i > whole) return 1;
  return f == floored ? 0 : -1;
}

// -1, 0, 1, or 2 when unordered. Both values are numbers.
int compare_numbers(const Value& a, const Value& b) {
  if (a.is_integral() && b.is_integral())
    return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int() ? 1 : 0;
  if (a.is_float() && b.is_float()) {
    double x = a.as_float(), y = b.as_float();
    if (std::isnan(x) || std::isnan(y)) return 2;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_integral()) return compare_int_float(a.as_int(), b.as_float());
  int reversed = compare_int_float(b.as_int(), a.as_float());
  return reversed == 2 ? 2 : -reversed;
}

bool sequences_equal(const std::vector<Value>& a, const std::vector<Value>& b);

// Python == without tensors (they compare elementwise, handled by compare_op).
bool values_equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return compare_numbers(a, b) == 0;
  if (a.is_none() || b.is_none()) return a.is_none() && b.is_none();
  if (!a.is_object() || !b.is_object()) return false;
  if (a.as_object() == b.as_object()) {
    // An object equals itself, except that containers compare their items (a list holding NaN
    // still equals itself in CPython, which compares items by identity first).
    return true;
  }
  ObjectKind kind = a.as_object()->kind();
  if (kind != b.as_object()->kind()) return false;
  switch (kind) {
    case ObjectKind::Str:
      return a.as<StrObject>().text == b.as<StrObject>().text;
    case ObjectKind::List:
      return sequences_equal(a.as<ListObject>().items, b.as<ListObject>().items);
    case ObjectKind::Tuple:
      return sequences_equal(a.as<TupleObject>().items, b.as<TupleObject>().items);
    case ObjectKind::Dict: {
      const Dict& x = a.as<DictObject>().table;
      const Dict& y = b.as<DictObject>().table;
      if (x.size() != y.size()) return false;
      bool equal = true;
      x.for_each([&](const Value& key, const Value& item) {
        if (!equal) return;
        auto other = y.get(key);
        equal = other.ok() && other->has_value() &&
                (identical(**other, item) || values_equal(**other, item));
      });
      return equal;
    }
    case ObjectKind::Range: {
      const auto& x = a.as<RangeObject>();
      const auto& y = b.as<RangeObject>();
      int64_t n = x.length();
      if (n != y.length()) return false;
      if (n == 0) return true;
      return x.start == y.start && (n == 1 || x.step == y.step);
    }
    case ObjectKind::Slice:
    case ObjectKind::Cell:
    case ObjectKind::DictView:
    case ObjectKind::TensorBox:
    case ObjectKind::SparseTensor:
    case ObjectKind::DTypeValue:  // one object per dtype
    case ObjectKind::Ellipsis:
    case ObjectKind::Function:
    case ObjectKind::Builtin:
    case ObjectKind::HostFunction:
    case ObjectKind::BoundMethod:
    case ObjectKind::Iterator:
    case ObjectKind::Class:
    case ObjectKind::Instance:
    case ObjectKind::Super:
    case ObjectKind::CompiledFunction:
    case ObjectKind::CapturedGraph:
    case ObjectKind::Explanation:
    case ObjectKind::Config:
      return false;  // identity, checked above
  }
  return false;
}

bool sequences_equal(const std::vector<Value>& a, const std::vector<Value>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!identical(a[i], b[i]) && !values_equal(a[i], b[i])) return false;
  return true;
}

uint64_t mix(uint64_t hash) {  // splitmix64 finalizer: spreads nearby ints across the table
  hash ^= hash >> 30;
  hash *= 0xbf58476d1ce4e5b9ull;
  hash ^= hash >> 27;
  hash *= 0x94d049bb133111ebull;
  return hash ^ (hash >> 31);
}

}  // namespace

bool keys_equal(const Value& a, const Value& b) {
  return identical(a, b) || values_equal(a, b);
}

Expected<uint64_t> hash_value(const Value& value) {
  switch (value.tag()) {
    case ValueTag::kNone:
      return uint64_t{0x9e3779b97f4a7c15ull};
    case ValueTag::kBool:
    case ValueTag::kInt:
      return mix(static_cast<uint64_t>(value.as_int()));
    case ValueTag::kFloat: {
      double f = value.as_float();
      // Equal numbers hash alike: an integral float hashes as the int it equals.
      if (f == std::floor(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0)
        return mix(static_cast<uint64_t>(static_cast<int64_t>(f)));
      if (f == 0) f = 0;  // -0.0 == 0.0
      return mix(std::bit_cast<uint64_t>(f));
    }
    case ValueTag::kObject:
      break;
  }
  switch (value.as_object()->kind()) {
    case ObjectKind::Str: {
      // Strings are immutable, so the hash is computed once (dict keys and global names are
      // hashed on every lookup).
      const auto& text = value.as<StrObject>();
      if (text.hash == 0) text.hash = mix(std::hash<std::string>{}(text.text)) | 1;
      return text.hash;
    }
    case ObjectKind::Tuple: {
      uint64_t hash = 0x345678ull;
      for (const Value& item : value.as<TupleObject>().items) {
        GYRO_ASSIGN_OR_RETURN(uint64_t item_hash, hash_value(item));
        hash = mix(hash ^ item_hash) + 0x9e3779b97f4a7c15ull;
      }
      return hash;
    }
    case ObjectKind::Range: {
      const auto& range = value.as<RangeObject>();
      // Equal ranges (same elements) hash alike: only length, first element and step count.
      int64_t length = range.length();
      uint64_t hash = mix(static_cast<uint64_t>(length));
      if (length > 0) hash = mix(hash ^ static_cast<uint64_t>(range.start));
      if (length > 1) hash = mix(hash ^ static_cast<uint64_t>(range.step));
      return hash;
    }
    case ObjectKind::TensorBox:  // by identity, like torch.Tensor.__hash__ and object.__hash__
    case ObjectKind::SparseTensor:
    case ObjectKind::DTypeValue:  // one object per dtype, so identity is equality
    case ObjectKind::Ellipsis:
    case ObjectKind::Function:
    case ObjectKind::Builtin:
    case ObjectKind::HostFunction:
    case ObjectKind::BoundMethod:
    case ObjectKind::Iterator:
    case ObjectKind::Class:
    case ObjectKind::Instance:
    case ObjectKind::Super:
    case ObjectKind::CompiledFunction:
    case ObjectKind::CapturedGraph:
    case ObjectKind::Explanation:
    case ObjectKind::Config:
      return mix(reinterpret_cast<uint64_t>(value.as_object()));
    case ObjectKind::List:
    case ObjectKind::Dict:
    case ObjectKind::DictView:
    case ObjectKind::Slice:
    case ObjectKind::Cell:
      break;
  }
  return make_error(ErrorKind::TypeError, "unhashable type: '{}'", type_name(value));
}

// ---- operators ----

// PyTorch's ScalarType names, as its error messages spell them.
std::string_view torch_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Bool:
      return "Bool";
    case DType::Int64:
      return "Long";
    case DType::Float32:
      return "Float";
    case DType::Float64:
      return "Double";
  }
  return "?";
}

Binop base_op(Binop op) {
  int index = static_cast<int>(op);
  return index >= static_cast<int>(Binop::INPLACE_ADD)
             ? static_cast<Binop>(index - static_cast<int>(Binop::INPLACE_ADD))
             : op;
}

namespace {

Error unsupported(Binop op, const Value& a, const Value& b) {
  return make_error(ErrorKind::TypeError, "unsupported operand type(s) for {}: '{}' and '{}'",
                    binop_symbol(op), type_name(a), type_name(b));
}

Error int_overflow() {
  return make_error(ErrorKind::OverflowError,
                    "integer overflow: gyro ints are 64-bit (CPython would use a big integer)");
}

Expected<Value> float_result(double value) {
  return Value::real(value);
}

Expected<Value> float_op(Binop op, double x, double y) {
  switch (op) {
    case Binop::ADD:
      return float_result(x + y);
    case Binop::SUBTRACT:
      return float_result(x - y);
    case Binop::MULTIPLY:
      return float_result(x * y);
    case Binop::TRUE_DIVIDE:
      GYRO_CHECK_ARG(y != 0, ZeroDivisionError, "float division by zero");
      return float_result(x / y);
    case Binop::FLOOR_DIVIDE:
      GYRO_CHECK_ARG(y != 0, ZeroDivisionError, "float floor division by zero");
      return float_result(python_floor_divide(x, y));
    case Binop::REMAINDER:
      GYRO_CHECK_ARG(y != 0, ZeroDivisionError, "float modulo");
      return float_result(python_mod(x, y));
    case Binop::POWER: {
      GYRO_CHECK_ARG(!(x == 0 && y < 0), ZeroDivisionError,
                     "0.0 cannot be raised to a negative power");
      GYRO_CHECK_ARG(!(x < 0 && std::isfinite(y) && y != std::floor(y)), ValueError,
                     "negative number cannot be raised to a fractional power (gyro has no "
                     "complex numbers)");
      double result = std::pow(x, y);
      GYRO_CHECK_ARG(!(std::isinf(result) && std::isfinite(x) && std::isfinite(y)), OverflowError,
                     "(34, 'Numerical result out of range')");
      return float_result(result);
    }
    default:
      GYRO_UNREACHABLE("float_op({}) is not a float operator", binop_symbol(op));
  }
}

Expected<Value> int_op(Binop op, int64_t x, int64_t y, bool both_bool) {
  int64_t result = 0;
  switch (op) {
    case Binop::ADD:
      if (__builtin_add_overflow(x, y, &result)) return int_overflow();
      return Value::integer(result);
    case Binop::SUBTRACT:
      if (__builtin_sub_overflow(x, y, &result)) return int_overflow();
      return Value::integer(result);
    case Binop::MULTIPLY:
      if (__builtin_mul_overflow(x, y, &result)) return int_overflow();
      return Value::integer(result);
    case Binop::TRUE_DIVIDE:
      GYRO_CHECK_ARG(y != 0, ZeroDivisionError, "division by zero");
      // Exact operands (|v| <= 2^53) make one correctly rounded division; larger ones go
      // through long double's 64-bit mantissa first, which is exact for the operands.
      if (std::abs(static_cast<double>(x)) <= 9007199254740992.0 &&
          std::abs(static_cast<double>(y)) <= 9007199254740992.0)
        return Value::real(static_cast<double>(x) / static_cast<double>(y));
      return Value::real(
          static_cast<double>(static_cast<long double>(x) / static_cast<long double>(y)));
    case Binop::FLOOR_DIVIDE:
      GYRO_CHECK_ARG(y != 0, ZeroDivisionError, "integer division or modulo by zero");
      if (x == std::numeric_limits<int64_t>::min() && y == -1) return int_overflow();
      return Value::integer(python_floor_divide(x, y));
    case Binop::REMAINDER:
      GYRO_CHECK_ARG(y != 0, ZeroDivisionError, "integer modulo by zero");
      return Value::integer(python_mod(x, y));
    case Binop::POWER: {
      if (y < 0) return float_op(Binop::POWER, static_cast<double>(x), static_cast<double>(y));
      int64_t base = x, exponent = y;
      result = 1;
      while (exponent > 0) {
        if ((exponent & 1) && __builtin_mul_overflow(result, base, &result)) return int_overflow();
        exponent >>= 1;
        if (exponent > 0 && __builtin_mul_overflow(base, base, &base)) return int_overflow();
      }
      return Value::integer(result);
    }
    case Binop::AND:
      return both_bool ? Value::boolean(x & y) : Value::integer(x & y);
    case Binop::OR:
      return both_bool ? Value::boolean(x | y) : Value::integer(x | y);
    case Binop::XOR:
      return both_bool ? Value::boolean(x ^ y) : Value::integer(x ^ y);
    case Binop::LSHIFT:
      GYRO_CHECK_ARG(y >= 0, ValueError, "negative shift count");
      if (x == 0) return Value::integer(0);
      if (y >= 64 || (x > 0 ? x > (std::numeric_limits<int64_t>::max() >> y)
                            : x < (std::numeric_limits<int64_t>::min() >> y)))
        return int_overflow();
      return Value::integer(static_cast<int64_t>(static_cast<uint64_t>(x) << y));
    case Binop::RSHIFT:
      GYRO_CHECK_ARG(y >= 0, ValueError, "negative shift count");
      return Value::integer(y >= 63 ? (x < 0 ? -1 : 0) : (x >> y));  // arithmetic shift floors
    default:
      GYRO_UNREACHABLE("int_op({}) is not an int operator", binop_symbol(op));
  }
}

// The most items a repeated list or tuple may have (8 bytes each: a str gets 8 times as many
// bytes); hosts that run untrusted programs lower it.
std::atomic<int64_t> repeat_limit{int64_t{1} << 36};

}  // namespace

void set_repeat_limit(int64_t items) { repeat_limit.store(items, std::memory_order_relaxed); }

namespace {

bool is_bitwise(Binop op) {
  return op == Binop::AND || op == Binop::OR || op == Binop::XOR || op == Binop::LSHIFT ||
         op == Binop::RSHIFT;
}

// str/list/tuple repeated `count` times (a negative count gives an empty result).
Expected<Value> repeat(const Value& sequence, int64_t count) {
  count = std::max<int64_t>(count, 0);
  const int64_t limit = repeat_limit.load(std::memory_order_relaxed);
  if (sequence.is(ObjectKind::Str)) {
    const std::string& text = sequence.as<StrObject>().text;
    int64_t total = 0;
    GYRO_CHECK_ARG(!__builtin_mul_overflow(static_cast<int64_t>(text.size()), count, &total) &&
                       total < std::min(limit * 8, int64_t{1} << 40),
                   MemoryError, "repeated string would be too large");
    std::string out;
    out.reserve(total);
    // An empty text repeats to nothing however large the count (a loop over it would spin).
    for (int64_t i = 0; !text.empty() && i < count; ++i) out += text;
    return make_str(std::move(out));
  }
  const auto& items = sequence_items(sequence);
  int64_t total = 0;
  GYRO_CHECK_ARG(!__builtin_mul_overflow(static_cast<int64_t>(items.size()), count, &total) &&
                     total < limit,
                 MemoryError, "repeated {} would be too large", type_name(sequence));
  std::vector<Value> out;
  out.reserve(total);
  for (int64_t i = 0; !items.empty() && i < count; ++i)
    out.insert(out.end(), items.begin(), items.end());
  return sequence.is(ObjectKind::List) ? make_list(std::move(out)) : make_tuple(std::move(out));
}

bool is_sequence(const Value& v) {
  return v.is(ObjectKind::Str) || v.is(ObjectKind::List) || v.is(ObjectKind::Tuple);
}

// A Python number or tensor as an op input; numbers become wrapped 0-d tensors.
std::optional<Tensor> as_tensor_operand(const Value& value) {
  if (value.is(ObjectKind::TensorBox)) return value.as<TensorBoxObject>().tensor;
  if (value.is_bool()) return Tensor::scalar(value.as_bool(), DType::Bool, /*wrapped=*/true);
  if (value.is_int()) return Tensor::integer(value.as_int(), /*wrapped=*/true);
  if (value.is_float()) return Tensor::scalar(value.as_float(), DType::Float64, /*wrapped=*/true);
  return std::nullopt;
}

Expected<Value> run_tensor_op(OpKind kind, const Tensor& a, const Tensor& b) {
  const Tensor inputs[] = {a, b};
  GYRO_ASSIGN_OR_RETURN(Tensor result, eager::run1(kind, inputs));
  return make_tensor(std::move(result));
}


// The items of the iterables python_ops can walk without the VM (lists, tuples, strings,
// ranges, dicts and their views); nullopt for anything else.
std::optional<std::vector<Value>> iterable_items(const Value& value) {
  if (value.is(ObjectKind::List) || value.is(ObjectKind::Tuple)) return sequence_items(value);
  if (value.is(ObjectKind::Str)) {
    std::vector<Value> chars;
    const std::string& text = value.as<StrObject>().text;
    for (std::size_t i = 0; i < text.size();) {
      std::size_t end = i + 1;
      while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
      chars.push_back(make_str(text.substr(i, end - i)));
      i = end;
    }
    return chars;
  }
  if (value.is(ObjectKind::Range)) {
    const auto& range = value.as<RangeObject>();
    std::vector<Value> items;
    int64_t length = range.length();
    for (int64_t i = 0; i < length; ++i)
      items.push_back(Value::integer(range.start + i * range.step));
    return items;
  }
  if (value.is(ObjectKind::Dict)) {
    std::vector<Value> keys;
    value.as<DictObject>().table.for_each(
        [&](const Value& key, const Value&) { keys.push_back(key); });
    return keys;
  }
  if (value.is(ObjectKind::DictView)) return value.as<DictViewObject>().items();
  return std::nullopt;
}

// x += y on a tensor updates x's storage (and every view of it), as PyTorch's add_ does.
Expected<Value> write_in_place(const Value& target, const Value& result) {
  const Tensor& out = target.as<TensorBoxObject>().tensor;
  const Tensor& value = result.as<TensorBoxObject>().tensor;
  GYRO_CHECK_ARG(value.sizes() == out.sizes(), RuntimeError,
                 "output with shape {} doesn't match the broadcast shape {}",
                 to_string(out.sizes()), to_string(value.sizes()));
  // PyTorch's canCast: no floating -> integral and no non-bool -> bool.
  bool castable = !(is_floating(value.dtype()) && !is_floating(out.dtype())) &&
                  !(value.dtype() != DType::Bool && out.dtype() == DType::Bool);
  GYRO_CHECK_ARG(castable, RuntimeError,
                 "result type {} can't be cast to the desired output type {}",
                 torch_dtype_name(value.dtype()), torch_dtype_name(out.dtype()));
  GYRO_TRY(eager::copy_into(out, value));
  return target;
}

}  // namespace

std::optional<OpKind> tensor_binop(Binop op) {
  switch (op) {
    case Binop::ADD:
      return OpKind::add;
    case Binop::SUBTRACT:
      return OpKind::sub;
    case Binop::MULTIPLY:
      return OpKind::mul;
    case Binop::TRUE_DIVIDE:
      return OpKind::div;
    case Binop::FLOOR_DIVIDE:
      return OpKind::floordiv;
    case Binop::REMAINDER:
      return OpKind::remainder;
    case Binop::POWER:
      return OpKind::pow;
    case Binop::MATRIX_MULTIPLY:
      return OpKind::matmul;
    case Binop::AND:
      return OpKind::logical_and;  // PyTorch's & on bool tensors
    case Binop::OR:
      return OpKind::logical_or;
    default:
      return std::nullopt;
  }
}

Expected<Value> binary_op(Binop op, const Value& a, const Value& b) {
  const Binop base = base_op(op);
  const bool in_place = base != op;
  if (a.is(ObjectKind::SparseTensor) || b.is(ObjectKind::SparseTensor)) {
    // PyTorch's dense + sparse and dense - sparse give a dense tensor: the same as adding the
    // dense form. Other arithmetic on sparse tensors is not supported in gyro.
    if (a.is(ObjectKind::TensorBox) && (base == Binop::ADD || base == Binop::SUBTRACT)) {
      GYRO_ASSIGN_OR_RETURN(Tensor dense, sparse_to_dense(b.as<SparseTensorObject>()));
      return binary_op(op, a, make_tensor(std::move(dense)));
    }
    GYRO_CHECK_ARG(!(base == Binop::ADD && a.is(ObjectKind::SparseTensor) &&
                     (b.is(ObjectKind::TensorBox) || b.is_number())),
                   RuntimeError,
                   "add(sparse, dense) is not supported. Use add(dense, sparse) instead.");
    return sparse_unsupported(fmt::format("'{}'", binop_symbol(op)));
  }
  // Tensors first: a tensor with a number or a tensor runs the eager op.
  if (a.is(ObjectKind::TensorBox) || b.is(ObjectKind::TensorBox)) {
    auto left = as_tensor_operand(a), right = as_tensor_operand(b);
    auto kind = tensor_binop(base);
    if (!left || !right || !kind) return unsupported(op, a, b);
    if (*kind == OpKind::matmul && !(a.is(ObjectKind::TensorBox) && b.is(ObjectKind::TensorBox)))
      return unsupported(op, a, b);
    if (*kind == OpKind::logical_and || *kind == OpKind::logical_or) {
      GYRO_CHECK_ARG(left->dtype() == DType::Bool && right->dtype() == DType::Bool, TypeError,
                     "'{}' is only supported for bool tensors in gyro (no bitwise ops yet)",
                     binop_symbol(op));
    }
    GYRO_ASSIGN_OR_RETURN(Value result, run_tensor_op(*kind, *left, *right));
    if (in_place && a.is(ObjectKind::TensorBox)) return write_in_place(a, result);
    return result;
  }
  if (a.is_number() && b.is_number() && base != Binop::MATRIX_MULTIPLY) {
    if (a.is_integral() && b.is_integral())
      return int_op(base, a.as_int(), b.as_int(), a.is_bool() && b.is_bool());
    if (is_bitwise(base)) return unsupported(op, a, b);
    return float_op(base, a.to_double(), b.to_double());
  }
  // list += iterable extends in place; list *= n repeats in place (both return the same list).
  if (a.is(ObjectKind::List) && in_place && base == Binop::ADD) {
    std::optional<std::vector<Value>> extra = iterable_items(b);
    if (!extra)
      return make_error(ErrorKind::TypeError, "'{}' object is not iterable", type_name(b));
    auto& items = a.as<ListObject>().items;
    items.insert(items.end(), extra->begin(), extra->end());
    return a;
  }
  if (a.is(ObjectKind::List) && in_place && base == Binop::MULTIPLY && b.is_integral()) {
    GYRO_ASSIGN_OR_RETURN(Value repeated, repeat(a, b.as_int()));
    a.as<ListObject>().items = repeated.as<ListObject>().items;
    return a;
  }
  // Sequences: concatenation and repetition.
  if (base == Binop::ADD && is_sequence(a) && b.is_object() &&
      a.as_object()->kind() == b.as_object()->kind()) {
    if (a.is(ObjectKind::Str)) return make_str(a.as<StrObject>().text + b.as<StrObject>().text);
    std::vector<Value> items = sequence_items(a);
    const auto& more = sequence_items(b);
    items.insert(items.end(), more.begin(), more.end());
    return a.is(ObjectKind::List) ? make_list(std::move(items)) : make_tuple(std::move(items));
  }
  if (base == Binop::MULTIPLY) {
    if (is_sequence(a) && b.is_integral()) return repeat(a, b.as_int());
    if (a.is_integral() && is_sequence(b)) return repeat(b, a.as_int());
    if (is_sequence(a) || is_sequence(b))
      return make_error(ErrorKind::TypeError, "can't multiply sequence by non-int of type '{}'",
                        type_name(is_sequence(a) ? b : a));
  }
  if (base == Binop::ADD && is_sequence(a))
    return make_error(ErrorKind::TypeError, "can only concatenate {} (not \"{}\") to {}",
                      type_name(a), type_name(b), type_name(a));
  if (base == Binop::REMAINDER && a.is(ObjectKind::Str))
    return make_error(ErrorKind::NotImplementedError,
                      "printf-style string formatting ('%') is not supported by gyro");
  return unsupported(op, a, b);
}

namespace {

Expected<int> order(CompareOp op, const Value& a, const Value& b);

// Lexicographic order of two sequences: -1, 0, 1 (2 when an item pair is unordered).
Expected<int> order_sequences(CompareOp op, const std::vector<Value>& x,
                              const std::vector<Value>& y) {
  for (std::size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
    if (identical(x[i], y[i]) || values_equal(x[i], y[i])) continue;
    return order(op, x[i], y[i]);
  }
  return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
}

Expected<int> order(CompareOp op, const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return compare_numbers(a, b);
  if (a.is(ObjectKind::Str) && b.is(ObjectKind::Str)) {
    int c = a.as<StrObject>().text.compare(b.as<StrObject>().text);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if ((a.is(ObjectKind::List) && b.is(ObjectKind::List)) ||
      (a.is(ObjectKind::Tuple) && b.is(ObjectKind::Tuple)))
    return order_sequences(op, sequence_items(a), sequence_items(b));
  return make_error(ErrorKind::TypeError, "'{}' not supported between instances of '{}' and '{}'",
                    compare_symbol(op), type_name(a), type_name(b));
}

}  // namespace

Expected<Value> compare_op(CompareOp op, const Value& a, const Value& b) {
  if (a.is(ObjectKind::SparseTensor) || b.is(ObjectKind::SparseTensor))
    return sparse_unsupported(fmt::format("'{}'", compare_symbol(op)));
  if (a.is(ObjectKind::TensorBox) || b.is(ObjectKind::TensorBox)) {
    auto left = as_tensor_operand(a), right = as_tensor_operand(b);
    if (!left || !right) {
      if (op == CompareOp::EQ) return Value::boolean(false);
      if (op == CompareOp::NE) return Value::boolean(true);
      return make_error(ErrorKind::TypeError,
                        "'{}' not supported between instances of '{}' and '{}'", compare_symbol(op),
                        type_name(a), type_name(b));
    }
    static constexpr OpKind kOps[] = {OpKind::lt, OpKind::le, OpKind::eq,
                                      OpKind::ne, OpKind::gt, OpKind::ge};
    return run_tensor_op(kOps[static_cast<int>(op)], *left, *right);
  }
  // == on values: NaN != NaN (the identity shortcut only applies inside containers).
  if (op == CompareOp::EQ) return Value::boolean(values_equal(a, b));
  if (op == CompareOp::NE) return Value::boolean(!values_equal(a, b));
  GYRO_ASSIGN_OR_RETURN(int c, order(op, a, b));
  if (c == 2) return Value::boolean(false);  // NaN is unordered
  switch (op) {
    case CompareOp::LT:
      return Value::boolean(c < 0);
    case CompareOp::LE:
      return Value::boolean(c <= 0);
    case CompareOp::GT:
      return Value::boolean(c > 0);
    case CompareOp::GE:
      return Value::boolean(c >= 0);
    case CompareOp::EQ:
    case CompareOp::NE:
      break;
  }
  GYRO_UNREACHABLE("bad compare op");
}

Expected<Value> unary_negative(const Value& value) {
  if (value.is(ObjectKind::SparseTensor)) return sparse_unsupported("unary '-'");
  if (value.is_integral()) {
    GYRO_CHECK_ARG(value.as_int() != std::numeric_limits<int64_t>::min(), OverflowError,
                   "integer overflow: gyro ints are 64-bit (CPython would use a big integer)");
    return Value::integer(-value.as_int());
  }
  if (value.is_float()) return Value::real(-value.as_float());
  if (value.is(ObjectKind::TensorBox)) {
    const Tensor inputs[] = {value.as<TensorBoxObject>().tensor};
    GYRO_ASSIGN_OR_RETURN(Tensor result, eager::run1(OpKind::neg, inputs));
    return make_tensor(std::move(result));
  }
  return make_error(ErrorKind::TypeError, "bad operand type for unary -: '{}'", type_name(value));
}

Expected<Value> unary_positive(const Value& value) {
  if (value.is(ObjectKind::SparseTensor)) return sparse_unsupported("unary '+'");
  if (value.is_integral()) return Value::integer(value.as_int());
  if (value.is_float() || value.is(ObjectKind::TensorBox)) return value;
  return make_error(ErrorKind::TypeError, "bad operand type for unary +: '{}'", type_name(value));
}

Expected<Value> unary_invert(const Value& value) {
  if (value.is(ObjectKind::SparseTensor)) return sparse_unsupported("unary '~'");
  if (value.is_integral()) return Value::integer(~value.as_int());
  if (value.is(ObjectKind::TensorBox)) {
    const Tensor& tensor = value.as<TensorBoxObject>().tensor;
    GYRO_CHECK_ARG(tensor.dtype() == DType::Bool, TypeError,
                   "'~' is only supported for bool tensors in gyro (no bitwise ops yet)");
    const Tensor inputs[] = {tensor};
    GYRO_ASSIGN_OR_RETURN(Tensor result, eager::run1(OpKind::logical_not, inputs));
    return make_tensor(std::move(result));
  }
  return make_error(ErrorKind::TypeError, "bad operand type for unary ~: '{}'", type_name(value));
}

Expected<bool> contains(const Value& container, const Value& item) {
  if (container.is(ObjectKind::Str)) {
    GYRO_CHECK_ARG(item.is(ObjectKind::Str), TypeError,
                   "'in <string>' requires string as left operand, not {}", type_name(item));
    return container.as<StrObject>().text.find(item.as<StrObject>().text) != std::string::npos;
  }
  if (container.is(ObjectKind::List) || container.is(ObjectKind::Tuple)) {
    for (const Value& element : sequence_items(container))
      if (keys_equal(element, item)) return true;
    return false;
  }
  if (container.is(ObjectKind::Dict)) {
    GYRO_ASSIGN_OR_RETURN(auto found, container.as<DictObject>().table.get(item));
    return found.has_value();
  }
  if (container.is(ObjectKind::DictView)) {
    const auto& view = container.as<DictViewObject>();
    if (view.which == DictViewObject::Which::kKeys) return contains(view.dict, item);
    for (const Value& element : view.items())
      if (keys_equal(element, item)) return true;
    return false;
  }
  if (container.is(ObjectKind::Range)) {
    if (!item.is_number()) return false;
    const auto& range = container.as<RangeObject>();
    if (item.is_float()) {
      double f = item.as_float();  // only integral floats inside int64 can be members
      if (std::isnan(f) || f != std::floor(f) || f < -9223372036854775808.0 ||
          f >= 9223372036854775808.0)
        return false;
    }
    int64_t value = item.is_float() ? static_cast<int64_t>(item.as_float()) : item.as_int();
    if (range.step > 0 ? (value < range.start || value >= range.stop)
                       : (value > range.start || value <= range.stop))
      return false;
    return (static_cast<__int128>(value) - range.start) % range.step == 0;  // no overflow
  }
  return make_error(ErrorKind::TypeError, "argument of type '{}' is not iterable",
                    type_name(container));
}

}  // namespace gyro
