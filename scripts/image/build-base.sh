#!/usr/bin/env bash
# Build the base image $KURYR_BASE_IMAGE (default kuryr-base:bookworm) without a registry: a minimal Debian 12
# made with `debootstrap --variant=minbase --include=iproute2` from the mirror apt already uses, brought up to
# date from bookworm-updates and bookworm-security, trimmed (no docs, man pages, locales, apt lists or .debs),
# and `docker import`ed. Idempotent and cached:
#   - the image exists with the label kuryr.base.key=<key>        -> nothing to do (about 0.1 s)
#   - $KURYR_IMAGE_CACHE/base-<key>.tar exists                     -> import it (a few seconds)
#   - otherwise                                                    -> debootstrap (about 1 minute), tar, import
# <key> hashes the inputs (suite, variant, packages, mirror, this script), so changing any of them rebuilds.
#
# Env: DOCKER_HOST / DOCKER_CLI (which dockerd), KURYR_IMAGE_CACHE (default $KURYR_TESTBED/image),
#      KURYR_DEBIAN_MIRROR, KURYR_DEBIAN_SECURITY_MIRROR (default: read from /etc/apt/sources.list{,.d}),
#      KURYR_BASE_UPGRADE=0 (skip the updates/security upgrade; the date of the tarball then pins the packages).
# Options: --rebuild (ignore the cache and the existing image).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
img_require_root

REBUILD=0
for a in "$@"; do
  case "$a" in
    --rebuild) REBUILD=1 ;;
    *) img_die "usage: $0 [--rebuild]" ;;
  esac
done

SUITE=bookworm
VARIANT=minbase
# iproute2: the plugin drives links with `ip`. No ca-certificates: Node carries its own CA bundle, and a
# private CA is given to the plugin with [neutron] cafile.
INCLUDE=iproute2
UPGRADE=${KURYR_BASE_UPGRADE:-1}

# The first http(s) URI apt uses for suite $1 (deb822 .sources and one-line .list files).
apt_uri_for() {
  local suite=$1 f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    case "$f" in
      *.sources)
        awk -v s="$suite" '
          function flush() { if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " s " ") && uri != "") { print uri; found = 1; exit } }
          /^[[:space:]]*#/ { next }
          /^[[:space:]]*$/ { flush(); types = suites = uri = ""; next }
          tolower($1) == "types:" { $1 = ""; types = $0 }
          tolower($1) == "suites:" { $1 = ""; suites = $0 }
          tolower($1) == "uris:" { uri = $2 }
          END { if (!found) flush() }' "$f"
        ;;
      *)
        awk -v s="$suite" '$1 == "deb" {
          i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
          if ($(i + 1) == s) { print $i; exit } }' "$f"
        ;;
    esac
  done | grep -m1 -E '^https?://' || true
}

MIRROR=${KURYR_DEBIAN_MIRROR:-$(apt_uri_for "$SUITE")}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${KURYR_DEBIAN_SECURITY_MIRROR:-$(apt_uri_for "$SUITE-security")}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}

KEY=$( { echo "$SUITE $VARIANT $INCLUDE $MIRROR $SECURITY_MIRROR upgrade=$UPGRADE"; cat "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16)
TARBALL=$KURYR_IMAGE_CACHE/base-$KEY.tar

mkdir -p "$KURYR_IMAGE_CACHE"
exec 8>"$KURYR_IMAGE_CACHE/.lock"
flock -w 900 8 || img_die "another build-base.sh holds $KURYR_IMAGE_CACHE/.lock"

have=$(img_docker image inspect -f '{{index .Config.Labels "kuryr.base.key"}}' "$BASE_IMAGE" 2>/dev/null || true)
if [ "$REBUILD" = 0 ] && [ "$have" = "$KEY" ]; then
  img_log "base image $BASE_IMAGE present (key $KEY)"
  exit 0
fi

T0=$(img_now)
if [ "$REBUILD" = 1 ] || [ ! -s "$TARBALL" ]; then
  command -v debootstrap >/dev/null || {
    img_log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends debootstrap </dev/null >/dev/null ||
      { apt-get -o DPkg::Lock::Timeout=900 update -q </dev/null >/dev/null &&
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends debootstrap </dev/null >/dev/null; } ||
      img_die "could not install debootstrap"
  }
  ROOT=$(mktemp -d "$KURYR_IMAGE_CACHE/rootfs.XXXXXX")
  trap 'rm -rf --one-file-system "$ROOT"' EXIT
  img_log "debootstrap --variant=$VARIANT --include=$INCLUDE $SUITE from $MIRROR (log: $ROOT.log)"
  t=$(img_now)
  debootstrap --variant="$VARIANT" --include="$INCLUDE" "$SUITE" "$ROOT" "$MIRROR" >"$ROOT.log" 2>&1 ||
    { tail -20 "$ROOT.log" >&2; img_die "debootstrap failed (log: $ROOT.log)"; }
  img_log "debootstrap done in $(img_since "$t")s"

  # Keep the image slim from now on too (what Debian's own -slim images do), then bring it up to date.
  cat >"$ROOT/etc/dpkg/dpkg.cfg.d/01-kuryr-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
  cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod 755 "$ROOT/usr/sbin/policy-rc.d"
  if [ "$UPGRADE" = 1 ]; then
    t=$(img_now)
    { chroot "$ROOT" apt-get -q update && DEBIAN_FRONTEND=noninteractive chroot "$ROOT" apt-get -y -q upgrade; } </dev/null >>"$ROOT.log" 2>&1 ||
      { tail -20 "$ROOT.log" >&2; img_die "apt-get upgrade in the chroot failed (log: $ROOT.log)"; }
    img_log "bookworm-updates/bookworm-security upgrade done in $(img_since "$t")s"
  fi
  chroot "$ROOT" ip -V >/dev/null 2>&1 || img_die "the rootfs has no working ip(8)"
  rm -f "$ROOT/usr/sbin/policy-rc.d"

  # Trim: package caches and lists (apt-get update brings them back), documentation but the copyright files,
  # man/info pages, locales, logs, and what debootstrap copied from this host.
  chroot "$ROOT" apt-get clean
  rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/cache/debconf/*-old \
    "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/usr/share/locale/* "$ROOT"/usr/share/lintian/* \
    "$ROOT"/var/log/* "$ROOT"/dev/* "$ROOT"/tmp/* "$ROOT"/var/tmp/* "$ROOT/etc/hostname"
  find "$ROOT/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$ROOT/usr/share/doc" -mindepth 1 -type d -empty -delete
  : >"$ROOT/etc/resolv.conf"
  rm -f "$ROOT/etc/machine-id"
  chmod 1777 "$ROOT/tmp" "$ROOT/var/tmp"

  tar --numeric-owner --xattrs -C "$ROOT" -cf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
  rm -rf --one-file-system "$ROOT" "$ROOT.log"
  trap - EXIT
  # older tarballs of other keys are dead weight
  find "$KURYR_IMAGE_CACHE" -maxdepth 1 -name 'base-*.tar' ! -name "base-$KEY.tar" -delete
  img_log "rootfs cached: $TARBALL ($(img_mb "$(stat -c %s "$TARBALL")"))"
else
  img_log "reusing cached rootfs $TARBALL"
fi

t=$(img_now)
img_docker import \
  -c 'CMD ["/bin/bash"]' \
  -c "LABEL kuryr.base.key=$KEY" \
  -c "LABEL org.opencontainers.image.description=\"Debian $SUITE $VARIANT + $INCLUDE (debootstrap from $MIRROR)\"" \
  "$TARBALL" "$BASE_IMAGE" >/dev/null
size=$(img_docker image inspect -f '{{.Size}}' "$BASE_IMAGE")
img_log "base image $BASE_IMAGE imported in $(img_since "$t")s ($(img_mb "$size")); total $(img_since "$T0")s"
