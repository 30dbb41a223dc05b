// Calling tensor ops from scripts: op(x, y, dim=1) and x.op(...) map Python arguments onto the
// op table's inputs and attributes.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "interp/interpreter.h"
#include "ir/attr.h"
#include "ir/op.h"

namespace gyro {

// A Python value as an op attribute (numbers, None, dtypes, strings, lists of ints), or nullopt
// when it has no attribute form.
std::optional<Attr> value_to_attr(const Value& value);

// One op call of tensor indexing (select or slice with its attributes).
struct IndexStep {
  OpKind op;
  Attrs attrs;
};
// tensor[index] for a tensor of `rank` dims as op calls in order (subscript.cc); IndexError
// for an index gyro does not support or that has too many parts.
Expected<std::vector<IndexStep>> tensor_index_steps(int rank, const Value& index);

// op(args...) on the eager kernels, arguments mapped by map_op_arguments (op_arguments.h);
// multi-output ops return a tuple.
std::optional<Value> call_tensor_op(Interpreter& vm, OpKind op, std::span<const Value> args,
                                    std::span<const KeywordArg> kwargs);

// tensor(data, dtype=None) as torch.tensor: nested lists/tuples of bools, ints and floats (or
// one number) through tensor_from_nested, with its dtype inference and ragged-list errors.
// Tensors inside the data are read as nested lists of their values (a 0-d tensor as a number)
// and their dtype joins the inference, as in PyTorch; a tensor as the data is copied. A bad
// element raises PyTorch's error for it ("new(): invalid data type 'str'").
std::optional<Value> tensor_from_data(Interpreter& vm, const Value& data,
                                      std::optional<DType> dtype);

}  // namespace gyro
