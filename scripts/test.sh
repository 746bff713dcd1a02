#!/usr/bin/env bash
# The whole test suite: install dependencies, build, and run every test with
# CTest twice — a regular build, then an AddressSanitizer + UBSan build (with
# clang, which also builds and runs the libFuzzer target for a bounded time).
# Ends with CTest's summary of the sanitizer run.
#   COGOV_QUICK=1   only the regular build
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
jobs=$(nproc)

echo "== regular build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j2 --timeout 900)
[ "${COGOV_QUICK:-0}" = 1 ] && exit 0

echo "== sanitizer build (ASan + UBSan, libFuzzer)"
san_args=(-DCMAKE_BUILD_TYPE=Debug -DCOGOV_SANITIZE=ON)
if command -v clang >/dev/null; then
  san_args+=(-DCMAKE_C_COMPILER=clang -DCOGOV_FUZZ=ON)
fi
cmake -S . -B build-asan "${san_args[@]}" >/dev/null
cmake --build build-asan -j"$jobs"
cd build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --output-on-failure -j2 --timeout 900
