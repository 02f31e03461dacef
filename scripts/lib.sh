# shellcheck shell=bash
# shellcheck disable=SC2034  # SKIFF_*_STARTED are read by the scripts that source this
# Shared helpers for Skiff's scripts (up.sh, down.sh, test.sh, bench.sh).
# Source it; it does not change shell options of the caller beyond what it says.
#
# Environment:
#   SKIFF_HOME            state directory (default: $HOME/.skiff)
#   SKIFF_ETCD_COMPACTION etcd periodic auto-compaction retention (default: 1h)

SKIFF_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SKIFF_HOME="${SKIFF_HOME:-${HOME:-/root}/.skiff}"
SKIFF_DOCKER_SOCK=/var/run/docker.sock   # the default engine: the one `up` and the tests use
export SKIFF_HOME SKIFF_REPO

# Daemons live in sbin on Debian; make sure we find them even from a trimmed PATH.
case ":$PATH:" in *":/usr/sbin:"*) ;; *) PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" ;; esac
export PATH

mkdir -p "$SKIFF_HOME"
SKIFF_HOME="$(cd "$SKIFF_HOME" && pwd)"   # daemons get absolute paths
SKIFF_RUN="$SKIFF_HOME/run"
SKIFF_LOGS="$SKIFF_HOME/logs"
SKIFF_ETCD_DIR="$SKIFF_HOME/etcd"
mkdir -p "$SKIFF_RUN" "$SKIFF_LOGS" "$SKIFF_ETCD_DIR"

log()  { printf '[skiff %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '[skiff %s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf '[skiff %s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# System packages
# ---------------------------------------------------------------------------

# Is a Debian package installed?
_pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

ensure_system_packages() {
  local missing=()
  command -v etcd            >/dev/null 2>&1 || missing+=(etcd-server)
  command -v etcdctl         >/dev/null 2>&1 || missing+=(etcd-client)
  command -v dockerd         >/dev/null 2>&1 || missing+=(docker.io)
  command -v iptables        >/dev/null 2>&1 || missing+=(iptables)
  # The proxy clears stale UDP flows to removed endpoints with conntrack(8).
  command -v conntrack       >/dev/null 2>&1 || missing+=(conntrack)
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  # Test images are built from Debian's *static* busybox (/bin/busybox).
  if [ ! -x /bin/busybox ] || ! _pkg_installed busybox-static; then missing+=(busybox-static); fi
  # kubectl is how people talk to Skiff (and how up.sh merges the kubeconfig);
  # Debian 12 ships it as kubernetes-client. Only installed when there is none.
  command -v kubectl         >/dev/null 2>&1 || missing+=(kubernetes-client)

  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  [ "$(id -u)" = 0 ] || die "missing system packages (${missing[*]}); run as root or install them: apt-get install ${missing[*]}"
  command -v apt-get >/dev/null 2>&1 || die "missing system packages (${missing[*]}) and no apt-get to install them"

  log "installing system packages: ${missing[*]}"
  # Without systemd the postinst scripts of docker.io/etcd-server would try to start
  # their services via invoke-rc.d and fail (or start an etcd on 2379 we don't own).
  # A policy-rc.d that exits 101 tells invoke-rc.d not to start anything.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, created by skiff scripts/lib.sh during apt-get install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d; exit 130' INT TERM
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q \
      --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
      "${missing[@]}"
  } || rc=$?
  if [ "$made_policy" = 1 ]; then rm -f "$policy"; trap - INT TERM; fi
  [ "$rc" = 0 ] || die "apt-get install ${missing[*]} failed (exit $rc)"
  log "installed: ${missing[*]}"
}

# ---------------------------------------------------------------------------
# Node modules and build
# ---------------------------------------------------------------------------

ensure_node_modules() {
  local nm="$SKIFF_REPO/node_modules"
  if [ ! -d "$nm" ] || [ ! -f "$nm/.package-lock.json" ] || [ "$SKIFF_REPO/package-lock.json" -nt "$nm/.package-lock.json" ]; then
    log "installing node modules (npm ci)"
    (cd "$SKIFF_REPO" && npm ci --no-audit --no-fund) || die "npm ci failed"
  fi
}

SKIFF_BUILD_STAMP="$SKIFF_REPO/node_modules/.skiff-build-stamp"

# Prints the first input of the build that is newer than the stamp (nothing if none).
_build_newer_than_stamp() {
  local roots=() r
  for r in packages proto test tsconfig.json tsconfig.base.json package.json; do
    [ -e "$SKIFF_REPO/$r" ] && roots+=("$r")
  done
  [ "${#roots[@]}" -gt 0 ] || return 0
  (cd "$SKIFF_REPO" && find "${roots[@]}" \
      \( -name node_modules -o -name dist -o -name generated \) -prune -o \
      -type f \( -name '*.ts' -o -name '*.js' -o -name '*.json' -o -name '*.proto' \) \
      -newer "$SKIFF_BUILD_STAMP" -print 2>/dev/null | head -n 1) || true
}

ensure_built() {
  local reason=""
  if [ ! -f "$SKIFF_BUILD_STAMP" ]; then
    reason="no build stamp"
  else
    local p
    for p in "$SKIFF_REPO"/packages/*/; do
      if [ -d "$p/src" ] && [ -n "$(ls -A "$p/src" 2>/dev/null)" ] && [ ! -d "$p/dist" ]; then
        reason="${p#"$SKIFF_REPO"/}dist missing"; break
      fi
    done
    if [ -z "$reason" ]; then
      local newer; newer="$(_build_newer_than_stamp)"
      [ -z "$newer" ] || reason="$newer changed"
    fi
  fi
  if [ -n "$reason" ]; then
    log "building ($reason): npm run build"
    run_build
  fi
}

# Always build (tsc -b is incremental); refresh the stamp on success.
run_build() {
  local stamp_tmp="$SKIFF_BUILD_STAMP.tmp.$$"
  mkdir -p "$(dirname "$SKIFF_BUILD_STAMP")"
  : >"$stamp_tmp"   # taken before the build so edits made during it count as newer
  if (cd "$SKIFF_REPO" && npm run --silent build); then
    mv -f "$stamp_tmp" "$SKIFF_BUILD_STAMP"
  else
    rm -f "$stamp_tmp"
    die "npm run build failed"
  fi
}

# ---------------------------------------------------------------------------
# Processes and pid files
#
# Our pid files hold two lines: the PID, and the process's command line as we
# started it (NUL separators shown as spaces). pid_alive only believes a PID
# whose /proc/<pid>/cmdline still equals that line, so a recycled PID is never
# taken for ours (and never signalled).
# ---------------------------------------------------------------------------

# Command line of a PID, NULs as spaces, no trailing space. Empty if gone (or zombie).
_proc_cmdline() {
  [ -r "/proc/$1/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | sed 's/ $//'
}

_proc_running() { # exists and is not a zombie
  local st
  [ -r "/proc/$1/stat" ] || return 1
  st="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# pid_alive <pidfile> [expected-program]
# True when the pid file names a running process whose command line matches.
# With a one-line pid file (not ours, e.g. /var/run/docker.pid) the
# expected-program (basename of argv[0]) must be given.
pid_alive() {
  local file="$1" expect="${2:-}" pid want have
  [ -f "$file" ] || return 1
  pid="$(sed -n 1p "$file" 2>/dev/null | tr -dc '0-9')"
  want="$(sed -n 2p "$file" 2>/dev/null)"
  [ -n "$pid" ] && [ "$pid" -gt 1 ] || return 1
  _proc_running "$pid" || return 1
  have="$(_proc_cmdline "$pid")" || return 1
  [ -n "$have" ] || return 1
  if [ -n "$want" ]; then
    [ "$have" = "$want" ] || return 1
  fi
  if [ -n "$expect" ]; then
    local argv0="${have%% *}"
    [ "$(basename -- "$argv0")" = "$expect" ] || return 1
  fi
  [ -n "$want" ] || [ -n "$expect" ]
}

pid_of() { sed -n 1p "$1" 2>/dev/null | tr -dc '0-9'; }

# start_bg <name> <pidfile> <logfile> cmd args...
# Starts cmd detached (own session, stdin from /dev/null, output appended to
# logfile, inherited descriptors above 2 closed) and writes the pid file.
start_bg() {
  local name="$1" pidfile="$2" logfile="$3"; shift 3
  local exe; exe="$(command -v "$1")" || die "$name: command not found: $1"
  shift
  set -- "$exe" "$@"
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
  printf '\n==== %s: starting %s: %s\n' "$(date '+%F %T')" "$name" "$*" >>"$logfile"
  (
    # Do not hand our callers' pipes (CI harness, tee, ...) to a daemon.
    for fd in "/proc/$BASHPID/fd/"*; do
      fd="${fd##*/}"
      case "$fd" in 0|1|2) ;; *) [ "$fd" -gt 2 ] 2>/dev/null && { eval "exec $fd>&-" 2>/dev/null || true; } ;; esac
    done
    cd "$SKIFF_REPO" && exec setsid nohup "$@" </dev/null >>"$logfile" 2>&1
  ) &
  local pid=$!
  disown "$pid" 2>/dev/null || true   # a daemon, not a job of this shell
  local want; want="$(IFS=' '; printf '%s' "$*")"
  printf '%s\n%s\n' "$pid" "$want" >"$pidfile"
  # Wait until the exec chain (subshell -> setsid -> nohup -> cmd) has landed on cmd.
  local i
  for i in $(seq 1 50); do
    if pid_alive "$pidfile"; then
      log "$name started (pid $pid), log: $logfile"
      return 0
    fi
    _proc_running "$pid" || break
    sleep 0.1
  done
  if _proc_running "$pid"; then
    # Still running but its command line differs (it rewrote it?). Record what it is.
    printf '%s\n%s\n' "$pid" "$(_proc_cmdline "$pid")" >"$pidfile"
    warn "$name (pid $pid) shows a different command line than started; recorded it"
    return 0
  fi
  rm -f "$pidfile"
  warn "$name exited right after start; last lines of $logfile:"
  tail -n 30 "$logfile" >&2 || true
  return 1
}

# stop_pid <pidfile> [timeout-seconds] [label]
# SIGTERM by PID, wait up to timeout (default 10 s), then SIGKILL; removes the pid file.
# Only signals a PID that pid_alive vouches for. Prints what it did. Returns 0
# also when there was nothing to stop.
stop_pid() {
  local file="$1" timeout="${2:-10}" label="${3:-$(basename "$1" .pid)}" pid
  if [ ! -f "$file" ]; then
    return 0
  fi
  pid="$(pid_of "$file")"
  if ! pid_alive "$file"; then
    log "$label: not running (removed stale pid file, pid ${pid:-?})"
    rm -f "$file"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while _proc_running "$pid" && [ "$waited" -lt $((timeout * 10)) ]; do
    sleep 0.1; waited=$((waited + 1))
  done
  if _proc_running "$pid"; then
    # Re-check identity before the hard kill.
    if pid_alive "$file"; then
      warn "$label (pid $pid) did not stop within ${timeout}s; sending SIGKILL"
      local pgid; pgid="$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" || true
      kill -KILL "$pid" 2>/dev/null || true
      # start_bg made it leader of its own process group: its helpers go too.
      if [ "$pgid" = "$pid" ]; then
        kill -KILL -- "-$pid" 2>/dev/null || true
      fi
      for _ in $(seq 1 50); do _proc_running "$pid" || break; sleep 0.1; done
    fi
  fi
  rm -f "$file"
  log "$label: stopped (pid $pid)"
  return 0
}

# tcp_port_open <port> [host]: something accepts connections there.
tcp_port_open() {
  (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null
}

# unix_socket_live <path>: something accepts connections on that unix socket.
unix_socket_live() {
  [ -S "$1" ] || return 1
  node -e '
    const s = require("net").connect(process.argv[1]);
    const t = setTimeout(() => process.exit(1), 3000);
    s.on("connect", () => { clearTimeout(t); s.destroy(); process.exit(0); });
    s.on("error", () => process.exit(1));' "$1" 2>/dev/null
}

# https_get <url>: prints the body of a GET (no certificate checks), fails on error.
https_get() {
  if command -v curl >/dev/null 2>&1; then
    curl -sk --max-time 5 --fail "$1"
  else
    node -e '
      const u = process.argv[1];
      const req = require(u.startsWith("https") ? "https" : "http").get(u, { rejectUnauthorized: false, timeout: 5000 }, (res) => {
        let b = ""; res.on("data", (c) => (b += c));
        res.on("end", () => { process.stdout.write(b); process.exit(res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1); });
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", () => process.exit(1));' "$1"
  fi
}

# ---------------------------------------------------------------------------
# Docker
# ---------------------------------------------------------------------------

docker_ok() {
  env -u DOCKER_HOST -u DOCKER_CONTEXT timeout 15 docker -H "unix://$SKIFF_DOCKER_SOCK" info --format '{{.ServerVersion}}' >/dev/null 2>&1
}

# dockerd needs mounted cgroups. Normally the machine has them (v1 hierarchies or
# a v2 unified mount); on a bare boot without systemd nothing may be mounted.
ensure_cgroups() {
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then return 0; fi                 # v2
  if grep -qE '^[^ ]+ /sys/fs/cgroup/[^ ]+ cgroup ' /proc/mounts; then return 0; fi # v1
  log "no cgroup filesystem mounted; mounting cgroup2 on /sys/fs/cgroup"
  mkdir -p /sys/fs/cgroup
  if mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null; then return 0; fi
  # Fall back to v1 hierarchies, like Debian's cgroupfs-mount.
  mount -t tmpfs -o uid=0,gid=0,mode=0755 cgroup /sys/fs/cgroup || die "cannot mount cgroups"
  local ss
  while read -r ss; do
    mkdir -p "/sys/fs/cgroup/$ss"
    mountpoint -q "/sys/fs/cgroup/$ss" || mount -n -t cgroup -o "$ss" cgroup "/sys/fs/cgroup/$ss" || true
  done < <(awk '!/^#/ { if ($4 == 1) print $1 }' /proc/cgroups)
}

# Leftovers of a dockerd that died without cleaning up make the next one fail.
_docker_clean_stale() {
  local pidf=/var/run/docker.pid pid
  if [ -f "$pidf" ]; then
    pid="$(pid_of "$pidf")"
    if ! pid_alive "$pidf" dockerd; then
      log "removing stale $pidf (pid ${pid:-?} is not a running dockerd)"
      rm -f "$pidf"
    fi
  fi
  if [ -S "$SKIFF_DOCKER_SOCK" ] && ! unix_socket_live "$SKIFF_DOCKER_SOCK"; then
    log "removing stale socket $SKIFF_DOCKER_SOCK"
    rm -f "$SKIFF_DOCKER_SOCK"
  fi
  # dockerd's own containerd: a pid file naming a dead or foreign process.
  local cpidf=/var/run/docker/containerd/containerd.pid
  if [ -f "$cpidf" ] && ! pid_alive "$cpidf" containerd; then
    log "removing stale $cpidf"
    rm -f "$cpidf"
  fi
  # dockerd uses a system containerd whenever its socket file exists; a dead
  # socket makes dockerd hang on "failed to dial containerd".
  local csock=/run/containerd/containerd.sock
  if [ -S "$csock" ] && ! unix_socket_live "$csock"; then
    log "removing stale $csock (no containerd listening)"
    rm -f "$csock"
  fi
}

# Use the running Docker engine on the default socket, or start one we own.
ensure_dockerd() {
  local pidfile="$SKIFF_RUN/dockerd.pid" logfile="$SKIFF_LOGS/dockerd.log"
  SKIFF_DOCKERD_STARTED=0
  if docker_ok; then
    if pid_alive "$pidfile"; then
      log "dockerd already running (ours, pid $(pid_of "$pidfile"))"
    else
      [ ! -f "$pidfile" ] || rm -f "$pidfile"
      log "using the Docker engine already running on $SKIFF_DOCKER_SOCK (not started by skiff)"
    fi
    return 0
  fi
  local waitfor=60 i
  if pid_alive "$pidfile"; then
    log "dockerd (ours, pid $(pid_of "$pidfile")) is not answering yet; waiting"
  elif pid_alive /var/run/docker.pid dockerd; then
    log "a dockerd not started by skiff (pid $(pid_of /var/run/docker.pid)) is starting; waiting"
  else
    [ ! -f "$pidfile" ] || { log "removing stale $pidfile"; rm -f "$pidfile"; }
    command -v dockerd >/dev/null 2>&1 || die "dockerd not installed (ensure_system_packages)"
    ensure_cgroups
    _docker_clean_stale
    log "starting dockerd"
    start_bg dockerd "$pidfile" "$logfile" dockerd || die "dockerd failed to start (see $logfile)"
    SKIFF_DOCKERD_STARTED=1
  fi
  printf '[skiff] waiting for Docker ' >&2
  for i in $(seq 1 "$waitfor"); do
    if docker_ok; then printf ' ok\n' >&2; return 0; fi
    if [ "$SKIFF_DOCKERD_STARTED" = 1 ] && ! pid_alive "$pidfile"; then break; fi
    printf '.' >&2; sleep 1
  done
  printf ' failed\n' >&2
  tail -n 30 "$logfile" >&2 2>/dev/null || true
  die "Docker did not become ready on $SKIFF_DOCKER_SOCK within ${waitfor}s (log: $logfile)"
}

# ---------------------------------------------------------------------------
# etcd
# ---------------------------------------------------------------------------

etcd_healthy() { # <client-port>
  tcp_port_open "$1" || return 1
  ETCDCTL_API=3 timeout 10 etcdctl --endpoints "http://127.0.0.1:$1" --dial-timeout=2s --command-timeout=3s \
    endpoint health >/dev/null 2>&1
}

# ensure_etcd <name> <data-dir> <client-port> <peer-port>
# One-member etcd on 127.0.0.1. Pid file $SKIFF_RUN/etcd-<name>.pid, log
# $SKIFF_LOGS/etcd-<name>.log. Keeps the data dir across restarts.
ensure_etcd() {
  local name="$1" data="$2" cport="$3" pport="$4"
  local pidfile="$SKIFF_RUN/etcd-$name.pid" logfile="$SKIFF_LOGS/etcd-$name.log"
  local url="http://127.0.0.1:$cport" purl="http://127.0.0.1:$pport"
  SKIFF_ETCD_STARTED=0
  if pid_alive "$pidfile"; then
    if etcd_healthy "$cport"; then
      log "etcd $name already running (pid $(pid_of "$pidfile")) on $url"
      return 0
    fi
    log "etcd $name (pid $(pid_of "$pidfile")) running but not healthy yet; waiting"
  else
    if [ -f "$pidfile" ]; then
      log "etcd $name: removing stale pid file (pid $(pid_of "$pidfile") is gone)"
      rm -f "$pidfile"
    fi
    if etcd_healthy "$cport"; then
      log "reusing a healthy etcd on $url that skiff did not start (down will not stop it; its data is not in $data)"
      return 0
    fi
    tcp_port_open "$cport" && die "port $cport is in use by something that is not a healthy etcd"
    tcp_port_open "$pport" && die "etcd peer port $pport is in use"
    mkdir -p "$data" && chmod 700 "$data" && data="$(cd "$data" && pwd)"
    start_bg "etcd $name" "$pidfile" "$logfile" etcd \
      --name "$name" \
      --data-dir "$data" \
      --listen-client-urls "$url" \
      --advertise-client-urls "$url" \
      --listen-peer-urls "$purl" \
      --initial-advertise-peer-urls "$purl" \
      --initial-cluster "$name=$purl" \
      --initial-cluster-state new \
      --initial-cluster-token "skiff-$name" \
      --auto-compaction-mode periodic \
      --auto-compaction-retention "${SKIFF_ETCD_COMPACTION:-1h}" \
      --quota-backend-bytes 4294967296 \
      --logger zap --log-outputs stderr \
      || die "etcd $name failed to start (see $logfile)"
    SKIFF_ETCD_STARTED=1
  fi
  printf '[skiff] waiting for etcd %s on %s ' "$name" "$url" >&2
  for _ in $(seq 1 60); do
    if etcd_healthy "$cport"; then printf ' healthy\n' >&2; return 0; fi
    pid_alive "$pidfile" || break
    printf '.' >&2; sleep 1
  done
  printf ' failed\n' >&2
  tail -n 30 "$logfile" >&2 || true
  die "etcd $name did not become healthy on $url (log: $logfile)"
}
