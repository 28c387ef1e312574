#!/usr/bin/env bash
# `npm test`: typecheck, build, bring the testbed up (real Neutron + dockerd, see docs/testbed.md),
# run every unit/integration/e2e test in ONE `node --test` run (its closing `# pass N` / `# fail N`
# lines summarise everything), tear the testbed down, exit with the runner's status.
#   TEST_FILES="test/unit/a.test.ts test/e2e/*.test.ts"   run only these (globs allowed)
#   KEEP_TESTBED=1                                         leave the testbed running afterwards
#   npm test -- --test-name-pattern=foo                    extra args go to `node --test`
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "$(id -u)" != 0 ]; then
  echo "scripts/test.sh: the tests need root (they start dockerd, Neutron and create network namespaces and links); run as root, e.g. sudo npm test" >&2
  exit 1
fi

[ -d node_modules ] || npm ci
npm run typecheck
npm run build

TESTBED=$(realpath -m "${KURYR_TESTBED:-$PWD/.testbed}")
teardown() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "${KEEP_TESTBED:-0}" = 1 ]; then
    echo "KEEP_TESTBED=1: testbed left running (. $TESTBED/env; stop with scripts/testbed/down.sh)" >&2
  else
    scripts/testbed/down.sh || echo "scripts/test.sh: testbed teardown failed" >&2
  fi
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

KURYR_TESTBED=$TESTBED scripts/testbed/up.sh
# shellcheck disable=SC1091
. "$TESTBED/env"

if [ -n "${TEST_FILES:-}" ]; then
  # shellcheck disable=SC2206
  files=($TEST_FILES)
else
  # Node 20's runner does not expand globs itself; a missing or empty directory is fine.
  mapfile -t files < <(find test/unit test/integration test/e2e -maxdepth 1 -type f -name '*.test.ts' 2>/dev/null | sort)
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "scripts/test.sh: no test files found (test/{unit,integration,e2e}/*.test.ts)" >&2
  exit 1
fi
echo "scripts/test.sh: ${#files[@]} test files" >&2

# Run the runner in the background and wait for it, so that a SIGTERM/SIGINT sent to this script is
# handled at once (forwarded to the runner, which stops its per-file children) instead of after it.
node --import tsx --test --test-concurrency=2 --test-timeout=600000 "$@" "${files[@]}" &
runner=$!
stop_runner() { kill -TERM "$runner" 2>/dev/null || true; wait "$runner" 2>/dev/null || true; exit "$1"; }
trap 'stop_runner 130' INT
trap 'stop_runner 143' TERM
rc=0
wait "$runner" || rc=$?
exit "$rc"
