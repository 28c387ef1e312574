# shellcheck shell=bash
# Shared helpers for the testbed scripts. Source this file; do not run it directly.
#
# Layout (everything below $KURYR_TESTBED, default <repo>/.testbed, gitignored):
#   env                        shell-sourceable settings for tests (written by up.sh)
#   neutron/                   neutron.conf, ml2_conf.ini, neutron.sqlite, logs, pid files
#   keystone/                  keystone.conf, keystone.sqlite, fernet keys, logs, pid file, env (ids/secrets)
#   docker/                    dockerd data-root, exec-root, pidfile, log
#   docker.sock                the testbed dockerd's API socket
#   sandbox/                   scripts/sandbox.sh state (kuryr.conf, plugin log/pid)

TB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$TB_DIR/../.." && pwd)
KURYR_TESTBED=$(realpath -m "${KURYR_TESTBED:-$REPO_ROOT/.testbed}")
NEUTRON_PORT=${NEUTRON_PORT:-19696}
NEUTRON_URL="http://127.0.0.1:$NEUTRON_PORT"
# Default: 15000 next to the default NEUTRON_PORT, and shifted with it, so testbeds that only set their own
# NEUTRON_PORT (19699 -> 15003, ...) do not fight over one Keystone port.
KEYSTONE_PORT=${KEYSTONE_PORT:-$((15000 + (NEUTRON_PORT - 19696) % 1000))}
KEYSTONE_URL="http://127.0.0.1:$KEYSTONE_PORT"
# Neutron lives in Debian's dist-packages; the pyenv python3 first on PATH cannot import it.
SYS_PY=/usr/bin/python3
TB_HOST=$(hostname)
TB_ND=$KURYR_TESTBED/neutron
TB_KD=$KURYR_TESTBED/keystone
TB_DD=$KURYR_TESTBED/docker
TB_DOCKER_SOCK=$KURYR_TESTBED/docker.sock
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}   # the 20.10 CLI; the 28.x one in /usr/local/bin refuses --mac-address
KURYR_TEST_IMAGE=${KURYR_TEST_IMAGE:-kuryr-test/busybox:latest}
# Extra hosts that get fake alive agents besides $(hostname) (space or comma separated).
FAKE_AGENT_HOSTS=${FAKE_AGENT_HOSTS-kuryr-test-other}
# Everything the testbed needs from Debian (install is skipped when dpkg says they are installed).
TB_PACKAGES="neutron-server python3-neutron keystone docker.io busybox-static iputils-ping iproute2 jq sqlite3 curl procps systemd"

tb_log() { printf '[testbed %s] %s\n' "$(date +%T)" "$*" >&2; }
tb_die() { tb_log "ERROR: $*"; exit 1; }
tb_now() { date +%s.%N; }
tb_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }

tb_require_root() {
  [ "$(id -u)" = 0 ] || tb_die "must run as root (dockerd, netns and Neutron's host setup need it); try: sudo $0"
}

# Install whatever of "$@" is missing. apt-get update runs only when something must be installed.
tb_ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  tb_log "installing: ${missing[*]}"
  # Answer the packages' questions up front (no DB/rabbit/keystone/endpoint configuration).
  printf '%s\n' \
    'neutron-common neutron/configure_db boolean false' \
    'neutron-common neutron-common/dbconfig-install boolean false' \
    'neutron-common neutron/configure_rabbit boolean false' \
    'neutron-common neutron/configure_ksat boolean false' \
    'neutron-api neutron/register-endpoint boolean false' \
    'keystone keystone/configure_db boolean false' \
    'keystone keystone/create-admin-tenant boolean false' \
    'keystone keystone/register-endpoint boolean false' | debconf-set-selections 2>/dev/null || true
  export DEBIAN_FRONTEND=noninteractive
  # The packaged services (a system dockerd, neutron-server on :9696, keystone) must not start: deny service
  # starts for the duration of the install unless the machine already has a policy-rc.d.
  local own_policy= rc=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# temporary, from kuryr scripts/testbed/lib.sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  apt-get -o DPkg::Lock::Timeout=900 update -q </dev/null &&
    apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}" </dev/null || rc=$?
  [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
  [ "$rc" = 0 ] || tb_die "apt-get failed ($rc) installing: ${missing[*]}"
}

# tb_alive PID: the process exists and is not a zombie (PID 1 here reaps orphans only every ~1.5 s).
tb_alive() {
  local st
  st=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# tb_group_alive PGID: some non-zombie process is still in process group PGID.
tb_group_alive() {
  local p
  for p in $(pgrep -g "$1" 2>/dev/null); do tb_alive "$p" && return 0; done
  return 1
}

# tb_pid_matches PID SUBSTRING: PID is alive and its command line contains SUBSTRING.
tb_pid_matches() {
  local pid=$1 want=$2
  [ -n "$pid" ] && tb_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$want"
}

# tb_pidfile_pid FILE SUBSTRING: print the recorded pid if it still runs our command.
tb_pidfile_pid() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  tb_pid_matches "$pid" "$2" && echo "$pid"
}

# tb_spawn PIDFILE LOGFILE CMD...: start CMD detached in its own session (pgid = pid) and record its pid.
tb_spawn() {
  local pidfile=$1 logfile=$2; shift 2
  rm -f "$pidfile"
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
  local i
  for i in $(seq 50); do [ -s "$pidfile" ] && return 0; sleep 0.02; done
  tb_die "could not start $1"
}

# tb_stop_group PID NAME [TIMEOUT_S]: SIGTERM the session/group we started as PID, wait, then SIGKILL it.
# Only used with pids recorded by tb_spawn (which made PID a group leader).
tb_stop_group() {
  local pid=$1 name=$2 timeout=${3:-20} i
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq $((timeout * 10))); do
    tb_alive "$pid" || tb_group_alive "$pid" || { tb_log "$name stopped"; return 0; }
    sleep 0.1
  done
  tb_log "$name (pgid $pid) still running after ${timeout}s: SIGKILL"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
}

tb_docker() { DOCKER_HOST="unix://$TB_DOCKER_SOCK" "$DOCKER_CLI" "$@"; }

tb_neutron_http() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$NEUTRON_URL/v2.0/$1" 2>/dev/null || true; }
