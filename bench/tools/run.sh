#!/usr/bin/env bash
# Builds the Release library in build-bench/ and bench_tools against it, then
# runs it. Not part of the test suite. Arguments go to bench_tools
# ([EXEC_RUNS [PATCH_RUNS]]); results are recorded in bench/tools/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DCCODEX_TESTS=OFF >/dev/null
cmake --build build-bench --target ccodex >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -std=c17 -Wall -Wextra -Werror -Wshadow -D_GNU_SOURCE -Iinclude -Isrc bench/tools/bench_tools.c \
  build-bench/libccodex.a $(pkg-config --cflags --libs libcurl json-c libevent libcrypto zlib) -lpthread -lutil -lm \
  -o "$out/bench_tools"
"$out/bench_tools" "$@"
