#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs packages if needed, builds with
# AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/, runs every test
# with ctest, then the fuzz smoke runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(pwd)/tests/lsan.supp}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCCODEX_SANITIZE=ON >/dev/null
cmake --build build-asan
cd build-asan
ctest --output-on-failure -j2 "$@"
cd ..
# the libFuzzer targets, a short bounded run each (see fuzz/ and scripts/fuzz_smoke.sh)
scripts/fuzz_smoke.sh
