#!/usr/bin/env bash
# deploy/install.sh: install Skiff on a Debian or Ubuntu host run by systemd.
#
#   install.sh --role master --advertise-address IP [--etcd local|URLS] [--etcd-members N=IP,...]
#   install.sh --role agent  --join HOST:9443 --token ID.SECRET --ca-hash sha256:HEX [--node-ip IP]
#   install.sh --role etcd   --advertise-address IP --etcd-members N=IP,N=IP,N=IP
#
# Copies Skiff (built dist, node_modules, proto) from the repository this script is in
# to /opt/skiff, writes /etc/skiff/{master.yaml,agent.yaml,etcd.env}, installs the units
# of deploy/systemd/ and enables them. `--dry-run` prints every step and runs nothing;
# with `--root DIR` it also writes the files it would write under DIR instead of /.
# Run `install.sh --help` for every option; deploy/README.md explains them.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SOURCE="$(cd "$SCRIPT_DIR/.." && pwd)"
PREFIX=/opt/skiff
CONF_DIR=/etc/skiff
UNIT_DIR=/etc/systemd/system
BIN_DIR=/usr/local/bin
STATE_DIR=/var/lib/skiff
MASTER_HOME=$STATE_DIR/master
PAUSE_IMAGE=skiff/pause:3.9
CONFIG_API_VERSION=skiff.io/v1alpha1

ROLE="" ETCD=local ETCD_MEMBERS="" ETCD_NAME="" ADVERTISE="" NODE_IP="" NODE_NAME=""
JOIN="" TOKEN="" CA_HASH="" ALLOWED_REGISTRIES="" JOIN_COMMAND_FILE="" NODE_BIN=/usr/bin/node
SECURE_PORT=6443 GATEWAY_PORT=9443 DRY=0 ROOT="" START=1 PACKAGES=1

usage() {
  cat <<'EOF'
usage: install.sh --role master|agent|etcd [options]

roles:
  master   skiff-master (+ an etcd member with --etcd local, the default)
  agent    skiff-agent and Docker; joins a master with --join/--token/--ca-hash
  etcd     only an etcd member of the cluster named by --etcd-members

master:
  --advertise-address IP   address agents and clients use (required); also the address
                           of this host's etcd member with --etcd-members
  --etcd local|URLS        local: an etcd member on this host (default);
                           URLS: use that etcd (http://10.0.0.5:2379,http://...), none here
  --etcd-members N=IP,...  the etcd cluster's members (e.g. 3); this host runs the member
                           whose IP is --advertise-address (or --etcd-name) and the
                           master uses every member's client URL
  --etcd-name NAME         this host's member in --etcd-members (default: by address)
  --secure-port PORT       apiserver port (6443)
  --agent-gateway-port P   agent gateway port (9443)
  --join-command-file FILE once the master serves, write `skiff-agent --join ...` there
                           (in the background: a cluster's etcd may wait for its peers)
agent:
  --join HOST:PORT --token ID.SECRET --ca-hash sha256:HEX   (from `skiff token create
                           --print-join-command` on the master; all three required)
  --node-ip IP             this node's address (default: the agent picks the address on
                           the route to the master)
  --node-name NAME         node name (default: hostname)
  --allowed-registries L   registries pulls may use (comma list; default: any)
etcd:
  --advertise-address IP --etcd-members N=IP,... [--etcd-name NAME]
common:
  --node-binary PATH       node to run Skiff with (default /usr/bin/node; Debian's
                           nodejs is installed when it is missing)
  --source DIR             Skiff repository to copy (default: the one holding this script)
  --no-packages            do not apt-get install anything
  --no-start               install and enable the units but do not start them
  --dry-run                print every step, change nothing
  --root DIR               with --dry-run: write the files under DIR instead of /
  -h, --help
EOF
}

die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
need() { [ -n "${2:-}" ] || die "$1 needs a value (see --help)"; }

while [ $# -gt 0 ]; do
  opt="$1"; val=""
  case "$opt" in
    --*=*) val="${opt#*=}"; opt="${opt%%=*}"; shift ;;
    --dry-run|--no-start|--no-packages|-h|--help) shift ;;
    --*) val="${2:-}"; if [ $# -ge 2 ]; then shift 2; else shift; fi ;;
    *) die "unexpected argument: $opt (see --help)" ;;
  esac
  case "$opt" in
    --role) need "$opt" "$val"; ROLE="$val" ;;
    --etcd) need "$opt" "$val"; ETCD="$val" ;;
    --etcd-members) need "$opt" "$val"; ETCD_MEMBERS="$val" ;;
    --etcd-name) need "$opt" "$val"; ETCD_NAME="$val" ;;
    --advertise-address) need "$opt" "$val"; ADVERTISE="$val" ;;
    --secure-port) need "$opt" "$val"; SECURE_PORT="$val" ;;
    --agent-gateway-port) need "$opt" "$val"; GATEWAY_PORT="$val" ;;
    --join-command-file) need "$opt" "$val"; JOIN_COMMAND_FILE="$val" ;;
    --join) need "$opt" "$val"; JOIN="$val" ;;
    --token) need "$opt" "$val"; TOKEN="$val" ;;
    --ca-hash) need "$opt" "$val"; CA_HASH="$val" ;;
    --node-ip) need "$opt" "$val"; NODE_IP="$val" ;;
    --node-name) need "$opt" "$val"; NODE_NAME="$val" ;;
    --allowed-registries) need "$opt" "$val"; ALLOWED_REGISTRIES="$val" ;;
    --node-binary) need "$opt" "$val"; NODE_BIN="$val" ;;
    --source) need "$opt" "$val"; SOURCE="$(cd "$val" && pwd)" || die "--source: no directory $val" ;;
    --root) need "$opt" "$val"; ROOT="$val" ;;
    --dry-run) DRY=1 ;;
    --no-start) START=0 ;;
    --no-packages) PACKAGES=0 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option: $opt (see --help)" ;;
  esac
done

# ---------------------------------------------------------------------------
# Checks of the options (before anything is done)
# ---------------------------------------------------------------------------
is_ipv4() { [[ "$1" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] && [ "${BASH_REMATCH[1]}" -le 255 ] && [ "${BASH_REMATCH[2]}" -le 255 ] && [ "${BASH_REMATCH[3]}" -le 255 ] && [ "${BASH_REMATCH[4]}" -le 255 ]; }
is_port() { [[ "$1" =~ ^[0-9]{1,5}$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

case "$ROLE" in
  master|agent|etcd) ;;
  "") die "--role is required: master, agent or etcd (see --help)" ;;
  *) die "--role: want master, agent or etcd, got \"$ROLE\"" ;;
esac
[ -z "$ROOT" ] || [ "$DRY" = 1 ] || die "--root only goes with --dry-run"
if [ -n "$ROOT" ]; then mkdir -p "$ROOT" && ROOT="$(cd "$ROOT" && pwd)"; [ "$ROOT" != / ] || ROOT=""; fi
[ "$DRY" = 1 ] || [ "$(id -u)" = 0 ] || die "run as root (or try --dry-run)"
[[ "$NODE_BIN" = /* ]] || die "--node-binary: want an absolute path, got \"$NODE_BIN\""

# Members: "name=ip,name=ip" -> arrays
MEMBER_NAMES=() MEMBER_IPS=()
if [ -n "$ETCD_MEMBERS" ]; then
  IFS=',' read -r -a _members <<<"$ETCD_MEMBERS"
  for m in "${_members[@]}"; do
    [[ "$m" =~ ^([a-z0-9][a-z0-9.-]*)=([0-9.]+)$ ]] || die "--etcd-members: want name=IPv4,name=IPv4,..., got \"$m\""
    _name="${BASH_REMATCH[1]}" _ip="${BASH_REMATCH[2]}"
    is_ipv4 "$_ip" || die "--etcd-members: want name=IPv4,name=IPv4,..., got \"$m\""
    for _n in "${MEMBER_NAMES[@]}"; do [ "$_n" != "$_name" ] || die "--etcd-members: member $_name given twice"; done
    MEMBER_NAMES+=("$_name"); MEMBER_IPS+=("$_ip")
  done
  [ "${#MEMBER_NAMES[@]}" -ge 1 ] || die "--etcd-members: empty"
fi

# Which member is this host? By --etcd-name, else by address.
ETCD_LOCAL=0 ETCD_SELF_IP=""
find_self_member() {
  local i
  for i in "${!MEMBER_NAMES[@]}"; do
    if { [ -n "$ETCD_NAME" ] && [ "${MEMBER_NAMES[$i]}" = "$ETCD_NAME" ]; } ||
       { [ -z "$ETCD_NAME" ] && [ "${MEMBER_IPS[$i]}" = "$ADVERTISE" ]; }; then
      ETCD_NAME="${MEMBER_NAMES[$i]}"; ETCD_SELF_IP="${MEMBER_IPS[$i]}"; return 0
    fi
  done
  return 1
}

ETCD_SERVERS=""
case "$ROLE" in
  master)
    [ -n "$ADVERTISE" ] || die "--role master needs --advertise-address (the address agents use to reach it)"
    is_ipv4 "$ADVERTISE" || die "--advertise-address: want an IPv4 address, got \"$ADVERTISE\""
    is_port "$SECURE_PORT" || die "--secure-port: want a port number, got \"$SECURE_PORT\""
    is_port "$GATEWAY_PORT" || die "--agent-gateway-port: want a port number, got \"$GATEWAY_PORT\""
    if [ "$ETCD" = local ]; then
      ETCD_LOCAL=1
      if [ -n "$ETCD_MEMBERS" ]; then
        find_self_member || die "--etcd local with --etcd-members: this host (${ETCD_NAME:-$ADVERTISE}) is not one of the members; pass --etcd-name or --etcd URLS"
        ETCD_SERVERS="$(for ip in "${MEMBER_IPS[@]}"; do printf 'http://%s:2379,' "$ip"; done)"; ETCD_SERVERS="${ETCD_SERVERS%,}"
      else
        ETCD_SERVERS=http://127.0.0.1:2379
        ETCD_NAME="${ETCD_NAME:-skiff}"
      fi
    else
      [ -z "$ETCD_MEMBERS" ] || die "--etcd-members goes with --etcd local (this host runs one of the members)"
      IFS=',' read -r -a _urls <<<"$ETCD"
      for u in "${_urls[@]}"; do [[ "$u" =~ ^https?://[^/,[:space:]]+$ ]] || die "--etcd: want local or URLs like http://10.0.0.5:2379, got \"$u\""; done
      ETCD_SERVERS="$ETCD"
    fi
    [ -z "$JOIN$TOKEN$CA_HASH" ] || die "--join/--token/--ca-hash are agent options"
    ;;
  agent)
    [ -n "$JOIN" ] && [ -n "$TOKEN" ] && [ -n "$CA_HASH" ] || die "--role agent needs --join HOST:PORT --token ID.SECRET --ca-hash sha256:HEX (run 'skiff token create --print-join-command' on the master)"
    [[ "$JOIN" =~ ^[^:[:space:]]+:[0-9]+$ ]] || die "--join: want host:port, got \"$JOIN\""
    [[ "$TOKEN" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || die "--token: want a bootstrap token like abcdef.0123456789abcdef"
    [[ "$CA_HASH" =~ ^sha256:[0-9a-f]{64}$ ]] || die "--ca-hash: want sha256:<64 hex digits>, got \"$CA_HASH\""
    [ -z "$NODE_IP" ] || is_ipv4 "$NODE_IP" || die "--node-ip: want an IPv4 address, got \"$NODE_IP\""
    [ -z "$NODE_NAME" ] || [[ "$NODE_NAME" =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || die "--node-name: want a lower-case DNS name, got \"$NODE_NAME\""
    [ -z "$ETCD_MEMBERS" ] || die "--etcd-members: an agent host runs its etcd member with a separate 'install.sh --role etcd'"
    [ -z "$JOIN_COMMAND_FILE" ] || die "--join-command-file is a master option"
    ;;
  etcd)
    [ -n "$ETCD_MEMBERS" ] || die "--role etcd needs --etcd-members"
    [ -n "$ADVERTISE" ] || [ -n "$ETCD_NAME" ] || die "--role etcd needs --advertise-address (or --etcd-name)"
    [ -z "$ADVERTISE" ] || is_ipv4 "$ADVERTISE" || die "--advertise-address: want an IPv4 address, got \"$ADVERTISE\""
    find_self_member || die "this host (${ETCD_NAME:-$ADVERTISE}) is not one of --etcd-members"
    ETCD_LOCAL=1
    ;;
esac

# The repository must be built (dist/ and node_modules/ are copied, not built here).
for f in package.json node_modules proto packages/master/dist/main.js packages/agent/dist/main.js packages/master/dist/skiff.js packages/api/generated/schemas.json; do
  [ -e "$SOURCE/$f" ] || die "$SOURCE/$f is missing: build Skiff first (npm ci && npm run build in $SOURCE)"
done

# ---------------------------------------------------------------------------
# Steps: printed always, run unless --dry-run
# ---------------------------------------------------------------------------
STEP=0
step() { STEP=$((STEP + 1)); printf '==> [%d] %s\n' "$STEP" "$*"; }
note() { printf '    %s\n' "$*"; }
quote() { local out="" a; for a in "$@"; do if [[ "$a" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then out+="$a "; else out+="'${a//\'/\'\\\'\'}' "; fi; done; printf '%s' "${out% }"; }
run() { printf '    $ %s\n' "$(quote "$@")"; [ "$DRY" = 1 ] || "$@"; }
# Files go to $ROOT$path; written for real, or under --root in a dry run.
writes() { [ "$DRY" = 0 ] || [ -n "$ROOT" ]; }

# write_file PATH MODE [OWNER:GROUP] < content
write_file() {
  local path="$1" mode="$2" owner="${3:-}" dest="$ROOT$1" tmp
  printf '    write %s (mode %s%s)\n' "$path" "$mode" "${owner:+, owner $owner}"
  if writes; then
    mkdir -p "$(dirname "$dest")"
    tmp="$(mktemp "$dest.XXXXXX")"
    cat >"$tmp"
    chmod "$mode" "$tmp"
    [ "$DRY" = 1 ] || [ -z "$owner" ] || chown "$owner" "$tmp"
    mv -f "$tmp" "$dest"
  else
    cat >/dev/null
  fi
}

# install_unit NAME: deploy/systemd/NAME -> /etc/systemd/system/NAME (node path substituted)
install_unit() {
  local src="$SCRIPT_DIR/systemd/$1"
  [ -f "$src" ] || die "missing unit file $src"
  if [ "$NODE_BIN" = /usr/bin/node ]; then
    write_file "$UNIT_DIR/$1" 0644 <"$src"
  else
    sed "s#^ExecStart=/usr/bin/node #ExecStart=$NODE_BIN #" "$src" | write_file "$UNIT_DIR/$1" 0644
  fi
}

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# install_packages PKG...: apt-get install those that are missing.
APT_UPDATED=0
install_packages() {
  step "install packages (those missing): $*"
  if [ "$PACKAGES" = 0 ]; then note "skipped (--no-packages)"; return 0; fi
  local missing=() p
  if [ "$DRY" = 1 ]; then missing=("$@"); else for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done; fi
  if [ "${#missing[@]}" -eq 0 ]; then note "all installed"; return 0; fi
  command -v apt-get >/dev/null 2>&1 || [ "$DRY" = 1 ] || die "no apt-get: install ${missing[*]} yourself and re-run with --no-packages"
  # Keep package scripts from starting services (Debian's etcd.service would take
  # 2379 before skiff-etcd): policy-rc.d exit 101 = "do not start", for this install only.
  local policy=/usr/sbin/policy-rc.d made=0
  if [ "$DRY" = 0 ] && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, from skiff deploy/install.sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; made=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  if [ "$APT_UPDATED" = 0 ]; then run env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -q; APT_UPDATED=1; fi
  run env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}"
  if [ "$made" = 1 ]; then rm -f "$policy"; trap - EXIT; fi
}

ensure_node() {
  step "Node.js for Skiff: $NODE_BIN (>= 18; Debian's nodejs when missing)"
  if [ "$DRY" = 1 ]; then
    note "if $NODE_BIN is missing: apt-get install nodejs (needs a candidate >= 18; Debian 12 has 18.20)"
    return 0
  fi
  if [ ! -x "$NODE_BIN" ]; then
    [ "$NODE_BIN" = /usr/bin/node ] || die "--node-binary $NODE_BIN does not exist"
    [ "$PACKAGES" = 1 ] || die "$NODE_BIN is missing and --no-packages was given: install Node.js >= 18"
    local cand
    cand="$(apt-cache policy nodejs 2>/dev/null | sed -n 's/^ *Candidate: *//p' | sed 's/^[0-9]*://')"
    case "$cand" in
      ""|"(none)") die "Node.js is missing and this system's apt has no nodejs package: install Node.js 20 (e.g. from https://deb.nodesource.com) and re-run" ;;
    esac
    [ "${cand%%.*}" -ge 18 ] 2>/dev/null || die "Node.js is missing and this system's nodejs package is $cand (< 18): install Node.js 20 (e.g. from https://deb.nodesource.com) and re-run"
    install_packages nodejs
  fi
  local v major
  v="$("$NODE_BIN" --version)" || die "$NODE_BIN --version failed"
  major="${v#v}"; major="${major%%.*}"
  [ "$major" -ge 18 ] || die "$NODE_BIN is $v: Skiff needs Node.js >= 18 (20 recommended)"
  [ "$major" -ge 20 ] || note "warning: $NODE_BIN is $v; Skiff is developed and tested on Node.js 20 (package.json: engines node >= 20)"
  note "using $NODE_BIN $v"
}

# copy_skiff: the built repository -> /opt/skiff (replacing a previous copy)
copy_skiff() {
  step "copy Skiff from $SOURCE to $PREFIX"
  local items=(package.json package-lock.json node_modules proto deploy) p d
  for p in "$SOURCE"/packages/*/; do
    p="${p%/}"; p="packages/${p##*/}"
    [ -f "$SOURCE/$p/package.json" ] || continue
    for d in package.json README.md dist generated images; do [ -e "$SOURCE/$p/$d" ] && items+=("$p/$d"); done
  done
  note "copy: package.json package-lock.json node_modules proto deploy packages/*/{package.json,README.md,dist,generated,images}"
  note "(without compiled tests, *.tsbuildinfo, node_modules/.cache; the previous copy is replaced)"
  if writes; then
    local dest="$ROOT$PREFIX"
    rm -rf "$dest.new" && mkdir -p "$dest.new"
    tar -C "$SOURCE" -cf - --exclude='*.test.js' --exclude='*.test.js.map' --exclude='*.test.d.ts' \
      --exclude='*.test.d.ts.map' --exclude='*.tsbuildinfo' --exclude='node_modules/.cache' \
      --exclude='.skiff-build-stamp' "${items[@]}" | tar -C "$dest.new" -xf -
    rm -rf "$dest.old"
    [ ! -e "$dest" ] || mv "$dest" "$dest.old"
    mv "$dest.new" "$dest"
    rm -rf "$dest.old"
  fi
}

# wrapper NAME BODY: /usr/local/bin/NAME
wrapper() {
  printf '#!/bin/sh\n# Written by skiff deploy/install.sh.\n%s\n' "$2" | write_file "$BIN_DIR/$1" 0755
}

etcd_env() {
  local name="$ETCD_NAME" ip="${ETCD_SELF_IP:-127.0.0.1}" cluster="" i state=new token
  if [ -n "$ETCD_MEMBERS" ]; then
    for i in "${!MEMBER_NAMES[@]}"; do cluster+="${MEMBER_NAMES[$i]}=http://${MEMBER_IPS[$i]}:2380,"; done
    cluster="${cluster%,}"
    token="skiff-$(printf '%s' "$cluster" | cksum | cut -d' ' -f1)"
  else
    cluster="$name=http://127.0.0.1:2380"; token=skiff-local
  fi
  cat <<EOF
# etcd settings for skiff-etcd.service (etcd reads ETCD_* variables itself).
# Written by skiff deploy/install.sh; re-run it to change them.
ETCD_NAME=$name
ETCD_DATA_DIR=$STATE_DIR/etcd
ETCD_LISTEN_CLIENT_URLS=$( [ "$ip" = 127.0.0.1 ] && echo http://127.0.0.1:2379 || echo "http://127.0.0.1:2379,http://$ip:2379")
ETCD_ADVERTISE_CLIENT_URLS=http://$ip:2379
ETCD_LISTEN_PEER_URLS=http://$ip:2380
ETCD_INITIAL_ADVERTISE_PEER_URLS=http://$ip:2380
ETCD_INITIAL_CLUSTER=$cluster
ETCD_INITIAL_CLUSTER_STATE=$state
ETCD_INITIAL_CLUSTER_TOKEN=$token
ETCD_AUTO_COMPACTION_MODE=periodic
ETCD_AUTO_COMPACTION_RETENTION=1h
ETCD_QUOTA_BACKEND_BYTES=4294967296
ETCD_LOGGER=zap
ETCD_LOG_OUTPUTS=stderr
EOF
}

install_etcd_member() {
  step "etcd member $ETCD_NAME (${ETCD_SELF_IP:-127.0.0.1}) of: ${ETCD_MEMBERS:-this host only}"
  etcd_env | write_file "$CONF_DIR/etcd.env" 0644
  install_unit skiff-etcd.service
}

systemd_units() { # units to (re)start, in order
  step "systemd: reload, enable and start $*"
  run systemctl daemon-reload
  if [ "$ETCD_LOCAL" = 1 ]; then
    # Debian's etcd-server ships etcd.service on 2379/2380; skiff-etcd replaces it.
    if [ "$DRY" = 1 ] || systemctl cat etcd.service >/dev/null 2>&1; then
      run systemctl disable --now etcd.service
    fi
  fi
  local u
  for u in "$@"; do
    if [ "$START" = 0 ]; then
      run systemctl enable "$u"
    elif [ -n "$ETCD_MEMBERS" ]; then
      # A new cluster member is "activating" until a quorum of members is up, and the
      # master is ordered after it: queue the start jobs without waiting for them.
      run systemctl enable "$u"
      run systemctl restart --no-block "$u"
    else
      run systemctl enable "$u"
      run systemctl restart "$u"
    fi
  done
}

# ---------------------------------------------------------------------------
printf 'skiff install: role %s%s\n' "$ROLE" "$( [ "$DRY" = 1 ] && printf ' (dry run%s)' "${ROOT:+, files under $ROOT}")"
printf 'source: %s\n' "$SOURCE"

case "$ROLE" in
master)
  if [ "$ETCD_LOCAL" = 1 ]; then install_packages etcd-server etcd-client; fi
  ensure_node
  step "system user skiff (runs skiff-master)"
  if [ "$DRY" = 1 ] || ! id skiff >/dev/null 2>&1; then
    run useradd --system --user-group --home-dir "$MASTER_HOME" --no-create-home --shell /usr/sbin/nologin skiff
  else
    note "exists"
  fi
  copy_skiff
  step "commands in $BIN_DIR"
  wrapper skiff-master "exec $NODE_BIN $PREFIX/packages/master/dist/main.js \"\$@\""
  wrapper skiff "# Operator commands against this master's etcd and CA, e.g. skiff token create --print-join-command
export SKIFF_HOME=$MASTER_HOME
case \" \$* \" in *' --etcd-servers'*) ;; *) set -- \"\$@\" --etcd-servers $ETCD_SERVERS ;; esac
case \" \$* \" in *' --join-address'*) ;; *) set -- \"\$@\" --join-address $ADVERTISE ;; esac
case \" \$* \" in *' --agent-gateway-port'*) ;; *) set -- \"\$@\" --agent-gateway-port $GATEWAY_PORT ;; esac
exec $NODE_BIN $PREFIX/packages/master/dist/skiff.js \"\$@\""
  [ ! -d "$SOURCE/packages/ctl/dist" ] || wrapper skiffctl "exec $NODE_BIN $PREFIX/packages/ctl/dist/main.js \"\$@\""
  if [ "$ETCD_LOCAL" = 1 ]; then install_etcd_member; fi
  step "master configuration"
  write_file "$CONF_DIR/master.yaml" 0640 root:skiff <<EOF
# skiff-master settings (keys = the command-line flags in camelCase).
# Written by skiff deploy/install.sh; see /opt/skiff/deploy/README.md.
apiVersion: $CONFIG_API_VERSION
kind: MasterConfiguration
home: $MASTER_HOME
etcdServers: $ETCD_SERVERS
bindAddress: 0.0.0.0
securePort: $SECURE_PORT
advertiseAddress: $ADVERTISE
agentGatewayPort: $GATEWAY_PORT
serviceClusterIPRange: 10.96.0.0/12
serviceNodePortRange: 30000-32767
EOF
  install_unit skiff-master.service
  if [ "$ETCD_LOCAL" = 1 ]; then
    if [ -n "$ETCD_MEMBERS" ]; then
      write_file "$UNIT_DIR/skiff-master.service.d/10-etcd.conf" 0644 <<'EOF'
# Written by skiff deploy/install.sh: this host runs one member of the etcd cluster;
# the master also uses the other members, so it only wants the local one.
[Unit]
Wants=skiff-etcd.service
After=skiff-etcd.service
EOF
    else
      write_file "$UNIT_DIR/skiff-master.service.d/10-etcd.conf" 0644 <<'EOF'
# Written by skiff deploy/install.sh: the master's only etcd is the local member.
[Unit]
Requires=skiff-etcd.service
After=skiff-etcd.service
EOF
    fi
    systemd_units skiff-etcd.service skiff-master.service
  else
    systemd_units skiff-master.service
  fi
  if [ -n "$JOIN_COMMAND_FILE" ]; then
    step "write the join command to $JOIN_COMMAND_FILE once the master serves (background)"
    run systemd-run --unit=skiff-join-command --collect --no-block --service-type=oneshot \
      --property=TimeoutStartSec=1h "$PREFIX/deploy/write-join-command.sh" "$JOIN_COMMAND_FILE"
  fi
  ;;
agent)
  install_packages docker.io iptables gcc libc6-dev
  ensure_node
  copy_skiff
  step "commands in $BIN_DIR"
  wrapper skiff-agent "exec $NODE_BIN $PREFIX/packages/agent/dist/main.js \"\$@\""
  step "agent configuration (holds the bootstrap token: mode 0600)"
  {
    cat <<EOF
# skiff-agent settings (keys = the command-line flags in camelCase).
# Written by skiff deploy/install.sh; see /opt/skiff/deploy/README.md.
apiVersion: $CONFIG_API_VERSION
kind: AgentConfiguration
home: $STATE_DIR
join: $JOIN
token: $TOKEN
caHash: $CA_HASH
EOF
    [ -z "$NODE_NAME" ] || echo "nodeName: $NODE_NAME"
    [ -z "$NODE_IP" ] || echo "nodeIP: $NODE_IP"
    [ -z "$ALLOWED_REGISTRIES" ] || echo "allowedRegistries: $ALLOWED_REGISTRIES"
  } | write_file "$CONF_DIR/agent.yaml" 0600
  install_unit skiff-agent.service
  step "Docker, and the pod sandbox image $PAUSE_IMAGE"
  run systemctl enable docker.service
  if [ "$START" = 1 ]; then
    run systemctl start docker.service
    if [ "$DRY" = 1 ] || ! docker image inspect "$PAUSE_IMAGE" >/dev/null 2>&1; then
      note "build $PAUSE_IMAGE from $PREFIX/packages/agent/images/pause (gcc -static, docker build)"
      run "$PREFIX/deploy/build-pause-image.sh" "$PAUSE_IMAGE"
    else
      note "$PAUSE_IMAGE present"
    fi
  else
    note "not started (--no-start): $PREFIX/deploy/build-pause-image.sh builds $PAUSE_IMAGE later"
  fi
  systemd_units skiff-agent.service
  ;;
etcd)
  install_packages etcd-server etcd-client
  install_etcd_member
  systemd_units skiff-etcd.service
  ;;
esac

step "done"
case "$ROLE" in
  master) note "logs: journalctl -u skiff-master -u skiff-etcd; kubeconfig: $MASTER_HOME/admin.kubeconfig"
          note "join an agent: skiff token create --print-join-command, then on the node: install.sh --role agent --join ... --token ... --ca-hash ..." ;;
  agent)  note "logs: journalctl -u skiff-agent" ;;
  etcd)   note "logs: journalctl -u skiff-etcd" ;;
esac
