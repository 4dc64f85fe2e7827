#!/usr/bin/env bash
# Static checks CI runs (scripts/test.sh): every C file in the repository formatted with
# the repo's .clang-format, and every source in src/ clean under .clang-tidy (bugprone,
# clang-analyzer). clang-tidy reads the compile database of a clang build:
#   scripts/lint.sh BUILD_DIR      (default build-clang, configured if missing)
#   LINT_SKIP_TIDY=1               only the format check
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-clang}"

mapfile -t files < <(git ls-files '*.c' '*.h')
if ! clang-format --dry-run --Werror "${files[@]}"; then
    echo "lint: files above are not clang-formatted (run clang-format -i on them)" >&2
    exit 1
fi
echo "lint: clang-format clean (${#files[@]} files)"
[ "${LINT_SKIP_TIDY:-0}" = 1 ] && exit 0

if [ ! -f "$build/compile_commands.json" ]; then
    CC=clang cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCCODEX_WERROR=ON >/dev/null
fi
# generated sources (if any) must exist before clang-tidy reads the database
cmake --build "$build" >/dev/null
mapfile -t srcs < <(git ls-files 'src/*.c')
run-clang-tidy -quiet -j "$(nproc)" -p "$build" "${srcs[@]/#/$PWD/}" >"$build/clang-tidy.log" 2>&1 || {
    grep -E 'error:|warning:' "$build/clang-tidy.log" | grep -v 'warnings generated' >&2 || true
    echo "lint: clang-tidy found problems (full log: $build/clang-tidy.log)" >&2
    exit 1
}
echo "lint: clang-tidy clean (${#srcs[@]} sources)"
