#!/usr/bin/env bash
# Runs each scalar program with gyro and with CPython (the same .gy file), best of 5 wall times.
set -euo pipefail
cd "$(dirname "$0")"
gyro=${1:-../../build/release/tools/gyro}
python=${PYTHON:-/usr/bin/python3}
best() {
  local best=999999
  for _ in 1 2 3 4 5; do
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null
    end=$(date +%s.%N)
    best=$(echo "$end - $start" | bc -l | awk -v b="$best" '{ print ($1 < b) ? $1 : b }')
  done
  printf '%.3f' "$best"
}
printf '| program | gyro s | CPython s | gyro / CPython |\n|---|---:|---:|---:|\n'
for program in fib while_loop list_sum method_calls; do
  g=$(best "$gyro" run "$program.gy")
  p=$(best "$python" "$program.gy")
  printf '| %s | %s | %s | %.2f |\n' "$program" "$g" "$p" "$(echo "$g / $p" | bc -l)"
done
