#!/usr/bin/env bash
# Benchmark (run by hand, as root): wall time of `docker run --rm <image> true` on a kuryr network vs
# `--net none`, median of N runs each, against the testbed (real Neutron + dockerd) and the plugin started by
# its CLI. Usage: bench/docker-run.sh [N]   (default 10). Results go to docs/benchmarks.md by hand.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${1:-10}
export KURYR_TESTBED=${KURYR_TESTBED:-$PWD/.testbed}
scripts/testbed/up.sh >/dev/null
. "$KURYR_TESTBED/env"
npm run -s build
name=kuryr-bench
dir=$(mktemp -d)
cat > "$dir/kuryr.conf" <<CONF
[DEFAULT]
kuryr_uri = unix:///run/docker/plugins/$name.sock
host = $KURYR_TEST_HOST
state_path = $dir/state
[neutron]
auth_type = none
endpoint_override = $NEUTRON_URL
CONF
node bin/kuryr.js serve --config-file "$dir/kuryr.conf" 2> "$dir/kuryr.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do [ -S /run/docker/plugins/$name.sock ] && break; sleep 0.1; done
d() { "$DOCKER_CLI" "$@"; }
d network create -d $name --ipam-driver $name --subnet 10.99.0.0/24 --gateway 10.99.0.1 bench-n1 >/dev/null
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
time_runs() {
  for _ in $(seq "$N"); do
    s=$(date +%s.%N); d run --rm "$@" "$KURYR_TEST_IMAGE" true; e=$(date +%s.%N)
    echo "$e - $s" | bc
  done
}
d run --rm --net none "$KURYR_TEST_IMAGE" true   # warm-up
none=$(time_runs --net none | median)
kuryr=$(time_runs --net bench-n1 | median)
d network rm bench-n1 >/dev/null
printf 'docker run --rm (median of %s): --net none %.3f s, --net <kuryr network> %.3f s, plugin+Neutron cost %.3f s\n' \
  "$N" "$none" "$kuryr" "$(echo "$kuryr - $none" | bc)"
