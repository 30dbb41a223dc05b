// Symbolic ints: hash-consing, the canonical linear form of sums, folding, evaluation and
// printing. Why linear only: products of sums are kept as products (distributing them would
// grow without bound), and reshape's facts (s0*s1 == 4*s2) need no more than that.
#include "ir/sym_expr.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <optional>

namespace gyro {

namespace {

uint64_t mix(uint64_t seed, uint64_t value) {
  return seed ^ (value + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2));
}

uint64_t hash_of(const SymNode& node) {
  uint64_t h = mix(static_cast<uint64_t>(node.kind), static_cast<uint64_t>(node.value));
  for (const auto& [term, coefficient] : node.terms)
    h = mix(mix(h, static_cast<uint64_t>(term.index)), static_cast<uint64_t>(coefficient));
  for (SymId operand : node.operands) h = mix(h, static_cast<uint64_t>(operand.index));
  return h;
}

bool same(const SymNode& a, const SymNode& b) {
  return a.kind == b.kind && a.value == b.value && a.terms == b.terms && a.operands == b.operands;
}

// Python's // and % on int64; false when the result does not fit (INT64_MIN // -1).
bool python_floordiv(int64_t a, int64_t b, int64_t& out) {
  if (b == 0 || (a == INT64_MIN && b == -1)) return false;
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  out = q;
  return true;
}
bool python_mod(int64_t a, int64_t b, int64_t& out) {
  if (b == 0) return false;
  if (b == -1) {
    out = 0;
    return true;
  }
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  out = r;
  return true;
}

bool is_truth(const SymNode& node) {
  switch (node.kind) {
    case SymKind::kLe:
    case SymKind::kEq:
    case SymKind::kNe:
    case SymKind::kAnd:
    case SymKind::kOr:
    case SymKind::kNot:
      return true;
    case SymKind::kConstant:
      return node.value == 0 || node.value == 1;
    case SymKind::kSymbol:
    case SymKind::kAdd:
    case SymKind::kMul:
    case SymKind::kFloorDiv:
    case SymKind::kMod:
    case SymKind::kMin:
    case SymKind::kMax:
      return false;
  }
  return false;
}

}  // namespace

SymId SymContext::intern(SymNode node) {
  const uint64_t h = hash_of(node);
  auto [begin, end] = index_.equal_range(h);
  for (auto it = begin; it != end; ++it)
    if (same(nodes_[it->second], node)) return SymId{it->second};
  nodes_.push_back(std::move(node));
  const auto index = static_cast<int32_t>(nodes_.size() - 1);
  index_.emplace(h, index);
  return SymId{index};
}

SymId SymContext::intern_operands(SymKind kind, std::vector<SymId> operands) {
  SymNode node;
  node.kind = kind;
  node.operands = std::move(operands);
  return intern(std::move(node));
}

SymId SymContext::constant(int64_t value) {
  SymNode node;
  node.kind = SymKind::kConstant;
  node.value = value;
  return intern(std::move(node));
}

SymId SymContext::symbol(int index) {
  GYRO_ASSERT(index >= 0, "symbol index {}", index);
  SymNode node;
  node.kind = SymKind::kSymbol;
  node.value = index;
  return intern(std::move(node));
}

void SymContext::linear(SymId id, int64_t scale, int64_t& constant, Terms& terms,
                        bool& overflow) const {
  const SymNode& n = node(id);
  int64_t scaled = 0;
  switch (n.kind) {
    case SymKind::kConstant:
      overflow |= __builtin_mul_overflow(n.value, scale, &scaled) ||
                  __builtin_add_overflow(constant, scaled, &constant);
      return;
    case SymKind::kAdd:
      overflow |= __builtin_mul_overflow(n.value, scale, &scaled) ||
                  __builtin_add_overflow(constant, scaled, &constant);
      for (const auto& [term, coefficient] : n.terms) {
        overflow |= __builtin_mul_overflow(coefficient, scale, &scaled);
        terms.push_back({term, scaled});
      }
      return;
    default:
      terms.push_back({id, scale});
  }
}

SymId SymContext::make_sum(int64_t offset, Terms terms) {
  std::sort(terms.begin(), terms.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Terms merged;
  for (const auto& [term, coefficient] : terms) {
    if (!merged.empty() && merged.back().first == term) {
      if (__builtin_add_overflow(merged.back().second, coefficient, &merged.back().second))
        return SymId{};  // the caller keeps the sum unmerged
    } else {
      merged.push_back({term, coefficient});
    }
  }
  std::erase_if(merged, [](const auto& term) { return term.second == 0; });
  if (merged.empty()) return constant(offset);
  if (offset == 0 && merged.size() == 1 && merged[0].second == 1) return merged[0].first;
  SymNode node;
  node.kind = SymKind::kAdd;
  node.value = offset;
  node.terms = std::move(merged);
  return intern(std::move(node));
}

SymId SymContext::add(SymId a, SymId b) {
  int64_t offset = 0;
  Terms terms;
  bool overflow = false;
  linear(a, 1, offset, terms, overflow);
  linear(b, 1, offset, terms, overflow);
  SymId sum = overflow ? SymId{} : make_sum(offset, std::move(terms));
  if (sum.index >= 0) return sum;
  // Coefficients that would overflow: the sum stays as it was written.
  SymNode node;
  node.kind = SymKind::kAdd;
  node.terms = {{std::min(a, b), 1}, {std::max(a, b), 1}};
  if (a == b) node.terms = {{a, 1}, {a, 1}};
  return intern(std::move(node));
}

SymId SymContext::neg(SymId a) {
  return mul(constant(-1), a);
}
SymId SymContext::sub(SymId a, SymId b) {
  return add(a, neg(b));
}

SymId SymContext::mul(SymId a, SymId b) {
  if (is_constant(b)) std::swap(a, b);
  if (is_constant(a)) {
    // A constant scales the other side's linear form.
    int64_t offset = 0;
    Terms terms;
    bool overflow = false;
    linear(b, node(a).value, offset, terms, overflow);
    if (!overflow) {
      SymId scaled = make_sum(offset, std::move(terms));
      if (scaled.index >= 0) return scaled;
    }
  }
  // k*t factors: the coefficients multiply, the terms form one sorted product.
  int64_t coefficient = 1;
  std::vector<SymId> factors;
  bool overflow = false;
  for (SymId side : {a, b}) {
    const SymNode& n = node(side);
    SymId term = side;
    if (n.kind == SymKind::kAdd && n.value == 0 && n.terms.size() == 1) {
      overflow |= __builtin_mul_overflow(coefficient, n.terms[0].second, &coefficient);
      term = n.terms[0].first;
    } else if (n.kind == SymKind::kConstant) {
      overflow |= __builtin_mul_overflow(coefficient, n.value, &coefficient);
      continue;
    }
    if (node(term).kind == SymKind::kMul)
      factors.insert(factors.end(), node(term).operands.begin(), node(term).operands.end());
    else
      factors.push_back(term);
  }
  if (overflow) {
    coefficient = 1;
    factors = {std::min(a, b), std::max(a, b)};
  }
  std::sort(factors.begin(), factors.end());
  SymId product = factors[0];
  if (factors.size() > 1) {
    SymNode node;
    node.kind = SymKind::kMul;
    node.operands = std::move(factors);
    product = intern(std::move(node));
  }
  if (coefficient == 1) return product;
  SymId scaled = make_sum(0, {{product, coefficient}});
  return scaled.index >= 0 ? scaled : product;
}

// `a` as `b` times a quotient, when its form shows one: b, c*b, a product with b among its
// factors, or c times such a product (reshape(n, -1) of n*k elements divides n*k by n).
std::optional<SymId> SymContext::exact_quotient(SymId a, SymId b) {
  if (a == b) return constant(1);
  const SymNode& n = node(a);
  if (n.kind == SymKind::kAdd && n.value == 0 && n.terms.size() == 1) {
    const auto [term, coefficient] = n.terms[0];
    auto inner = exact_quotient(term, b);
    if (!inner) return std::nullopt;
    return mul(*inner, constant(coefficient));
  }
  if (n.kind != SymKind::kMul) return std::nullopt;
  std::vector<SymId> rest = n.operands;
  auto found = std::find(rest.begin(), rest.end(), b);
  if (found == rest.end()) return std::nullopt;
  rest.erase(found);
  SymId product = constant(1);
  for (SymId factor : rest) product = mul(product, factor);
  return product;
}

SymId SymContext::floordiv(SymId a, SymId b) {
  int64_t folded = 0;
  if (is_constant(a) && is_constant(b) && python_floordiv(node(a).value, node(b).value, folded))
    return constant(folded);
  if (is_constant(b) && node(b).value == 1) return a;
  // (q*b) // b is q for every b != 0 (and a division by zero is an error either way).
  if (!is_constant(b))
    if (auto quotient = exact_quotient(a, b)) return *quotient;
  return intern_operands(SymKind::kFloorDiv, {a, b});
}

SymId SymContext::mod(SymId a, SymId b) {
  int64_t folded = 0;
  if (is_constant(a) && is_constant(b) && python_mod(node(a).value, node(b).value, folded))
    return constant(folded);
  if (is_constant(b) && (node(b).value == 1 || node(b).value == -1)) return constant(0);
  if (!is_constant(b) && exact_quotient(a, b)) return constant(0);
  return intern_operands(SymKind::kMod, {a, b});
}

SymId SymContext::min(SymId a, SymId b) {
  if (is_constant(a) && is_constant(b)) return constant(std::min(node(a).value, node(b).value));
  if (a == b) return a;
  return intern_operands(SymKind::kMin, {std::min(a, b), std::max(a, b)});
}

SymId SymContext::max(SymId a, SymId b) {
  if (is_constant(a) && is_constant(b)) return constant(std::max(node(a).value, node(b).value));
  if (a == b) return a;
  return intern_operands(SymKind::kMax, {std::min(a, b), std::max(a, b)});
}

// `difference <= 0`, `== 0` or `!= 0`, decided when constant; otherwise divided by the gcd of
// its coefficients (2*s0 - 4 <= 0 is s0 <= 2) and, for == and !=, signed so that its first
// coefficient is positive, so that equal facts are one node.
SymId SymContext::compare(SymKind kind, SymId difference) {
  const SymNode& d = node(difference);
  if (d.kind == SymKind::kConstant) {
    const int64_t v = d.value;
    return constant(kind == SymKind::kLe ? v <= 0 : kind == SymKind::kEq ? v == 0 : v != 0);
  }
  const bool extreme =
      d.kind == SymKind::kAdd &&
      (d.value == INT64_MIN || std::any_of(d.terms.begin(), d.terms.end(),
                                           [](const auto& t) { return t.second == INT64_MIN; }));
  if (d.kind == SymKind::kAdd && !extreme) {  // (INT64_MIN cannot be negated: left as it is)
    int64_t g = 0;
    for (const auto& [term, coefficient] : d.terms) g = std::gcd(g, std::abs(coefficient));
    int64_t sign = d.terms[0].second < 0 && kind != SymKind::kLe ? -1 : 1;
    if (g > 1 || sign < 0) {
      int64_t offset = d.value;
      if (kind != SymKind::kLe && offset % g != 0)  // s terms are multiples of g; offset is not
        return constant(kind == SymKind::kNe);
      // For <=: sum(k/g * t) <= -offset/g, i.e. sum(k/g * t) + ceil(offset/g) <= 0.
      int64_t scaled_offset = 0;
      python_floordiv(-offset, g, scaled_offset);
      scaled_offset = -scaled_offset;
      Terms terms;
      for (const auto& [term, coefficient] : d.terms)
        terms.push_back({term, sign * coefficient / g});
      SymNode reduced;
      reduced.kind = SymKind::kAdd;
      reduced.value = sign * scaled_offset;
      reduced.terms = std::move(terms);
      SymId normal = reduced.value == 0 && reduced.terms.size() == 1 && reduced.terms[0].second == 1
                         ? reduced.terms[0].first
                         : intern(std::move(reduced));
      return intern_operands(kind, {normal});
    }
  }
  return intern_operands(kind, {difference});
}

SymId SymContext::le(SymId a, SymId b) {
  return compare(SymKind::kLe, sub(a, b));
}
SymId SymContext::lt(SymId a, SymId b) {
  return compare(SymKind::kLe, add(sub(a, b), constant(1)));
}
SymId SymContext::eq(SymId a, SymId b) {
  return compare(SymKind::kEq, sub(a, b));
}
SymId SymContext::ne(SymId a, SymId b) {
  return compare(SymKind::kNe, sub(a, b));
}

SymId SymContext::logical_and(SymId a, SymId b) {
  GYRO_ASSERT(is_truth(node(a)) && is_truth(node(b)), "'and' of a non-truth value");
  if (is_constant(a)) return node(a).value ? b : a;
  if (is_constant(b)) return node(b).value ? a : b;
  if (a == b) return a;
  return intern_operands(SymKind::kAnd, {std::min(a, b), std::max(a, b)});
}

SymId SymContext::logical_or(SymId a, SymId b) {
  GYRO_ASSERT(is_truth(node(a)) && is_truth(node(b)), "'or' of a non-truth value");
  if (is_constant(a)) return node(a).value ? a : b;
  if (is_constant(b)) return node(b).value ? b : a;
  if (a == b) return a;
  return intern_operands(SymKind::kOr, {std::min(a, b), std::max(a, b)});
}

SymId SymContext::logical_not(SymId a) {
  GYRO_ASSERT(is_truth(node(a)), "'not' of a non-truth value");
  // Copied out: making nodes below may move nodes_, and a reference into it with them.
  const SymKind kind = node(a).kind;
  const int64_t value = node(a).value;
  const SymId operand = node(a).operands.empty() ? SymId{} : node(a).operands[0];
  switch (kind) {
    case SymKind::kConstant:
      return constant(value == 0);
    case SymKind::kNot:
      return operand;
    case SymKind::kLe:  // not (d <= 0) is 1 - d <= 0
      return compare(SymKind::kLe, sub(constant(1), operand));
    case SymKind::kEq:
      return compare(SymKind::kNe, operand);
    case SymKind::kNe:
      return compare(SymKind::kEq, operand);
    default: {
      return intern_operands(SymKind::kNot, {a});
    }
  }
}

Expected<int64_t> SymContext::evaluate(SymId id, std::span<const int64_t> bindings) const {
  const SymNode& n = node(id);
  auto overflow = [&] {
    return make_error(ErrorKind::OverflowError, "{} overflows int64", print(id));
  };
  auto operand = [&](int i) { return evaluate(n.operands[i], bindings); };
  switch (n.kind) {
    case SymKind::kConstant:
      return n.value;
    case SymKind::kSymbol:
      GYRO_CHECK_ARG(n.value < static_cast<int64_t>(bindings.size()), ValueError,
                     "s{} has no binding", n.value);
      return bindings[n.value];
    case SymKind::kAdd: {
      int64_t total = n.value;
      for (const auto& [term, coefficient] : n.terms) {
        GYRO_ASSIGN_OR_RETURN(int64_t value, evaluate(term, bindings));
        int64_t product = 0;
        if (__builtin_mul_overflow(value, coefficient, &product) ||
            __builtin_add_overflow(total, product, &total))
          return overflow();
      }
      return total;
    }
    case SymKind::kMul: {
      int64_t product = 1;
      for (SymId factor : n.operands) {
        GYRO_ASSIGN_OR_RETURN(int64_t value, evaluate(factor, bindings));
        if (__builtin_mul_overflow(product, value, &product)) return overflow();
      }
      return product;
    }
    case SymKind::kFloorDiv:
    case SymKind::kMod: {
      GYRO_ASSIGN_OR_RETURN(int64_t a, operand(0));
      GYRO_ASSIGN_OR_RETURN(int64_t b, operand(1));
      GYRO_CHECK_ARG(b != 0, ZeroDivisionError, "{}: division by zero", print(id));
      int64_t out = 0;
      if (!(n.kind == SymKind::kFloorDiv ? python_floordiv(a, b, out) : python_mod(a, b, out)))
        return overflow();
      return out;
    }
    case SymKind::kMin:
    case SymKind::kMax: {
      GYRO_ASSIGN_OR_RETURN(int64_t a, operand(0));
      GYRO_ASSIGN_OR_RETURN(int64_t b, operand(1));
      return n.kind == SymKind::kMin ? std::min(a, b) : std::max(a, b);
    }
    case SymKind::kLe:
    case SymKind::kEq:
    case SymKind::kNe: {
      GYRO_ASSIGN_OR_RETURN(int64_t d, operand(0));
      return n.kind == SymKind::kLe ? d <= 0 : n.kind == SymKind::kEq ? d == 0 : d != 0;
    }
    case SymKind::kAnd:
    case SymKind::kOr: {
      GYRO_ASSIGN_OR_RETURN(int64_t a, operand(0));
      if ((n.kind == SymKind::kAnd) == (a == 0)) return a != 0;  // short-circuits, as Python
      GYRO_ASSIGN_OR_RETURN(int64_t b, operand(1));
      return b != 0;
    }
    case SymKind::kNot: {
      GYRO_ASSIGN_OR_RETURN(int64_t a, operand(0));
      return a == 0;
    }
  }
  return int64_t{0};
}

// ---- printing ----

namespace {
// -value as text, for every int64 (INT64_MIN included).
std::string negated(int64_t value) {
  if (value <= 0) return std::to_string(0 - static_cast<uint64_t>(value));
  return fmt::format("-{}", value);
}
}  // namespace

std::string SymContext::print_operand(SymId id) const {
  switch (node(id).kind) {
    case SymKind::kConstant:
    case SymKind::kSymbol:
    case SymKind::kMin:
    case SymKind::kMax:
      return print(id);
    default:
      return fmt::format("({})", print(id));
  }
}

std::string SymContext::print_sum(int64_t offset, const Terms& terms) const {
  std::string out;
  for (const auto& [term, coefficient] : terms) {
    const bool first = out.empty();
    const uint64_t size = coefficient < 0 ? 0 - static_cast<uint64_t>(coefficient)
                                          : static_cast<uint64_t>(coefficient);
    if (!first)
      out += coefficient < 0 ? " - " : " + ";
    else if (coefficient < 0)
      out += "-";
    const SymKind kind = node(term).kind;
    const bool bare = kind == SymKind::kSymbol || kind == SymKind::kMul || kind == SymKind::kMin ||
                      kind == SymKind::kMax;
    if (size == 1)
      out += bare || terms.size() == 1 ? print(term) : print_operand(term);
    else
      out += fmt::format("{}*{}", size, bare ? print(term) : print_operand(term));
  }
  if (out.empty()) return std::to_string(offset);
  if (offset > 0) out += fmt::format(" + {}", offset);
  if (offset < 0) out += fmt::format(" - {}", 0 - static_cast<uint64_t>(offset));
  return out;
}

std::string SymContext::print(SymId id) const {
  const SymNode& n = node(id);
  switch (n.kind) {
    case SymKind::kConstant:
      return std::to_string(n.value);
    case SymKind::kSymbol:
      return fmt::format("s{}", n.value);
    case SymKind::kAdd:
      return print_sum(n.value, n.terms);
    case SymKind::kMul: {
      std::string out;
      for (SymId factor : n.operands) {
        if (!out.empty()) out += "*";
        const SymKind kind = node(factor).kind;
        out += kind == SymKind::kAdd || kind == SymKind::kFloorDiv || kind == SymKind::kMod
                   ? print_operand(factor)
                   : print(factor);
      }
      return out;
    }
    case SymKind::kFloorDiv:
      return fmt::format("{} // {}", print_operand(n.operands[0]), print_operand(n.operands[1]));
    case SymKind::kMod:
      return fmt::format("{} % {}", print_operand(n.operands[0]), print_operand(n.operands[1]));
    case SymKind::kMin:
      return fmt::format("min({}, {})", print(n.operands[0]), print(n.operands[1]));
    case SymKind::kMax:
      return fmt::format("max({}, {})", print(n.operands[0]), print(n.operands[1]));
    case SymKind::kLe:
    case SymKind::kEq:
    case SymKind::kNe: {
      // d = P - N + c against 0, shown as `P + c <= N` with the sides the user would write.
      const SymNode& d = node(n.operands[0]);
      Terms positive, negative;
      int64_t offset = 0;
      if (d.kind == SymKind::kAdd) {
        offset = d.value;
        for (const auto& [term, coefficient] : d.terms)
          (coefficient > 0 ? positive : negative)
              .push_back(
                  {term, coefficient > 0 || coefficient == INT64_MIN ? coefficient : -coefficient});
      } else {
        positive.push_back({n.operands[0], 1});
      }
      const char* op = n.kind == SymKind::kLe ? "<=" : n.kind == SymKind::kEq ? "==" : "!=";
      const char* flipped = n.kind == SymKind::kLe ? ">=" : op;
      if (positive.empty()) return fmt::format("{} {} {}", print_sum(0, negative), flipped, offset);
      if (negative.empty())
        return fmt::format("{} {} {}", print_sum(0, positive), op, negated(offset));
      if (n.kind == SymKind::kLe && offset == 1)
        return fmt::format("{} < {}", print_sum(0, positive), print_sum(0, negative));
      if (offset >= 0)
        return fmt::format("{} {} {}", print_sum(offset, positive), op, print_sum(0, negative));
      if (offset == INT64_MIN)  // cannot move to the other side negated
        return fmt::format("{} - {} {} {}", print_sum(0, positive), negated(offset), op,
                           print_sum(0, negative));
      return fmt::format("{} {} {}", print_sum(0, positive), op, print_sum(-offset, negative));
    }
    case SymKind::kAnd:
    case SymKind::kOr: {
      const char* word = n.kind == SymKind::kAnd ? " and " : " or ";
      std::string out;
      for (SymId operand : n.operands) {
        if (!out.empty()) out += word;
        const SymKind kind = node(operand).kind;
        out += (kind == SymKind::kAnd || kind == SymKind::kOr) && kind != n.kind
                   ? fmt::format("({})", print(operand))
                   : print(operand);
      }
      return out;
    }
    case SymKind::kNot:
      return fmt::format("not ({})", print(n.operands[0]));
  }
  return "?";
}

}  // namespace gyro
