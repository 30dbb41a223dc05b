// Random guard sets for property tests and benchmarks (research/z3.md's generate()): every
// guard holds on a hidden hint; kinds are bounds, 0/1 specialisation, equal dims, `% k`,
// multi-symbol linear relations, reshape products, and weaker or repeated copies (~70 %
// redundant). Also random bindings around the hint, and a Z3 equivalence check of two sets.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "ir/sym_expr.h"

namespace gyro::testing {

struct GuardSet {
  std::vector<SymId> guards;
  std::vector<int64_t> hints;
};

// `guards` guards over max(2, guards / 5) symbols; `product_share` of them are products.
inline GuardSet random_guard_set(SymContext& c, int guards, uint64_t seed,
                                 double product_share = 0.15) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  const int symbols = std::max(2, guards / 5);
  GuardSet set;
  for (int i = 0; i < symbols; ++i) {
    int64_t hint = chance(0.5) ? int64_t{1} << uniform(0, 6) : uniform(0, 40);
    if (i > 0 && chance(0.25)) hint = set.hints[uniform(0, i - 1)];  // equal dims
    set.hints.push_back(hint);
  }
  auto s = [&](int i) { return c.symbol(i); };
  auto k = [&](int64_t v) { return c.constant(v); };
  auto pick = [&] { return static_cast<int>(uniform(0, symbols - 1)); };
  while (static_cast<int>(set.guards.size()) < guards) {
    const int a = pick(), b = pick(), d = pick();
    const int64_t ha = set.hints[a], hb = set.hints[b], hd = set.hints[d];
    SymId guard = k(1);
    if (!set.guards.empty() && chance(0.2)) {  // a re-check or a weaker copy of an earlier one
      guard = set.guards[uniform(0, static_cast<int64_t>(set.guards.size()) - 1)];
    } else if (chance(product_share)) {
      switch (uniform(0, 3)) {
        case 0:
          guard = hd != 0 && (ha * hb) % hd == 0
                      ? c.eq(c.mul(s(a), s(b)), c.mul(k(ha * hb / hd), s(d)))
                      : c.le(c.mul(s(a), s(b)), k(ha * hb + uniform(0, 64)));
          break;
        case 1:
          guard = c.ge(c.mul(s(a), s(b)), k(ha * hb - uniform(0, 8)));
          break;
        case 2:
          guard = c.eq(c.mul(s(a), s(b)), c.mul(s(b), s(a)));  // trivially true after folding
          if (c.is_constant(guard)) guard = c.le(c.mul(s(a), s(d)), k(ha * hd + 1));
          break;
        default:
          guard = c.ge(c.mul(c.mul(s(a), s(b)), s(d)), k(ha * hb * hd));
      }
    } else {
      switch (uniform(0, 7)) {
        case 0:
          guard = c.ge(s(a), k(ha - uniform(0, 3)));
          break;
        case 1:
          guard = c.le(s(a), k(ha + uniform(0, 10)));
          break;
        case 2:
          guard = ha <= 1 || chance(0.1) ? c.eq(s(a), k(ha)) : c.ne(s(a), k(ha == 2 ? 1 : 0));
          break;
        case 3:
          guard = ha == hb ? c.eq(s(a), s(b)) : ha < hb ? c.lt(s(a), s(b)) : c.gt(s(a), s(b));
          break;
        case 4: {
          const int64_t m = int64_t{1} << uniform(1, 3);
          guard = c.eq(c.mod(s(a), k(m)), k(((ha % m) + m) % m));
          break;
        }
        case 5: {
          const int64_t x = uniform(-3, 3), y = uniform(1, 4);
          guard =
              c.le(c.add(c.mul(k(x), s(a)), c.mul(k(y), s(b))), k(x * ha + y * hb + uniform(0, 5)));
          break;
        }
        case 6:
          guard = c.ge(c.add(s(a), s(b)), k(ha + hb - uniform(0, 4)));
          break;
        default:
          guard = c.eq(c.floordiv(s(a), k(2)), k(ha >= 0 ? ha / 2 : -((-ha + 1) / 2)));
      }
    }
    if (c.is_constant(guard)) continue;
    auto value = c.evaluate(guard, set.hints);
    if (!value.ok() || value.value() == 0) continue;  // (only guards the hint passes)
    set.guards.push_back(guard);
  }
  return set;
}

// Whether every guard holds (an evaluation error fails the guard).
inline bool passes(const SymContext& c, std::span<const SymId> guards,
                   std::span<const int64_t> bindings) {
  for (SymId guard : guards) {
    auto value = c.evaluate(guard, bindings);
    if (!value.ok() || value.value() == 0) return false;
  }
  return true;
}

// Random bindings near a hint: hint +- delta, powers of two, 0/1/2, copies of another
// symbol, values near 2^31 and 2^62.
inline std::vector<int64_t> random_binding(std::span<const int64_t> hints, std::mt19937_64& rng) {
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  std::vector<int64_t> out(hints.begin(), hints.end());
  const int64_t n = static_cast<int64_t>(out.size());
  const int changes = static_cast<int>(uniform(1, 3));
  for (int i = 0; i < changes; ++i) {
    const auto at = static_cast<size_t>(uniform(0, n - 1));
    switch (uniform(0, 5)) {
      case 0:
        out[at] = hints[at] + uniform(-3, 3);
        break;
      case 1:
        out[at] = int64_t{1} << uniform(0, 12);
        break;
      case 2:
        out[at] = uniform(0, 2);
        break;
      case 3:
        out[at] = out[static_cast<size_t>(uniform(0, n - 1))];
        break;
      case 4:
        out[at] = (int64_t{1} << 31) + uniform(-2, 2);
        break;
      default:
        // Around 2^62, or 2^62 +- k * 2^61 (up to INT64_MIN once it wraps): unsigned
        // arithmetic, so the wrap is defined.
        out[at] = static_cast<int64_t>(
            (uint64_t{1} << 62) + static_cast<uint64_t>(uniform(-2, 2)) *
                                      (uniform(0, 1) ? uint64_t{1} : uint64_t{1} << 61));
    }
  }
  return out;
}

}  // namespace gyro::testing
