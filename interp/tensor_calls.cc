// Argument mapping from Python values to op inputs and attributes.
#include "interp/tensor_calls.h"

#include "backends/eager/eager.h"
#include "interp/op_arguments.h"
#include "interp/python_ops.h"
#include "interp/sparse.h"
#include "ir/nested.h"

namespace gyro {

namespace {

std::optional<Tensor> tensor_input(const Value& value) {
  if (value.is(ObjectKind::TensorBox)) return value.as<TensorBoxObject>().tensor;
  if (value.is_bool()) return Tensor::scalar(value.as_bool(), DType::Bool, /*wrapped=*/true);
  if (value.is_int()) return Tensor::integer(value.as_int(), /*wrapped=*/true);
  if (value.is_float()) return Tensor::scalar(value.as_float(), DType::Float64, /*wrapped=*/true);
  return std::nullopt;
}

}  // namespace

std::optional<Attr> value_to_attr(const Value& value) {
  if (value.is_none()) return Attr::none();
  if (value.is_bool()) return Attr::boolean(value.as_bool());
  if (value.is_int()) return Attr::integer(value.as_int());
  if (value.is_float()) return Attr::real(value.as_float());
  if (value.is(ObjectKind::DTypeValue)) return Attr::of_dtype(value.as<DTypeValueObject>().dtype);
  // Kept from before dtype objects existed: to(x, 'float64') still works.
  if (value.is(ObjectKind::Str)) {
    const std::string& text = value.as<StrObject>().text;
    if (auto dtype = dtype_from_name(text)) return Attr::of_dtype(*dtype);
    return Attr::string(text);
  }
  if (value.is(ObjectKind::List) || value.is(ObjectKind::Tuple)) {
    std::vector<int64_t> ints;
    for (const Value& item : sequence_items(value)) {
      if (!item.is_integral()) return std::nullopt;
      ints.push_back(item.as_int());
    }
    return Attr::list(std::move(ints));
  }
  return std::nullopt;
}

namespace {

// The VM's arguments for map_op_arguments: concrete values.
struct ValueArguments {
  using Input = Tensor;
  bool is_tensor(const Value& v) const { return v.is(ObjectKind::TensorBox); }
  std::optional<Tensor> input(const Value& v) const { return tensor_input(v); }
  const std::vector<Value>* items(const Value& v) const {
    return v.is(ObjectKind::List) || v.is(ObjectKind::Tuple) ? &sequence_items(v) : nullptr;
  }
  std::optional<int64_t> integral(const Value& v) const {
    if (!v.is_integral()) return std::nullopt;
    return v.as_int();
  }
  SymId sym_of(const Value&) const { return {}; }  // the VM's ints are plain
  std::optional<Attr> attr(const Value& v) const { return value_to_attr(v); }
  std::string_view type_of(const Value& v) const { return type_name(v); }
  std::string_view keyword_name(const KeywordArg& k) const { return k.name; }
  const Value& keyword_value(const KeywordArg& k) const { return k.value; }
};

}  // namespace

namespace {

// A script value as a NestedList, with PyTorch's dtype inference over the numbers it holds
// (needed only when tensors bring dtypes that NestedList cannot carry, such as float64).
struct DataReader {
  std::optional<DType> given;
  std::optional<DType> inferred;
  bool saw_tensor = false;

  void note(DType dtype) { inferred = inferred ? promote_types(*inferred, dtype) : dtype; }

  Expected<NestedList> read_tensor(const Tensor& tensor, int depth) {
    GYRO_CHECK_ARG(depth <= kMaxRank, ValueError, "tensor(): data nested deeper than {} levels",
                   kMaxRank);
    if (tensor.dim() == 0) {
      switch (tensor.dtype()) {
        case DType::Bool:
          return NestedList(tensor.to_vector<bool>()[0]);
        case DType::Int64:
          return NestedList(tensor.to_vector<int64_t>()[0]);
        case DType::Float32:
        case DType::Float64:
          return NestedList(tensor.item());
      }
      GYRO_UNREACHABLE("bad dtype");
    }
    Dims sizes, strides;
    for (int d = 1; d < tensor.dim(); ++d) {
      sizes.push_back(tensor.size(d));
      strides.push_back(tensor.stride(d));
    }
    std::vector<NestedList> rows;
    for (int64_t i = 0; i < tensor.size(0); ++i) {
      Tensor row = tensor.as_strided(sizes, strides, tensor.offset() + i * tensor.stride(0));
      GYRO_ASSIGN_OR_RETURN(NestedList nested, read_tensor(row, depth + 1));
      rows.push_back(std::move(nested));
    }
    return NestedList(std::move(rows));
  }

  Expected<NestedList> read(const Value& value, int depth) {
    // A list that contains itself would otherwise recurse forever.
    GYRO_CHECK_ARG(depth <= kMaxRank, ValueError, "tensor(): data nested deeper than {} levels",
                   kMaxRank);
    if (value.is_bool()) {
      note(DType::Bool);
      return NestedList(value.as_bool());
    }
    if (value.is_int()) {
      note(DType::Int64);
      return NestedList(value.as_int());
    }
    if (value.is_float()) {
      note(kDefaultFloat);
      return NestedList(value.as_float());
    }
    if (value.is(ObjectKind::List) || value.is(ObjectKind::Tuple)) {
      const auto& items = sequence_items(value);
      if (items.empty()) note(kDefaultFloat);
      std::vector<NestedList> nested;
      nested.reserve(items.size());
      for (const Value& item : items) {
        GYRO_ASSIGN_OR_RETURN(NestedList child, read(item, depth + 1));
        nested.push_back(std::move(child));
      }
      return NestedList(std::move(nested));
    }
    if (value.is(ObjectKind::TensorBox)) {
      const Tensor& tensor = value.as<TensorBoxObject>().tensor;
      saw_tensor = true;
      note(tensor.dtype());
      return read_tensor(tensor, depth);
    }
    if (value.is(ObjectKind::SparseTensor)) return sparse_unsupported("tensor()");
    // PyTorch's messages: with no dtype, inference rejects the element; with one, the store.
    std::string_view type = type_name(value);
    if (!given) {
      GYRO_CHECK_ARG(!value.is(ObjectKind::Str), TypeError, "new(): invalid data type '{}'", type);
      return make_error(ErrorKind::RuntimeError, "Could not infer dtype of {}", type);
    }
    GYRO_CHECK_ARG(!value.is(ObjectKind::Str), ValueError, "too many dimensions '{}'", type);
    GYRO_CHECK_ARG(!is_floating(*given), TypeError, "must be real number, not {}", type);
    return make_error(ErrorKind::TypeError, "'{}' object cannot be interpreted as an integer",
                      type);
  }
};

}  // namespace

std::optional<Value> call_tensor_op(Interpreter& vm, OpKind op, std::span<const Value> args,
                                    std::span<const KeywordArg> kwargs) {
  const OpInfo& info = op_info(op);
  auto is_sparse = [](const Value& v) { return v.is(ObjectKind::SparseTensor); };
  for (const Value& arg : args) {
    bool sparse = is_sparse(arg);
    if (arg.is(ObjectKind::List) || arg.is(ObjectKind::Tuple))
      for (const Value& item : sequence_items(arg)) sparse |= is_sparse(item);
    if (sparse) return vm.raise(sparse_unsupported(fmt::format("{}()", info.name)));
  }
  for (const KeywordArg& keyword : kwargs)
    if (is_sparse(keyword.value))
      return vm.raise(sparse_unsupported(fmt::format("{}()", info.name)));
  ValueArguments traits;
  auto mapped = map_op_arguments(op, args, kwargs, traits);
  if (!mapped.ok()) return vm.raise(mapped.error());
  auto outputs = eager::run(mapped->op, mapped->inputs, mapped->attrs, mapped->named);
  if (!outputs.ok()) return vm.raise(outputs.error());
  if (op_info(mapped->op).has(kMultiOutput)) {
    std::vector<Value> items;
    for (Tensor& tensor : *outputs) items.push_back(make_tensor(std::move(tensor)));
    return make_tuple(std::move(items));
  }
  return make_tensor(std::move((*outputs)[0]));
}

std::optional<Value> tensor_from_data(Interpreter& vm, const Value& data,
                                      std::optional<DType> dtype) {
  if (data.is(ObjectKind::TensorBox)) {
    // torch.tensor(t) copies t (PyTorch also warns that t.clone() is the recommended spelling).
    const Tensor& source = data.as<TensorBoxObject>().tensor;
    auto copy = eager::run1(OpKind::clone, std::span<const Tensor>(&source, 1));
    if (copy.ok() && dtype && *dtype != copy->dtype()) {
      Attr target = Attr::of_dtype(*dtype);
      copy = eager::run1(OpKind::to, std::span<const Tensor>(&*copy, 1),
                         std::span<const Attr>(&target, 1));
    }
    if (!copy.ok()) return vm.raise(copy.error());
    return make_tensor(std::move(*copy));
  }
  DataReader reader;
  reader.given = dtype;
  auto nested = reader.read(data, 0);
  if (!nested.ok()) return vm.raise(nested.error());
  // Without tensors inside, NestedList's own inference is PyTorch's; with them, ours.
  std::optional<DType> chosen = dtype ? dtype : reader.saw_tensor ? reader.inferred : std::nullopt;
  auto tensor = tensor_from_nested(*nested, chosen);
  if (!tensor.ok()) return vm.raise(tensor.error());
  return make_tensor(std::move(*tensor));
}

}  // namespace gyro
