#!/usr/bin/env bash
# Stop everything scripts/testbed/up.sh (and scripts/sandbox.sh) started from this testbed:
# dockerd (+ its containerd), the sandbox plugin, the fake DHCP agent, neutron-server and its
# workers, keystone; unmount leftovers below $KURYR_TESTBED; remove docker_gwbridge. Only pids recorded in
# our pid files are signalled. State (DB schema cache, docker data-root with the image) is kept;
# `down.sh --purge` deletes $KURYR_TESTBED as well.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tb_require_root

T0=$(tb_now)
[ -d "$KURYR_TESTBED" ] || { tb_log "no testbed at $KURYR_TESTBED"; exit 0; }
exec 9>"$KURYR_TESTBED/.lock"
flock -w 600 9 || tb_die "another up.sh/down.sh holds $KURYR_TESTBED/.lock"

# dockerd first: on shutdown it detaches containers through the network plugin, so the plugin and
# Neutron must still be alive then.
"$TB_DIR/dockerd.sh" stop

# The sandbox plugin (scripts/sandbox.sh), if one was left running.
if pid=$(tb_pidfile_pid "$KURYR_TESTBED/sandbox/kuryr.pid" "$KURYR_TESTBED/sandbox/kuryr.conf"); then
  tb_stop_group "$pid" "kuryr sandbox plugin (pid $pid)" 10
fi

if pid=$(tb_pidfile_pid "$TB_ND/fake_agent_effects.pid" fake_agent_effects.py); then
  tb_stop_group "$pid" "fake DHCP agent (pid $pid)" 5
fi
rm -f "$TB_ND/fake_agent_effects.pid"

"$TB_DIR/setup-neutron.sh" stop
"$TB_DIR/setup-keystone.sh" stop

# An auto-created docker_gwbridge (plugin Join without a gateway) outlives dockerd. Leave it if
# some other dockerd on this machine is still running and might own it.
if ip link show docker_gwbridge >/dev/null 2>&1 && ! pgrep -x dockerd >/dev/null; then
  ip link del docker_gwbridge && tb_log "removed docker_gwbridge"
fi

"$TB_DIR/dockerd.sh" unmount

# Report (do not kill) anything else still referring to the testbed dir, e.g. someone's `tail -f`.
left=$(for p in /proc/[0-9]*; do
  [ "${p#/proc/}" = $$ ] && continue
  tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$KURYR_TESTBED/" && echo "${p#/proc/}"
done || true)
[ -n "$left" ] && tb_log "WARNING: processes still referring to $KURYR_TESTBED: $(echo $left)"

rm -f "$KURYR_TESTBED/env"
if [ "${1:-}" = --purge ]; then
  if awk -v d="$KURYR_TESTBED/" 'index($5, d) == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
    tb_die "mounts remain below $KURYR_TESTBED; not purging"
  fi
  rm -rf "$KURYR_TESTBED"
  tb_log "purged $KURYR_TESTBED"
fi
tb_log "testbed down in $(tb_since "$T0")s"
