// Python's semantics for values: type names, truth, repr/str, equality, hashing, and the
// unary, binary, comparison and membership operators (tensors dispatch to the eager ops).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "interp/value.h"
#include "ir/error.h"
#include "ir/op.h"
#include "ir/opcode.h"

namespace gyro {

std::string_view type_name(const Value& value);  // "int", "list", "Tensor", ...

// The most items `seq * n` may make (a str: 8 times as many bytes); past it, MemoryError.
// 2^36 by default; a host that runs untrusted programs lowers it (the fuzzers do), since one
// repetition is one VM step whatever its size. Process-wide, like set_tensor_memory_limit.
void set_repeat_limit(int64_t items);

// bool(value). A tensor is truthy only with one element (RuntimeError otherwise, as PyTorch).
Expected<bool> truthy(const Value& value);

std::string repr(const Value& value);
// The args tuple of an exception instance (empty when it has none).
Value exception_args(const Value& exception);
std::string str(const Value& value);  // str of a str is its text; otherwise repr

// Key equality for dicts and `in`: Python's == on hashable values (1 == 1.0 == True), identity
// for tensors (their == is elementwise).
bool keys_equal(const Value& a, const Value& b);
// Equal for equal keys; TypeError "unhashable type: 'list'" for mutable containers.
Expected<uint64_t> hash_value(const Value& value);

// Python's operators. Ints are 64-bit: a result that does not fit is an OverflowError (CPython
// would switch to a big integer). Errors carry CPython's exception type and message.
Expected<Value> binary_op(Binop op, const Value& a, const Value& b);
// The tensor op a Python operator runs on tensors (+ is add, @ is matmul, ...), if any.
std::optional<OpKind> tensor_binop(Binop op);
// PyTorch's ScalarType names, as its error messages spell them ("Float", "Long").
std::string_view torch_dtype_name(DType dtype);
// The operator an in-place one applies (`+=` -> `+`); other operators are their own.
Binop base_op(Binop op);
Expected<Value> compare_op(CompareOp op, const Value& a, const Value& b);
Expected<Value> unary_negative(const Value& value);
Expected<Value> unary_positive(const Value& value);
Expected<Value> unary_invert(const Value& value);
// `item in container`.
Expected<bool> contains(const Value& container, const Value& item);

}  // namespace gyro
