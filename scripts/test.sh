#!/usr/bin/env bash
# Builds gyro and passes its tests (CI runs exactly this), in three phases:
#   release  the release preset: build everything, ctest (all labels but bench)
#   asan     clang-14, ASan + UBSan with leak checks: unit, golden and fuzz replay tests, and
#            each libFuzzer target for a short fixed run from its corpus (label fuzz-run)
#   tsan     clang-14, ThreadSanitizer at -O1: only the thread tests, built and run
#   package  cmake --install of the release build into build/package/prefix, then examples/
#            configured, built and tested as a separate project against that installed package
# GYRO_TEST_PHASES picks phases (default "release package asan tsan"; "release" is the quick local
# check). Installs what is missing first. In CI (CI=true) warnings are errors. Extra arguments
# go to every ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
phases=${GYRO_TEST_PHASES:-release package asan tsan}
clang=0
for phase in $phases; do
  case $phase in
    release|package) ;;
    asan|tsan) clang=1 ;;
    *) echo "gyro test: unknown phase '$phase' in GYRO_TEST_PHASES (release, package, asan, tsan)" >&2; exit 2 ;;
  esac
done
GYRO_WITH_CLANG=$clang bash scripts/install-deps.sh
werror=OFF
if [[ "${CI:-}" == true ]]; then werror=ON; fi

# CPU seconds (user + system) of the finished child processes, into $cpu: on a shared machine
# a fairer measure of a phase's cost than its wall time (read in this shell, not a subshell).
ticks=$(getconf CLK_TCK)
read_cpu() {
  local stat
  read -r -a stat </proc/$$/stat
  cpu=$(((stat[15] + stat[16]) / ticks))
}
timings=()
for phase in $phases; do
  echo "=== gyro test: $phase"
  start=$SECONDS
  read_cpu
  cpu_start=$cpu
  result=passed
  if [[ $phase == package ]]; then
    # The release build installed, and examples/ built on its own against the installed files.
    cmake --preset release -DGYRO_WERROR=$werror >/dev/null
    cmake --build --preset release
    rm -rf build/package
    cmake --install build/release --prefix build/package/prefix >/dev/null
    cmake -S examples -B build/package/examples -G Ninja \
      -DCMAKE_PREFIX_PATH="$PWD/build/package/prefix" >/dev/null &&
      cmake --build build/package/examples || result=FAILED
    built=$SECONDS
    if [[ $result == passed ]]; then
      ctest --test-dir build/package/examples --output-on-failure || result=FAILED
    fi
  else
    cmake --preset "$phase" -DGYRO_WERROR=$werror >/dev/null
    cmake --build --preset "$phase"
    built=$SECONDS
    ctest --preset "$phase" "$@" || result=FAILED  # the next phases still run
  fi
  read_cpu
  timings+=("$phase $result: build $((built - start))s, tests $((SECONDS - built))s (wall; cpu $((cpu - cpu_start))s)")
done
echo "=== gyro test:"
printf '  %s\n' "${timings[@]}"
if [[ "${timings[*]}" == *FAILED* ]]; then exit 1; fi
