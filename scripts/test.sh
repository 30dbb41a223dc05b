#!/usr/bin/env bash
# Builds gyro and passes its tests: install what is missing, configure, build, ctest.
# In CI (CI=true) warnings are errors. Extra arguments go to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
werror=OFF
if [[ "${CI:-}" == true ]]; then werror=ON; fi
cmake --preset release -DGYRO_WERROR=$werror >/dev/null
cmake --build --preset release
ctest --preset release "$@"
