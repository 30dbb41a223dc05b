#!/usr/bin/env bash
# The gyro CLI end to end: dis of text and binary, asm round trip, --version, and exit codes.
set -euo pipefail
gyro=$1 source_dir=$2 work=$3
mkdir -p "$work"
example="$source_dir/examples/bytecode/sum_loop.gya"
expected="$source_dir/tests/cli/sum_loop.dis"

"$gyro" --version | grep -q '^gyro 0.1.0 (bytecode 1.1)$'
diff -u "$expected" <("$gyro" dis "$example")
"$gyro" asm --no-run "$example" -o "$work/sum_loop.gyc" 2> "$work/asm.err"
grep -q 'sum_loop.gya: 1 code objects verified, written to' "$work/asm.err"
diff -u "$expected" <("$gyro" dis "$work/sum_loop.gyc")

# A verification error exits 2 and names the code, offset and rule.
sed 's/^   2     0 LOAD_CONST 0$/   2     0 POP_TOP/' "$example" > "$work/bad.gya"
set +e
"$gyro" asm --no-run "$work/bad.gya" 2> "$work/bad.err"
status=$?
set -e
[[ $status -eq 2 ]] || { echo "expected exit 2, got $status"; exit 1; }
grep -q "code 'sum_below', offset 0 (POP_TOP): stack underflow" "$work/bad.err"

# asm runs the program: output on stdout; an uncaught exception prints a traceback, exits 1.
[[ "$("$gyro" asm "$source_dir/tests/golden/vm/recursive_fib_prints_6765.gya")" == 6765 ]]
set +e
"$gyro" asm "$source_dir/tests/golden/vm/uncaught_error_prints_a_traceback.gya" 2> "$work/trace.err"
status=$?
set -e
[[ $status -eq 1 ]] || { echo "expected exit 1 for an uncaught exception, got $status"; exit 1; }
grep -q '^Traceback (most recent call last):$' "$work/trace.err"
grep -q '^IndexError: list index out of range$' "$work/trace.err"

# gyro run compiles and runs gyro script; a syntax error exits 2 with file:line:col.
[[ "$("$gyro" run "$source_dir/examples/tour.gy" | head -1)" == "probabilities:" ]]
printf 'def f(:\n    pass\n' > "$work/bad.gy"
set +e
"$gyro" run "$work/bad.gy" 2> "$work/syntax.err"
status=$?
set -e
[[ $status -eq 2 ]] || { echo "expected exit 2 for a syntax error, got $status"; exit 1; }
grep -q "SyntaxError: .*bad.gy:1:6: '(' was never closed" "$work/syntax.err"

# gyro compile writes verified bytecode that gyro run and dis read back: same output.
"$gyro" compile "$source_dir/examples/tour.gy" -o "$work/tour.gyc"
diff -u <("$gyro" run "$source_dir/examples/tour.gy") <("$gyro" run "$work/tour.gyc")
diff -u <("$gyro" dis "$source_dir/examples/tour.gy") <("$gyro" dis "$work/tour.gyc")
cp "$source_dir/examples/tour.gy" "$work/tour_copy.gy"
"$gyro" compile "$work/tour_copy.gy"
[[ -s "$work/tour_copy.gyc" ]]
# A truncated .gyc is a bytecode error (exit 2) that names the problem.
head -c 100 "$work/tour.gyc" > "$work/truncated.gyc"
set +e
"$gyro" run "$work/truncated.gyc" 2> "$work/truncated.err"
status=$?
set -e
[[ $status -eq 2 ]] || { echo "expected exit 2 for a truncated .gyc, got $status"; exit 1; }
grep -q "truncated.gyc: " "$work/truncated.err"
# compile takes only gyro script; a syntax error exits 2.
set +e
"$gyro" compile "$work/tour.gyc" 2> /dev/null; status=$?
set -e
[[ $status -eq 2 ]] || { echo "expected exit 2 for compile of a .gyc, got $status"; exit 1; }

# GYRO_CACHE_DIR: a second process starts warm (entries loaded, nothing traced), with the same
# output; processes sharing the directory at once never read a half-written artifact.
cat > "$work/warm.gy" <<'PROGRAM'
def f(x, y):
    return (x * y + 1).relu().sum()
counter = CompileCounter()
g = compile(f, backend=counter)
h = compile(f)
print(g(ones(3, 4), ones(3, 4)), g(ones(2), arange(2.0)), h(ones(5), ones(5)))
print("compiles:", counter.frame_count)
PROGRAM
rm -rf "$work/cache" && mkdir "$work/cache"
cold=$(cd "$work" && GYRO_CACHE_DIR="$work/cache" GYRO_LOGS=cache "$gyro" run warm.gy 2> cold.log)
grep -q 'tracing a new entry' "$work/cold.log"
ls "$work/cache"/*.gyrocache > /dev/null
warm=$(cd "$work" && GYRO_CACHE_DIR="$work/cache" GYRO_LOGS=cache "$gyro" run warm.gy 2> warm.log)
# The same results; the cold run compiled twice, the warm one never (CompileCounter).
[[ "${cold%compiles:*}" == "${warm%compiles:*}" ]] || { echo "warm output differs: $warm"; exit 1; }
[[ "$cold" == *"compiles: 2" && "$warm" == *"compiles: 0" ]] || { echo "$cold / $warm"; exit 1; }
[[ $(grep -c 'loaded from the compile cache' "$work/warm.log") -eq 3 ]]
grep -q 'tracing a new entry' "$work/warm.log" && { echo "the warm start traced"; exit 1; }
rm -rf "$work/cache" && mkdir "$work/cache"
pids=()
for i in 1 2 3 4; do
  (cd "$work" && GYRO_CACHE_DIR="$work/cache" "$gyro" run warm.gy > "shared$i.out") & pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
for i in 1 2 3 4; do [[ "$(head -1 "$work/shared$i.out")" == "${cold%%$'\n'*}" ]]; done
ls "$work/cache" | grep -v '\.gyrocache$' && { echo "a temp file was left behind"; exit 1; }
after=$(cd "$work" && GYRO_CACHE_DIR="$work/cache" GYRO_LOGS=cache "$gyro" run warm.gy 2> after.log)
# (Two processes racing on one function's file can each rename a file without the other's
# newest entry: a later miss then compiles again. Nothing half-written is ever read.)
[[ "${after%compiles:*}" == "${cold%compiles:*}" ]]
grep -q 'loaded from the compile cache' "$work/after.log"

# A runtime traceback shows each frame's source line, and collapses recursion as CPython does.
printf 'def f(n):\n    return 1 // n if n == 0 else f(n - 1)\n\nf(10)\n' > "$work/deep.gy"
set +e
"$gyro" run "$work/deep.gy" 2> "$work/deep.err"
status=$?
set -e
[[ $status -eq 1 ]] || { echo "expected exit 1 for an uncaught exception, got $status"; exit 1; }
grep -q '^    f(10)$' "$work/deep.err"
[[ $(grep -c '^    return 1 // n if n == 0 else f(n - 1)$' "$work/deep.err") -eq 3 ]]
grep -q '^  \[Previous line repeated 8 more times\]$' "$work/deep.err"
grep -q '^ZeroDivisionError: integer division or modulo by zero$' "$work/deep.err"

# A missing file exits 1.
set +e
"$gyro" dis "$work/missing.gyc" 2> /dev/null
status=$?
set -e
[[ $status -eq 1 ]] || { echo "expected exit 1 for a missing file, got $status"; exit 1; }
echo "cli: 1 passed, 0 failed"
