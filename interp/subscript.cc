// x[i] and x[i] = v for lists, tuples, strings, dicts and tensors, with Python's index rules.
#include "backends/eager/eager.h"
#include "interp/interpreter.h"
#include "interp/python_ops.h"
#include "interp/sparse.h"
#include "interp/special_methods.h"
#include "interp/tensor_calls.h"

namespace gyro {

namespace {

// Python's slice.indices(length): normalized start, stop, step and the result length.
struct SliceRange {
  int64_t start, stop, step, length;
};

Expected<SliceRange> slice_range(const SliceObject& slice, int64_t length) {
  auto as_int = [](const Value& v, int64_t fallback) -> Expected<int64_t> {
    if (v.is_none()) return fallback;
    if (!v.is_integral())
      return make_error(ErrorKind::TypeError,
                        "slice indices must be integers or None or have an __index__ method");
    return v.as_int();
  };
  GYRO_ASSIGN_OR_RETURN(int64_t step, as_int(slice.step, 1));
  GYRO_CHECK_ARG(step != 0, ValueError, "slice step cannot be zero");
  bool backwards = step < 0;
  int64_t low = backwards ? -1 : 0, high = backwards ? length - 1 : length;
  auto clamp = [&](const Value& v, int64_t fallback) -> Expected<int64_t> {
    if (v.is_none()) return fallback;
    GYRO_ASSIGN_OR_RETURN(int64_t index, as_int(v, 0));
    if (index < 0) index = std::max(index + length, low);
    return std::min(index, high);
  };
  GYRO_ASSIGN_OR_RETURN(int64_t start, clamp(slice.start, backwards ? high : low));
  GYRO_ASSIGN_OR_RETURN(int64_t stop, clamp(slice.stop, backwards ? low : high));
  int64_t count = 0;
  if (step > 0 && start < stop) count = (stop - start + step - 1) / step;
  if (step < 0 && start > stop) count = (start - stop - step - 1) / (-step);
  return SliceRange{start, stop, step, count};
}

Expected<int64_t> normalize_index(const Value& index, int64_t length, std::string_view what) {
  if (!index.is_integral())
    return make_error(ErrorKind::TypeError, "{} indices must be integers or slices, not {}", what,
                      type_name(index));
  int64_t i = index.as_int() < 0 ? index.as_int() + length : index.as_int();
  GYRO_CHECK_ARG(i >= 0 && i < length, IndexError, "{} index out of range", what);
  return i;
}

}  // namespace

// tensor[index] for a tensor of `rank` dims as op calls, in order: ints select, slices slice,
// tuples index several dims, one `...` stands for as many full slices as the other parts leave
// dims; None is not supported. The VM runs the steps; the symbolic evaluator records them.
Expected<std::vector<IndexStep>> tensor_index_steps(int rank, const Value& index) {
  std::vector<Value> parts =
      index.is(ObjectKind::Tuple) ? index.as<TupleObject>().items : std::vector<Value>{index};
  int consumed = 0, ellipses = 0;
  for (const Value& part : parts) {
    consumed += part.is_integral() || part.is(ObjectKind::Slice);
    ellipses += part.is(ObjectKind::Ellipsis);
  }
  GYRO_CHECK_ARG(ellipses <= 1, IndexError, "an index can only have a single ellipsis ('...')");
  std::vector<IndexStep> steps;
  int current_rank = rank;
  int dim = 0;
  for (const Value& part : parts) {
    if (part.is(ObjectKind::Ellipsis)) {
      dim += std::max(0, rank - consumed);
    } else if (part.is_integral()) {
      GYRO_CHECK_ARG(dim < current_rank, IndexError, "too many indices for tensor of dimension {}",
                     rank);
      steps.push_back({OpKind::select, {Attr::integer(dim), Attr::integer(part.as_int())}});
      --current_rank;
    } else if (part.is(ObjectKind::Slice)) {
      GYRO_CHECK_ARG(dim < current_rank, IndexError, "too many indices for tensor of dimension {}",
                     rank);
      const auto& slice = part.as<SliceObject>();
      auto bound = [](const Value& v) {
        return v.is_none() ? Attr::none() : Attr::integer(v.as_int());
      };
      steps.push_back(
          {OpKind::slice,
           {Attr::integer(dim), bound(slice.start), bound(slice.stop),
            slice.step.is_none() ? Attr::integer(1) : Attr::integer(slice.step.as_int())}});
      ++dim;
    } else {
      return make_error(ErrorKind::IndexError,
                        "only integers, slices and ... are valid tensor indices in gyro, not {}",
                        type_name(part));
    }
  }
  return steps;
}

namespace {

Expected<Tensor> index_tensor(const Tensor& tensor, const Value& index) {
  GYRO_ASSIGN_OR_RETURN(auto steps, tensor_index_steps(tensor.dim(), index));
  Tensor current = tensor;
  for (const IndexStep& step : steps) {
    const Tensor inputs[] = {current};
    GYRO_ASSIGN_OR_RETURN(current, eager::run1(step.op, inputs, step.attrs));
  }
  return current;
}

}  // namespace

// del a[i] / del a[i:j:k] on a list.
bool delete_list_items(Interpreter& vm, std::vector<Value>& items, const Value& index) {
  if (index.is(ObjectKind::Slice)) {
    auto range = slice_range(index.as<SliceObject>(), static_cast<int64_t>(items.size()));
    if (!range.ok()) {
      vm.raise(range.error());
      return false;
    }
    std::vector<bool> doomed(items.size(), false);
    for (int64_t k = 0, i = range->start; k < range->length; ++k, i += range->step)
      doomed[i] = true;
    std::vector<Value> kept;
    for (std::size_t i = 0; i < items.size(); ++i)
      if (!doomed[i]) kept.push_back(std::move(items[i]));
    items = std::move(kept);
    return true;
  }
  auto i = normalize_index(index, static_cast<int64_t>(items.size()), "list assignment");
  if (!i.ok()) {
    vm.raise(i.error());
    return false;
  }
  items.erase(items.begin() + *i);
  return true;
}

std::optional<Value> Interpreter::subscript(const Value& container, const Value& index) {
  if (container.is(ObjectKind::List) || container.is(ObjectKind::Tuple)) {
    const auto& items = sequence_items(container);
    std::string_view what = container.is(ObjectKind::List) ? "list" : "tuple";
    if (index.is(ObjectKind::Slice)) {
      auto range = slice_range(index.as<SliceObject>(), static_cast<int64_t>(items.size()));
      if (!range.ok()) return raise(range.error());
      std::vector<Value> out;
      for (int64_t k = 0, i = range->start; k < range->length; ++k, i += range->step)
        out.push_back(items[i]);
      return container.is(ObjectKind::List) ? make_list(std::move(out))
                                            : make_tuple(std::move(out));
    }
    auto i = normalize_index(index, static_cast<int64_t>(items.size()), what);
    if (!i.ok()) return raise(i.error());
    return items[*i];
  }
  if (container.is(ObjectKind::Str)) {
    const std::string& text = container.as<StrObject>().text;
    if (index.is(ObjectKind::Slice)) {
      auto range = slice_range(index.as<SliceObject>(), static_cast<int64_t>(text.size()));
      if (!range.ok()) return raise(range.error());
      std::string out;
      for (int64_t k = 0, i = range->start; k < range->length; ++k, i += range->step)
        out += text[i];
      return make_str(std::move(out));
    }
    auto i = normalize_index(index, static_cast<int64_t>(text.size()), "string");
    if (!i.ok()) return raise(i.error());
    return make_str(std::string(1, text[*i]));
  }
  if (auto method = special_method(container, "__getitem__"))  // a script class (Sequential)
    return call(*method, std::span<const Value>(&index, 1));
  if (container.is(ObjectKind::Dict)) {
    auto found = container.as<DictObject>().table.get(index);
    if (!found.ok()) return raise(found.error());
    if (!found->has_value()) return raise_with_args("KeyError", {index});
    return **found;
  }
  if (container.is(ObjectKind::Range)) {
    const auto& range = container.as<RangeObject>();
    auto i = normalize_index(index, range.length(), "range object");
    if (!i.ok()) return raise(i.error());
    return Value::integer(range.start + *i * range.step);
  }
  if (container.is(ObjectKind::TensorBox)) {
    auto result = index_tensor(container.as<TensorBoxObject>().tensor, index);
    if (!result.ok()) return raise(result.error());
    return make_tensor(std::move(*result));
  }
  if (container.is(ObjectKind::SparseTensor)) return raise(sparse_unsupported("indexing"));
  return raise(ErrorKind::TypeError, "'{}' object is not subscriptable", type_name(container));
}

bool Interpreter::store_subscript(const Value& container, const Value& index, Value value) {
  if (container.is(ObjectKind::List) && index.is(ObjectKind::Slice)) {
    auto& items = container.as<ListObject>().items;
    auto range = slice_range(index.as<SliceObject>(), static_cast<int64_t>(items.size()));
    if (!range.ok()) {
      raise(range.error());
      return false;
    }
    auto replacement = collect(value);
    if (!replacement) return false;
    if (range->step == 1) {
      // a[i:j] = items: the slice is replaced, growing or shrinking the list.
      int64_t stop = std::max(range->start, range->stop);
      items.erase(items.begin() + range->start, items.begin() + stop);
      items.insert(items.begin() + range->start, replacement->begin(), replacement->end());
      return true;
    }
    if (static_cast<int64_t>(replacement->size()) != range->length) {
      raise(ErrorKind::ValueError,
            "attempt to assign sequence of size {} to extended slice of size {}",
            replacement->size(), range->length);
      return false;
    }
    for (int64_t k = 0, i = range->start; k < range->length; ++k, i += range->step)
      items[i] = (*replacement)[k];
    return true;
  }
  if (container.is(ObjectKind::List)) {
    auto& items = container.as<ListObject>().items;
    auto i = normalize_index(index, static_cast<int64_t>(items.size()), "list assignment");
    if (!i.ok()) {
      raise(i.error());
      return false;
    }
    items[*i] = std::move(value);
    return true;
  }
  if (container.is(ObjectKind::Dict)) {
    Status status = container.as<DictObject>().table.set(index, std::move(value));
    if (!status.ok()) raise(status.error());
    return status.ok();
  }
  if (container.is(ObjectKind::TensorBox)) {
    auto target = index_tensor(container.as<TensorBoxObject>().tensor, index);
    if (!target.ok()) {
      raise(target.error());
      return false;
    }
    Tensor source;
    if (value.is(ObjectKind::TensorBox))
      source = value.as<TensorBoxObject>().tensor;
    else if (value.is_number())
      source = Tensor::scalar(value.to_double(), target->dtype());
    else {
      raise(ErrorKind::TypeError, "can't assign a {} to a Tensor", type_name(value));
      return false;
    }
    Status copied = eager::copy_into(*target, source);
    if (!copied.ok()) raise(copied.error());
    return copied.ok();
  }
  if (container.is(ObjectKind::SparseTensor))
    raise(sparse_unsupported("item assignment"));
  else
    raise(ErrorKind::TypeError, "'{}' object does not support item assignment",
          type_name(container));
  return false;
}

}  // namespace gyro
