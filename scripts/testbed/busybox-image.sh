#!/usr/bin/env bash
# Import $KURYR_TEST_IMAGE (default kuryr-test/busybox:latest) into the testbed dockerd from the
# host's static busybox (package busybox-static): no registry needed. No-op if the image exists.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if tb_docker image inspect "$KURYR_TEST_IMAGE" >/dev/null 2>&1; then
  tb_log "image $KURYR_TEST_IMAGE present"
  exit 0
fi
BB=/bin/busybox
[[ "$(ldd "$BB" 2>&1 || true)" == *"not a dynamic"* ]] || tb_die "$BB is not statically linked (install busybox-static)"
t0=$(tb_now)
mkdir -p "$KURYR_TESTBED/tmp"
ROOT=$(mktemp -d "$KURYR_TESTBED/tmp/rootfs.XXXXXX")
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT"/{bin,sbin,etc,proc,sys,dev,tmp,root,usr/bin,usr/sbin}
chmod 1777 "$ROOT/tmp"
for applet in $("$BB" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$ROOT/bin/$applet"
done
# Copy the binary only after the symlinks exist (the other order once produced a 40-byte image
# whose bin/busybox was a dangling link).
cp "$BB" "$ROOT/bin/busybox"
echo 'root:x:0:0:root:/root:/bin/sh' >"$ROOT/etc/passwd"
echo 'root:x:0:' >"$ROOT/etc/group"
tar -C "$ROOT" -c . | tb_docker import -c 'CMD ["/bin/sh"]' - "$KURYR_TEST_IMAGE" >/dev/null
tb_log "image $KURYR_TEST_IMAGE imported in $(tb_since "$t0")s"
