#!/usr/bin/env bash
# Start a one-machine Skiff: Docker engine, one etcd member, the master (and the
# agent once it exists). Idempotent: what already runs is left alone.
#
#   SKIFF_HOME   state dir (default ~/.skiff): pki/, admin.kubeconfig, etcd/, logs/, run/
#   SKIFF_AGENT  set to 0 to not start the agent
#   SKIFF_API_PORT (6443), SKIFF_GATEWAY_PORT (9443), SKIFF_ETCD_PORT (2379), SKIFF_ETCD_PEER_PORT (2380)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SKIFF_REPO"

ensure_system_packages
ensure_node_modules
ensure_built
ensure_dockerd
API_PORT="${SKIFF_API_PORT:-6443}"
GATEWAY_PORT="${SKIFF_GATEWAY_PORT:-9443}"
ETCD_PORT="${SKIFF_ETCD_PORT:-2379}"
ensure_etcd skiff "$SKIFF_ETCD_DIR" "$ETCD_PORT" "${SKIFF_ETCD_PEER_PORT:-2380}"

started=()

# --- master ------------------------------------------------------------------
MASTER_PID="$SKIFF_RUN/master.pid"
MASTER_LOG="$SKIFF_LOGS/master.log"          # the master's own log (--log-file)
MASTER_OUT="$SKIFF_LOGS/master.out"          # its stdout/stderr
READYZ="https://127.0.0.1:$API_PORT/readyz"

master_ready() { [ "$(https_get "$READYZ" 2>/dev/null)" = ok ]; }

if pid_alive "$MASTER_PID"; then
  log "master already running (pid $(pid_of "$MASTER_PID"))"
else
  if [ -f "$MASTER_PID" ]; then
    log "master: removing stale pid file (pid $(pid_of "$MASTER_PID") is gone)"
    rm -f "$MASTER_PID"
  fi
  if master_ready; then
    log "something not started by skiff already answers $READYZ; not starting another master"
  else
    [ -f packages/master/dist/main.js ] || die "packages/master/dist/main.js not found: the master is not built (npm run build)"
    tcp_port_open "$API_PORT" && die "port $API_PORT is in use by something that does not answer $READYZ"
    start_bg master "$MASTER_PID" "$MASTER_OUT" node "$SKIFF_REPO/packages/master/dist/main.js" \
      --home "$SKIFF_HOME" \
      --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
      --secure-port "$API_PORT" \
      --agent-gateway-port "$GATEWAY_PORT" \
      --bind-address 127.0.0.1 \
      --log-file "$MASTER_LOG" || true
    [ -f "$MASTER_PID" ] && started+=("master pid $(pid_of "$MASTER_PID")")
  fi
fi

show_master_logs() {
  local f
  for f in "$MASTER_LOG" "$MASTER_OUT"; do
    [ -s "$f" ] || continue
    printf -- '--- last 30 lines of %s ---\n' "$f" >&2
    tail -n 30 "$f" >&2
  done
}

printf '[skiff] waiting for the master on %s ' "$READYZ" >&2
ready=0
for _ in $(seq 1 60); do
  if master_ready; then ready=1; break; fi
  if [ -f "$MASTER_PID" ] && ! pid_alive "$MASTER_PID"; then
    printf ' master exited\n' >&2; show_master_logs; rm -f "$MASTER_PID"
    die "the master exited during start-up"
  fi
  [ -f "$MASTER_PID" ] || { printf ' no master\n' >&2; show_master_logs; die "the master is not running"; }
  printf '.' >&2; sleep 1
done
if [ "$ready" != 1 ]; then
  printf ' timeout\n' >&2; show_master_logs
  die "the master did not answer $READYZ within 60s (it is still running: npm run down stops it)"
fi
printf ' ok\n' >&2

# --- kubeconfig ----------------------------------------------------------------
ADMIN_KUBECONFIG="$SKIFF_HOME/admin.kubeconfig"
KUBE_CONFIG="${HOME:-/root}/.kube/config"
merge_kubeconfig() {
  [ -f "$ADMIN_KUBECONFIG" ] || { warn "$ADMIN_KUBECONFIG not found; ~/.kube/config left as it is"; return 0; }
  command -v kubectl >/dev/null 2>&1 || { warn "kubectl not found; use KUBECONFIG=$ADMIN_KUBECONFIG"; return 0; }
  mkdir -p "$(dirname "$KUBE_CONFIG")"
  local tmpdir; tmpdir="$(mktemp -d)"
  local base="$tmpdir/base" merged="$tmpdir/merged"
  if [ -s "$KUBE_CONFIG" ]; then
    cp "$KUBE_CONFIG" "$base"
    # Drop older skiff entries so the fresh ones (new CA, new certs) win.
    KUBECONFIG="$base" kubectl config delete-context skiff >/dev/null 2>&1 || true
    KUBECONFIG="$base" kubectl config delete-cluster skiff >/dev/null 2>&1 || true
    KUBECONFIG="$base" kubectl config unset users.skiff-admin >/dev/null 2>&1 || true
    # The admin file comes first: its current-context (skiff) wins.
    KUBECONFIG="$ADMIN_KUBECONFIG:$base" kubectl config view --flatten >"$merged"
  else
    KUBECONFIG="$ADMIN_KUBECONFIG" kubectl config view --flatten >"$merged"
  fi
  KUBECONFIG="$merged" kubectl config use-context skiff >/dev/null
  chmod 600 "$merged"
  mv -f "$merged" "$KUBE_CONFIG"
  chmod 600 "$KUBE_CONFIG"
  rm -rf "$tmpdir"
  log "merged $ADMIN_KUBECONFIG into $KUBE_CONFIG (current context: skiff)"
  if [ -n "${KUBECONFIG:-}" ]; then
    warn "KUBECONFIG is set ($KUBECONFIG) in this shell; kubectl will read that instead of $KUBE_CONFIG"
  fi
}
merge_kubeconfig

# --- agent: joins the master with a bootstrap token the first time -------------
AGENT_PID="$SKIFF_RUN/agent.pid"
if [ -f packages/agent/dist/main.js ] && [ "${SKIFF_AGENT:-1}" != 0 ]; then
  if pid_alive "$AGENT_PID"; then
    log "agent already running (pid $(pid_of "$AGENT_PID"))"
  else
    [ ! -f "$AGENT_PID" ] || { log "agent: removing stale pid file"; rm -f "$AGENT_PID"; }
    join_args=()
    if [ ! -f "$SKIFF_HOME/agent/node.crt" ]; then
      # shellcheck disable=SC2207
      join_cmd=($(node "$SKIFF_REPO/packages/master/dist/skiff.js" token create --print-join-command \
        --home "$SKIFF_HOME" --etcd-servers "http://127.0.0.1:$ETCD_PORT" --join-address 127.0.0.1 --agent-gateway-port "$GATEWAY_PORT")) \
        || die "could not create a bootstrap token for the agent"
      join_args=("${join_cmd[@]:1}")
      log "agent: joining with a new bootstrap token"
    fi
    # Services (iptables proxy) and cluster DNS: pods sit on Docker's default bridge, so that is the
    # cluster's pod range here and the agent's DNS server listens on the bridge's gateway address
    # (the proxy DNATs 10.96.0.10:53, the nameserver in pods' resolv.conf, to it).
    net_args=(--proxy-mode iptables)
    bridge_subnet="$(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' 2>/dev/null || true)"
    bridge_gw="$(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' 2>/dev/null || true)"
    [[ "$bridge_subnet" =~ ^[0-9.]+/[0-9]+$ ]] && net_args+=(--cluster-cidr "$bridge_subnet")
    [[ "$bridge_gw" =~ ^[0-9.]+$ ]] && net_args+=(--cluster-dns 10.96.0.10 --dns-listen "$bridge_gw:53")
    start_bg agent "$AGENT_PID" "$SKIFF_LOGS/agent.out" node "$SKIFF_REPO/packages/agent/dist/main.js" \
      --home "$SKIFF_HOME" \
      "${join_args[@]}" \
      "${net_args[@]}" \
      --allowed-registries "${SKIFF_ALLOWED_REGISTRIES:-127.0.0.1:5000,localhost:5000}" \
      --log-file "$SKIFF_LOGS/agent.log" || die "the agent failed to start (see $SKIFF_LOGS/agent.log)"
    sleep 2
    pid_alive "$AGENT_PID" || { tail -n 30 "$SKIFF_LOGS/agent.log" "$SKIFF_LOGS/agent.out" >&2 2>/dev/null || true; die "the agent exited during start-up"; }
    started+=("agent pid $(pid_of "$AGENT_PID")")
  fi
fi

# --- summary --------------------------------------------------------------------
[ "${SKIFF_DOCKERD_STARTED:-0}" = 1 ] && started+=("dockerd pid $(pid_of "$SKIFF_RUN/dockerd.pid")")
[ "${SKIFF_ETCD_STARTED:-0}" = 1 ] && started+=("etcd pid $(pid_of "$SKIFF_RUN/etcd-skiff.pid")")

echo
echo "Skiff is up."
if [ "${#started[@]}" -gt 0 ]; then
  echo "  started now: ${started[*]}"
else
  echo "  started now: nothing (everything was already running)"
fi
for f in dockerd etcd-skiff master agent; do
  if pid_alive "$SKIFF_RUN/$f.pid"; then echo "  running: ${f%-skiff} (pid $(pid_of "$SKIFF_RUN/$f.pid"))"; fi
done
echo "  home:       $SKIFF_HOME"
echo "  logs:       $SKIFF_LOGS (master.log, etcd-skiff.log, dockerd.log, agent.log)"
echo "  kubeconfig: $ADMIN_KUBECONFIG (merged into $KUBE_CONFIG, context skiff)"
echo "  API:        https://127.0.0.1:$API_PORT"
echo
echo "Next: kubectl get ns        Stop: npm run down (keeps all data)"
