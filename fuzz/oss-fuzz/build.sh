#!/usr/bin/env bash
# OSS-Fuzz build script: builds gyro's libraries with $CC/$CXX/$CFLAGS/$CXXFLAGS, links each
# fuzz/ target with $LIB_FUZZING_ENGINE into $OUT, with its seed corpus as
# $OUT/fuzz_<target>_seed_corpus.zip and its dictionary fuzz/dict/<target>.dict as
# $OUT/fuzz_<target>.dict.
# Runs outside OSS-Fuzz too, with those variables set by hand (fuzz/README.md shows how).
set -euo pipefail
source_dir=${GYRO_SOURCE_DIR:-$SRC/gyro}
build_dir=${WORK:-/tmp}/gyro-oss-fuzz-build
: "${OUT:?set OUT}" "${LIB_FUZZING_ENGINE:?set LIB_FUZZING_ENGINE}" "${CXX:?set CXX}"

# Debian's libfmt.so and libz3.so are built against libstdc++, so gyro is too (OSS-Fuzz's
# default libc++ would not link against fmt). The runner image has neither library: they go to
# $OUT/lib, found through the binaries' rpath.
CXXFLAGS=${CXXFLAGS:-}
CXXFLAGS=${CXXFLAGS//-stdlib=libc++/}
export CXXFLAGS
rpath='-Wl,-rpath,$ORIGIN/lib'

# Only the fuzz targets, without -march=native (the fuzzing machines are not this one); the
# optimization level and debug info come from $CXXFLAGS. Checksums are skipped
# (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which OSS-Fuzz's flags define too).
cmake -S "$source_dir" -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_CXX_FLAGS_RELEASE=-DNDEBUG \
  -DCMAKE_EXE_LINKER_FLAGS="$rpath" \
  -DGYRO_BUILD_TESTS=OFF -DGYRO_BUILD_BENCH=OFF -DGYRO_BUILD_EXAMPLES=OFF \
  -DGYRO_BUILD_FUZZ=ON -DGYRO_NATIVE=OFF -DGYRO_FUZZ_SKIP_CHECKSUMS=ON \
  -DGYRO_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
targets=$(tr ';' ' ' <"$build_dir/fuzz/targets.txt")  # GYRO_FUZZ_TARGETS (fuzz/CMakeLists.txt)
# fuzz_dictionaries writes the generated dictionaries into $build_dir/fuzz/dict/.
cmake --build "$build_dir" -j"${GYRO_JOBS:-$(nproc)}" --target $(printf 'fuzz_%s ' $targets) fuzz_dictionaries

mkdir -p "$OUT/lib"
for target in $targets; do
  cp "$build_dir/fuzz/fuzz_$target" "$OUT/"
  rm -f "$OUT/fuzz_${target}_seed_corpus.zip"
  (cd "$source_dir/fuzz/corpus/$target" && zip -q -r "$OUT/fuzz_${target}_seed_corpus.zip" .)
  # The dictionary: checked in (fuzz/dict/) or written by the build.
  for dict in "$source_dir/fuzz/dict/$target.dict" "$build_dir/fuzz/dict/$target.dict"; do
    if [[ -f "$dict" ]]; then cp "$dict" "$OUT/fuzz_$target.dict"; break; fi
  done
  # The shared libraries a runner lacks (everything but the C and C++ runtimes).
  ldd "$OUT/fuzz_$target" | awk '/=> \// {print $3}' |
    grep -E '/lib(fmt|z3|xxhash)\.so' | xargs -r cp -L -t "$OUT/lib/"
done
