#!/usr/bin/env bash
# Builds bench_tools against the Release library in build/ and runs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target ccodex >/dev/null
out=$(mktemp -d)
cc -O2 -std=c17 -D_GNU_SOURCE -Iinclude -Isrc bench/tools/bench_tools.c build/libccodex.a \
  $(pkg-config --cflags --libs libcurl json-c libevent libcrypto zlib) -lpthread -lutil -lm -o "$out/bench_tools"
"$out/bench_tools" "${1:-200}"
rm -rf "$out"
