// fuzz_guards: bytes -> a trace's shape env (symbols, branch conditions) -> the pruned SHAPE
// guards; Z3 and concrete bindings check that the pruned set accepts exactly what the full one
// does, and that every branch the env decided without a guard is right wherever it holds.
//
// Input: a symbol count (and whether Z3 may be used), then per symbol its kind and hint (and a
// marked range), then branch conditions, each an expression tree in prefix order (see
// read_condition). Exhausted input reads as zeros, so every byte string is a valid input.
//
// What the oracle may assume, and nothing else: every symbol is an int64 (a binding is an
// int64 by construction). The symbols' ranges (>= 2 for sizes, a marked range) are not
// assumptions: ShapeEnv::relations() lists them as guards of their own, which pruning may drop
// only when the others imply them. So the check is unconditional equivalence of
// relations() and pruned_relations() under SymContext::evaluate's semantics (an overflow or a
// division by zero fails the guard).
//
// The Z3 side is written here again from SymContext::evaluate, not taken from
// guards/z3_translate.cc, so that a wrong encoding there cannot hide its own mistakes; floor
// division in particular is encoded differently (Euclidean quotient minus a correction).
#include <z3++.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "guards/shape_env.h"
#include "ir/sym_expr.h"

namespace {

using gyro::SymContext;
using gyro::SymId;
using gyro::SymKind;
using gyro::SymNode;

constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int kMaxSymbols = 4;
constexpr int kMaxConditions = 8;
constexpr int kMaxDepth = 3;
constexpr int kBindingTrials = 12;
// The oracle's own Z3 budget: far above the pruner's (3000 per query) so that it proves what
// the pruner proved, still small enough for a good exec rate. unknown is inconclusive, not a
// failure.
constexpr unsigned kOracleRlimit = 100000;
constexpr unsigned kOracleTimeoutMs = 5000;

// Bytes in order; past the end every read is 0, so no size read from the input is trusted.
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  uint8_t byte() { return at_ < bytes_.size() ? bytes_[at_++] : 0; }
  bool empty() const { return at_ >= bytes_.size(); }
  // An int64 from a tag byte: small values most often, then the boundaries where overflow and
  // rounding live (powers of two, 2^31, 2^62, the int64 ends).
  int64_t value() {
    const uint8_t tag = byte();
    const int64_t small = tag >> 3;  // 0..31
    switch (tag & 7) {
      case 0:
      case 1:
        return small;
      case 2:
        return -small;
      case 3:
        return int64_t{1} << (byte() % 63);
      case 4:
        return static_cast<int64_t>(byte()) | static_cast<int64_t>(byte()) << 8;
      case 5:
        return (int64_t{1} << 31) + small - 16;
      case 6:
        return (int64_t{1} << 62) + small - 16;
      default:
        return small < 16 ? kInt64Max - small : kInt64Min + (small - 16);
    }
  }

 private:
  std::span<const uint8_t> bytes_;
  std::size_t at_ = 0;
};

// "s<index>", as SymContext prints a symbol. (Not "s" + ...: GCC 12 warns -Wrestrict on it.)
std::string symbol_name(int64_t index) {
  std::string name = std::to_string(index);
  name.insert(name.begin(), 's');
  return name;
}

// A size below 2 would have been specialized by the tracer: moved into [2, 9].
int64_t at_least_two(int64_t hint) {
  return 2 + static_cast<int64_t>(static_cast<uint64_t>(hint) % 8);
}

// A symbolic size or int, as ShapeEnv creates it for the tracer.
enum class SymbolKind : uint8_t { kSize, kDuckSize, kMarked, kInt };

struct Decision {
  SymId condition;
  bool outcome;  // what decide() answered on the hints
};

class Decoder {
 public:
  Decoder(ByteReader& reader, gyro::guards::ShapeEnv& env) : in_(reader), env_(env) {}

  // Symbols as realize() makes them: sizes at least 2 (0 and 1 specialize), a marked size
  // with its hint inside its range, ints with any hint.
  void read_symbols() {
    const int count = 1 + in_.byte() % kMaxSymbols;
    for (int i = 0; i < count; ++i) {
      const auto kind = static_cast<SymbolKind>(in_.byte() % 4);
      int64_t hint = in_.value();
      const gyro::guards::DimSource source{static_cast<gyro::guards::SourceId>(i), 0};
      switch (kind) {
        case SymbolKind::kSize:
        case SymbolKind::kDuckSize:
          if (hint < 2) hint = at_least_two(hint);
          env_.size_symbol(hint, source, kind == SymbolKind::kDuckSize);
          break;
        case SymbolKind::kMarked: {
          if (hint < 2) hint = at_least_two(hint);
          const int64_t below = in_.value(), above = in_.value();
          const int64_t min = std::clamp<int64_t>(below, 2, hint);
          const int64_t max = above <= 0 ? kInt64Max : std::max(hint, above);
          env_.marked_symbol(hint, source, min, max);
          break;
        }
        case SymbolKind::kInt:
          env_.int_symbol(hint, static_cast<gyro::guards::SourceId>(i));
          break;
      }
    }
  }

  // An int expression in prefix order, one op byte each: the low nibble picks the kind (the
  // tracer's: sums, scaled terms, products, floor division, modulo, min, max), the high one
  // a symbol or a small constant.
  SymId read_int(int depth) {
    static constexpr Binary kBinary[] = {&SymContext::add,      &SymContext::sub, &SymContext::mul,
                                         &SymContext::floordiv, &SymContext::mod, &SymContext::min,
                                         &SymContext::max};
    SymContext& c = env_.context();
    const uint8_t op = in_.byte();
    const int kind = op & 15, arg = op >> 4;
    const int symbols = static_cast<int>(env_.symbols().size());
    if (kind == 4) return c.constant(arg);
    if (kind == 5) return c.constant(in_.value());
    if (depth >= kMaxDepth || kind < 4) return c.symbol(arg % symbols);
    if (kind < 13) return binary(kBinary[kind - 6], depth, &Decoder::read_int);
    if (kind == 13) return c.neg(read_int(depth + 1));
    if (kind == 14) return c.mul(c.constant(arg + 2), read_int(depth + 1));
    return c.add(read_int(depth + 1), c.constant(arg));
  }

  // A truth-valued condition in prefix order: comparisons of int expressions, a size pinned
  // to its value on the hints (specialize), and/or/not of conditions.
  SymId read_condition(int depth) {
    static constexpr Binary kCompare[] = {&SymContext::eq, &SymContext::ne, &SymContext::lt,
                                          &SymContext::le, &SymContext::gt, &SymContext::ge};
    static constexpr Binary kLogic[] = {&SymContext::logical_and, &SymContext::logical_or};
    SymContext& c = env_.context();
    const int kind = in_.byte() % (depth >= kMaxDepth ? 7 : 10);
    if (kind < 6) return binary(kCompare[kind], depth, &Decoder::read_int);
    if (kind == 6) {  // ShapeEnv::specialize: `expr == its value on the hints`
      const SymId expr = read_int(depth + 1);
      auto value = c.evaluate(expr, env_.hints());
      return value.ok() ? c.eq(expr, c.constant(*value)) : c.eq(expr, expr);
    }
    if (kind < 9) return binary(kLogic[kind - 7], depth, &Decoder::read_condition);
    return c.logical_not(read_condition(depth + 1));
  }

 private:
  using Binary = SymId (SymContext::*)(SymId, SymId);
  // Both operands read in order, left first (the order a call evaluates its arguments in is
  // unspecified, GCC's and clang's differ, and the replay and libFuzzer builds must agree).
  SymId binary(Binary op, int depth, SymId (Decoder::*read)(int)) {
    const SymId left = (this->*read)(depth + 1);
    const SymId right = (this->*read)(depth + 1);
    return (env_.context().*op)(left, right);
  }

  ByteReader& in_;
  gyro::guards::ShapeEnv& env_;
};

// SymContext::evaluate's semantics in Z3: each node's value and whether evaluating it succeeds
// (no int64 overflow in any partial sum or product, no division by zero).
class Encoder {
 public:
  Encoder(const SymContext& context, z3::context& z3) : sym_(context), z3_(z3) {}

  z3::expr holds(SymId id) {
    const Encoded& e = encode(id);
    return e.ok && truth(e.value);
  }
  const std::vector<z3::expr>& symbols() const { return symbols_; }

 private:
  struct Encoded {
    z3::expr value;  // Int for int kinds, Bool for truth kinds
    z3::expr ok;
  };

  z3::expr truth(const z3::expr& value) { return value.is_bool() ? value : value != 0; }
  z3::expr as_int(const z3::expr& value) {
    return value.is_bool() ? z3::ite(value, z3_.int_val(1), z3_.int_val(0)) : value;
  }
  z3::expr fits(const z3::expr& value) {
    return z3_.int_val(kInt64Min) <= value && value <= z3_.int_val(kInt64Max);
  }

  const Encoded& encode(SymId id) {
    auto it = memo_.find(id.index);
    if (it != memo_.end()) return it->second;
    Encoded out = build(id);
    return memo_.emplace(id.index, out).first->second;
  }

  Encoded build(SymId id) {
    const SymNode& n = sym_.node(id);
    auto operand = [&](int i) { return encode(n.operands[i]); };
    switch (n.kind) {
      case SymKind::kConstant:
        return {z3_.int_val(n.value), z3_.bool_val(true)};
      case SymKind::kSymbol: {
        z3::expr symbol = z3_.int_const(symbol_name(n.value).c_str());
        symbols_.push_back(symbol);
        return {symbol, z3_.bool_val(true)};
      }
      case SymKind::kAdd: {
        z3::expr total = z3_.int_val(n.value);
        z3::expr ok = z3_.bool_val(true);
        for (const auto& [term, coefficient] : n.terms) {
          const Encoded t = encode(term);
          z3::expr product = as_int(t.value) * z3_.int_val(coefficient);
          total = total + product;
          ok = ok && t.ok && fits(product) && fits(total);
        }
        return {total, ok};
      }
      case SymKind::kMul: {
        z3::expr product = z3_.int_val(1);
        z3::expr ok = z3_.bool_val(true);
        for (SymId factor : n.operands) {
          const Encoded f = encode(factor);
          product = product * as_int(f.value);
          ok = ok && f.ok && fits(product);
        }
        return {product, ok};
      }
      case SymKind::kFloorDiv:
      case SymKind::kMod: {
        const Encoded a = operand(0), b = operand(1);
        z3::expr x = as_int(a.value), y = as_int(b.value);
        // Z3's div is Euclidean (remainder in [0, |y|)): floor division for y > 0; for y < 0
        // the floor is one less unless the division is exact.
        z3::expr euclid = x / y;
        z3::expr floor_quotient = z3::ite(y > 0 || z3::mod(x, y) == 0, euclid, euclid - 1);
        z3::expr ok = a.ok && b.ok && y != 0;
        if (n.kind == SymKind::kFloorDiv) return {floor_quotient, ok && fits(floor_quotient)};
        return {x - y * floor_quotient, ok};
      }
      case SymKind::kMin:
      case SymKind::kMax: {
        const Encoded a = operand(0), b = operand(1);
        z3::expr x = as_int(a.value), y = as_int(b.value);
        z3::expr pick_x = n.kind == SymKind::kMin ? x <= y : x >= y;
        return {z3::ite(pick_x, x, y), a.ok && b.ok};
      }
      case SymKind::kLe:
      case SymKind::kEq:
      case SymKind::kNe: {
        const Encoded d = operand(0);
        z3::expr x = as_int(d.value);
        z3::expr value = n.kind == SymKind::kLe ? x <= 0 : n.kind == SymKind::kEq ? x == 0 : x != 0;
        return {value, d.ok};
      }
      case SymKind::kAnd:
      case SymKind::kOr: {
        // Python's short circuit: the right side is evaluated (and can fail) only when the left
        // does not decide.
        const Encoded a = operand(0), b = operand(1);
        z3::expr left = truth(a.value), right = truth(b.value);
        if (n.kind == SymKind::kAnd) return {left && right, a.ok && (!left || b.ok)};
        return {left || right, a.ok && (left || b.ok)};
      }
      case SymKind::kNot: {
        const Encoded a = operand(0);
        return {!truth(a.value), a.ok};
      }
    }
    std::abort();
  }

  const SymContext& sym_;
  z3::context& z3_;
  std::unordered_map<int32_t, Encoded> memo_;
  std::vector<z3::expr> symbols_;
};

bool passes_all(const SymContext& c, std::span<const SymId> guards,
                std::span<const int64_t> bindings) {
  for (SymId guard : guards) {
    auto value = c.evaluate(guard, bindings);
    if (!value.ok() || *value == 0) return false;
  }
  return true;
}

bool holds(const SymContext& c, SymId condition, std::span<const int64_t> bindings) {
  auto value = c.evaluate(condition, bindings);
  return value.ok() && *value != 0;
}

std::string show(const SymContext& c, std::span<const SymId> guards) {
  std::string out;
  for (SymId guard : guards) out += "  " + c.print(guard) + "\n";
  return out;
}

std::string show(std::span<const int64_t> bindings) {
  std::string out;
  for (std::size_t i = 0; i < bindings.size(); ++i)
    out += (i ? ", s" : "s") + std::to_string(i) + " = " + std::to_string(bindings[i]);
  return out;
}

[[noreturn]] void fail(const std::string& what, const SymContext& c,
                       std::span<const SymId> original, std::span<const SymId> pruned,
                       std::span<const int64_t> hints) {
  std::fprintf(stderr, "fuzz_guards: %s\nhints: %s\noriginal relations:\n%spruned relations:\n%s",
               what.c_str(), show(hints).c_str(), show(c, original).c_str(),
               show(c, pruned).c_str());
  std::fflush(stderr);
  __builtin_trap();
}

std::string wrong_decision(const SymContext& c, const Decision& d,
                           std::span<const int64_t> bindings) {
  return "decide(" + c.print(d.condition) + ") answered " + (d.outcome ? "true" : "false") +
         " on the hints, but " + show(bindings) + " passes the relations and goes the other way";
}

// What the Z3 oracle concluded, printed at exit when GYRO_FUZZ_GUARDS_STATS is set (to see
// how often it is conclusive under its budget). GYRO_FUZZ_GUARDS_VERBOSE prints each input's
// decisions, and its relations before and after pruning.
struct OracleStats {
  uint64_t nothing_to_prove = 0;
  uint64_t proved = 0;
  uint64_t unknown = 0;
};

OracleStats& oracle_stats() {
  static OracleStats* stats = [] {
    auto* out = new OracleStats;
    if (std::getenv("GYRO_FUZZ_GUARDS_STATS") != nullptr)
      std::atexit([] {
        const OracleStats& s = oracle_stats();
        std::fprintf(
            stderr, "fuzz_guards oracle: %llu nothing to prove, %llu proved, %llu unknown\n",
            static_cast<unsigned long long>(s.nothing_to_prove),
            static_cast<unsigned long long>(s.proved), static_cast<unsigned long long>(s.unknown));
      });
    return out;
  }();
  return *stats;
}

// value + delta, saturated at the int64 ends (a marked range can end at INT64_MAX).
int64_t moved(int64_t value, int64_t delta) {
  int64_t out = 0;
  if (!__builtin_add_overflow(value, delta, &out)) return out;
  return delta > 0 ? kInt64Max : kInt64Min;
}

// Bindings near what the guards talk about: the hints and their neighbours, each symbol's
// range ends, another symbol's value (duck shaping), powers of two, the int64 ends. The
// choices come from a hash of the input, so a crash replays.
std::vector<int64_t> random_binding(std::span<const int64_t> hints,
                                    std::span<const gyro::guards::ShapeSymbol> symbols,
                                    uint64_t& state) {
  auto next = [&state] {  // splitmix64
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  std::vector<int64_t> out(hints.begin(), hints.end());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const uint64_t r = next();
    const auto delta = static_cast<int64_t>(r >> 8 & 7) - 3;
    switch (r % 8) {
      case 0:
      case 1:
        break;  // the hint
      case 2:
        out[i] = moved(hints[i], delta);
        break;
      case 3:  // the lower end and its neighbours (one of them outside the range)
        out[i] = moved(symbols[i].min, static_cast<int64_t>(r >> 8 & 3) - 1);
        break;
      case 4:
        out[i] = moved(symbols[i].max, 1 - static_cast<int64_t>(r >> 8 & 3));
        break;
      case 5:
        out[i] = out[(r >> 8) % out.size()];
        break;
      case 6:
        out[i] = int64_t{1} << (r >> 8) % 63;
        break;
      default:
        out[i] = static_cast<int64_t>(r >> 8 & 15) - 4;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  ByteReader reader(std::span<const uint8_t>(data, size));
  // The first byte: the symbol count (low bits) and, in its top bit, a trace whose Z3 budget
  // is already spent (ShapeEnv::remaining_budget() turns Z3 off then): only the facts layer
  // and counterexamples prune, and an input runs many times faster.
  gyro::guards::ProverBudget budget;  // the tracer's default
  if (size > 0 && (data[0] & 0x80) != 0) budget.use_z3 = false;
  gyro::guards::ShapeEnv env(budget);
  Decoder decoder(reader, env);
  decoder.read_symbols();
  SymContext& c = env.context();
  const std::vector<int64_t> hints = env.hints();

  static const bool verbose = std::getenv("GYRO_FUZZ_GUARDS_VERBOSE") != nullptr;
  // The trace: branch conditions answered by the hints, recorded as facts unless decided.
  std::vector<Decision> decisions;
  for (int i = 0; i < kMaxConditions && !reader.empty(); ++i) {
    const SymId condition = decoder.read_condition(0);
    if (c.is_constant(condition)) continue;
    const bool outcome = env.decide(condition);
    if (verbose)
      std::fprintf(stderr, "decide(%s) = %s%s\n", c.print(condition).c_str(),
                   outcome ? "true" : "false", env.failure().empty() ? "" : " (trace stops)");
    if (!env.failure().empty()) return 0;  // the tracer stops here: no entry is compiled
    decisions.push_back({condition, outcome});
  }

  const std::vector<SymId> original = env.relations();
  gyro::guards::PruneStats stats;
  const std::vector<SymId> pruned = env.pruned_relations(&stats);

  if (verbose)
    std::fprintf(stderr, "hints: %s\nrelations:\n%spruned:\n%s", show(hints).c_str(),
                 show(c, original).c_str(), show(c, pruned).c_str());

  // prune_guards' contract: the hints pass everything (a precondition the env must meet), and
  // the result is the input's guards in their order, minus some.
  if (!passes_all(c, original, hints))
    fail("the hints fail a relation", c, original, pruned, hints);
  for (std::size_t at = 0, kept = 0; kept < pruned.size(); ++kept) {
    while (at < original.size() && original[at] != pruned[kept]) ++at;
    if (at++ == original.size())
      fail("pruned relations are not a subsequence of the relations", c, original, pruned, hints);
  }

  // Concrete bindings first, being cheap: both sets agree, and every decision holds where the
  // relations do.
  uint64_t state = size;
  for (std::size_t i = 0; i < size; ++i) state = state * 1099511628211ull ^ data[i];
  for (int trial = 0; trial < kBindingTrials; ++trial) {
    const std::vector<int64_t> bindings = random_binding(hints, env.symbols(), state);
    const bool accepted = passes_all(c, original, bindings);
    if (accepted != passes_all(c, pruned, bindings))
      fail(std::string("on ") + show(bindings) + " the relations " + (accepted ? "pass" : "fail") +
               " but the pruned ones do not",
           c, original, pruned, hints);
    if (!accepted) continue;
    for (const Decision& d : decisions)
      if (holds(c, d.condition, bindings) != d.outcome)
        fail(wrong_decision(c, d, bindings), c, original, pruned, hints);
  }

  // Then Z3. pruned is a subset of original, so original => pruned; left to prove: pruned =>
  // original, and (then) original => every decision's outcome: a branch decided without a
  // guard must go the same way for every call the entry accepts. One query: pruned and (a
  // dropped guard fails or a decision goes the other way) is unsat. Nothing to prove when
  // nothing was dropped and every decision is a fact itself.
  std::vector<SymId> dropped;
  for (SymId guard : original)
    if (std::find(pruned.begin(), pruned.end(), guard) == pruned.end()) dropped.push_back(guard);
  std::vector<Decision> derived;  // decisions the relations do not list literally
  for (const Decision& d : decisions) {
    const SymId fact = d.outcome ? d.condition : c.logical_not(d.condition);
    if (std::find(original.begin(), original.end(), fact) == original.end()) derived.push_back(d);
  }
  OracleStats& stats_out = oracle_stats();
  if (dropped.empty() && derived.empty()) {
    ++stats_out.nothing_to_prove;
    return 0;
  }
  // One context for the process: creating one costs more than most queries. Each input gets
  // its own solver; symbols are named s<i> afresh, so nothing of an earlier input is asserted.
  static z3::context z3;
  Encoder encode(c, z3);
  z3::expr_vector assumed(z3), claims_negated(z3);
  for (SymId guard : pruned) assumed.push_back(encode.holds(guard));
  for (SymId guard : dropped) claims_negated.push_back(!encode.holds(guard));
  for (const Decision& d : derived)
    claims_negated.push_back(d.outcome ? !encode.holds(d.condition) : encode.holds(d.condition));
  z3::solver solver = z3::tactic(z3, "smt").mk_solver();
  z3::params params(z3);
  params.set("rlimit", kOracleRlimit);
  params.set("random_seed", 7u);
  // A backstop only, as the pruner's: one input took 73 s inside a long fuzzing run (not
  // reproducible alone, in 0.3 s), and a stalled oracle must not stall the fuzzer.
  params.set("timeout", kOracleTimeoutMs);
  solver.set(params);
  solver.add(z3::mk_and(assumed) && z3::mk_or(claims_negated));
  for (const z3::expr& symbol : encode.symbols()) {
    solver.add(z3.int_val(kInt64Min) <= symbol);
    solver.add(symbol <= z3.int_val(kInt64Max));
  }
  z3::check_result answer = z3::unknown;
  try {
    answer = solver.check();
  } catch (const z3::exception&) {
    answer = z3::unknown;  // inconclusive, as a budget spent
  }
  if (answer == z3::unsat) ++stats_out.proved;
  if (answer == z3::unknown) ++stats_out.unknown;
  if (answer != z3::sat) return 0;

  // A counterexample: confirmed by exact evaluation, or else the oracle's encoding is wrong.
  std::vector<int64_t> model_bindings = hints;
  z3::model model = solver.get_model();
  for (std::size_t i = 0; i < model_bindings.size(); ++i) {
    int64_t value = 0;
    if (model.eval(z3.int_const(symbol_name(static_cast<int64_t>(i)).c_str()), true)
            .is_numeral_i64(value))
      model_bindings[i] = value;
  }
  const std::string where = show(model_bindings);
  if (passes_all(c, pruned, model_bindings)) {
    if (!passes_all(c, original, model_bindings))
      fail("the pruned relations accept " + where + ", the relations do not", c, original, pruned,
           hints);
    for (const Decision& d : derived)
      if (holds(c, d.condition, model_bindings) != d.outcome)
        fail(wrong_decision(c, d, model_bindings), c, original, pruned, hints);
  }
  fail("the oracle's Z3 encoding disagrees with SymContext::evaluate on " + where, c, original,
       pruned, hints);
}
