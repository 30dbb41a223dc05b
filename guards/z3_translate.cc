// SymContext nodes to Z3. Why the explicit encodings: Z3's integer div/mod are Euclidean (the
// remainder is never negative), Python's // rounds toward negative infinity and % takes the
// divisor's sign, so each is spelled out for both signs of the divisor. Why defined(): runtime
// guards are evaluated with checked int64 arithmetic (an overflow fails the guard), so a pruning
// proof over unbounded integers alone would drop guards that can fail by overflowing.
#include "guards/z3_translate.h"

#include <z3++.h>

#include <string>
#include <unordered_map>

namespace gyro::guards {

struct Z3Translator::Impl {
  const SymContext& sym;
  z3::context& z3;
  Z3Semantics semantics;
  // Truth kinds are memoized as Bool, every other kind as Int.
  std::unordered_map<int32_t, z3::expr> primary;
  std::unordered_map<int32_t, z3::expr> defined;
  std::unordered_map<int, z3::expr> symbols;
  std::vector<int> symbols_seen;

  z3::expr int64_min() { return z3.int_val(INT64_MIN); }
  z3::expr int64_max() { return z3.int_val(INT64_MAX); }
  z3::expr fits(const z3::expr& value) {
    return semantics == Z3Semantics::kInt64 ? int64_min() <= value && value <= int64_max()
                                            : z3.bool_val(true);
  }

  z3::expr symbol(int index) {
    auto it = symbols.find(index);
    if (it != symbols.end()) return it->second;
    std::string name = std::to_string(index);
    name.insert(name.begin(), 's');  // (not "s" + ...: GCC 12 warns -Wrestrict on it)
    z3::expr s = z3.int_const(name.c_str());
    symbols.emplace(index, s);
    symbols_seen.push_back(index);
    return s;
  }

  // Python's a // b for b != 0: Euclidean division agrees with floor division when b > 0, and
  // a // b == (-a) // (-b).
  z3::expr floordiv(const z3::expr& a, const z3::expr& b, SymId divisor) {
    const SymNode& d = sym.node(divisor);
    if (d.kind == SymKind::kConstant) return d.value > 0 ? a / b : (-a) / (-b);
    return z3::ite(b > 0, a / b, (-a) / (-b));
  }

  z3::expr int_value(SymId id) {
    z3::expr value = translate(id);
    return value.is_bool() ? z3::ite(value, z3.int_val(1), z3.int_val(0)) : value;
  }
  z3::expr truth(SymId id) {
    z3::expr value = translate(id);
    return value.is_bool() ? value : value != 0;
  }

  z3::expr translate(SymId id) {
    auto it = primary.find(id.index);
    if (it != primary.end()) return it->second;
    z3::expr out = build(id);
    primary.emplace(id.index, out);
    return out;
  }

  z3::expr build(SymId id) {
    const SymNode& n = sym.node(id);
    switch (n.kind) {
      case SymKind::kConstant:
        return z3.int_val(n.value);
      case SymKind::kSymbol:
        return symbol(static_cast<int>(n.value));
      case SymKind::kAdd: {
        z3::expr total = z3.int_val(n.value);
        for (const auto& [term, coefficient] : n.terms)
          total = total + int_value(term) * z3.int_val(coefficient);
        return total;
      }
      case SymKind::kMul: {
        z3::expr product = int_value(n.operands[0]);
        for (size_t i = 1; i < n.operands.size(); ++i) product = product * int_value(n.operands[i]);
        return product;
      }
      case SymKind::kFloorDiv:
        return floordiv(int_value(n.operands[0]), int_value(n.operands[1]), n.operands[1]);
      case SymKind::kMod: {
        // Python's a % b is Z3's for b > 0, and -((-a) % (-b)) for b < 0. (Z3's own mod ties in
        // with its div axioms, which proves more than a - b*(a // b) would.)
        z3::expr a = int_value(n.operands[0]);
        z3::expr b = int_value(n.operands[1]);
        const SymNode& d = sym.node(n.operands[1]);
        if (d.kind == SymKind::kConstant) return d.value > 0 ? z3::mod(a, b) : -z3::mod(-a, -b);
        return z3::ite(b > 0, z3::mod(a, b), -z3::mod(-a, -b));
      }
      case SymKind::kMin: {
        z3::expr a = int_value(n.operands[0]);
        z3::expr b = int_value(n.operands[1]);
        return z3::ite(a <= b, a, b);
      }
      case SymKind::kMax: {
        z3::expr a = int_value(n.operands[0]);
        z3::expr b = int_value(n.operands[1]);
        return z3::ite(a >= b, a, b);
      }
      case SymKind::kLe:
        return int_value(n.operands[0]) <= 0;
      case SymKind::kEq:
        return int_value(n.operands[0]) == 0;
      case SymKind::kNe:
        return int_value(n.operands[0]) != 0;
      case SymKind::kAnd:
        return truth(n.operands[0]) && truth(n.operands[1]);
      case SymKind::kOr:
        return truth(n.operands[0]) || truth(n.operands[1]);
      case SymKind::kNot:
        return !truth(n.operands[0]);
    }
    GYRO_UNREACHABLE("unknown SymKind");
  }

  z3::expr is_defined(SymId id) {
    auto it = defined.find(id.index);
    if (it != defined.end()) return it->second;
    z3::expr out = build_defined(id);
    defined.emplace(id.index, out);
    return out;
  }

  // Mirrors SymContext::evaluate step by step: every partial sum and product it computes must
  // fit (under kInt64), every divisor must be non-zero.
  z3::expr build_defined(SymId id) {
    const SymNode& n = sym.node(id);
    switch (n.kind) {
      case SymKind::kConstant:
      case SymKind::kSymbol:
        return z3.bool_val(true);
      case SymKind::kAdd: {
        z3::expr_vector conditions(z3);
        z3::expr total = z3.int_val(n.value);
        for (const auto& [term, coefficient] : n.terms) {
          conditions.push_back(is_defined(term));
          z3::expr product = int_value(term) * z3.int_val(coefficient);
          total = total + product;
          conditions.push_back(fits(product));
          conditions.push_back(fits(total));
        }
        return z3::mk_and(conditions).simplify();
      }
      case SymKind::kMul: {
        z3::expr_vector conditions(z3);
        z3::expr product = int_value(n.operands[0]);
        conditions.push_back(is_defined(n.operands[0]));
        for (size_t i = 1; i < n.operands.size(); ++i) {
          conditions.push_back(is_defined(n.operands[i]));
          product = product * int_value(n.operands[i]);
          conditions.push_back(fits(product));
        }
        return z3::mk_and(conditions).simplify();
      }
      case SymKind::kFloorDiv:
      case SymKind::kMod: {
        z3::expr divisor_ok = int_value(n.operands[1]) != 0;
        z3::expr out = is_defined(n.operands[0]) && is_defined(n.operands[1]) && divisor_ok;
        // Only INT64_MIN // -1 leaves int64; Python's % by -1 is 0.
        if (n.kind == SymKind::kFloorDiv) out = out && fits(int_value(id));
        return out.simplify();
      }
      case SymKind::kMin:
      case SymKind::kMax:
        return (is_defined(n.operands[0]) && is_defined(n.operands[1])).simplify();
      case SymKind::kLe:
      case SymKind::kEq:
      case SymKind::kNe:
      case SymKind::kNot:
        return is_defined(n.operands[0]);
      case SymKind::kAnd:
        return (is_defined(n.operands[0]) && (!truth(n.operands[0]) || is_defined(n.operands[1])))
            .simplify();
      case SymKind::kOr:
        return (is_defined(n.operands[0]) && (truth(n.operands[0]) || is_defined(n.operands[1])))
            .simplify();
    }
    GYRO_UNREACHABLE("unknown SymKind");
  }
};

Z3Translator::Z3Translator(const SymContext& context, z3::context& z3, Z3Semantics semantics)
    : impl_(new Impl{context, z3, semantics, {}, {}, {}, {}}) {}
Z3Translator::~Z3Translator() = default;

z3::expr Z3Translator::int_value(SymId id) {
  return impl_->int_value(id);
}
z3::expr Z3Translator::truth(SymId id) {
  return impl_->truth(id);
}
z3::expr Z3Translator::defined(SymId id) {
  return impl_->is_defined(id);
}
z3::expr Z3Translator::holds(SymId id) {
  z3::expr ok = impl_->is_defined(id);
  z3::expr value = impl_->truth(id);
  return ok.is_true() ? value : (ok && value);
}
z3::expr Z3Translator::symbol(int index) {
  return impl_->symbol(index);
}
z3::expr Z3Translator::symbol_in_int64(int index) {
  z3::expr s = impl_->symbol(index);
  return impl_->int64_min() <= s && s <= impl_->int64_max();
}
const std::vector<int>& Z3Translator::symbols_seen() const {
  return impl_->symbols_seen;
}

}  // namespace gyro::guards
