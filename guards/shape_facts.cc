// The facts layer (PyTorch's ShapeEnv ranges and replacements, TVM's ConstIntBound and
// ModularSet in one small structure). Why 128-bit intermediates: bounds are int64 with
// sentinels, and every sum or product of two of them fits in __int128 before it is clamped, so
// saturation never wraps. Why `exact` beside each interval: an implied verdict must also prove
// that evaluation cannot overflow (a runtime overflow fails the guard); a refuted one need not.
#include "guards/shape_facts.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>

namespace gyro::guards {

namespace {

using Wide = __int128;
constexpr Wide kWideInf = Wide(1) << 100;  // beyond any product of two int64 values
constexpr Wide kResidueCap = Wide(1) << 62;

Wide wide(int64_t bound) {
  if (bound == Interval::kNegInf) return -kWideInf;
  if (bound == Interval::kPosInf) return kWideInf;
  return bound;
}
// A wide lower or upper bound as an interval end. The int64 ends double as sentinels, so a
// bound that is exactly INT64_MAX (a lower one) or INT64_MIN (an upper one) would read as
// "beyond int64": it moves one step inwards instead, which stays sound. (A constant INT64_MAX
// as the point [INT64_MAX, INT64_MAX] read as +inf, and `min(s, -INT64_MAX) + INT64_MAX == 0`
// was refuted where it holds.)
int64_t narrow_lo(Wide value) {
  if (value > Interval::kPosInf) return Interval::kPosInf;
  if (value == Interval::kPosInf) return Interval::kPosInf - 1;
  if (value <= Interval::kNegInf) return Interval::kNegInf;
  return static_cast<int64_t>(value);
}
int64_t narrow_hi(Wide value) {
  if (value < Interval::kNegInf) return Interval::kNegInf;
  if (value == Interval::kNegInf) return Interval::kNegInf + 1;
  if (value >= Interval::kPosInf) return Interval::kPosInf;
  return static_cast<int64_t>(value);
}
Wide wide_mul(Wide a, Wide b) {
  if (a == 0 || b == 0) return 0;
  const bool negative = (a < 0) != (b < 0);
  if (a <= -kWideInf || a >= kWideInf || b <= -kWideInf || b >= kWideInf)
    return negative ? -kWideInf : kWideInf;
  Wide product = a * b;  // both within int64 here: fits
  return std::clamp(product, -kWideInf, kWideInf);
}
Wide floor_div(Wide a, Wide b) {
  Wide q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
Wide ceil_div(Wide a, Wide b) {
  return -floor_div(-a, b);
}
Wide wide_abs(Wide a) {
  return a < 0 ? -a : a;
}
Wide wide_gcd(Wide a, Wide b) {
  a = wide_abs(a);
  b = wide_abs(b);
  while (b != 0) {
    Wide t = a % b;
    a = b;
    b = t;
  }
  return a;
}
Wide wide_mod(Wide a, Wide m) {
  Wide r = a % m;
  return r < 0 ? r + m : r;
}
// The inverse of a modulo m (gcd(a, m) == 1, m > 1).
Wide inverse(Wide a, Wide m) {
  Wide old_r = wide_mod(a, m), r = m, old_s = 1, s = 0;
  while (r != 0) {
    Wide q = old_r / r;
    Wide t = old_r - q * r;
    old_r = r;
    r = t;
    t = old_s - q * s;
    old_s = s;
    s = t;
  }
  return wide_mod(old_s, m);
}

Interval add_intervals(Interval a, Interval b) {
  return {narrow_lo(wide(a.lo) + wide(b.lo)), narrow_hi(wide(a.hi) + wide(b.hi))};
}
Interval mul(Interval a, Interval b) {
  const Wide corners[4] = {wide_mul(wide(a.lo), wide(b.lo)), wide_mul(wide(a.lo), wide(b.hi)),
                           wide_mul(wide(a.hi), wide(b.lo)), wide_mul(wide(a.hi), wide(b.hi))};
  return {narrow_lo(*std::min_element(corners, corners + 4)),
          narrow_hi(*std::max_element(corners, corners + 4))};
}
Interval intersect(Interval a, Interval b) {
  return {std::max(a.lo, b.lo), std::min(a.hi, b.hi)};
}
// A value as an interval: exact, except at the int64 ends (see narrow_lo).
Interval point(Wide value) {
  return {narrow_lo(value), narrow_hi(value)};
}

// Residue arithmetic (modulus 0 = exact value); results whose modulus would pass 2^62 forget.
Residue make_residue(Wide modulus, Wide residue) {
  modulus = wide_abs(modulus);
  if (modulus == 0) {
    if (residue >= kResidueCap || residue <= -kResidueCap) return {};
    return {0, static_cast<int64_t>(residue)};
  }
  if (modulus >= kResidueCap) return {};
  return {static_cast<int64_t>(modulus), static_cast<int64_t>(wide_mod(residue, modulus))};
}
Residue residue_add(Residue a, Residue b) {
  return make_residue(wide_gcd(a.modulus, b.modulus), Wide(a.residue) + b.residue);
}
Residue residue_mul(Residue a, Residue b) {
  const Wide m = wide_gcd(wide_gcd(Wide(a.modulus) * b.modulus, Wide(a.modulus) * b.residue),
                          Wide(b.modulus) * a.residue);
  return make_residue(m, Wide(a.residue) * b.residue);
}

}  // namespace

void ShapeFacts::clear() {
  parent_.clear();
  bounds_.clear();
  residues_.clear();
  atoms_.clear();
  infeasible_ = false;
  dirty_ = false;
}

// Every symbol under `id` gets a class, so that lookups below never leave the tables.
void ShapeFacts::ensure_symbols(SymId id) {
  const SymNode& n = context_.node(id);
  if (n.kind == SymKind::kSymbol) ensure_symbol(static_cast<int>(n.value));
  for (const auto& [term, coefficient] : n.terms) ensure_symbols(term);
  for (SymId operand : n.operands) ensure_symbols(operand);
}

void ShapeFacts::ensure_symbol(int symbol) {
  while (static_cast<int>(parent_.size()) <= symbol) {
    parent_.push_back(static_cast<int>(parent_.size()));
    bounds_.push_back({});
    residues_.push_back({});
  }
}

int ShapeFacts::find(int symbol) const {
  if (symbol >= static_cast<int>(parent_.size())) return symbol;
  while (parent_[symbol] != symbol) symbol = parent_[symbol];
  return symbol;
}

int ShapeFacts::representative(int symbol) {
  if (dirty_) propagate();
  return find(symbol);
}
Interval ShapeFacts::bounds(int symbol) {
  if (dirty_) propagate();
  return symbol < static_cast<int>(parent_.size()) ? bounds_[find(symbol)] : Interval{};
}
Residue ShapeFacts::residue(int symbol) {
  if (dirty_) propagate();
  return symbol < static_cast<int>(parent_.size()) ? residues_[find(symbol)] : Residue{};
}
bool ShapeFacts::infeasible() {
  if (dirty_) propagate();
  return infeasible_;
}

void ShapeFacts::unite(int a, int b) {
  a = find(a);
  b = find(b);
  if (a == b) return;
  if (b < a) std::swap(a, b);  // the smaller index represents: deterministic
  parent_[b] = a;
  restrict_residue(a, residues_[b]);
  tighten(a, bounds_[b]);
}

// Rounds the interval's ends inward to the class residue.
void ShapeFacts::snap_to_residue(int root) {
  Interval& bound = bounds_[root];
  const Residue& residue = residues_[root];
  if (residue.modulus == 0) {
    bound = intersect(bound, point(residue.residue));
  } else if (residue.modulus > 1) {
    const Wide m = residue.modulus, r = residue.residue;
    if (bound.lo != Interval::kNegInf)
      bound.lo = narrow_lo(Wide(bound.lo) + wide_mod(r - bound.lo, m));
    if (bound.hi != Interval::kPosInf)
      bound.hi = narrow_hi(Wide(bound.hi) - wide_mod(Wide(bound.hi) - r, m));
  }
  if (bound.lo > bound.hi) infeasible_ = true;
}

bool ShapeFacts::tighten(int root, Interval bound) {
  Interval& current = bounds_[root];
  Interval next = intersect(current, bound);
  if (next.lo == current.lo && next.hi == current.hi) return false;
  current = next;
  snap_to_residue(root);
  if (current.lo == current.hi && current.lo != Interval::kNegInf &&
      current.lo != Interval::kPosInf)
    residues_[root] = {0, current.lo};
  return true;
}

// Intersects the class residue with another (the Chinese remainder theorem).
bool ShapeFacts::restrict_residue(int root, Residue extra) {
  Residue& current = residues_[root];
  if (extra.modulus == 1) return false;
  if (current.modulus == 0 || extra.modulus == 0) {
    const Residue exact = current.modulus == 0 ? current : extra;
    const Residue other = current.modulus == 0 ? extra : current;
    const bool consistent = other.modulus == 0
                                ? other.residue == exact.residue
                                : wide_mod(Wide(exact.residue) - other.residue, other.modulus) == 0;
    if (!consistent) infeasible_ = true;
    if (current.modulus == 0) return false;
    current = exact;
    snap_to_residue(root);
    return true;
  }
  const Wide m1 = current.modulus, r1 = current.residue, m2 = extra.modulus, r2 = extra.residue;
  const Wide g = wide_gcd(m1, m2);
  if (wide_mod(r2 - r1, g) != 0) {
    infeasible_ = true;
    return false;
  }
  const Wide lcm = m1 / g * m2;
  if (lcm == m1) return false;
  if (lcm >= kResidueCap) {  // keep the larger modulus only
    if (m2 <= m1) return false;
    current = extra;
  } else {
    const Wide step = m2 / g;
    const Wide t = step == 1 ? 0 : wide_mod((r2 - r1) / g % step * inverse(m1 / g, step), step);
    current = make_residue(lcm, r1 + m1 * t);
  }
  snap_to_residue(root);
  return true;
}

void ShapeFacts::add(SymId fact) {
  const SymNode& n = context_.node(fact);
  switch (n.kind) {
    case SymKind::kConstant:
      if (n.value == 0) infeasible_ = true;
      return;
    case SymKind::kAnd:
      add(n.operands[0]);
      add(n.operands[1]);
      return;
    case SymKind::kLe:
    case SymKind::kEq:
    case SymKind::kNe: {
      const SymNode& d = context_.node(n.operands[0]);
      Atom atom{n.kind, 0, {}};
      if (d.kind == SymKind::kAdd) {
        atom.constant = d.value;
        atom.terms = d.terms;
      } else {
        atom.terms = {{n.operands[0], 1}};
      }
      ensure_symbols(n.operands[0]);
      apply(atom);
      atoms_.push_back(std::move(atom));
      dirty_ = true;
      return;
    }
    case SymKind::kSymbol:
    case SymKind::kAdd:
    case SymKind::kMul:
    case SymKind::kFloorDiv:
    case SymKind::kMod:
    case SymKind::kMin:
    case SymKind::kMax:
    case SymKind::kOr:
    case SymKind::kNot:
      return;  // not read: no information, still sound
  }
}

void ShapeFacts::propagate() {
  dirty_ = false;
  for (int round = 0; round < 4 && !infeasible_; ++round) {
    bool changed = false;
    for (const Atom& atom : atoms_) changed |= apply(atom);
    if (!changed) break;
  }
}

// One atom's consequences: equal classes, bounds on each symbol from the bounds of the rest,
// residues from equalities.
bool ShapeFacts::apply(const Atom& atom) {
  if (infeasible_) return false;
  struct Term {
    SymId id;
    int root;  // -1: not a symbol
    Wide coefficient;
  };
  std::vector<Term> terms;
  for (const auto& [term, coefficient] : atom.terms) {
    const SymNode& n = context_.node(term);
    const int root = n.kind == SymKind::kSymbol ? find(static_cast<int>(n.value)) : -1;
    auto same = std::find_if(terms.begin(), terms.end(),
                             [&](const Term& t) { return root >= 0 && t.root == root; });
    if (same != terms.end())
      same->coefficient += coefficient;
    else
      terms.push_back({term, root, coefficient});
  }
  std::erase_if(terms, [](const Term& t) { return t.coefficient == 0; });
  for (const Term& t : terms)
    if (wide_abs(t.coefficient) >= Interval::kPosInf) return false;

  bool changed = false;
  if (atom.kind == SymKind::kEq && atom.constant == 0 && terms.size() == 2 && terms[0].root >= 0 &&
      terms[1].root >= 0 && terms[0].coefficient == -terms[1].coefficient) {
    unite(terms[0].root, terms[1].root);
    return true;
  }

  // Each term's contribution coefficient * value as an interval.
  std::vector<Interval> parts;
  for (const Term& t : terms) {
    const Interval value = t.root >= 0 ? bounds_[t.root] : eval(t.id).value;
    parts.push_back(mul(value, point(static_cast<int64_t>(t.coefficient))));
  }
  for (size_t j = 0; j < terms.size(); ++j) {
    if (terms[j].root < 0) continue;
    // rest = constant + the other parts.
    Wide rest_lo = atom.constant, rest_hi = atom.constant;
    for (size_t i = 0; i < terms.size(); ++i) {
      if (i == j) continue;
      rest_lo += wide(parts[i].lo);
      rest_hi += wide(parts[i].hi);
    }
    const Wide k = terms[j].coefficient;
    Interval bound;
    const bool has_lo = rest_lo > -kWideInf / 2, has_hi = rest_hi < kWideInf / 2;
    if (atom.kind == SymKind::kLe || atom.kind == SymKind::kEq) {
      if (has_lo) {  // k*x <= -rest_lo
        if (k > 0) bound.hi = narrow_hi(floor_div(-rest_lo, k));
        if (k < 0) bound.lo = narrow_lo(ceil_div(-rest_lo, k));
      }
    }
    if (atom.kind == SymKind::kEq && has_hi) {  // k*x >= -rest_hi
      if (k > 0) bound.lo = std::max(bound.lo, narrow_lo(ceil_div(-rest_hi, k)));
      if (k < 0) bound.hi = std::min(bound.hi, narrow_hi(floor_div(-rest_hi, k)));
    }
    if (atom.kind == SymKind::kNe && terms.size() == 1 && wide_mod(-Wide(atom.constant), k) == 0) {
      const Wide excluded = -Wide(atom.constant) / k;
      Interval& current = bounds_[terms[j].root];
      if (excluded == current.lo && current.lo != Interval::kNegInf) bound.lo = current.lo + 1;
      if (excluded == current.hi && current.hi != Interval::kPosInf) bound.hi = current.hi - 1;
    }
    changed |= tighten(terms[j].root, bound);
    if (infeasible_) return changed;
  }

  if (atom.kind != SymKind::kEq) return changed;
  // Residues: k*x == -(constant + rest) taken modulo what the rest is known modulo.
  for (size_t j = 0; j < terms.size(); ++j) {
    Residue rest{0, atom.constant};
    for (size_t i = 0; i < terms.size() && rest.modulus != 1; ++i)
      if (i != j)
        rest = residue_add(rest, residue_mul(residue_of(terms[i].id),
                                             {0, static_cast<int64_t>(terms[i].coefficient)}));
    const Wide k = terms[j].coefficient;
    if (terms[j].root >= 0) {
      if (rest.modulus == 1) continue;
      const Wide target = -Wide(rest.residue);
      if (rest.modulus == 0) {
        if (wide_mod(target, k) != 0) {
          infeasible_ = true;
          return changed;
        }
        changed |= restrict_residue(terms[j].root, make_residue(0, target / k));
        continue;
      }
      const Wide m = rest.modulus, g = wide_gcd(k, m);
      if (wide_mod(target, g) != 0) {
        infeasible_ = true;
        return changed;
      }
      const Wide step = m / g;
      if (step == 1) continue;
      const Wide solution = wide_mod(wide_mod(target / g, step) * inverse(k / g, step), step);
      changed |= restrict_residue(terms[j].root, make_residue(step, solution));
      continue;
    }
    // (x % K) * k == -rest with the rest exact: x = value (mod |K|).
    const SymNode& n = context_.node(terms[j].id);
    if (n.kind != SymKind::kMod || rest.modulus != 0) continue;
    const SymNode& x = context_.node(n.operands[0]);
    const SymNode& divisor = context_.node(n.operands[1]);
    if (x.kind != SymKind::kSymbol || divisor.kind != SymKind::kConstant || divisor.value == 0 ||
        divisor.value == INT64_MIN)
      continue;
    const Wide target = -Wide(rest.residue);
    const Wide big_k = divisor.value;
    const Wide value = target / k;
    // Python's x % K lies in [0, K) for K > 0 and in (K, 0] for K < 0.
    const bool reachable = wide_mod(target, k) == 0 && (big_k > 0 ? (value >= 0 && value < big_k)
                                                                  : (value <= 0 && value > big_k));
    if (!reachable) {
      infeasible_ = true;
      return changed;
    }
    changed |= restrict_residue(find(static_cast<int>(x.value)), make_residue(big_k, value));
  }
  return changed;
}

Residue ShapeFacts::residue_of(SymId id) {
  const SymNode& n = context_.node(id);
  switch (n.kind) {
    case SymKind::kConstant:
      return {0, n.value};
    case SymKind::kSymbol: {
      const int symbol = static_cast<int>(n.value);
      if (symbol >= static_cast<int>(parent_.size())) return {};
      return residues_[find(symbol)];
    }
    case SymKind::kAdd: {
      Residue total{0, n.value};
      for (const auto& [term, coefficient] : n.terms)
        total = residue_add(total, residue_mul(residue_of(term), {0, coefficient}));
      return total;
    }
    case SymKind::kMul: {
      Residue product{0, 1};
      for (SymId factor : n.operands) product = residue_mul(product, residue_of(factor));
      return product;
    }
    case SymKind::kMod: {
      const SymNode& divisor = context_.node(n.operands[1]);
      if (divisor.kind != SymKind::kConstant || divisor.value == 0) return {};
      const Residue x = residue_of(n.operands[0]);
      const Wide k = divisor.value;
      if (x.modulus != 0 && Wide(x.modulus) % k != 0) return {};
      Wide r = wide_mod(x.residue, wide_abs(k));
      if (k < 0 && r != 0) r += k;  // Python: the sign of the divisor
      return make_residue(0, r);
    }
    case SymKind::kFloorDiv:
    case SymKind::kMin:
    case SymKind::kMax:
    case SymKind::kLe:
    case SymKind::kEq:
    case SymKind::kNe:
    case SymKind::kAnd:
    case SymKind::kOr:
    case SymKind::kNot:
      return {};
  }
  return {};
}

ShapeFacts::Range ShapeFacts::eval(SymId id) {
  const SymNode& n = context_.node(id);
  switch (n.kind) {
    case SymKind::kConstant:
      return {point(n.value), n.value != Interval::kNegInf && n.value != Interval::kPosInf};
    case SymKind::kSymbol: {
      const int symbol = static_cast<int>(n.value);
      if (symbol >= static_cast<int>(parent_.size())) return {{}, true};
      return {bounds_[find(symbol)], true};  // a binding is an int64: reading it cannot fail
    }
    case SymKind::kAdd: {
      // As evaluate() computes it (every partial sum must fit), then tightened by adding up
      // terms of one class first (s0 - s1 with s0 == s1 is 0).
      // A symbol's missing bound is a real one (a binding is an int64), so its terms are
      // measured in __int128 against the int64 range, not against the sentinels.
      Interval partial = point(n.value);
      bool exact = partial.finite();
      Wide partial_lo = n.value, partial_hi = n.value;
      std::vector<std::pair<int, Wide>> classes;
      Interval others = point(n.value);
      for (const auto& [term, coefficient] : n.terms) {
        const Range t = eval(term);
        const Interval product = mul(t.value, point(coefficient));
        partial = add_intervals(partial, product);
        const SymNode& tn = context_.node(term);
        if (tn.kind == SymKind::kSymbol) {
          const Wide a = Wide(t.value.lo) * coefficient, b = Wide(t.value.hi) * coefficient;
          const Wide lo = std::min(a, b), hi = std::max(a, b);
          partial_lo += lo;
          partial_hi += hi;
          exact = exact && lo >= INT64_MIN && hi <= INT64_MAX && partial_lo >= INT64_MIN &&
                  partial_hi <= INT64_MAX;
        } else {
          exact = exact && t.exact && product.finite();
          partial_lo += wide(product.lo);
          partial_hi += wide(product.hi);
          exact = exact && partial_lo > INT64_MIN && partial_hi < INT64_MAX;
        }
        if (tn.kind == SymKind::kSymbol && tn.value < static_cast<int64_t>(parent_.size())) {
          const int root = find(static_cast<int>(tn.value));
          auto same = std::find_if(classes.begin(), classes.end(),
                                   [&](const auto& c) { return c.first == root; });
          if (same != classes.end())
            same->second += coefficient;
          else
            classes.push_back({root, coefficient});
        } else {
          others = add_intervals(others, product);
        }
      }
      for (const auto& [root, coefficient] : classes)
        others = add_intervals(others, mul(bounds_[root], point(coefficient)));
      return {intersect(partial, others), exact};
    }
    case SymKind::kMul: {
      Range product = eval(n.operands[0]);
      for (size_t i = 1; i < n.operands.size(); ++i) {
        const Range factor = eval(n.operands[i]);
        product.value = mul(product.value, factor.value);
        product.exact = product.exact && factor.exact && product.value.finite();
      }
      return product;
    }
    case SymKind::kFloorDiv:
    case SymKind::kMod: {
      const Range a = eval(n.operands[0]);
      const Range b = eval(n.operands[1]);
      const bool nonzero = b.value.lo > 0 || b.value.hi < 0;
      // Only INT64_MIN // -1 overflows.
      const bool exact = a.exact && b.exact && nonzero &&
                         (n.kind == SymKind::kMod || b.value.lo > 0 || b.value.hi < -1 ||
                          a.value.lo != Interval::kNegInf);
      if (n.kind == SymKind::kMod) {
        const Residue r = residue_of(id);
        if (r.modulus == 0) return {point(r.residue), exact};
        if (b.value.lo > 0) {
          Interval bound{0, narrow_hi(wide(b.value.hi) - 1)};
          if (a.value.lo >= 0 && a.value.hi < b.value.lo) bound = a.value;
          return {bound, exact};
        }
        if (b.value.hi < 0) return {{narrow_lo(wide(b.value.lo) + 1), 0}, exact};
        return {{}, exact};
      }
      if (b.value.lo == b.value.hi && b.value.finite() && b.value.lo != 0) {
        const Wide k = b.value.lo;
        const Wide lo = a.value.lo == Interval::kNegInf ? -kWideInf : floor_div(a.value.lo, k);
        const Wide hi = a.value.hi == Interval::kPosInf ? kWideInf : floor_div(a.value.hi, k);
        if (k > 0) return {{narrow_lo(lo), narrow_hi(hi)}, exact};
        return {{narrow_lo(hi == kWideInf ? -kWideInf : hi), narrow_hi(lo == -kWideInf ? kWideInf : lo)},
                exact};
      }
      return {{}, exact};
    }
    case SymKind::kMin:
    case SymKind::kMax: {
      const Range a = eval(n.operands[0]);
      const Range b = eval(n.operands[1]);
      const Interval value =
          n.kind == SymKind::kMin
              ? Interval{std::min(a.value.lo, b.value.lo), std::min(a.value.hi, b.value.hi)}
              : Interval{std::max(a.value.lo, b.value.lo), std::max(a.value.hi, b.value.hi)};
      return {value, a.exact && b.exact};
    }
    case SymKind::kLe:
    case SymKind::kEq:
    case SymKind::kNe:
    case SymKind::kAnd:
    case SymKind::kOr:
    case SymKind::kNot: {
      const Decision d = decide_node(id);
      if (d.verdict == Verdict::kImplied) return {point(1), true};
      if (d.verdict == Verdict::kRefuted && d.safe) return {point(0), true};
      return {{0, 1}, d.safe};
    }
  }
  return {{}, false};
}

ShapeFacts::Decision ShapeFacts::decide_node(SymId id) {
  const SymNode& n = context_.node(id);
  switch (n.kind) {
    case SymKind::kConstant:
      return {n.value != 0 ? Verdict::kImplied : Verdict::kRefuted, true};
    case SymKind::kLe: {
      const Range d = eval(n.operands[0]);
      if (d.value.hi <= 0 && d.exact) return {Verdict::kImplied, true};
      if (d.value.lo > 0) return {Verdict::kRefuted, d.exact};
      return {Verdict::kUnknown, d.exact};
    }
    case SymKind::kEq:
    case SymKind::kNe: {
      const Range d = eval(n.operands[0]);
      const Residue r = residue_of(n.operands[0]);
      const bool zero = (d.value.lo == 0 && d.value.hi == 0) || (r.modulus == 0 && r.residue == 0);
      const bool nonzero = d.value.lo > 0 || d.value.hi < 0 || r.residue != 0;
      const bool is_eq = n.kind == SymKind::kEq;
      if (zero && d.exact) return {is_eq ? Verdict::kImplied : Verdict::kRefuted, true};
      if (nonzero && (is_eq || d.exact))
        return {is_eq ? Verdict::kRefuted : Verdict::kImplied, d.exact};
      return {Verdict::kUnknown, d.exact};
    }
    case SymKind::kAnd:
    case SymKind::kOr: {
      const Decision a = decide_node(n.operands[0]);
      const Decision b = decide_node(n.operands[1]);
      const bool is_and = n.kind == SymKind::kAnd;
      // Python short-circuits: the right side runs only when the left does not decide.
      const bool safe =
          a.safe && (b.safe || a.verdict == (is_and ? Verdict::kRefuted : Verdict::kImplied));
      if (is_and) {
        if (a.verdict == Verdict::kImplied && b.verdict == Verdict::kImplied)
          return {Verdict::kImplied, true};
        if (a.verdict == Verdict::kRefuted || b.verdict == Verdict::kRefuted)
          return {Verdict::kRefuted, safe};
        return {Verdict::kUnknown, safe};
      }
      if (a.verdict == Verdict::kImplied || (b.verdict == Verdict::kImplied && a.safe))
        return {Verdict::kImplied, true};
      if (a.verdict == Verdict::kRefuted && b.verdict == Verdict::kRefuted)
        return {Verdict::kRefuted, safe};
      return {Verdict::kUnknown, safe};
    }
    case SymKind::kNot: {
      const Decision a = decide_node(n.operands[0]);
      if (a.verdict == Verdict::kRefuted && a.safe) return {Verdict::kImplied, true};
      if (a.verdict == Verdict::kImplied) return {Verdict::kRefuted, true};
      return {Verdict::kUnknown, a.safe};
    }
    case SymKind::kSymbol:
    case SymKind::kAdd:
    case SymKind::kMul:
    case SymKind::kFloorDiv:
    case SymKind::kMod:
    case SymKind::kMin:
    case SymKind::kMax:
      return {Verdict::kUnknown, false};  // an int used as a truth value: not read
  }
  return {Verdict::kUnknown, false};
}

Verdict ShapeFacts::decide(SymId condition) {
  if (dirty_) propagate();
  if (infeasible_) return Verdict::kUnknown;  // contradictory facts: leave it to Z3
  return decide_node(condition).verdict;
}

}  // namespace gyro::guards
