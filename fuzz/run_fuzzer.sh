#!/usr/bin/env bash
# A short libFuzzer run for ctest (fuzz_<target>_run): run_fuzzer.sh SCRATCH FUZZER ARGS...
# SCRATCH is emptied and passed as the first corpus directory, where libFuzzer writes the new
# inputs it finds; the checked-in corpora come after it in ARGS and are only read.
set -euo pipefail
scratch=$1
fuzzer=$2
shift 2
flags=() corpora=()
for arg in "$@"; do
  if [[ "$arg" == -* ]]; then flags+=("$arg"); else corpora+=("$arg"); fi
done
rm -rf "$scratch"
mkdir -p "$scratch"
# The target's dictionary: checked in (fuzz/dict/) or written by the build (<build>/fuzz/dict/).
name=$(basename "$fuzzer")
for dict in "$(dirname "$0")/dict/${name#fuzz_}.dict" "$(dirname "$fuzzer")/dict/${name#fuzz_}.dict"; do
  if [[ -f "$dict" ]]; then flags+=("-dict=$dict"); break; fi
done
exec "$fuzzer" "${flags[@]}" "$scratch" "${corpora[@]}"
