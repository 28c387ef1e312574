#!/usr/bin/env bash
# The testbed's own dockerd (Debian docker.io 20.10): overlay2, no iptables, no default bridge,
# data-root/exec-root under $KURYR_TESTBED/docker, API on unix://$KURYR_TESTBED/docker.sock.
# It starts and supervises its own containerd. Plugin discovery is NOT private: dockerd always
# looks in /run/docker/plugins and /etc/docker/plugins.
#
#   dockerd.sh start | stop | status
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DD=$TB_DD
PIDFILE=$DD/dockerd.pid
EXEC_ROOT=$DD/exec
DATA_ROOT=$DD/data
CTRD_PIDFILE=$EXEC_ROOT/containerd/containerd.pid

running_pid() { tb_pidfile_pid "$PIDFILE" "--data-root $DATA_ROOT"; }
answering() { tb_docker version >/dev/null 2>&1; }

start() {
  local pid t0 i
  if pid=$(running_pid) && answering; then
    tb_log "dockerd already running (pid $pid), reusing it"
    return 0
  fi
  [ -n "${pid:-}" ] && tb_die "dockerd pid $pid runs but does not answer on $TB_DOCKER_SOCK; run down.sh"
  mkdir -p "$DATA_ROOT" "$EXEC_ROOT"
  t0=$(tb_now)
  # dockerd writes its own pidfile; tb_spawn's copy (same pid, as it execs) covers the startup window.
  tb_spawn "$DD/dockerd.launch.pid" "$DD/dockerd.log" dockerd \
    --storage-driver=overlay2 --iptables=false --ip6tables=false --bridge=none \
    --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" --pidfile "$PIDFILE" \
    -H "unix://$TB_DOCKER_SOCK" ${DOCKERD_EXTRA_OPTS:-}
  for i in $(seq 600); do
    if answering; then
      tb_log "dockerd ready in $(tb_since "$t0")s (pid $(cat "$PIDFILE"))"
      return 0
    fi
    tb_pid_matches "$(cat "$DD/dockerd.launch.pid")" dockerd || break
    sleep 0.1
  done
  tail -20 "$DD/dockerd.log" >&2
  tb_die "dockerd did not come up (log: $DD/dockerd.log)"
}

stop() {
  local pid ctrd i
  ctrd=$(tb_pidfile_pid "$CTRD_PIDFILE" containerd || true)
  if pid=$(running_pid || tb_pidfile_pid "$DD/dockerd.launch.pid" "--data-root $DATA_ROOT"); then
    # Containers still running here are test leftovers: remove them now rather than let dockerd's
    # shutdown wait 10 s for each one that ignores SIGTERM (e.g. `sleep` as PID 1).
    local left
    left=$(tb_docker ps -aq 2>/dev/null || true)
    if [ -n "$left" ]; then
      tb_log "removing leftover containers: $(echo $left)"
      # shellcheck disable=SC2086
      tb_docker rm -f $left >/dev/null 2>&1 || true
    fi
    # dockerd then stops its containerd before exiting
    kill -TERM "$pid"
    for i in $(seq 600); do tb_alive "$pid" || break; sleep 0.1; done
    if tb_alive "$pid"; then
      tb_log "dockerd $pid still running after 60s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    else
      tb_log "dockerd stopped (pid $pid)"
    fi
  else
    tb_log "dockerd not running"
  fi
  if [ -n "$ctrd" ] && tb_alive "$ctrd"; then
    for i in $(seq 50); do tb_alive "$ctrd" || break; sleep 0.1; done
    if tb_pid_matches "$ctrd" containerd; then
      tb_log "containerd $ctrd outlived dockerd: stopping it"
      tb_stop_group "$ctrd" "containerd (pid $ctrd)" 10
    fi
  fi
  # Shims of containers that were still running (only after a forced stop) reference our exec-root.
  local p
  for p in $(pgrep -f -- "-address $EXEC_ROOT/containerd/containerd.sock" || true); do
    tb_log "killing leftover containerd shim $p"
    kill -KILL "$p" 2>/dev/null || true
  done
  unmount_leftovers
  rm -f "$DD/dockerd.launch.pid"
}

# dockerd leaves <exec-root>/netns/default bind-mounted (and, after a crash, overlay and netns
# mounts): unmount everything below the testbed dir, deepest first.
unmount_leftovers() {
  local m
  awk -v d="$KURYR_TESTBED/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || { tb_log "could not unmount $m"; continue; }
    tb_log "unmounted $m"
  done
}

status() {
  local pid
  if pid=$(running_pid); then
    echo "dockerd: running, pid $pid, DOCKER_HOST=unix://$TB_DOCKER_SOCK ($(tb_docker version -f '{{.Server.Version}}' 2>/dev/null || echo 'not answering'))"
    tb_docker ps --format '  container {{.Names}} ({{.Image}}, {{.Status}})' 2>/dev/null || true
  else
    echo "dockerd: not running"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  unmount) unmount_leftovers ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
