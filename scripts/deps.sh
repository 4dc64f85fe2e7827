#!/usr/bin/env bash
# Installs the Debian 12 packages ccodex builds and tests with (see docs/ARCHITECTURE.md
# and ../shared/STACK.md). Skips apt entirely when everything is already there.
set -euo pipefail
PKGS=(build-essential pkg-config cmake ninja-build python3 git libcurl4-openssl-dev libssl-dev
      libnghttp2-dev zlib1g-dev libjson-c-dev libevent-dev libedit-dev libcmocka-dev ripgrep
      clang libclang-rt-14-dev clang-tidy clang-format wrk nodejs libseccomp-dev libhiredis-dev
      redis-server musl-tools gperf)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
