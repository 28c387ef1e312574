# shellcheck shell=bash
# Shared settings for scripts/image/*. Source it; do not run it.
#
# Layout (everything below $KURYR_IMAGE_CACHE, default $KURYR_TESTBED/image, default <repo>/.testbed/image):
#   base-<key>.tar     the trimmed debootstrap rootfs of the base image (the slow part, cached)
#   context.*/         a staged `docker build` context (removed after the build)
#   plugin.*/          a staged managed-plugin directory (config.json + rootfs/, removed after create)
#   .lock              flock: one build-base at a time per cache

IMG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$IMG_DIR/../.." && pwd)
KURYR_TESTBED=$(realpath -m "${KURYR_TESTBED:-$REPO_ROOT/.testbed}")
KURYR_IMAGE_CACHE=$(realpath -m "${KURYR_IMAGE_CACHE:-$KURYR_TESTBED/image}")
# The 20.10 CLI: `DOCKER_BUILDKIT=0 docker build` (the legacy builder) works with the 20.10 daemon, and it
# needs no buildx plugin.
DOCKER_CLI=${DOCKER_CLI:-$(command -v /usr/bin/docker || command -v docker || echo docker)}
BASE_IMAGE=${KURYR_BASE_IMAGE:-kuryr-base:bookworm}
KURYR_VERSION=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version' "$REPO_ROOT/package.json" 2>/dev/null ||
  sed -n 's/^  "version": "\(.*\)",$/\1/p' "$REPO_ROOT/package.json")
IMAGE_REPO=${KURYR_IMAGE_REPO:-kuryr-libnetwork}
IMAGE=${KURYR_IMAGE:-$IMAGE_REPO:$KURYR_VERSION}

img_log() { printf '[image %s] %s\n' "$(date +%T)" "$*" >&2; }
img_die() { img_log "ERROR: $*"; exit 1; }
img_now() { date +%s.%N; }
img_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
img_docker() { "$DOCKER_CLI" "$@"; }
img_require_root() {
  [ "$(id -u)" = 0 ] || img_die "must run as root (debootstrap, chroot, docker); try: sudo $0"
}
# bytes -> "123.4 MB" (decimal, as `docker images` shows them)
img_mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
