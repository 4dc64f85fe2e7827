#!/bin/sh
# Installs a downloaded ccodex release binary after checking its SHA-256 sum, and does nothing
# else: no network, no shell profile edits, no other files.
#
#   scripts/install.sh [--dir DIR] BINARY [SUMFILE]
#
# SUMFILE defaults to BINARY.sha256 (the `sha256sum` line scripts/release.sh writes beside the
# binary). DIR defaults to /usr/local/bin for root and ~/.local/bin for everyone else. The binary
# lands as DIR/ccodex, replaced atomically.
set -eu
usage() { echo "usage: install.sh [--dir DIR] BINARY [SUMFILE]" >&2; exit 2; }
dir=""
while [ $# -gt 0 ]; do
  case "$1" in
  --dir) [ $# -ge 2 ] || usage; dir=$2; shift 2 ;;
  -h|--help) usage ;;
  -*) usage ;;
  *) break ;;
  esac
done
[ $# -ge 1 ] && [ $# -le 2 ] || usage
bin=$1
sums=${2:-$1.sha256}
[ -f "$bin" ] || { echo "install.sh: $bin: no such file" >&2; exit 1; }
[ -f "$sums" ] || { echo "install.sh: $sums: no such file (the SHA-256 sum is required)" >&2; exit 1; }
expected=$(awk 'NR == 1 { print tolower($1) }' "$sums")
case "$expected" in
[0-9a-f]*) [ ${#expected} -eq 64 ] || expected="" ;;
*) expected="" ;;
esac
[ -n "$expected" ] || { echo "install.sh: $sums holds no SHA-256 sum" >&2; exit 1; }
if command -v sha256sum >/dev/null 2>&1; then
  actual=$(sha256sum "$bin" | awk '{ print $1 }')
elif command -v shasum >/dev/null 2>&1; then
  actual=$(shasum -a 256 "$bin" | awk '{ print $1 }')
else
  echo "install.sh: neither sha256sum nor shasum is available to check the sum" >&2
  exit 1
fi
if [ "$actual" != "$expected" ]; then
  echo "install.sh: SHA-256 mismatch for $bin: expected $expected, got $actual; not installed" >&2
  exit 1
fi
if [ -z "$dir" ]; then
  if [ "$(id -u)" -eq 0 ]; then dir=/usr/local/bin; else dir=${HOME:?HOME is unset}/.local/bin; fi
fi
mkdir -p "$dir"
tmp=$dir/.ccodex.install.$$
trap 'rm -f "$tmp"' EXIT
cp "$bin" "$tmp"
chmod 755 "$tmp"
mv -f "$tmp" "$dir/ccodex"
trap - EXIT
echo "installed $dir/ccodex (sha256 $actual)"
case ":${PATH:-}:" in
*":$dir:"*) ;;
*) echo "note: $dir is not on PATH" >&2 ;;
esac
