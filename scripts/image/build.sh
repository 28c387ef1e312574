#!/usr/bin/env bash
# Build the container image $KURYR_IMAGE (default kuryr-libnetwork:<package.json version>, also tagged
# :latest) from deploy/docker/Dockerfile, on the dockerd that DOCKER_HOST names:
#   1. the base image (scripts/image/build-base.sh: cached, a no-op when present);
#   2. a staged context: the TypeScript compiled into it (the repository's own dist/ is not touched, so tests
#      that run bin/kuryr.js meanwhile are not disturbed), package.json + package-lock.json + bin/, and
#      `npm ci --omit=dev` there (from npm's cache when it has everything); the host's Node runtime
#      (`process.execPath`, which must be Node >= 20 and need nothing beyond glibc/libstdc++); the healthcheck;
#   3. `DOCKER_BUILDKIT=0 docker build` (the legacy builder: no buildx needed, works with dockerd 20.10);
#   4. a smoke run: node, ip and kuryr start in the image.
# Prints the timings and the image size. Env: DOCKER_HOST, DOCKER_CLI, KURYR_IMAGE, KURYR_BASE_IMAGE,
# KURYR_IMAGE_CACHE, NODE (the runtime to carry; default: the `node` on PATH).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
img_require_root

T0=$(img_now)
TIMINGS=()
step() { # step NAME CMD...
  local t
  t=$(img_now)
  "${@:2}"
  TIMINGS+=("$(printf '%-14s %6ss' "$1" "$(img_since "$t")")")
}

step base "$IMG_DIR/build-base.sh"

mkdir -p "$KURYR_IMAGE_CACHE"
CTX=$(mktemp -d "$KURYR_IMAGE_CACHE/context.XXXXXX")
trap 'rm -rf "$CTX"' EXIT
APP=$CTX/app
mkdir -p "$APP"

NODE_BIN=$(realpath "$("${NODE:-node}" -p process.execPath)")
node_version=$("$NODE_BIN" --version)
[[ "$node_version" =~ ^v(2[0-9]|[3-9][0-9])\. ]] || img_die "$NODE_BIN is $node_version; the image needs Node >= 20"
# Self-contained enough? Everything it links must resolve, and only to libraries every Debian 12 minbase has.
libs=$(ldd "$NODE_BIN" 2>&1) || img_die "ldd $NODE_BIN failed: $libs"
if grep -q 'not found' <<<"$libs"; then img_die "$NODE_BIN has unresolved libraries: $libs"; fi
extra=$(awk '$2 == "=>" { print $1 }' <<<"$libs" | grep -vE '^(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s)\.so' || true)
[ -z "$extra" ] || img_die "$NODE_BIN links libraries the base may not have: $extra"

compile() {
  # what `npm run build` does (tsconfig.build.json), into the context instead of ./dist
  (cd "$REPO_ROOT" && node_modules/.bin/tsc -p tsconfig.build.json --outDir "$APP/dist")
}
step compile compile

prod_deps() {
  cp "$REPO_ROOT/package.json" "$REPO_ROOT/package-lock.json" "$APP/"
  cp -r "$REPO_ROOT/bin" "$APP/bin"
  # --ignore-scripts: no production dependency needs an install script. --prefer-offline: the repository's
  # own `npm ci` filled npm's cache with these exact versions (the lockfile pins them).
  (cd "$APP" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error) >&2
  # What only developers read: type declarations, TypeScript sources, source maps, markdown, and the
  # packages' own tests/benchmarks/docs/examples (19 MB -> 8 MB). Our dist/ keeps its source maps.
  find "$APP/node_modules" -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' -o -name '*.md' \) -delete
  find "$APP/node_modules" -depth -type d \( -name test -o -name tests -o -name __tests__ -o -name benchmarks -o -name bench \
    -o -name docs -o -name example -o -name examples \) -exec rm -rf {} +
  rm -f "$APP/node_modules/.package-lock.json"
}
step npm-ci prod_deps

# The Node binary carries debug info (nodesource's build: 99 MB); strip what no runtime needs (-13 MB).
# --strip-unneeded keeps the dynamic symbol table, which native addons link against.
if command -v strip >/dev/null; then
  strip --strip-unneeded -o "$CTX/node" "$NODE_BIN"
else
  img_log "no strip(1) (binutils): carrying $NODE_BIN unstripped"
  cp "$NODE_BIN" "$CTX/node"
fi
cp "$REPO_ROOT/deploy/docker/Dockerfile" "$REPO_ROOT/deploy/docker/healthcheck.mjs" "$CTX/"
chmod 0755 "$CTX/node" "$CTX/healthcheck.mjs" "$APP/bin/kuryr.js"

build() {
  DOCKER_BUILDKIT=0 img_docker build -q --force-rm \
    --build-arg "BASE=$BASE_IMAGE" --build-arg "KURYR_VERSION=$KURYR_VERSION" \
    -t "$IMAGE" -t "$IMAGE_REPO:latest" "$CTX" >/dev/null
}
step docker-build build
# the previous build's image, now untagged (only ours: by label, and only dangling ones)
img_docker image prune -f --filter "label=org.opencontainers.image.title=kuryr-libnetwork" >/dev/null || true

smoke() {
  local out
  out=$(img_docker run --rm --net none --entrypoint /bin/sh "$IMAGE" -c 'node --version && ip -V && kuryr --help' 2>&1) ||
    img_die "smoke run of $IMAGE failed: $out"
}
step smoke smoke

size=$(img_docker image inspect -f '{{.Size}}' "$IMAGE")
base_size=$(img_docker image inspect -f '{{.Size}}' "$BASE_IMAGE")
img_log "image $IMAGE (and $IMAGE_REPO:latest): $(img_mb "$size") (base $(img_mb "$base_size"), node $(img_mb "$(stat -c %s "$CTX/node")") $node_version, /opt/kuryr $(du -sm "$APP" | cut -f1) MB); built in $(img_since "$T0")s"
printf '  %s\n' "${TIMINGS[@]}" >&2
