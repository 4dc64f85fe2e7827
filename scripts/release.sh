#!/usr/bin/env bash
# Builds the fully static release binary dist/ccodex-<version>-linux-<arch> against musl.
#
# Every library comes from Debian bookworm's own source packages (`apt-get source`), fetched
# through a private apt configuration under build-static/apt: the machine's sources.list is
# not touched. apt checks the InRelease signature with debian-archive-keyring and the .dsc and
# tarball hashes against the signed Sources index, exactly as for binary packages.
#
# Built libraries are cached in build-static/deps/<package>-<version>-<recipe hash>/, so a run
# only rebuilds what changed (a new Debian version or a changed recipe). Keep that directory
# between CI runs to skip the dependency build (see docs/RELEASE.md for its cost).
#
# Usage: scripts/release.sh [--jobs N] [--offline] [--cached-only] [--arch x86_64|aarch64]
#   --offline   use the cached Sources index and source packages; no network
#   --cached-only  exit 3 rather than build a dependency that is not in the cache (scripts/test.sh
#               uses it to keep a cold cross build out of a CI run)
#   --arch      build for another architecture with Debian's cross compiler and that
#               architecture's musl-dev (scripts/deps.sh --cross aarch64 installs them);
#               default: this machine's
# Environment: RELEASE_DIR (default build-static), DIST_DIR (default dist).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
JOBS=2
OFFLINE=0
CACHED_ONLY=0
HOST_ARCH=$(uname -m)
ARCH=$HOST_ARCH
usage() {
  echo "usage: scripts/release.sh [--jobs N] [--offline] [--cached-only] [--arch x86_64|aarch64]" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
  --jobs) JOBS=$2; shift 2 ;;
  --offline) OFFLINE=1; shift ;;
  --cached-only) CACHED_ONLY=1; shift ;;
  --arch) [ $# -ge 2 ] || usage; ARCH=$2; shift 2 ;;
  *) usage ;;
  esac
done
case "$ARCH" in # Debian's names are accepted too
amd64) ARCH=x86_64 ;;
arm64) ARCH=aarch64 ;;
x86_64 | aarch64) ;;
*) echo "release.sh: unsupported architecture '$ARCH' (x86_64 or aarch64)" >&2; exit 2 ;;
esac
RELEASE_DIR=$(realpath -m "${RELEASE_DIR:-build-static}")
DIST_DIR=$(realpath -m "${DIST_DIR:-dist}")
APTDIR=$RELEASE_DIR/apt
SRCDIR=$RELEASE_DIR/src
DEPSDIR=$RELEASE_DIR/deps
# A cross build keeps its scratch trees, ccodex build and build_info.h apart from the native
# one's; the sources, the apt index and the dependency cache (keyed by architecture) are shared.
SUFFIX=""
[ "$ARCH" = "$HOST_ARCH" ] || SUFFIX=-$ARCH
WORKDIR=$RELEASE_DIR/work$SUFFIX
mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$SRCDIR" "$DEPSDIR" "$WORKDIR"
log() { printf '[release %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

if [ -z "$SUFFIX" ]; then
  MUSL_GCC=$(command -v musl-gcc || true)
  if [ -z "$MUSL_GCC" ]; then
    echo "release.sh: musl-gcc not found; install Debian's musl-tools (scripts/deps.sh does)" >&2
    exit 1
  fi
  MUSL_VERSION=$(dpkg-query -W -f='${Version}' musl-tools 2>/dev/null || echo unknown)
  TOOLCHAIN="Debian musl-tools"
  STRIP=strip
else
  # Debian's cross gcc with the target's musl-dev (Multi-Arch: same) through its specs file:
  # musl-tools' musl-gcc wrapper exists only for the machine's own architecture. The wrapper
  # and the binutils links carry the target triplet, so autoconf's --host and CMake's
  # binutils lookup find them on PATH.
  DEB_ARCH=$(case "$ARCH" in aarch64) echo arm64 ;; x86_64) echo amd64 ;; esac)
  SPECS=/usr/lib/$ARCH-linux-musl/musl-gcc.specs
  GNU_CC=$ARCH-linux-gnu-gcc
  if ! command -v "$GNU_CC" >/dev/null || [ ! -r "$SPECS" ] ||
     [ ! -d "/usr/include/$ARCH-linux-gnu/asm" ]; then
    echo "release.sh: cross-building for $ARCH needs $GNU_CC, $SPECS and" \
      "/usr/include/$ARCH-linux-gnu/asm (Debian: gcc-$ARCH-linux-gnu, musl-dev:$DEB_ARCH," \
      "linux-libc-dev:$DEB_ARCH; scripts/deps.sh --cross $ARCH installs them)" >&2
    exit 1
  fi
  # Debian's aarch64 gcc calls libgcc's outline atomics, whose CPU probe needs glibc's
  # __getauxval; musl has none, so atomics are compiled inline (plain ARMv8.0 code).
  CROSS_FLAGS=""
  [ "$ARCH" != aarch64 ] || CROSS_FLAGS="-mno-outline-atomics"
  TOOLS=$RELEASE_DIR/toolchain-$ARCH
  mkdir -p "$TOOLS"
  printf '#!/bin/sh\nexec %s -specs %s %s "$@"\n' "$GNU_CC" "$SPECS" "$CROSS_FLAGS" \
    >"$TOOLS/$ARCH-linux-musl-gcc"
  chmod +x "$TOOLS/$ARCH-linux-musl-gcc"
  for t in ar ranlib nm strip objcopy objdump ld readelf; do
    ln -sfn "$(command -v "$ARCH-linux-gnu-$t")" "$TOOLS/$ARCH-linux-musl-$t"
  done
  export PATH=$TOOLS:$PATH
  MUSL_GCC=$TOOLS/$ARCH-linux-musl-gcc
  # OpenSSL's Configure and plain Makefiles take these from the environment
  export AR=$ARCH-linux-musl-ar RANLIB=$ARCH-linux-musl-ranlib NM=$ARCH-linux-musl-nm
  STRIP=$ARCH-linux-musl-strip
  musl_v=$(dpkg-query -W -f='${Version}' "musl-dev:$DEB_ARCH" 2>/dev/null || echo unknown)
  gcc_v=$(dpkg-query -W -f='${Version}' "gcc-$ARCH-linux-gnu" 2>/dev/null || echo unknown)
  # in the cache key too: another compiler or musl rebuilds every library
  MUSL_VERSION="$musl_v, gcc-$ARCH-linux-gnu $gcc_v $CROSS_FLAGS"
  TOOLCHAIN="Debian musl-dev:$DEB_ARCH, cross-built on $HOST_ARCH"
  log "cross-building for $ARCH with $GNU_CC and $SPECS"
fi

# --- sources: a private apt configuration with deb-src lines only -------------------------
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$KEYRING" ] || { echo "release.sh: $KEYRING missing (package debian-archive-keyring)" >&2; exit 1; }
cat >"$APTDIR/sources.list" <<EOF
deb-src [signed-by=$KEYRING] http://deb.debian.org/debian bookworm main
deb-src [signed-by=$KEYRING] http://deb.debian.org/debian bookworm-updates main
deb-src [signed-by=$KEYRING] http://deb.debian.org/debian-security bookworm-security main
EOF
APT_OPTS=(-o "Dir::Etc::SourceList=$APTDIR/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
          -o "Dir::State::Lists=$APTDIR/lists" -o "Dir::Cache=$APTDIR/cache"
          -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
          -o "APT::Sandbox::User=root" -o "Acquire::Languages=none"
          -o "Acquire::IndexTargets::deb::Packages::DefaultEnabled=false")
if [ "$OFFLINE" = 0 ]; then
  log "updating the private deb-src index"
  apt-get "${APT_OPTS[@]}" -qq update
fi

# Every version of a source package in the index, newest first (Debian version order).
src_versions() {
  local -a vs=()
  local v i j t
  for v in $(apt-cache "${APT_OPTS[@]}" showsrc "$1" 2>/dev/null |
             awk -v p="$1" '/^Package: /{ok=($2==p)} ok && /^Version: /{print $2}' | sort -u); do
    vs+=("$v")
  done
  for ((i = 0; i < ${#vs[@]}; i++)); do
    for ((j = i + 1; j < ${#vs[@]}; j++)); do
      if dpkg --compare-versions "${vs[j]}" gt "${vs[i]}"; then t=${vs[i]}; vs[i]=${vs[j]}; vs[j]=$t; fi
    done
  done
  printf '%s\n' "${vs[@]}"
}

# Fetches and unpacks the newest source package that can be downloaded (with Debian's patches
# applied) into SRCDIR once; prints "version tree". apt-get refuses a .dsc or tarball whose hash
# differs from the signed index. A version whose pool is unreachable (a mirror without the
# security archive) falls back to the next newest, and the log says so.
fetch_src() {
  local pkg=$1 ver dir
  for ver in $(src_versions "$pkg"); do
    dir=$SRCDIR/${pkg}_${ver//:/%}
    if [ ! -d "$dir/tree" ] && [ "$OFFLINE" = 0 ]; then
      rm -rf "$dir" && mkdir -p "$dir"
      if (cd "$dir" && apt-get "${APT_OPTS[@]}" -qq source --download-only "$pkg=$ver" >/dev/null 2>&1); then
        (cd "$dir" && dpkg-source --no-check -x ./*.dsc tree >/dev/null)
        log "fetched source $pkg $ver"
      else
        log "source $pkg $ver could not be downloaded; trying an older one"
        rm -rf "$dir"
      fi
    fi
    if [ -d "$dir/tree" ]; then
      echo "$ver $dir/tree"
      return 0
    fi
  done
  echo "release.sh: no downloadable source package for $pkg" >&2
  return 1
}

# --- dependency builds ------------------------------------------------------------------------
# Linux UAPI headers (linux-libc-dev) without glibc's: musl-gcc leaves them off its include path,
# and OpenSSL and libevent want a few (linux/*, asm/*).
KHDR=$WORKDIR/kernel-headers
mkdir -p "$KHDR"
for d in linux asm-generic mtd; do [ -e "$KHDR/$d" ] || ln -s "/usr/include/$d" "$KHDR/$d"; done
[ -e "$KHDR/asm" ] || ln -s "/usr/include/$ARCH-linux-gnu/asm" "$KHDR/asm"
export CC="$MUSL_GCC"
BASE_CFLAGS="-O2 -ffunction-sections -fdata-sections -idirafter $KHDR"
export CFLAGS="$BASE_CFLAGS"
CMAKE_COMMON=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$MUSL_GCC"
              -DCMAKE_C_FLAGS="$BASE_CFLAGS" -DCMAKE_INSTALL_LIBDIR=lib
              -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF)
CMAKE_CROSS=()
[ -z "$SUFFIX" ] || CMAKE_CROSS=(-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="$ARCH"
                                 -DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER)
CMAKE_COMMON+=("${CMAKE_CROSS[@]}")
case "$ARCH" in
x86_64) OSSL_TARGET=linux-x86_64 ;;
aarch64) OSSL_TARGET=linux-aarch64 ;;
*) echo "release.sh: no OpenSSL target for $ARCH" >&2; exit 1 ;;
esac

# Each recipe runs in a scratch copy of the source tree with $P as its install prefix and
# $PREFIX_<dep> set for the packages it depends on. Only the libraries ccodex links are built.
build_zlib() {
  ./configure --static --prefix="$P" >/dev/null
  make -j"$JOBS" libz.a >/dev/null
  make install >/dev/null
}
build_openssl() {
  # No engines, modules, legacy ciphers, DTLS, SRP, SSLv3 or async (musl has no ucontext);
  # the library, not the openssl tool or the tests. CA paths are chosen at run time by ccodex.
  ./Configure "$OSSL_TARGET" --prefix="$P" --libdir=lib --openssldir=/etc/ssl no-shared no-tests \
    no-engine no-dso no-module no-legacy no-async no-afalgeng no-comp no-ssl3 no-dtls no-srp \
    no-sctp no-ui-console no-idea no-mdc2 no-rc5 no-camellia no-seed no-whirlpool no-bf \
    no-cast no-rc2 no-rc4 no-md4 no-aria no-sm2 no-sm3 no-sm4 no-cms no-ts no-cmp no-srtp \
    no-nextprotoneg no-gost no-ec2m no-psk no-ocsp no-ct no-rfc3779 no-siv no-scrypt \
    no-deprecated no-zlib -Wa,--noexecstack >/dev/null
  make -j"$JOBS" build_libs >/dev/null
  make install_dev >/dev/null
}
build_nghttp2() {
  cmake -S . -B _b "${CMAKE_COMMON[@]}" -DCMAKE_INSTALL_PREFIX="$P" -DENABLE_LIB_ONLY=ON \
    -DENABLE_STATIC_LIB=ON -DENABLE_SHARED_LIB=OFF -DENABLE_DOC=OFF >/dev/null
  cmake --build _b -j "$JOBS" >/dev/null
  cmake --install _b >/dev/null
}
build_curl() {
  # HTTP and HTTPS with HTTP/2, proxies (HTTP CONNECT with Basic auth, SOCKS), gzip/deflate;
  # nothing else. The threaded resolver uses musl's getaddrinfo (no NSS plugins).
  PKG_CONFIG_LIBDIR="$PREFIX_openssl/lib/pkgconfig:$PREFIX_nghttp2/lib/pkgconfig:$PREFIX_zlib/lib/pkgconfig" \
  ./configure --prefix="$P" --disable-shared --enable-static --host="$ARCH-linux-musl" \
    --with-openssl="$PREFIX_openssl" --with-nghttp2="$PREFIX_nghttp2" --with-zlib="$PREFIX_zlib" \
    --enable-http --enable-proxy --enable-ipv6 --enable-threaded-resolver --enable-cookies \
    --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp --disable-dict \
    --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp \
    --disable-gopher --disable-mqtt --disable-manual --disable-ntlm --disable-ntlm-wb \
    --disable-kerberos-auth --disable-negotiate-auth --disable-aws --disable-docs \
    --disable-alt-svc --disable-hsts --disable-netrc --disable-progress-meter \
    --without-libidn2 --without-libpsl --without-brotli --without-zstd --without-libssh2 \
    --without-libssh --without-librtmp --without-gssapi --without-libgsasl --without-hyper \
    --without-ca-bundle --without-ca-path --without-ca-fallback >/dev/null
  make -j"$JOBS" -C lib >/dev/null
  make -C lib install >/dev/null
  make -C include install >/dev/null
  make install-pkgconfigDATA >/dev/null
}
build_json_c() {
  cmake -S . -B _b "${CMAKE_COMMON[@]}" -DCMAKE_INSTALL_PREFIX="$P" -DBUILD_STATIC_LIBS=ON \
    -DBUILD_APPS=OFF -DDISABLE_WERROR=ON >/dev/null
  cmake --build _b -j "$JOBS" >/dev/null
  cmake --install _b >/dev/null
}
build_libevent() {
  ./configure --prefix="$P" --disable-shared --enable-static --host="$ARCH-linux-musl" \
    --disable-openssl --disable-samples --disable-libevent-regress --disable-debug-mode \
    --disable-doxygen-html >/dev/null
  make -j"$JOBS" >/dev/null
  make install >/dev/null
}
build_ncurses() {
  # Only the terminfo library libedit needs, with the common terminals compiled in for a root
  # without a terminfo database, and the database paths of Debian, Fedora and Alpine.
  ./configure --prefix="$P" --host="$ARCH-linux-musl" --without-shared --with-normal \
    --with-termlib --without-cxx --without-cxx-binding --without-ada --without-progs \
    --without-tests --without-manpages --without-debug --disable-db-install \
    --enable-pc-files --with-pkg-config-libdir="$P/lib/pkgconfig" \
    --with-fallbacks=xterm-256color,xterm,screen-256color,screen,tmux-256color,linux,vt100,dumb \
    --with-tic-path=/usr/bin/tic --with-infocmp-path=/usr/bin/infocmp \
    --with-default-terminfo-dir=/usr/share/terminfo \
    --with-terminfo-dirs=/etc/terminfo:/lib/terminfo:/usr/share/terminfo:/usr/lib/terminfo >/dev/null
  make -j"$JOBS" -C include >/dev/null
  make -j"$JOBS" -C ncurses >/dev/null
  make -C include install >/dev/null
  make -C ncurses install >/dev/null
  make -C misc install.libs >/dev/null 2>&1 || true # the .pc files
}
build_libedit() {
  # musl's wchar_t holds ISO 10646 code points, but musl-gcc has no stdc-predef.h to say so.
  ./configure --prefix="$P" --disable-shared --enable-static --host="$ARCH-linux-musl" \
    CPPFLAGS="-I$PREFIX_ncurses/include -I$PREFIX_ncurses/include/ncurses -D__STDC_ISO_10646__=201706L" \
    LDFLAGS="-L$PREFIX_ncurses/lib" LIBS="-ltinfo" >/dev/null
  make -j"$JOBS" -C src >/dev/null
  make -C src install >/dev/null
  make install-pkgconfigDATA >/dev/null
}
build_libseccomp() {
  # the library only (the sandbox's filters); gperf generates its syscall table
  ./configure --prefix="$P" --disable-shared --enable-static --host="$ARCH-linux-musl" \
    --disable-python --disable-dependency-tracking >/dev/null
  make -j"$JOBS" -C src >/dev/null
  make -C src install >/dev/null
  make -C include install >/dev/null
  make install-pkgconfDATA >/dev/null
}
build_hiredis() {
  # the static library, headers (with the libevent adapter the shared store uses) and .pc
  make -j"$JOBS" OPTIMIZATION="-O2" static >/dev/null
  mkdir -p "$P/lib/pkgconfig" "$P/include/hiredis/adapters"
  cp libhiredis.a "$P/lib/"
  cp hiredis.h async.h read.h sds.h alloc.h "$P/include/hiredis/"
  cp adapters/*.h "$P/include/hiredis/adapters/"
  # users include <hiredis/...> and hiredis's own headers include each other bare: both paths
  printf '%s\n' "prefix=$P" 'Name: hiredis' 'Description: Redis client library' \
    "Version: $(sed -n 's/^#define HIREDIS_MAJOR //p' hiredis.h).$(sed -n 's/^#define HIREDIS_MINOR //p' hiredis.h)" \
    'Libs: -L${prefix}/lib -lhiredis' 'Cflags: -I${prefix}/include -I${prefix}/include/hiredis' \
    >"$P/lib/pkgconfig/hiredis.pc"
}

# Package order: a package's dependencies come before it.
DEP_PKGS=(zlib openssl nghttp2 curl json-c libevent ncurses libedit libseccomp hiredis)
declare -A DEP_OF=([curl]="openssl nghttp2 zlib" [libedit]="ncurses")
declare -A VERSION_OF KEY_OF
DEPS_START=$(date +%s)
for pkg in "${DEP_PKGS[@]}"; do
  read -r ver tree < <(fetch_src "$pkg") || true
  [ -n "${tree:-}" ] || exit 1
  fn=build_${pkg//-/_}
  # The key covers the Debian version, the recipe, the compiler and the keys of the dependencies.
  dep_keys=""
  for d in ${DEP_OF[$pkg]:-}; do dep_keys+="${KEY_OF[$d]} "; done
  key=$( { declare -f "$fn"; echo "$ver $MUSL_VERSION $BASE_CFLAGS $ARCH $dep_keys"; } |
         sha256sum | cut -c1-12)
  P=$DEPSDIR/$pkg-${ver//:/%}-$key
  VERSION_OF[$pkg]=$ver
  KEY_OF[$pkg]=$key
  if [ ! -f "$P/.done" ] && [ "$CACHED_ONLY" = 1 ]; then
    echo "release.sh: $pkg $ver for $ARCH is not in the cache ($P); run without --cached-only" \
      "to build it" >&2
    exit 3
  fi
  if [ ! -f "$P/.done" ]; then
    log "building $pkg $ver"
    t0=$(date +%s)
    rm -rf "$P" "$WORKDIR/$pkg"
    cp -a "$tree" "$WORKDIR/$pkg"
    # Debian's patches touch configure.ac / Makefile.am (for GnuTLS, NSS, LDAP, Kerberos: parts
    # not built here); without this, make would re-run configure or call missing autotools.
    # One timestamp for all of them, so that none looks older than another.
    find "$WORKDIR/$pkg" \( -name configure -o -name Makefile.in -o -name aclocal.m4 \
      -o -name '*config.h.in' \) -exec touch -d "@$(date +%s)" {} +
    (cd "$WORKDIR/$pkg" && P=$P "$fn")
    rm -rf "$WORKDIR/$pkg"
    echo "$pkg $ver built in $(($(date +%s) - t0)) s" >"$P/.done"
    log "$(cat "$P/.done")"
  fi
  export "PREFIX_${pkg//-/_}=$P"
done
log "dependencies ready in $(($(date +%s) - DEPS_START)) s"
# which cached build of each package this architecture's binary links (bench/static.py reads it;
# the cache holds several architectures and superseded keys side by side)
for pkg in "${DEP_PKGS[@]}"; do v=PREFIX_${pkg//-/_}; echo "$pkg ${!v}"; done >"$RELEASE_DIR/deps-$ARCH.txt.new"
mv "$RELEASE_DIR/deps-$ARCH.txt.new" "$RELEASE_DIR/deps-$ARCH.txt"

# --- ccodex itself ------------------------------------------------------------------------------
VERSION=$(sed -n 's/^project(ccodex VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
PC=""
LDIRS=""
for pkg in "${DEP_PKGS[@]}"; do
  v=PREFIX_${pkg//-/_}
  PC+="${!v}/lib/pkgconfig:"
  LDIRS+="-L${!v}/lib "
done
export PKG_CONFIG_LIBDIR=${PC%:}
sources=""
for pkg in "${DEP_PKGS[@]}"; do sources+="$pkg ${VERSION_OF[$pkg]}, "; done
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit+="+changes"
INFO=$RELEASE_DIR/build_info$SUFFIX.h
# What --version --verbose reports about the build (src/cli/version_cmd.c).
cat >"$INFO.new" <<INFO_EOF
#define CCODEX_BUILD_INFO "static, $ARCH, musl ${MUSL_VERSION%%,*} ($TOOLCHAIN), source $commit"
#define CCODEX_DEBIAN_SOURCES "${sources%, }"
INFO_EOF
cmp -s "$INFO.new" "$INFO" && rm "$INFO.new" || mv "$INFO.new" "$INFO"
S=()
for lib in nghttp2/libnghttp2 openssl/libssl openssl/libcrypto zlib/libz ncurses/libtinfo; do
  v=PREFIX_${lib%/*}
  S+=("${!v}/lib/${lib#*/}.a")
done
BUILD=$RELEASE_DIR/ccodex$SUFFIX
log "building ccodex $VERSION"
# pkg-config results are cached by CMake; a dependency rebuilt under a new key must be found anew
rm -f "$BUILD/CMakeCache.txt"
# curl's own dependencies go last on the link line (static archives resolve left to right).
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCCODEX_TESTS=OFF -DCCODEX_LAZY_LIBS=OFF \
  -DCMAKE_C_COMPILER="$MUSL_GCC" "${CMAKE_CROSS[@]}" \
  -DCMAKE_C_FLAGS="$BASE_CFLAGS -Werror=implicit-function-declaration -Werror=int-conversion -include $INFO" \
  -DCMAKE_EXE_LINKER_FLAGS="-static -Wl,--gc-sections $LDIRS" \
  -DCMAKE_C_STANDARD_LIBRARIES="${S[*]} -lpthread" >/dev/null
rm -f "$BUILD/ccodex" # so that a failed link cannot leave an old binary to ship
# only the program: a shared libccodex cannot be linked against static archives
cmake --build "$BUILD" -j "$JOBS" --target ccodex_cli | grep -v '^\[' || true
[ -x "$BUILD/ccodex" ] || { echo "release.sh: building ccodex failed" >&2; exit 1; }
mkdir -p "$DIST_DIR"
OUT=$DIST_DIR/ccodex-$VERSION-linux-$ARCH
cp "$BUILD/ccodex" "$OUT.tmp"
"$STRIP" "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
(cd "$DIST_DIR" && sha256sum "$(basename "$OUT")" >"$(basename "$OUT").sha256")
if file "$OUT" | grep -q "dynamically linked"; then
  echo "release.sh: $OUT is not static" >&2
  exit 1
fi
log "wrote $OUT ($(stat -c %s "$OUT") bytes) and $(basename "$OUT").sha256"
