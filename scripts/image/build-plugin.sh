#!/usr/bin/env bash
# Create the Docker managed (v2) plugin from the container image: rootfs/ = `docker export` of a container
# created from $KURYR_IMAGE (scripts/image/build.sh makes it), config.json = deploy/docker/managed-plugin/
# config.json, then `docker plugin create NAME DIR`. The plugin is created disabled; enable it after pointing
# its mounts at a kuryr.conf (docs/image.md):
#   docker plugin set NAME config.source=/etc/kuryr state.source=/var/lib/kuryr
#   docker plugin enable NAME
#
#   build-plugin.sh [--name REF] [--image IMAGE] [--replace] [--keep-dir DIR]
#     --name REF      plugin reference, default kuryr/libnetwork:latest (the driver name is REF, tag included)
#     --image IMAGE   default $KURYR_IMAGE (kuryr-libnetwork:<version>); built with build.sh if missing
#     --replace       remove an existing plugin REF first (it must not be in use: `docker plugin rm -f`)
#     --keep-dir DIR  also leave the plugin directory (config.json + rootfs/) at DIR, e.g. to copy it elsewhere
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
img_require_root

NAME=kuryr/libnetwork:latest
REPLACE=0
KEEP=
while [ $# -gt 0 ]; do
  case "$1" in
    --name) NAME=${2:?}; shift 2 ;;
    --image) IMAGE=${2:?}; shift 2 ;;
    --replace) REPLACE=1; shift ;;
    --keep-dir) KEEP=${2:?}; shift 2 ;;
    *) img_die "usage: $0 [--name REF] [--image IMAGE] [--replace] [--keep-dir DIR]" ;;
  esac
done
CONFIG=$REPO_ROOT/deploy/docker/managed-plugin/config.json
[ -f "$CONFIG" ] || img_die "$CONFIG is missing"

T0=$(img_now)
if ! img_docker image inspect "$IMAGE" >/dev/null 2>&1; then
  img_log "image $IMAGE not found: building it"
  KURYR_IMAGE=$IMAGE "$IMG_DIR/build.sh"
fi

if img_docker plugin inspect "$NAME" >/dev/null 2>&1; then
  [ "$REPLACE" = 1 ] || img_die "plugin $NAME exists (use --replace, or: docker plugin disable $NAME && docker plugin rm $NAME)"
  img_docker plugin rm -f "$NAME" >/dev/null
  img_log "removed the existing plugin $NAME"
fi

mkdir -p "$KURYR_IMAGE_CACHE"
DIR=$(mktemp -d "$KURYR_IMAGE_CACHE/plugin.XXXXXX")
CID=
cleanup() {
  [ -z "$CID" ] || img_docker rm -f "$CID" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

t=$(img_now)
mkdir -p "$DIR/rootfs"
CID=$(img_docker create "$IMAGE")
img_docker export "$CID" | tar -x -C "$DIR/rootfs"
img_docker rm "$CID" >/dev/null
CID=
cp "$CONFIG" "$DIR/config.json"
# Inside the plugin dockerd bind-mounts /run/docker/plugins/<id>/ at /run/docker/plugins: the mount point
# must exist in the rootfs (the image makes it), and that is where config.json's socket appears.
[ -d "$DIR/rootfs/run/docker/plugins" ] || img_die "the image has no /run/docker/plugins"
[ -x "$DIR/rootfs/usr/local/bin/kuryr" ] || img_die "the image has no /usr/local/bin/kuryr (config.json's entrypoint)"
export_s=$(img_since "$t")
rootfs_mb=$(du -sm "$DIR/rootfs" | cut -f1)

t=$(img_now)
img_docker plugin create "$NAME" "$DIR" >/dev/null
create_s=$(img_since "$t")
if [ -n "$KEEP" ]; then
  rm -rf "$KEEP"
  mkdir -p "$(dirname "$KEEP")"
  mv "$DIR" "$KEEP"
  img_log "plugin directory kept at $KEEP (docker plugin create NAME $KEEP recreates the plugin elsewhere)"
fi
img_log "plugin $NAME created (disabled) from $IMAGE: rootfs ${rootfs_mb} MB, export ${export_s}s, plugin create ${create_s}s; total $(img_since "$T0")s"
img_log "next: docker plugin set $NAME config.source=<dir with kuryr.conf> state.source=<state dir>; docker plugin enable $NAME"
