#!/usr/bin/env bash
# Installs the Debian 12 packages ccodex builds and tests with (see docs/ARCHITECTURE.md
# and ../shared/STACK.md). Skips apt entirely when everything is already there.
#
# scripts/deps.sh --cross aarch64 also installs what scripts/release.sh --arch aarch64 needs:
# Debian's cross compiler, the target's musl-dev and kernel headers (multiarch: this adds the
# arm64 architecture to dpkg) and qemu-user-static, which runs the result in the tests.
set -euo pipefail
PKGS=(build-essential pkg-config cmake ninja-build python3 git libcurl4-openssl-dev libssl-dev
      libnghttp2-dev zlib1g-dev libjson-c-dev libevent-dev libedit-dev libcmocka-dev ripgrep
      clang libclang-rt-14-dev clang-tidy clang-format wrk nodejs libseccomp-dev libhiredis-dev
      redis-server musl-tools gperf)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
usage() { echo "usage: scripts/deps.sh [--cross aarch64]" >&2; exit 2; }
if [ "${1:-}" = --cross ]; then
  case "${2:-}" in
  aarch64 | arm64) deb=arm64 gnu=aarch64 ;;
  *) usage ;;
  esac
  dpkg --print-foreign-architectures | grep -qx "$deb" || $SUDO dpkg --add-architecture "$deb"
  PKGS+=("gcc-$gnu-linux-gnu" "binutils-$gnu-linux-gnu" "musl-dev:$deb" "linux-libc-dev:$deb"
         qemu-user-static)
elif [ $# -gt 0 ]; then
  usage
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
