#!/usr/bin/env bash
# The whole test suite, as CI runs it (about 25 minutes on 2 cores):
#  1. AddressSanitizer + UndefinedBehaviorSanitizer Debug build in build-asan/, every test;
#  2. optimised builds as a packager makes them, gcc -O2 (build-gcc/) and clang -O2
#     (build-clang/), every test of each;
#  3. a ThreadSanitizer build (build-tsan/) of the CLI, running the parallel-tools test;
#  4. scripts/lint.sh: clang-format and clang-tidy;
#  5. the fuzz smoke runs;
#  6. the static release build (scripts/release.sh) run in an empty chroot;
#  7. the same for the aarch64 release binary under qemu-user, when the cross toolchain is
#     installed and its dependencies are cached (otherwise a line says why it was skipped).
# Every build has -Werror (CCODEX_WERROR). Arguments go to the first ctest only;
# CX_TEST_ASAN_ONLY=1 stops after step 1 (a quicker local run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(pwd)/tests/lsan.supp}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
jobs="${CX_TEST_JOBS:-2}"

step() { echo "=== $* ($(date -u +%H:%M:%S))"; }

step "ASan+UBSan Debug build and tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCCODEX_SANITIZE=ON -DCCODEX_WERROR=ON >/dev/null
cmake --build build-asan
(cd build-asan && ctest --output-on-failure -j"$jobs" "$@")
[ "${CX_TEST_ASAN_ONLY:-0}" = 1 ] && exit 0

for cc in gcc clang; do
    step "$cc -O2 build and tests"
    CC=$cc cmake -S . -B "build-$cc" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" -DCCODEX_WERROR=ON >/dev/null
    cmake --build "build-$cc"
    (cd "build-$cc" && ctest --output-on-failure -j"$jobs")
done

step "ThreadSanitizer build, parallel tools"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCCODEX_TSAN=ON \
    -DCCODEX_WERROR=ON >/dev/null
cmake --build build-tsan --target ccodex_cli
(cd build-tsan && ctest --output-on-failure -R 'integration.test_parallel_events')

step "static checks"
scripts/lint.sh build-clang

step "fuzz smoke"
# the libFuzzer targets, a short bounded run each (see fuzz/ and scripts/fuzz_smoke.sh)
scripts/fuzz_smoke.sh

# 6. the static release binary: scripts/release.sh builds it (the musl dependencies are cached in
# ~/.cache/ccodex/build-static/deps, so only a changed Debian version or recipe rebuilds one; a
# cold cache costs a few dependency builds, OpenSSL and curl the longest), then it runs in an empty chroot (an exec turn with a tool call over https, a
# serve round trip) and through the TLS/proxy tests. CCODEX_SKIP_RELEASE=1 skips this step.
if [ "${CCODEX_SKIP_RELEASE:-0}" != 1 ]; then
    step "static release build, then exec and serve in an empty root"
    # the dependency cache lives outside the clone, so runs on one machine share it
    export RELEASE_DIR="${RELEASE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ccodex/build-static}"
    scripts/release.sh --jobs "$jobs"
    version=$(sed -n 's/^project(ccodex VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
    static_bin=$(realpath "dist/ccodex-$version-linux-$(uname -m)")
    CCODEX_STATIC_BIN=$static_bin python3 tests/integration/test_static_root.py
    CCODEX_STATIC_BIN=$static_bin python3 tests/integration/test_tls_proxy.py

    # 7. aarch64, cross-built from Debian's packages (scripts/deps.sh --cross aarch64) and run by
    # qemu-aarch64-static in the same empty root. Its cold dependency build takes longer than a
    # CI run may (docs/RELEASE.md), so CI only builds ccodex itself against a warm cache
    # (release.sh --cached-only) and says so when it cannot.
    step "aarch64 static release (cross-built), exec and serve in an empty root under qemu"
    if [ "$(uname -m)" = aarch64 ]; then
        echo "skipped: this machine is aarch64; step 6 tested its native build"
    elif ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v qemu-aarch64-static >/dev/null ||
         [ ! -r /usr/lib/aarch64-linux-musl/musl-gcc.specs ]; then
        echo "skipped: no aarch64 cross toolchain (install it with scripts/deps.sh --cross aarch64)"
    else
        rc=0
        scripts/release.sh --arch aarch64 --jobs "$jobs" --cached-only || rc=$?
        if [ "$rc" = 3 ]; then
            echo "skipped: the aarch64 dependencies are not cached; build them once with" \
                "scripts/release.sh --arch aarch64"
        elif [ "$rc" != 0 ]; then
            exit "$rc"
        else
            arm_bin=$(realpath "dist/ccodex-$version-linux-aarch64")
            export CCODEX_STATIC_RUNNER
            CCODEX_STATIC_RUNNER=$(command -v qemu-aarch64-static)
            CCODEX_STATIC_BIN=$arm_bin python3 tests/integration/test_static_root.py
            CCODEX_STATIC_BIN=$arm_bin python3 tests/integration/test_tls_proxy.py
            unset CCODEX_STATIC_RUNNER
        fi
    fi
fi
