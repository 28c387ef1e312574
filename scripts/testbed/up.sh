#!/usr/bin/env bash
# Bring the testbed up (idempotent: whatever already runs from this testbed is reused):
#   - Debian packages (installed only if missing)
#   - Neutron Zed on 127.0.0.1:$NEUTRON_PORT with fake alive agents for $(hostname) + $FAKE_AGENT_HOSTS
#   - fake_agent_effects.py: bound ports -> ACTIVE (inside neutron-server); with FAKE_DHCP=1 also a
#     fake DHCP agent process
#   - Keystone Zed on 127.0.0.1:$KEYSTONE_PORT (tokens live $KEYSTONE_TOKEN_EXPIRATION s, default 20) with
#     a `network` catalog entry -> Neutron, user kuryr and an application credential (keystone/env)
#   - a private dockerd on unix://$KURYR_TESTBED/docker.sock and the image $KURYR_TEST_IMAGE
# and write $KURYR_TESTBED/env for the tests. Stop with scripts/testbed/down.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tb_require_root

T0=$(tb_now)
mkdir -p "$KURYR_TESTBED"
exec 9>"$KURYR_TESTBED/.lock"
flock -w 600 9 || tb_die "another up.sh/down.sh holds $KURYR_TESTBED/.lock"

step() { # step NAME CMD...: run and record its duration
  local t
  t=$(tb_now)
  "${@:2}"
  TIMINGS+=("$(printf '%-22s %6ss' "$1" "$(tb_since "$t")")")
}
TIMINGS=()

step packages tb_ensure_packages $TB_PACKAGES
step neutron-launch "$TB_DIR/setup-neutron.sh" start       # neutron boots (~3 s) while dockerd starts
step keystone-launch "$TB_DIR/setup-keystone.sh" start     # keystone boots (~2 s) meanwhile too
step dockerd "$TB_DIR/dockerd.sh" start
step image "$TB_DIR/busybox-image.sh"
step neutron-ready "$TB_DIR/setup-neutron.sh" wait
step keystone-ready "$TB_DIR/setup-keystone.sh" wait       # then users, catalog, app credential (REST)

# Fake DHCP agent (FAKE_DHCP=1): a process of its own, talking to the API. (Bound ports turning
# ACTIVE needs no process: that half of fake_agent_effects.py runs inside neutron-server.)
fake_dhcp() {
  local pidfile=$TB_ND/fake_agent_effects.pid pid
  pid=$(tb_pidfile_pid "$pidfile" fake_agent_effects.py) || pid=
  if [ "${FAKE_DHCP:-0}" != 1 ]; then
    [ -z "$pid" ] || tb_stop_group "$pid" "fake DHCP agent (pid $pid; FAKE_DHCP is not 1)" 5
    return 0
  fi
  if [ -n "$pid" ]; then
    tb_log "fake DHCP agent already running (pid $pid), reusing it"
    return 0
  fi
  tb_spawn "$pidfile" "$TB_ND/log/fake_agent_effects.log" env NEUTRON_URL="$NEUTRON_URL" KURYR_TEST_HOST="$TB_HOST" \
    "$SYS_PY" -u "$TB_DIR/fake_agent_effects.py" --dhcp
  tb_log "fake DHCP agent started (pid $(cat "$pidfile"))"
}
step fake-dhcp fake_dhcp

write_env() {
  local tmp=$KURYR_TESTBED/env.tmp
  {
    echo "# written by scripts/testbed/up.sh at $(date -Is); source it: . $KURYR_TESTBED/env"
    printf 'export %s=%q\n' \
      KURYR_TESTBED "$KURYR_TESTBED" \
      NEUTRON_URL "$NEUTRON_URL" \
      KURYR_TEST_NEUTRON_URL "$NEUTRON_URL" \
      NEUTRON_DB "$TB_ND/neutron.sqlite" \
      DOCKER_HOST "unix://$TB_DOCKER_SOCK" \
      DOCKER_CLI "$DOCKER_CLI" \
      KURYR_TEST_IMAGE "$KURYR_TEST_IMAGE" \
      KURYR_TEST_HOST "$TB_HOST" \
      KURYR_TEST_OTHER_HOSTS "${FAKE_AGENT_HOSTS//,/ }" \
      KURYR_TEST_FAKE_AGENTS "$TB_DIR/fake_agents.py"
    # Keystone URL, user/project, application credential (ids and secrets): KURYR_TEST_KEYSTONE_*
    printf '. %q\n' "$TB_KD/env"
  } >"$tmp"
  mv "$tmp" "$KURYR_TESTBED/env"
}
write_env

tb_log "testbed up in $(tb_since "$T0")s; env: $KURYR_TESTBED/env"
printf '  %s\n' "${TIMINGS[@]}" >&2
