// How a call's Python arguments map onto an op's tensor inputs and attributes, written once for
// any kind of argument: the VM's values (tensor_calls.cc) and the tracer's symbolic values.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ir/attr.h"
#include "ir/error.h"
#include "ir/op.h"

namespace gyro {

template <typename Input>
struct OpArguments {
  OpKind op;
  std::vector<Input> inputs;
  std::vector<Attr> attrs;       // positional, in schema order
  std::vector<NamedAttr> named;  // keywords
};

// Leading positional arguments fill the op's tensor inputs (numbers become wrapped scalars; a
// list of tensors fills a variadic op such as cat); the rest bind to attributes in schema order,
// keywords by name. Several ints for an int[] attribute pack into one (zeros(2, 3),
// x.reshape(2, -1)); x.split([1, 2]) is split_with_sizes, as in PyTorch.
//
// `Traits` says what an argument is: is_tensor(a) (a tensor, not a number), input(a) (a tensor
// or a number as an op input, else nullopt), items(a) (a list's or tuple's items, else null),
// integral(a) (an int or bool, else nullopt; a symbolic int gives its hint), sym_of(a) (a
// symbolic int's expression, else an invalid id: packed ints keep it in Attr::syms), attr(a)
// (an attribute, else nullopt) and type_of(a) (for messages); keyword_name(k) and
// keyword_value(k) read a keyword.
template <typename Arg, typename Keyword, typename Traits>
Expected<OpArguments<typename Traits::Input>> map_op_arguments(OpKind op, std::span<const Arg> args,
                                                               std::span<const Keyword> kwargs,
                                                               Traits& traits) {
  if (op == OpKind::split && args.size() > 1 && traits.items(args[1]))
    op = OpKind::split_with_sizes;
  const OpInfo& info = op_info(op);
  OpArguments<typename Traits::Input> out{op, {}, {}, {}};
  std::size_t next = 0;
  if (info.max_inputs < 0) {
    // cat/stack: a list or tuple of tensors.
    const auto* items = args.empty() ? nullptr : traits.items(args[0]);
    GYRO_CHECK_ARG(items, TypeError, "{}() expects a list of tensors as its first argument",
                   info.name);
    for (const Arg& item : *items) {
      auto input = traits.input(item);
      GYRO_CHECK_ARG(input, TypeError, "{}() expects tensors, not {}", info.name,
                     traits.type_of(item));
      out.inputs.push_back(std::move(*input));
    }
    next = 1;
  } else {
    while (next < args.size() && static_cast<int>(out.inputs.size()) < info.max_inputs) {
      // Optional inputs (linear's bias, layer_norm's weight) may also be passed as None.
      if (static_cast<int>(out.inputs.size()) >= info.min_inputs && !traits.is_tensor(args[next]))
        break;
      auto input = traits.input(args[next]);
      if (!input) break;
      out.inputs.push_back(std::move(*input));
      ++next;
    }
  }
  const auto& specs = info.attrs;
  for (; next < args.size(); ++next) {
    std::size_t slot = out.attrs.size();
    if (slot < specs.size() && specs[slot].type == AttrType::kInts && traits.integral(args[next]) &&
        next + 1 < args.size() && traits.integral(args[next + 1])) {
      std::vector<int64_t> ints;
      std::vector<SymId> syms;  // filled from the first symbolic int on (the VM's never are)
      bool symbolic = false;
      while (next < args.size()) {
        auto value = traits.integral(args[next]);
        if (!value) break;
        ints.push_back(*value);
        const SymId sym = traits.sym_of(args[next]);
        if (sym.index >= 0 && !symbolic) {
          symbolic = true;
          syms.resize(ints.size() - 1);
        }
        if (symbolic) syms.push_back(sym);
        ++next;
      }
      --next;
      out.attrs.push_back(Attr::list(std::move(ints)));
      if (symbolic) out.attrs.back().syms = std::move(syms);
      continue;
    }
    auto attr = traits.attr(args[next]);
    GYRO_CHECK_ARG(attr, TypeError, "{}(): argument {} of type {} is not supported", info.name,
                   next, traits.type_of(args[next]));
    out.attrs.push_back(std::move(*attr));
  }
  for (const Keyword& keyword : kwargs) {
    auto attr = traits.attr(traits.keyword_value(keyword));
    GYRO_CHECK_ARG(attr, TypeError, "{}(): keyword argument '{}' of type {} is not supported",
                   info.name, traits.keyword_name(keyword),
                   traits.type_of(traits.keyword_value(keyword)));
    out.named.push_back({traits.keyword_name(keyword), std::move(*attr)});
  }
  return out;
}

}  // namespace gyro
