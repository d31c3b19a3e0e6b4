# Shared helpers for the Packaging/ scripts (sourced, not run).
# Everything a script writes goes under $VIGIE_PKG_OUT (default: <repo>/out/packaging, git-ignored).
PKG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$PKG_DIR/.." && pwd)
OUT_DIR=${VIGIE_PKG_OUT:-$REPO_DIR/out/packaging}
DEBIAN_SUITE=${VIGIE_SUITE:-bookworm}
DEBIAN_MIRROR=${VIGIE_MIRROR:-http://deb.debian.org/debian}

log() { printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "$(basename "$0")" "$*" >&2; }
die() { printf '%s: error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }
need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root (${1:-debootstrap and chroot need it})"; }

# need_cmd CMD APT-PACKAGE: fail with the package to install rather than "command not found".
need_cmd() {
  command -v "$1" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$1" >/dev/null 2>&1 \
    || die "'$1' not found: apt-get install $2"
}

# The version is the one `vigie-agent --version` prints, so package and binary never disagree.
vigie_version() {
  local v
  v=$(sed -n 's/^ *version: "\([^"]*\)".*/\1/p' "$REPO_DIR/Sources/VigieAgent/VigieAgentCommand.swift" | head -1)
  [ -n "$v" ] || die "no version: found in Sources/VigieAgent/VigieAgentCommand.swift"
  echo "$v"
}
# Debian revision of the packaging itself.
DEB_REVISION=${VIGIE_DEB_REVISION:-1}

# debootstrap_cached DIR VARIANT INCLUDE: debootstrap into DIR, reusing a tarball of the downloaded
# .debs from an earlier run (debootstrap --make-tarball/--unpack-tarball) so reruns cost no download.
debootstrap_cached() {
  local dir=$1 variant=$2 include=$3 key tarball
  key=$(printf '%s|%s|%s' "$DEBIAN_SUITE" "$variant" "$include" | sha256sum | cut -c1-12)
  tarball="$OUT_DIR/cache/debootstrap-$DEBIAN_SUITE-$key.tgz"
  mkdir -p "$OUT_DIR/cache"
  if [ ! -s "$tarball" ]; then
    log "downloading $DEBIAN_SUITE ($variant) packages once into $tarball"
    rm -rf "$OUT_DIR/cache/mk.$key"
    debootstrap --variant="$variant" ${include:+--include="$include"} --make-tarball="$tarball.tmp" \
      "$DEBIAN_SUITE" "$OUT_DIR/cache/mk.$key" "$DEBIAN_MIRROR" >&2
    mv "$tarball.tmp" "$tarball"; rm -rf "$OUT_DIR/cache/mk.$key"
  fi
  log "debootstrap $DEBIAN_SUITE ($variant) into $dir"
  debootstrap --variant="$variant" ${include:+--include="$include"} --unpack-tarball="$tarball" \
    "$DEBIAN_SUITE" "$dir" "$DEBIAN_MIRROR" >&2
}
