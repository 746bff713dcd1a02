#!/usr/bin/env bash
# The whole test suite: install dependencies, build, run every test with
# CTest (unit, integration, fault). Ends with CTest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
BUILD=${COGOV_BUILD_DIR:-build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${COGOV_CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
cd "$BUILD"
ctest --output-on-failure -j2 --timeout 900
