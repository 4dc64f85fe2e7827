#!/usr/bin/env bash
# Fuzz smoke run for CI: builds the libFuzzer targets with clang in build-fuzz/,
# replays every saved input of fuzz/crashes/<target>-* (findings stay fixed),
# then fuzzes each target from its seed corpus (fuzz/corpus/<target>) for a
# fixed number of inputs from a fixed seed, so that a run is reproducible;
# FUZZ_SECONDS caps each target's time (about 1.5 minutes in all on 2 cores).
# New inputs go to a temporary folder: the checked-in seeds stay as they are.
# Exits non-zero on any crash, leak, sanitizer report or hang, naming the input.
#   FUZZ_SEED=0       a random seed, for longer exploratory runs
#   FUZZ_SCALE=10     ten times the inputs (raise FUZZ_SECONDS as well)
#   FUZZ_TARGETS="patch json"   only these targets
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${FUZZ_SECONDS:-15}"
seed="${FUZZ_SEED:-1}"
scale="${FUZZ_SCALE:-1}"
targets="${FUZZ_TARGETS:-patch sse toml json chat jsonrpc serve_http storage_http}"
# inputs per target: each takes 5-15 s on the project's 2-core VM
# (the HTTP targets go through a real loopback connection to a server thread: slower per input)
declare -A runs=([patch]=20000 [sse]=200000 [toml]=40000 [json]=150000 [chat]=40000 [jsonrpc]=100000
  [serve_http]=3000 [storage_http]=3000)

command -v clang >/dev/null || { echo "fuzz smoke: clang is not installed" >&2; exit 1; }
CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCCODEX_FUZZ=ON -DCCODEX_TESTS=OFF \
  -DCCODEX_SANITIZE=OFF >/dev/null
# shellcheck disable=SC2046
cmake --build build-fuzz --target $(printf 'fuzz_%s ' $targets) >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts=build-fuzz/artifacts
mkdir -p "$artifacts"
export ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
failed=0
for t in $targets; do
  bin=./build-fuzz/fuzz/fuzz_$t
  saved=(fuzz/crashes/"$t"-*)
  if [ -e "${saved[0]}" ]; then
    echo "fuzz_$t: replaying ${#saved[@]} saved finding(s) from fuzz/crashes/"
    for f in "${saved[@]}"; do
      # full malloc stacks here: a leak inside json-c is otherwise cut at the library
      if ! ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0" "$bin" -runs=1 "$f" >"$work/$t.replay.log" 2>&1; then
        grep -E "ERROR|SUMMARY|^    #[0-9]+ .* in (LLVMFuzzer|same|round|cx_|parse|json)" "$work/$t.replay.log" | head -12
        echo "fuzz_$t: FAILED on $f"
        failed=1
      fi
    done
  fi
  n=$((runs[$t] * scale))
  mkdir -p "$work/$t"
  echo "fuzz_$t: $n inputs from seed $seed (at most ${secs}s)"
  if ! "$bin" -seed="$seed" -runs="$n" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -max_len=8192 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" "$work/$t" "fuzz/corpus/$t" \
      >"$work/$t.log" 2>&1; then
    tail -40 "$work/$t.log"
    echo "fuzz_$t: FAILED; the input is in $artifacts/ (keep it as fuzz/crashes/$t-<what>)"
    failed=1
    continue
  fi
  grep -E "stat::number_of_executed_units" "$work/$t.log" || true
done
if [ "$failed" != 0 ]; then
  echo "fuzz smoke: FAILED"
  exit 1
fi
echo "fuzz smoke: all targets ran clean"
