#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each one for a
# short, bounded time over its seed corpus (fuzz/corpus/<target>). New inputs go
# to a temporary folder, so the checked-in seeds stay as they are. Fails on any
# crash, leak or sanitizer report. FUZZ_SECONDS sets the time per target.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${FUZZ_SECONDS:-15}"
CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCCODEX_FUZZ=ON -DCCODEX_TESTS=OFF \
  -DCCODEX_SANITIZE=OFF >/dev/null
cmake --build build-fuzz --target fuzz_patch fuzz_sse fuzz_toml fuzz_json fuzz_chat
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in patch sse toml json chat; do
  mkdir -p "$work/$t"
  echo "fuzz_$t: ${secs}s"
  ASAN_OPTIONS=detect_leaks=1 ./build-fuzz/fuzz/fuzz_$t -max_total_time="$secs" -rss_limit_mb=2048 \
    -max_len=8192 -print_final_stats=1 -artifact_prefix="$work/$t-" "$work/$t" "fuzz/corpus/$t" \
    2>"$work/$t.log" || { tail -50 "$work/$t.log"; echo "fuzz_$t failed"; exit 1; }
  grep -E "stat::number_of_executed_units" "$work/$t.log" || true
done
echo "fuzz smoke: all targets ran clean"
