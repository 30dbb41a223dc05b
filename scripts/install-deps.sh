#!/usr/bin/env bash
# Installs the Debian packages gyro builds with, if any are missing (root or sudo).
set -euo pipefail

# Build tools and the libraries found with find_package (README lists what each one serves).
packages=(cmake ninja-build g++ ccache pkg-config
          libeigen3-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
          libxxhash-dev libcli11-dev libz3-dev nlohmann-json3-dev libdlpack-dev
          python3-numpy)
# clang-14 and its sanitizer runtimes: the asan, tsan and fuzz presets (test.sh asks for them).
if [[ "${GYRO_WITH_CLANG:-${GYRO_WITH_ASAN:-0}}" == 1 ]]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "gyro: installing missing Debian packages: ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
