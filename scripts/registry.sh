#!/usr/bin/env bash
# Local image registries for pull tests (Debian's docker-registry, distribution 2.8):
#   open:  127.0.0.1:${SKIFF_REGISTRY_PORT:-5000}       no authentication
#   auth:  127.0.0.1:${SKIFF_REGISTRY_AUTH_PORT:-5001}  htpasswd basic auth (bcrypt)
# Both get skiff/busybox pushed as <registry>/skiff/busybox:1 (test/images/build.sh
# builds it). Docker treats 127.0.0.0/8 as an insecure registry, so plain HTTP works.
#
#   scripts/registry.sh start [--dir DIR]   idempotent; prints KEY=VALUE lines on stdout:
#        SKIFF_REGISTRY_OPEN, SKIFF_REGISTRY_AUTH, SKIFF_REGISTRY_USER, SKIFF_REGISTRY_PASSWORD,
#        SKIFF_REGISTRY_IMAGE (the repository path pushed to both: skiff/busybox:1)
#   scripts/registry.sh stop  [--dir DIR]   stops the registries this script started
#   scripts/registry.sh status [--dir DIR]
#
# DIR (default $SKIFF_HOME/registry) holds the config files, the htpasswd file,
# the credentials (user and a random password, made once), pid files, logs and
# the registries' storage. The password hash is bcrypt, as docker-registry
# requires: made with `htpasswd -B` when apache2-utils is installed, else with
# python3's crypt module (glibc/libxcrypt bcrypt, "$2b$"), else an error that
# names apache2-utils.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cmd="${1:-start}"
[ $# -gt 0 ] && shift
dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="${2:?--dir needs a value}"; shift 2 ;;
    --dir=*) dir="${1#--dir=}"; shift ;;
    *) if [ -z "$dir" ]; then dir="$1"; shift; else die "registry.sh: unexpected argument: $1"; fi ;;
  esac
done
dir="${dir:-$SKIFF_HOME/registry}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

OPEN_PORT="${SKIFF_REGISTRY_PORT:-5000}"
AUTH_PORT="${SKIFF_REGISTRY_AUTH_PORT:-5001}"
OPEN="127.0.0.1:$OPEN_PORT"
AUTH="127.0.0.1:$AUTH_PORT"
IMAGE_PATH="skiff/busybox:1"
SOURCE_IMAGE="skiff/busybox:latest"

# status code of GET http://<hostport>/v2/ ("000" when nothing answers)
v2_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$1/v2/" 2>/dev/null || true; }

write_config() { # name port auth(0|1)
  local name="$1" port="$2" auth="$3" f="$dir/$1.yml"
  mkdir -p "$dir/data-$name"
  [ -f "$dir/http-secret" ] || { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/http-secret"; chmod 600 "$dir/http-secret"; }
  {
    echo "# written by skiff scripts/registry.sh"
    echo "version: 0.1"
    echo "log:"
    echo "  level: warn"
    echo "  accesslog:"
    echo "    disabled: true"
    echo "storage:"
    echo "  filesystem:"
    echo "    rootdirectory: $dir/data-$name"
    echo "  delete:"
    echo "    enabled: true"
    echo "http:"
    echo "  addr: 127.0.0.1:$port"
    echo "  secret: $(cat "$dir/http-secret")"
    echo "  headers:"
    echo "    X-Content-Type-Options: [nosniff]"
    if [ "$auth" = 1 ]; then
      echo "auth:"
      echo "  htpasswd:"
      echo "    realm: skiff-registry"
      echo "    path: $dir/htpasswd"
    fi
  } >"$f.tmp"
  mv -f "$f.tmp" "$f"
}

bcrypt_hash() { # password -> bcrypt hash on stdout
  local pw="$1" h=""
  if command -v htpasswd >/dev/null 2>&1; then
    h="$(htpasswd -nbB -C 10 x "$pw" | sed -n 's/^x://p')"
  else
    local py
    for py in /usr/bin/python3 python3; do
      command -v "$py" >/dev/null 2>&1 || continue
      h="$(PW="$pw" "$py" -W ignore -c '
import os, sys
try:
    import crypt
except ImportError:
    sys.exit(1)
print(crypt.crypt(os.environ["PW"], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)))' 2>/dev/null)" || h=""
      # shellcheck disable=SC2016  # a literal "$2" prefix
      case "$h" in '$2'*) break ;; *) h="" ;; esac
    done
  fi
  # shellcheck disable=SC2016
  case "$h" in
    '$2'*) printf '%s\n' "$h" ;;
    *) die "cannot make a bcrypt password hash: install apache2-utils (htpasswd -B) or a python3 with the crypt module" ;;
  esac
}

ensure_credentials() {
  local cred="$dir/credentials"
  if [ ! -s "$cred" ]; then
    local pw; pw="$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    (umask 077; printf '%s\n%s\n' "${SKIFF_REGISTRY_USER:-skiff}" "${SKIFF_REGISTRY_PASSWORD:-$pw}" >"$cred")
  fi
  REG_USER="$(sed -n 1p "$cred")"
  REG_PASSWORD="$(sed -n 2p "$cred")"
  # (Re)make the htpasswd file when the credentials are newer than it.
  if [ ! -s "$dir/htpasswd" ] || [ "$cred" -nt "$dir/htpasswd" ]; then
    local h; h="$(bcrypt_hash "$REG_PASSWORD")"
    (umask 077; printf '%s:%s\n' "$REG_USER" "$h" >"$dir/htpasswd.tmp")
    mv -f "$dir/htpasswd.tmp" "$dir/htpasswd"
  fi
}

start_one() { # name port auth(0|1) want-status
  local name="$1" port="$2" auth="$3" want="$4" pidfile="$dir/$1.pid"
  if pid_alive "$pidfile"; then
    local st; st="$(v2_status "127.0.0.1:$port")"
    if [ "$st" = "$want" ]; then log "registry $name on 127.0.0.1:$port already running (pid $(pid_of "$pidfile"))"; return 0; fi
    warn "registry $name (pid $(pid_of "$pidfile")) does not answer as expected (GET /v2/ -> $st); restarting it"
    stop_pid "$pidfile" 10 "registry-$name"
  fi
  if tcp_port_open "$port"; then
    local st var=SKIFF_REGISTRY_PORT
    [ "$name" = open ] || var=SKIFF_REGISTRY_AUTH_PORT
    st="$(v2_status "127.0.0.1:$port")"
    if [ "$st" = "$want" ] && [ "$auth" = 0 ]; then
      log "a registry not started by this script already serves 127.0.0.1:$port; using it"
      return 0
    fi
    die "127.0.0.1:$port is taken by something else (GET /v2/ -> $st); stop it or set $var"
  fi
  write_config "$name" "$port" "$auth"
  start_bg "registry-$name" "$pidfile" "$dir/$name.log" docker-registry serve "$dir/$name.yml" || die "registry $name failed to start (log: $dir/$name.log)"
  for _ in $(seq 1 50); do
    [ "$(v2_status "127.0.0.1:$port")" = "$want" ] && return 0
    pid_alive "$pidfile" || break
    sleep 0.1
  done
  tail -n 20 "$dir/$name.log" >&2 || true
  die "registry $name did not answer on 127.0.0.1:$port (log: $dir/$name.log)"
}

# Push SOURCE_IMAGE to <registry>/IMAGE_PATH unless that tag there already has its content.
push_to() { # hostport
  local reg="$1" target="$1/$IMAGE_PATH"
  local local_id; local_id="$(docker image inspect -f '{{.Id}}' "$SOURCE_IMAGE" 2>/dev/null)" \
    || die "$SOURCE_IMAGE is not built: run test/images/build.sh"
  local stamp="$dir/pushed-${reg//[:.]/_}"
  # The stamp names the image id last pushed; the registry must still have the tag.
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$local_id" ]; then
    local code
    if [ "$reg" = "$AUTH" ]; then
      code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -u "$REG_USER:$REG_PASSWORD" \
        -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$reg/v2/${IMAGE_PATH%%:*}/manifests/${IMAGE_PATH##*:}" || true)"
    else
      code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
        -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$reg/v2/${IMAGE_PATH%%:*}/manifests/${IMAGE_PATH##*:}" || true)"
    fi
    if [ "$code" = 200 ]; then log "$target already pushed"; return 0; fi
  fi
  # A private client config: the login never touches the user's ~/.docker.
  local dcfg="$dir/docker-config"
  mkdir -p "$dcfg"
  if [ "$reg" = "$AUTH" ]; then
    local lout
    lout="$(printf '%s' "$REG_PASSWORD" | DOCKER_CONFIG="$dcfg" docker login --username "$REG_USER" --password-stdin "$reg" 2>&1)" \
      || { printf '%s\n' "$lout" >&2; die "docker login $reg failed"; }
  fi
  docker tag "$SOURCE_IMAGE" "$target"
  local rc=0 out
  out="$(DOCKER_CONFIG="$dcfg" docker push "$target" 2>&1)" || rc=$?
  # Drop the local tag again so that pulls in tests really go to the registry.
  docker rmi "$target" >/dev/null 2>&1 || true
  [ "$rc" = 0 ] || { printf '%s\n' "$out" >&2; die "docker push $target failed"; }
  printf '%s' "$local_id" >"$stamp"
  log "pushed $target"
}

case "$cmd" in
  start)
    command -v docker-registry >/dev/null 2>&1 || die "docker-registry not installed (apt-get install docker-registry)"
    exec 9>"$dir/.lock"
    flock -w 120 9 || die "another registry.sh holds $dir/.lock"
    ensure_credentials
    start_one open "$OPEN_PORT" 0 200
    start_one auth "$AUTH_PORT" 1 401
    push_to "$OPEN"
    push_to "$AUTH"
    printf 'SKIFF_REGISTRY_OPEN=%s\nSKIFF_REGISTRY_AUTH=%s\nSKIFF_REGISTRY_USER=%s\nSKIFF_REGISTRY_PASSWORD=%s\nSKIFF_REGISTRY_IMAGE=%s\n' \
      "$OPEN" "$AUTH" "$REG_USER" "$REG_PASSWORD" "$IMAGE_PATH"
    ;;
  stop)
    exec 9>"$dir/.lock"
    flock -w 120 9 || die "another registry.sh holds $dir/.lock"
    stop_pid "$dir/open.pid" 10 registry-open
    stop_pid "$dir/auth.pid" 10 registry-auth
    ;;
  status)
    for n in open auth; do
      port="$OPEN_PORT"; [ "$n" = auth ] && port="$AUTH_PORT"
      if pid_alive "$dir/$n.pid"; then echo "$n: running (pid $(pid_of "$dir/$n.pid")) on 127.0.0.1:$port, GET /v2/ -> $(v2_status "127.0.0.1:$port")"
      else echo "$n: not running (127.0.0.1:$port GET /v2/ -> $(v2_status "127.0.0.1:$port"))"; fi
    done
    ;;
  *) die "usage: scripts/registry.sh start|stop|status [--dir DIR]" ;;
esac
