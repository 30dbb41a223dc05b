# Writes the seed inputs of fuzz_guards into corpus/guards/ (one file per shape of trace), in
# the byte format fuzz_guards.cc decodes. Run from fuzz/corpus: python3 make_guards_seeds.py
import os

# --- values (ByteReader::value): a tag byte, low 3 bits the form ---
def small(v): return [v << 3]                   # 0..31
def negative(v): return [(v << 3) | 2]          # -0..-31
def pow2(k): return [3, k]                      # 2^k
def u16(v): return [4, v & 255, v >> 8]         # 0..65535
def near31(d): return [((d + 16) << 3) | 5]     # 2^31 + d, d in [-16, 15]
def near62(d): return [((d + 16) << 3) | 6]     # 2^62 + d
def int64_max(d): return [(d << 3) | 7]         # INT64_MAX - d, d in [0, 15]
def int64_min(d): return [((d + 16) << 3) | 7]  # INT64_MIN + d, d in [0, 15]

# --- symbols: (kind, hint bytes[, below, above]) ---
def size(hint): return [0] + hint
def duck(hint): return [1] + hint
def marked(hint, below, above): return [2] + hint + below + above  # above <= 0: unbounded
def int_sym(hint): return [3] + hint
def header(*symbols): return [len(symbols) - 1] + [b for s in symbols for b in s]

# --- int expressions (Decoder::read_int) ---
def S(k): return [k << 4]
def C(v): return [(v << 4) | 4]                 # 0..15
def CV(value): return [5] + value
def K(v): return CV(u16(v))                    # 0..65535
def add(a, b): return [6] + a + b
def sub(a, b): return [7] + a + b
def mul(a, b): return [8] + a + b
def fdiv(a, b): return [9] + a + b
def mod(a, b): return [10] + a + b
def mn(a, b): return [11] + a + b
def mx(a, b): return [12] + a + b
def neg(a): return [13] + a
def scale(k, a): return [((k - 2) << 4) | 14] + a  # k in [2, 17]
def plus(a, k): return [(k << 4) | 15] + a         # k in [0, 15]

# --- conditions (Decoder::read_condition) ---
def eq(a, b): return [0] + a + b
def ne(a, b): return [1] + a + b
def lt(a, b): return [2] + a + b
def le(a, b): return [3] + a + b
def gt(a, b): return [4] + a + b
def ge(a, b): return [5] + a + b
def specialize(a): return [6] + a
def both(a, b): return [7] + a + b
def either(a, b): return [8] + a + b
def negate(a): return [9] + a

SEEDS = {
    "range_only": header(size(small(8))),
    "duck_sizes_share_a_symbol": header(duck(small(8)), duck(small(8))) + eq(S(0), S(1)),
    "broadcast_equality": header(size(small(8)), size(small(8))) + eq(S(0), S(1)),
    "sizes_differ": header(size(small(8)), size(small(9))) + ne(S(0), S(1)),
    "bounds_lt_le_gt_ge": header(size(small(6)), size(small(9)))
    + lt(S(0), S(1)) + le(S(0), C(8)) + gt(S(0), C(4)) + ge(S(1), C(3)),
    "redundant_lower_bounds": header(size(small(9)))
    + ge(S(0), C(4)) + ge(S(0), C(3)) + ge(S(0), C(5)) + gt(S(0), C(2)),
    "reshape_product": header(size(small(4)), size(small(8)), size(pow2(5)))
    + eq(mul(S(0), S(1)), S(2)),
    "reshape_two_products": header(size(small(4)), size(small(6)), size(small(3)), size(small(8)))
    + eq(mul(S(0), S(1)), mul(S(2), S(3))),
    "reshape_divisibility": header(size(small(6)), size(small(10)))
    + eq(mod(mul(S(0), S(1)), C(4)), C(0)),
    "product_beyond_facts_needs_z3": header(size(pow2(4)), size(small(3)), size(small(6)))
    + eq(mul(S(0), S(1)), scale(8, S(2))) + ge(S(2), C(2)) + eq(mod(S(0), C(8)), C(0)),
    "floordiv_by_constant": header(size(small(9))) + eq(fdiv(S(0), C(2)), C(4)),
    "floordiv_by_symbol": header(size(small(12)), size(small(3)))
    + eq(fdiv(S(0), S(1)), C(4)) + eq(mod(S(0), S(1)), C(0)),
    "modulo_divisible": header(size(pow2(4))) + eq(mod(S(0), C(8)), C(0)),
    "min_max": header(size(small(5)), size(small(7)))
    + ge(mn(S(0), S(1)), C(3)) + le(mx(S(0), S(1)), K(64)),
    "difference_and_negation": header(size(small(9)), size(small(7)))
    + le(sub(S(0), S(1)), C(3)) + lt(neg(S(0)), neg(S(1))),
    "scaled_sum": header(size(small(3)), size(small(20)))
    + le(plus(scale(3, S(0)), 2), S(1)) + gt(add(S(0), S(1)), C(10)),
    "specialized_size": header(size(small(12)), size(small(5))) + specialize(S(0))
    + specialize(add(S(0), S(1))),
    "marked_range": header(marked(small(16), small(4), u16(64))) + le(S(0), K(32)),
    "marked_unbounded": header(marked(small(16), small(8), small(0))) + ge(S(0), C(10)),
    "int_symbol_negative": header(int_sym(negative(7)))
    + lt(S(0), C(0)) + eq(fdiv(S(0), CV(negative(3))), C(2)) + ne(mod(S(0), CV(negative(5))), C(0)),
    "int_symbol_zero_one": header(int_sym(small(0)), int_sym(small(1)))
    + eq(S(0), C(0)) + ge(S(1), S(0)),
    "product_near_2_62": header(size(near31(0)), size(near31(0))) + ge(mul(S(0), S(1)), C(4)),
    "product_overflows_on_hints": header(size(near31(1)), size(near31(1)))
    + ge(mul(mul(S(0), S(1)), S(0)), C(4)),
    "sum_near_int64_max": header(int_sym(int64_max(1))) + gt(plus(S(0), 1), C(0)),
    "int64_min_floordiv_minus_one": header(int_sym(int64_min(0)))
    + ne(fdiv(S(0), CV(negative(1))), C(0)),
    "large_power_of_two": header(size(pow2(40)), size(pow2(20)))
    + eq(fdiv(S(0), S(1)), CV(pow2(20))) + eq(mod(S(0), S(1)), C(0)),
    "negative_divisors": header(size(small(13)))
    + eq(mod(S(0), CV(negative(4))), CV(negative(3))) + eq(fdiv(S(0), CV(negative(4))), CV(negative(4))),
    "not_and_or": header(size(small(4)), size(small(6)))
    + negate(eq(S(0), C(4))) + either(lt(S(0), C(8)), gt(S(1), C(2)))
    + both(ge(S(0), C(2)), le(S(1), C(7))),
    "short_circuit_division": header(int_sym(small(0)), size(small(5)))
    + either(eq(S(0), C(0)), eq(fdiv(S(1), S(0)), C(1))),
    "four_symbols_mixed": header(size(small(8)), marked(small(4), small(2), small(16)),
                                 int_sym(negative(2)), duck(small(8)))
    + eq(mul(S(0), S(1)), K(32)) + lt(S(2), S(1)) + ge(add(S(0), S(2)), C(6))
    + eq(mod(S(0), S(1)), C(0)),
    "chain_of_equalities": header(size(small(6)), size(small(6)), size(small(6)))
    + eq(S(0), S(1)) + eq(S(1), S(2)) + eq(S(0), S(2)),
    "weaker_product_bounds": header(size(small(4)), size(small(5)))
    + ge(mul(S(0), S(1)), K(20)) + ge(mul(S(0), S(1)), K(18)) + le(mul(S(0), S(1)), K(40)),
}

# The same traces with the top bit of the first byte set: the trace's Z3 budget is spent, so
# only the facts layer and counterexamples prune.
def budget_spent(data): return [data[0] | 0x80] + data[1:]

for name in ["reshape_product", "product_beyond_facts_needs_z3", "four_symbols_mixed",
             "floordiv_by_symbol"]:
    SEEDS["budget_spent_" + name] = budget_spent(SEEDS[name])

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "guards")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        assert all(0 <= b < 256 for b in data), name
        with open(os.path.join(out, f"seed_{name}"), "wb") as f:
            f.write(bytes(data))
    print(f"{len(SEEDS)} seeds written to {out}")
