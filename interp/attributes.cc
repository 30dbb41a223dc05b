// Attribute access: instances, classes and super objects (single inheritance, bound methods),
// the methods of list/dict/str, tensor attributes and methods; class creation (BUILD_CLASS).
#include <algorithm>
#include <array>
#include <utility>

#include "backends/eager/eager.h"
#include "interp/capture.h"
#include "interp/compile_api.h"
#include "interp/interpreter.h"
#include "interp/python_ops.h"
#include "interp/sparse.h"
#include "interp/tensor_calls.h"

namespace gyro {

std::optional<Value> list_sort(Interpreter& vm, std::span<const Value> args,
                               std::span<const KeywordArg> kwargs);  // builtins.cc

namespace {

using Args = std::span<const Value>;
using Kwargs = std::span<const KeywordArg>;

std::optional<Value> no_kwargs(Interpreter& vm, std::string_view name, Kwargs kwargs) {
  if (!kwargs.empty())
    return vm.raise(ErrorKind::TypeError, "{}() takes no keyword arguments", name);
  return Value();
}

bool arity(Interpreter& vm, std::string_view name, Args args, std::size_t low, std::size_t high) {
  // args[0] is self; counts exclude it.
  std::size_t given = args.size() - 1;
  if (given >= low && given <= high) return true;
  if (low == high)
    vm.raise(ErrorKind::TypeError, "{}() takes exactly {} argument{} ({} given)", name, low,
             low == 1 ? "" : "s", given);
  else
    vm.raise(ErrorKind::TypeError, "{}() takes at most {} argument{} ({} given)", name, high,
             high == 1 ? "" : "s", given);
  return false;
}

// ---- list methods ----
std::optional<Value> list_append(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "append", kwargs) || !arity(vm, "list.append", args, 1, 1))
    return std::nullopt;
  args[0].as<ListObject>().items.push_back(args[1]);
  return Value();
}
std::optional<Value> list_extend(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "extend", kwargs) || !arity(vm, "list.extend", args, 1, 1))
    return std::nullopt;
  auto items = vm.collect(args[1]);
  if (!items) return std::nullopt;
  auto& target = args[0].as<ListObject>().items;
  target.insert(target.end(), items->begin(), items->end());
  return Value();
}
std::optional<Value> list_pop(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "pop", kwargs) || !arity(vm, "pop", args, 0, 1)) return std::nullopt;
  auto& items = args[0].as<ListObject>().items;
  if (items.empty()) return vm.raise(ErrorKind::IndexError, "pop from empty list");
  int64_t index = args.size() > 1 ? args[1].as_int() : -1;
  if (args.size() > 1 && !args[1].is_integral())
    return vm.raise(ErrorKind::TypeError, "'{}' object cannot be interpreted as an integer",
                    type_name(args[1]));
  if (index < 0) index += static_cast<int64_t>(items.size());
  if (index < 0 || index >= static_cast<int64_t>(items.size()))
    return vm.raise(ErrorKind::IndexError, "pop index out of range");
  Value value = items[index];
  items.erase(items.begin() + index);
  return value;
}
std::optional<Value> list_insert(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "insert", kwargs) || !arity(vm, "insert", args, 2, 2)) return std::nullopt;
  if (!args[1].is_integral())
    return vm.raise(ErrorKind::TypeError, "'{}' object cannot be interpreted as an integer",
                    type_name(args[1]));
  auto& items = args[0].as<ListObject>().items;
  int64_t size = static_cast<int64_t>(items.size());
  int64_t index = args[1].as_int();
  if (index < 0) index = std::max<int64_t>(index + size, 0);
  index = std::min(index, size);
  items.insert(items.begin() + index, args[2]);
  return Value();
}
std::optional<Value> sequence_index(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "index", kwargs) || !arity(vm, "index", args, 1, 1)) return std::nullopt;
  const auto& items = sequence_items(args[0]);
  for (std::size_t i = 0; i < items.size(); ++i)
    if (keys_equal(items[i], args[1])) return Value::integer(static_cast<int64_t>(i));
  return vm.raise(ErrorKind::ValueError, "{} is not in {}", repr(args[1]),
                  args[0].is(ObjectKind::List) ? "list" : "tuple");
}
std::optional<Value> sequence_count(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "count", kwargs) || !arity(vm, "count", args, 1, 1)) return std::nullopt;
  int64_t count = 0;
  for (const Value& item : sequence_items(args[0])) count += keys_equal(item, args[1]);
  return Value::integer(count);
}

// ---- dict methods ----
std::optional<Value> dict_view(Interpreter& vm, Args args, Kwargs kwargs, std::string_view name,
                               DictViewObject::Which which) {
  if (!no_kwargs(vm, name, kwargs) || !arity(vm, name, args, 0, 0)) return std::nullopt;
  return Value::object(new DictViewObject(args[0], which));
}
std::optional<Value> dict_keys(Interpreter& vm, Args args, Kwargs kwargs) {
  return dict_view(vm, args, kwargs, "keys", DictViewObject::Which::kKeys);
}
std::optional<Value> dict_values(Interpreter& vm, Args args, Kwargs kwargs) {
  return dict_view(vm, args, kwargs, "values", DictViewObject::Which::kValues);
}
std::optional<Value> dict_items(Interpreter& vm, Args args, Kwargs kwargs) {
  return dict_view(vm, args, kwargs, "items", DictViewObject::Which::kItems);
}
std::optional<Value> dict_get(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "get", kwargs) || !arity(vm, "get", args, 1, 2)) return std::nullopt;
  auto found = args[0].as<DictObject>().table.get(args[1]);
  if (!found.ok()) return vm.raise(found.error());
  if (found->has_value()) return **found;
  return args.size() > 2 ? args[2] : Value();
}
std::optional<Value> dict_pop(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "pop", kwargs) || !arity(vm, "pop", args, 1, 2)) return std::nullopt;
  Dict& table = args[0].as<DictObject>().table;
  auto found = table.get(args[1]);
  if (!found.ok()) return vm.raise(found.error());
  if (!found->has_value()) {
    if (args.size() > 2) return args[2];
    return vm.raise_with_args("KeyError", {args[1]});
  }
  (void)table.erase(args[1]);
  return **found;
}

// ---- str methods ----
const std::string& text(const Value& v) {
  return v.as<StrObject>().text;
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::optional<Value> str_join(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "join", kwargs) || !arity(vm, "join", args, 1, 1)) return std::nullopt;
  auto items = vm.collect(args[1]);
  if (!items) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < items->size(); ++i) {
    if (!(*items)[i].is(ObjectKind::Str))
      return vm.raise(ErrorKind::TypeError, "sequence item {}: expected str instance, {} found", i,
                      type_name((*items)[i]));
    if (i) out += text(args[0]);
    out += text((*items)[i]);
  }
  return make_str(std::move(out));
}
std::optional<Value> str_split(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "split", kwargs) || !arity(vm, "split", args, 0, 1)) return std::nullopt;
  const std::string& source = text(args[0]);
  std::vector<Value> parts;
  if (args.size() == 1 || args[1].is_none()) {  // runs of whitespace separate
    std::size_t i = 0;
    while (i < source.size()) {
      while (i < source.size() && is_space(source[i])) ++i;
      std::size_t start = i;
      while (i < source.size() && !is_space(source[i])) ++i;
      if (i > start) parts.push_back(make_str(source.substr(start, i - start)));
    }
    return make_list(std::move(parts));
  }
  if (!args[1].is(ObjectKind::Str))
    return vm.raise(ErrorKind::TypeError, "must be str or None, not {}", type_name(args[1]));
  const std::string& separator = text(args[1]);
  if (separator.empty()) return vm.raise(ErrorKind::ValueError, "empty separator");
  std::size_t start = 0;
  while (true) {
    std::size_t found = source.find(separator, start);
    parts.push_back(make_str(source.substr(start, found - start)));
    if (found == std::string::npos) break;
    start = found + separator.size();
  }
  return make_list(std::move(parts));
}
std::optional<Value> str_strip(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "strip", kwargs) || !arity(vm, "strip", args, 0, 0)) return std::nullopt;
  const std::string& source = text(args[0]);
  std::size_t begin = 0, end = source.size();
  while (begin < end && is_space(source[begin])) ++begin;
  while (end > begin && is_space(source[end - 1])) --end;
  return make_str(source.substr(begin, end - begin));
}
std::optional<Value> str_startswith(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "startswith", kwargs) || !arity(vm, "startswith", args, 1, 1))
    return std::nullopt;
  if (!args[1].is(ObjectKind::Str))
    return vm.raise(ErrorKind::TypeError, "startswith first arg must be str, not {}",
                    type_name(args[1]));
  return Value::boolean(text(args[0]).starts_with(text(args[1])));
}
std::optional<Value> str_endswith(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "endswith", kwargs) || !arity(vm, "endswith", args, 1, 1)) return std::nullopt;
  if (!args[1].is(ObjectKind::Str))
    return vm.raise(ErrorKind::TypeError, "endswith first arg must be str, not {}",
                    type_name(args[1]));
  return Value::boolean(text(args[0]).ends_with(text(args[1])));
}
std::optional<Value> str_upper(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "upper", kwargs) || !arity(vm, "upper", args, 0, 0)) return std::nullopt;
  std::string out = text(args[0]);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return make_str(std::move(out));
}
std::optional<Value> str_lower(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "lower", kwargs) || !arity(vm, "lower", args, 0, 0)) return std::nullopt;
  std::string out = text(args[0]);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return make_str(std::move(out));
}
std::optional<Value> str_replace(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "replace", kwargs) || !arity(vm, "replace", args, 2, 2)) return std::nullopt;
  if (!args[1].is(ObjectKind::Str) || !args[2].is(ObjectKind::Str))
    return vm.raise(ErrorKind::TypeError, "replace() arguments must be str");
  const std::string& source = text(args[0]);
  const std::string& old = text(args[1]);
  const std::string& replacement = text(args[2]);
  std::string out;
  if (old.empty()) {  // Python inserts the replacement between every character
    out += replacement;
    for (char c : source) {
      out += c;
      out += replacement;
    }
    return make_str(std::move(out));
  }
  std::size_t start = 0;
  while (true) {
    std::size_t found = source.find(old, start);
    out += source.substr(start, found - start);
    if (found == std::string::npos) break;
    out += replacement;
    start = found + old.size();
  }
  return make_str(std::move(out));
}

// ---- tensor methods that are not ops ----
const Tensor& tensor_of(const Value& v) {
  return v.as<TensorBoxObject>().tensor;
}

Value shape_tuple(const Tensor& tensor) {
  std::vector<Value> sizes;
  for (int64_t s : tensor.sizes()) sizes.push_back(Value::integer(s));
  return make_tuple(std::move(sizes));
}

std::optional<Value> tensor_item(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "item", kwargs) || !arity(vm, "item", args, 0, 0)) return std::nullopt;
  const Tensor& tensor = tensor_of(args[0]);
  if (tensor.numel() != 1)
    return vm.raise(ErrorKind::RuntimeError,
                    "a Tensor with {} elements cannot be converted to Scalar", tensor.numel());
  switch (tensor.dtype()) {
    case DType::Bool:
      return Value::boolean(tensor.to_vector<bool>()[0]);
    case DType::Int64:
      return Value::integer(tensor.to_vector<int64_t>()[0]);
    case DType::Float32:
    case DType::Float64:
      return Value::real(tensor.item());
  }
  GYRO_UNREACHABLE("bad dtype");
}
Value to_list(const Tensor& tensor) {
  if (tensor.dim() == 0) {
    switch (tensor.dtype()) {
      case DType::Bool:
        return Value::boolean(tensor.to_vector<bool>()[0]);
      case DType::Int64:
        return Value::integer(tensor.to_vector<int64_t>()[0]);
      case DType::Float32:
      case DType::Float64:
        return Value::real(tensor.item());
    }
  }
  std::vector<Value> rows;
  Dims sizes, strides;
  for (int d = 1; d < tensor.dim(); ++d) {
    sizes.push_back(tensor.size(d));
    strides.push_back(tensor.stride(d));
  }
  for (int64_t i = 0; i < tensor.size(0); ++i)
    rows.push_back(
        to_list(tensor.as_strided(sizes, strides, tensor.offset() + i * tensor.stride(0))));
  return make_list(std::move(rows));
}
std::optional<Value> tensor_tolist(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "tolist", kwargs) || !arity(vm, "tolist", args, 0, 0)) return std::nullopt;
  return to_list(tensor_of(args[0]));
}
std::optional<Value> tensor_size(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "size", kwargs) || !arity(vm, "size", args, 0, 1)) return std::nullopt;
  const Tensor& tensor = tensor_of(args[0]);
  if (args.size() == 1) return shape_tuple(tensor);
  if (!args[1].is_integral())
    return vm.raise(ErrorKind::TypeError, "size(): argument 'dim' must be int, not {}",
                    type_name(args[1]));
  int64_t dim = args[1].as_int(), rank = std::max(tensor.dim(), 1);
  if (dim < -rank || dim >= rank)
    return vm.raise(ErrorKind::IndexError,
                    "Dimension out of range (expected to be in range of [{}, {}], but got {})",
                    -rank, rank - 1, dim);
  if (dim < 0) dim += rank;
  return Value::integer(tensor.dim() == 0 ? 1 : tensor.size(static_cast<int>(dim)));
}
std::optional<Value> tensor_dim(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "dim", kwargs) || !arity(vm, "dim", args, 0, 0)) return std::nullopt;
  return Value::integer(tensor_of(args[0]).dim());
}

// x.add_(y), x.sub_(y), x.mul_(y), x.div_(y): the in-place operators (x += y ...), returning x.
template <Binop kOp>
std::optional<Value> tensor_in_place(Interpreter& vm, Args args, Kwargs kwargs) {
  constexpr std::string_view kNames[] = {"add_", "sub_", "mul_", "div_"};
  std::string_view name = kNames[kOp == Binop::INPLACE_ADD        ? 0
                                 : kOp == Binop::INPLACE_SUBTRACT ? 1
                                 : kOp == Binop::INPLACE_MULTIPLY ? 2
                                                                  : 3];
  if (!no_kwargs(vm, name, kwargs) || !arity(vm, name, args, 1, 1)) return std::nullopt;
  auto result = binary_op(kOp, args[0], args[1]);
  if (!result.ok()) return vm.raise(result.error());
  return args[0];
}

// x.fill_(v) and x.zero_(): every element set (the value cast to x's dtype), returning x.
std::optional<Value> tensor_fill(Interpreter& vm, const Value& self, double value) {
  const Tensor& tensor = tensor_of(self);
  Status status = eager::copy_into(tensor, Tensor::scalar(value, DType::Float64));
  if (!status.ok()) return vm.raise(status.error());
  return self;
}
std::optional<Value> tensor_fill_(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "fill_", kwargs) || !arity(vm, "fill_", args, 1, 1)) return std::nullopt;
  if (args[1].is(ObjectKind::TensorBox) && tensor_of(args[1]).dim() == 0) {
    Status status = eager::copy_into(tensor_of(args[0]), tensor_of(args[1]));
    if (!status.ok()) return vm.raise(status.error());
    return args[0];
  }
  if (!args[1].is_number())
    return vm.raise(ErrorKind::TypeError, "fill_(): argument 'value' must be Number, not {}",
                    type_name(args[1]));
  return tensor_fill(vm, args[0], args[1].to_double());
}
std::optional<Value> tensor_zero_(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "zero_", kwargs) || !arity(vm, "zero_", args, 0, 0)) return std::nullopt;
  return tensor_fill(vm, args[0], 0.0);
}
// x.copy_(src): src's values (broadcast, cast to x's dtype) written into x, returning x.
std::optional<Value> tensor_copy_(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "copy_", kwargs) || !arity(vm, "copy_", args, 1, 1)) return std::nullopt;
  if (!args[1].is(ObjectKind::TensorBox))
    return vm.raise(ErrorKind::TypeError, "copy_(): argument 'src' must be Tensor, not {}",
                    type_name(args[1]));
  Status status = eager::copy_into(tensor_of(args[0]), tensor_of(args[1]));
  if (!status.ok()) return vm.raise(status.error());
  return args[0];
}

std::optional<Value> tensor_is_floating_point(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "is_floating_point", kwargs) || !arity(vm, "is_floating_point", args, 0, 0))
    return std::nullopt;
  return Value::boolean(is_floating(tensor_of(args[0]).dtype()));
}
std::optional<Value> tensor_numel(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "numel", kwargs) || !arity(vm, "numel", args, 0, 0)) return std::nullopt;
  return Value::integer(tensor_of(args[0]).numel());
}
std::optional<Value> tensor_element_size(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "element_size", kwargs) || !arity(vm, "element_size", args, 0, 0))
    return std::nullopt;
  return Value::integer(static_cast<int64_t>(tensor_of(args[0]).itemsize()));
}
std::optional<Value> tensor_is_contiguous(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "is_contiguous", kwargs) || !arity(vm, "is_contiguous", args, 0, 0))
    return std::nullopt;
  return Value::boolean(tensor_of(args[0]).is_contiguous());
}
// x.float(), x.double(), x.long(), x.bool(): x.to(dtype), so x itself when it already has it.
template <DType kDType>
std::optional<Value> tensor_to_dtype(Interpreter& vm, Args args, Kwargs kwargs) {
  std::string_view name = kDType == DType::Float32   ? "float"
                          : kDType == DType::Float64 ? "double"
                          : kDType == DType::Int64   ? "long"
                                                     : "bool";
  if (!no_kwargs(vm, name, kwargs) || !arity(vm, name, args, 0, 0)) return std::nullopt;
  const Tensor& tensor = tensor_of(args[0]);
  Attr dtype = Attr::of_dtype(kDType);
  auto converted = eager::run1(OpKind::to, std::span<const Tensor>(&tensor, 1),
                               std::span<const Attr>(&dtype, 1));
  if (!converted.ok()) return vm.raise(converted.error());
  return make_tensor(std::move(*converted));
}
// x.where(condition, y) is where(condition, x, y): self is the second input, not the first.
std::optional<Value> tensor_where(Interpreter& vm, Args args, Kwargs kwargs) {
  if (args.size() != 3)
    return vm.raise(ErrorKind::TypeError, "where() takes 2 arguments (condition, other) ({} given)",
                    args.size() - 1);
  const Value reordered[] = {args[1], args[0], args[2]};
  return call_tensor_op(vm, OpKind::where, reordered, kwargs);
}
// x.to_sparse(): COO only (no sparse_dim argument, no hybrid tensors).
std::optional<Value> tensor_to_sparse(Interpreter& vm, Args args, Kwargs kwargs) {
  if (!no_kwargs(vm, "to_sparse", kwargs) || !arity(vm, "to_sparse", args, 0, 0))
    return std::nullopt;
  auto sparse = to_sparse(tensor_of(args[0]));
  if (!sparse.ok()) return vm.raise(sparse.error());
  return *sparse;
}

struct Method {
  ObjectKind kind;
  std::string_view name;
  BuiltinFn fn;
};
constexpr Method kMethods[] = {
    {ObjectKind::List, "append", list_append},
    {ObjectKind::List, "sort", list_sort},
    {ObjectKind::List, "extend", list_extend},
    {ObjectKind::List, "pop", list_pop},
    {ObjectKind::List, "insert", list_insert},
    {ObjectKind::List, "index", sequence_index},
    {ObjectKind::List, "count", sequence_count},
    {ObjectKind::Tuple, "index", sequence_index},
    {ObjectKind::Tuple, "count", sequence_count},
    {ObjectKind::Dict, "keys", dict_keys},
    {ObjectKind::Dict, "values", dict_values},
    {ObjectKind::Dict, "items", dict_items},
    {ObjectKind::Dict, "get", dict_get},
    {ObjectKind::Dict, "pop", dict_pop},
    {ObjectKind::Str, "join", str_join},
    {ObjectKind::Str, "split", str_split},
    {ObjectKind::Str, "strip", str_strip},
    {ObjectKind::Str, "startswith", str_startswith},
    {ObjectKind::Str, "endswith", str_endswith},
    {ObjectKind::Str, "upper", str_upper},
    {ObjectKind::Str, "lower", str_lower},
    {ObjectKind::Str, "replace", str_replace},
    {ObjectKind::TensorBox, "item", tensor_item},
    {ObjectKind::TensorBox, "tolist", tensor_tolist},
    {ObjectKind::TensorBox, "size", tensor_size},
    {ObjectKind::TensorBox, "dim", tensor_dim},
    {ObjectKind::TensorBox, "add_", tensor_in_place<Binop::INPLACE_ADD>},
    {ObjectKind::TensorBox, "sub_", tensor_in_place<Binop::INPLACE_SUBTRACT>},
    {ObjectKind::TensorBox, "mul_", tensor_in_place<Binop::INPLACE_MULTIPLY>},
    {ObjectKind::TensorBox, "div_", tensor_in_place<Binop::INPLACE_TRUE_DIVIDE>},
    {ObjectKind::TensorBox, "fill_", tensor_fill_},
    {ObjectKind::TensorBox, "zero_", tensor_zero_},
    {ObjectKind::TensorBox, "copy_", tensor_copy_},
    {ObjectKind::TensorBox, "is_floating_point", tensor_is_floating_point},
    {ObjectKind::TensorBox, "to_sparse", tensor_to_sparse},
    {ObjectKind::TensorBox, "numel", tensor_numel},
    {ObjectKind::TensorBox, "element_size", tensor_element_size},
    {ObjectKind::TensorBox, "is_contiguous", tensor_is_contiguous},
    {ObjectKind::TensorBox, "float", tensor_to_dtype<DType::Float32>},
    {ObjectKind::TensorBox, "double", tensor_to_dtype<DType::Float64>},
    {ObjectKind::TensorBox, "long", tensor_to_dtype<DType::Int64>},
    {ObjectKind::TensorBox, "bool", tensor_to_dtype<DType::Bool>},
    {ObjectKind::TensorBox, "where", tensor_where},
};

// Looks `name` up through a class and its bases.
std::optional<Value> class_lookup(const Value& cls, const Value& key) {
  for (const Value* each = &cls; each->is(ObjectKind::Class);
       each = &each->as<ClassObject>().base) {
    const Dict& attributes = each->as<ClassObject>().attributes.as<DictObject>().table;
    if (int64_t position = attributes.find(key); position >= 0)
      return attributes.value_at(position);
  }
  return std::nullopt;
}

// x.op(...) for every op in the table: a builtin that forwards self as the first input.
template <int kIndex>
std::optional<Value> tensor_method(Interpreter& vm, Args args, Kwargs kwargs) {
  return call_tensor_op(vm, static_cast<OpKind>(kIndex), args, kwargs);
}
template <int... kIndex>
constexpr auto make_tensor_methods(std::integer_sequence<int, kIndex...>) {
  return std::array<BuiltinFn, sizeof...(kIndex)>{&tensor_method<kIndex>...};
}
constexpr auto kTensorMethods = make_tensor_methods(std::make_integer_sequence<int, kNumOps>{});

// The builtin method `name` of objects of `kind`, if there is one.
const Method* find_method(ObjectKind kind, std::string_view name) {
  for (const Method& method : kMethods)
    if (method.kind == kind && method.name == name) return &method;
  return nullptr;
}

// The op a tensor's method `name` calls (torch's floor_divide is the floordiv op).
std::optional<OpKind> tensor_method_op(std::string_view name) {
  return op_from_name(name == "floor_divide" ? "floordiv" : name);
}

}  // namespace

bool is_tensor_method(std::string_view name) {
  return find_method(ObjectKind::TensorBox, name) || tensor_method_op(name);
}

BuiltinFn tensor_op_builtin(OpKind op) {
  return kTensorMethods[static_cast<int>(op)];
}

std::optional<Value> Interpreter::get_attribute(const Value& object, std::string_view name) {
  return get_attribute(object, make_str(std::string(name)));
}

std::optional<Value> Interpreter::get_attribute(const Value& object, const Value& key) {
  std::string_view name = key.as<StrObject>().text;
  if (object.is(ObjectKind::Instance)) {
    const auto& instance = object.as<InstanceObject>();
    auto own = instance.attributes.as<DictObject>().table.get(key);
    if (own.ok() && own->has_value()) return **own;
    if (auto found = class_lookup(instance.cls, key)) {
      if (found->is(ObjectKind::Function))
        return Value::object(new BoundMethodObject(object, *found));
      if (found->is(ObjectKind::Builtin) && found->as<BuiltinObject>().self.is_none()) {
        const auto& builtin = found->as<BuiltinObject>();  // a builtin method of the class
        return Value::object(new BuiltinObject(builtin.name, builtin.fn, object));
      }
      return *found;
    }
  } else if (object.is(ObjectKind::Class)) {
    if (auto found = class_lookup(object, key)) return *found;
    if (name == "__name__") return make_str(object.as<ClassObject>().name);
  } else if (object.is(ObjectKind::CapturedGraph)) {
    // What a script backend can read of the graph it is given.
    const Capture& capture = *object.as<CapturedGraphObject>().capture;
    if (name == "op_count") return Value::integer(capture.graph.num_calls());
    if (name == "code") return make_str(capture.describe());
  } else if (object.is(ObjectKind::CompiledFunction)) {
    const auto& compiled = object.as<CompiledFunctionObject>();
    if (name == "__wrapped__") return compiled.function;
    if (name == "__name__") return make_str(compiled.function.as<FunctionObject>().code->name);
  } else if (object.is(ObjectKind::Config)) {
    return get_config_attribute(*this, object.as<ConfigObject>(), name);
  } else if (object.is(ObjectKind::Explanation)) {
    // What explain(fn)(*args) reports.
    const auto& explanation = object.as<ExplanationObject>();
    auto strings = [](const std::vector<std::string>& texts) {
      std::vector<Value> items;
      for (const std::string& text : texts) items.push_back(make_str(text));
      return make_list(std::move(items));
    };
    if (name == "graph_count") return Value::integer(explanation.graph_count);
    if (name == "graph_break_count")
      return Value::integer(static_cast<int64_t>(explanation.break_reasons.size()));
    if (name == "op_count") return Value::integer(explanation.op_count);
    if (name == "break_reasons") return strings(explanation.break_reasons);
    if (name == "guards") return strings(explanation.guards);
    if (name == "graphs") return strings(explanation.graphs);
    if (name == "shape_regions") return strings(explanation.shape_regions);
    if (name == "shape_guard_stats") return strings(explanation.shape_guard_stats);
    if (name == "kernels") return strings(explanation.kernels);
  } else if (is_disabled(object)) {
    if (name == "__wrapped__") return object.as<BuiltinObject>().self;
  } else if (object.is(ObjectKind::Super)) {
    // The chain after cls, then object (the end of every chain, as in CPython's MRO).
    const auto& super = object.as<SuperObject>();
    auto found = class_lookup(super.start, key);
    if (!found) found = class_lookup(builtin_class("object"), key);
    if (found) {
      if (!super.object.is(ObjectKind::Instance)) return *found;  // super(cls, subclass)
      if (found->is(ObjectKind::Function))
        return Value::object(new BoundMethodObject(super.object, *found));
      if (found->is(ObjectKind::Builtin) && found->as<BuiltinObject>().self.is_none()) {
        const auto& builtin = found->as<BuiltinObject>();
        return Value::object(new BuiltinObject(builtin.name, builtin.fn, super.object));
      }
      return *found;
    }
  } else if (object.is_object()) {
    ObjectKind kind = object.as_object()->kind();
    if (const Method* method = find_method(kind, name))
      return Value::object(new BuiltinObject(std::string(name), method->fn, object));
    if (kind == ObjectKind::TensorBox) {
      const Tensor& tensor = tensor_of(object);
      if (name == "shape") return shape_tuple(tensor);
      if (name == "ndim") return Value::integer(tensor.dim());
      if (name == "dtype") return dtype_value(tensor.dtype());
      if (name == "is_sparse") return Value::boolean(false);
      if (name == "T") {
        Dims sizes(std::span<const int64_t>(tensor.sizes().begin(), tensor.dim()));
        Dims strides(std::span<const int64_t>(tensor.strides().begin(), tensor.dim()));
        std::reverse(sizes.begin(), sizes.end());
        std::reverse(strides.begin(), strides.end());
        return make_tensor(tensor.as_strided(sizes, strides, tensor.offset()));
      }
      if (auto op = tensor_method_op(name))
        return Value::object(new BuiltinObject(std::string(name), tensor_op_builtin(*op), object));
    }
    if (kind == ObjectKind::SparseTensor) {
      if (auto found = sparse_attribute(object, name)) return *found;
      // What a dense tensor has but a sparse one does not: a TypeError that says so.
      if (is_tensor_method(name) || name == "T")
        return raise(sparse_unsupported(fmt::format("{}{}", name, name == "T" ? "" : "()")));
    }
    if (kind == ObjectKind::DTypeValue && name == "is_floating_point")
      return Value::boolean(is_floating(object.as<DTypeValueObject>().dtype));
  }
  return raise(ErrorKind::AttributeError, "'{}' object has no attribute '{}'", type_name(object),
               name);
}

std::optional<Value> Interpreter::get_method(const Value& object, const Value& key,
                                             bool& wants_self) {
  wants_self = false;
  if (object.is(ObjectKind::Instance)) {
    const auto& instance = object.as<InstanceObject>();
    const Dict& own = instance.attributes.as<DictObject>().table;
    if (int64_t position = own.find(key); position >= 0) return own.value_at(position);
    if (auto found = class_lookup(instance.cls, key)) {
      // A function (or a builtin method) of the class takes the instance as its first argument.
      wants_self = found->is(ObjectKind::Function) ||
                   (found->is(ObjectKind::Builtin) && found->as<BuiltinObject>().self.is_none());
      return found;
    }
  } else if (object.is_object() && !object.is(ObjectKind::Class)) {
    ObjectKind kind = object.as_object()->kind();
    std::string_view name = key.as<StrObject>().text;
    if (const Method* method = find_method(kind, name)) {
      wants_self = true;
      return unbound_builtin(method->fn, name);
    }
  }
  return get_attribute(object, key);
}

std::optional<Value> Interpreter::set_attribute(const Value& object, std::string_view name,
                                                Value value) {
  return set_attribute(object, make_str(std::string(name)), std::move(value));
}

std::optional<Value> Interpreter::set_attribute(const Value& object, const Value& key,
                                                Value value) {
  std::string_view name = key.as<StrObject>().text;
  if (object.is(ObjectKind::Instance)) {
    (void)object.as<InstanceObject>().attributes.as<DictObject>().table.set(key, std::move(value));
    return Value();
  }
  if (object.is(ObjectKind::Class) && object.as<ClassObject>().builtin_tag < 0) {
    (void)object.as<ClassObject>().attributes.as<DictObject>().table.set(key, std::move(value));
    return Value();
  }
  if (object.is(ObjectKind::Config))
    return set_config_attribute(*this, object.as<ConfigObject>(), name, value);
  return raise(ErrorKind::AttributeError, "'{}' object has no attribute '{}'", type_name(object),
               name);
}

std::optional<Value> Interpreter::build_class(const Value& body, const Value& name,
                                              const Value& bases) {
  if (!name.is(ObjectKind::Str) || !bases.is(ObjectKind::Tuple) || !body.is(ObjectKind::Function))
    return raise(ErrorKind::TypeError,
                 "BUILD_CLASS needs a body function, a name and a bases tuple");
  const auto& base_items = bases.as<TupleObject>().items;
  if (base_items.size() > 1)
    return raise(ErrorKind::TypeError, "gyro classes have at most one base class");
  Value base = base_items.empty() ? Value() : base_items[0];
  if (!base.is_none() && !base.is(ObjectKind::Class))
    return raise(ErrorKind::TypeError, "a base class must be a class, not {}", type_name(base));
  if (base.is(ObjectKind::Class) && base.as<ClassObject>().builtin_tag >= 0 &&
      base.as<ClassObject>().name != "object")
    return raise(ErrorKind::TypeError, "gyro classes cannot derive from the builtin type '{}'",
                 base.as<ClassObject>().name);
  if (base.is(ObjectKind::Class) && base.as<ClassObject>().name == "object" &&
      base.as<ClassObject>().builtin_tag >= 0)
    base = Value();
  Value cls = make_class(name.as<StrObject>().text, base);
  // The module is the body's globals' __name__, as CPython's __module__ (a saved instance
  // names its class by module and name).
  const Value& globals = body.as<FunctionObject>().globals;
  cls.as<ClassObject>().module.clear();
  if (globals.is(ObjectKind::Dict)) {
    auto module = globals.as<DictObject>().table.get(make_str("__name__"));
    if (module.ok() && module->has_value() && (*module)->is(ObjectKind::Str))
      cls.as<ClassObject>().module = (*module)->as<StrObject>().text;
  }
  Value namespace_dict = cls.as<ClassObject>().attributes;
  auto result = call_function(body, {}, {}, namespace_dict);
  if (!result) return std::nullopt;
  // A body whose methods use super() or __class__ leaves its __class__ cell in the namespace
  // (CPython's __classcell__): the cell now gets the class, and the name leaves the namespace.
  Dict& table = namespace_dict.as<DictObject>().table;
  Value classcell_key = make_str("__classcell__");
  auto classcell = table.get(classcell_key);
  if (classcell.ok() && classcell->has_value()) {
    Value cell = **classcell;
    (void)table.erase(classcell_key);
    if (!cell.is(ObjectKind::Cell))
      return raise(ErrorKind::TypeError, "__classcell__ must be a nonlocal cell, not {}",
                   type_name(cell));
    cell.as<CellObject>().value = cls;
    cell.as<CellObject>().bound = true;
  }
  return cls;
}

}  // namespace gyro
