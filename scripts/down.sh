#!/usr/bin/env bash
# Stop what `npm run up` started (agent, master, etcd, dockerd), only through our
# own pid files and by PID. Keeps all data ($SKIFF_HOME: etcd data, pki, kubeconfig).
# A Docker engine or etcd that skiff did not start is left alone.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stopped=0
stop_one() { # <pidfile> <timeout> <label>
  [ -f "$1" ] || return 0
  if pid_alive "$1"; then stopped=$((stopped + 1)); fi
  stop_pid "$1" "$2" "$3" || true
}

# Reverse order of start: agent, master, etcd, dockerd.
stop_one "$SKIFF_RUN/agent.pid" 15 agent
stop_one "$SKIFF_RUN/master.pid" 15 master
for f in "$SKIFF_RUN"/etcd-*.pid; do
  [ -e "$f" ] || continue
  name="$(basename "$f" .pid)"
  stop_one "$f" 15 "etcd ${name#etcd-}"
done
# dockerd stops its containers first (their own grace period, 15 s by default).
stop_one "$SKIFF_RUN/dockerd.pid" 40 dockerd

if [ "$stopped" = 0 ]; then
  log "nothing to stop: no process started by 'up' is running"
else
  log "stopped $stopped process(es); data kept in $SKIFF_HOME"
fi
