#!/usr/bin/env bash
# Replays the compile-cache regression corpus: each damaged artifact is loaded and its entry
# offered to a call; gyro must finish cleanly (exit 0, or 1 with a Python exception), never crash.
set -euo pipefail
gyro=$1 corpus=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cp "$corpus"/base.gy "$corpus"/base_eager.gy "$work"/
count=0
for artifact in "$corpus"/*.gyk; do
  name=$(basename "$artifact")
  script=base.gy
  [[ $name == eager_* ]] && script=base_eager.gy
  cp "$artifact" "$work/crafted.gyk"
  set +e
  (cd "$work" && "$gyro" run "$script") > "$work/out.txt" 2>&1
  status=$?
  set -e
  if [[ $status -gt 1 ]]; then
    echo "$name: exit $status"; cat "$work/out.txt"; exit 1
  fi
  count=$((count + 1))
done
echo "cache corpus: $count artifacts replayed cleanly"
