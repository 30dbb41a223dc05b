#!/usr/bin/env bash
# The main job: install what is missing, build (release preset), run the default example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target gyro_tensor_tour
exec ./build/release/examples/gyro_tensor_tour "$@"
