#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running ccodex:
# installs the packages, configures and builds an optimised build in build/,
# then runs the binary once.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCCODEX_TESTS=OFF >/dev/null
cmake --build build
./build/ccodex --version
echo "built: $(pwd)/build/ccodex  (try: ./build/ccodex --help)"
