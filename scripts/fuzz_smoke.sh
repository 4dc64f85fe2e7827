#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each one over
# its seed corpus (fuzz/corpus/<target>) for a fixed number of inputs from a
# fixed seed, so a CI run is reproducible; FUZZ_SECONDS bounds each run's time
# too. New inputs go to a temporary folder, so the checked-in seeds stay as
# they are. Fails on any crash, leak or sanitizer report (the input is printed).
# FUZZ_SEED=0 picks a random seed, for longer exploratory runs.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${FUZZ_SECONDS:-30}"
seed="${FUZZ_SEED:-1}"
declare -A runs=([patch]=300000 [sse]=300000 [toml]=40000 [json]=300000 [chat]=60000)
CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCCODEX_FUZZ=ON -DCCODEX_TESTS=OFF \
  -DCCODEX_SANITIZE=OFF >/dev/null
cmake --build build-fuzz --target fuzz_patch fuzz_sse fuzz_toml fuzz_json fuzz_chat
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in patch sse toml json chat; do
  mkdir -p "$work/$t"
  echo "fuzz_$t: ${runs[$t]} inputs (seed $seed, at most ${secs}s)"
  ASAN_OPTIONS=detect_leaks=1 ./build-fuzz/fuzz/fuzz_$t -seed="$seed" -runs="${runs[$t]}" \
    -max_total_time="$secs" -rss_limit_mb=2048 \
    -max_len=8192 -print_final_stats=1 -artifact_prefix="$work/$t-" "$work/$t" "fuzz/corpus/$t" \
    2>"$work/$t.log" || { tail -50 "$work/$t.log"; echo "fuzz_$t failed"; exit 1; }
  grep -E "stat::number_of_executed_units" "$work/$t.log" || true
done
echo "fuzz smoke: all targets ran clean"
