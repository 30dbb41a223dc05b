#!/usr/bin/env bash
# The main job: install what is missing, build (release preset), run the default example
# program (examples/tour.gy) on gyro's reference VM.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target gyro
exec ./build/release/tools/gyro run examples/tour.gy "$@"
