#!/usr/bin/env bash
# deploy/uninstall.sh: undo deploy/install.sh on this host.
#
#   uninstall.sh [--purge] [--dry-run [--root DIR]]
#
# Stops and disables skiff-agent, skiff-master and skiff-etcd, removes their unit files,
# /etc/skiff, /opt/skiff and the commands install.sh wrote to /usr/local/bin. State stays
# in /var/lib/skiff (etcd data, the cluster CA, node credentials, pod files) unless
# --purge, which also removes it, the pods' Docker containers and the skiff user.
# Packages (docker.io, etcd-server, nodejs, ...) stay installed: they may have been there
# before, and other software may use them. Debian's etcd.service stays disabled.
set -euo pipefail

PREFIX=/opt/skiff
CONF_DIR=/etc/skiff
UNIT_DIR=/etc/systemd/system
BIN_DIR=/usr/local/bin
STATE_DIR=/var/lib/skiff
UNITS=(skiff-agent.service skiff-master.service skiff-etcd.service)
COMMANDS=(skiff skiff-master skiff-agent skiffctl)
MARKER='Written by skiff deploy/install.sh'

DRY=0 ROOT="" PURGE=0
die() { printf 'uninstall.sh: %s\n' "$*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --purge) PURGE=1; shift ;;
    --dry-run) DRY=1; shift ;;
    --root) [ -n "${2:-}" ] || die "--root needs a directory"; ROOT="$2"; shift 2 ;;
    --root=*) ROOT="${1#--root=}"; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done
[ -z "$ROOT" ] || [ "$DRY" = 1 ] || die "--root only goes with --dry-run"
if [ -n "$ROOT" ]; then [ -d "$ROOT" ] || die "--root: no directory $ROOT"; ROOT="$(cd "$ROOT" && pwd)"; [ "$ROOT" != / ] || ROOT=""; fi
[ "$DRY" = 1 ] || [ "$(id -u)" = 0 ] || die "run as root (or try --dry-run)"

STEP=0
step() { STEP=$((STEP + 1)); printf '==> [%d] %s\n' "$STEP" "$*"; }
note() { printf '    %s\n' "$*"; }
run() { printf '    $ %s\n' "$*"; [ "$DRY" = 1 ] || "$@"; }
writes() { [ "$DRY" = 0 ] || [ -n "$ROOT" ]; }
# remove PATH: rm -rf $ROOT$PATH (printed; done for real or under --root)
remove() {
  printf '    remove %s\n' "$1"
  case "$1" in /?*) ;; *) die "refusing to remove \"$1\"" ;; esac
  if writes; then rm -rf -- "$ROOT$1"; fi
}
have_systemctl() { [ "$DRY" = 0 ] && command -v systemctl >/dev/null 2>&1; }

printf 'skiff uninstall%s%s\n' "$( [ "$PURGE" = 1 ] && printf ' --purge')" "$( [ "$DRY" = 1 ] && printf ' (dry run%s)' "${ROOT:+, files under $ROOT}")"

step "stop and disable ${UNITS[*]} (those installed)"
if have_systemctl; then
  systemctl stop skiff-join-command.service 2>/dev/null || true
  for u in "${UNITS[@]}"; do
    if [ -e "$UNIT_DIR/$u" ] || systemctl cat "$u" >/dev/null 2>&1; then
      run systemctl disable --now "$u"
    else
      note "$u: not installed"
    fi
  done
else
  run systemctl stop skiff-join-command.service
  for u in "${UNITS[@]}"; do run systemctl disable --now "$u"; done
fi

step "unit files"
for u in "${UNITS[@]}"; do remove "$UNIT_DIR/$u"; remove "$UNIT_DIR/$u.d"; done
run systemctl daemon-reload
[ "$DRY" = 1 ] || systemctl reset-failed "${UNITS[@]}" skiff-join-command.service 2>/dev/null || true

step "commands in $BIN_DIR (those install.sh wrote)"
for c in "${COMMANDS[@]}"; do
  f="$ROOT$BIN_DIR/$c"
  if [ "$DRY" = 1 ] && [ -z "$ROOT" ]; then
    remove "$BIN_DIR/$c"
  elif [ -f "$f" ] && grep -q "$MARKER" "$f" 2>/dev/null; then
    remove "$BIN_DIR/$c"
  elif [ -e "$f" ]; then
    note "$BIN_DIR/$c: kept (not written by install.sh)"
  fi
done

step "configuration and program"
remove "$CONF_DIR"
remove "$PREFIX"
remove "$PREFIX.new"
remove "$PREFIX.old"

if [ "$PURGE" = 1 ]; then
  step "purge: pod containers, state in $STATE_DIR, user skiff"
  if [ "$DRY" = 1 ]; then
    run docker rm -f '$(docker ps -aq --filter label=io.skiff.pod.uid)'
  elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    mapfile -t ids < <(docker ps -aq --filter label=io.skiff.pod.uid)
    if [ "${#ids[@]}" -gt 0 ]; then run docker rm -f "${ids[@]}"; else note "no pod containers"; fi
  else
    note "Docker is not running: pod containers (label io.skiff.pod.uid), if any, are left"
  fi
  remove "$STATE_DIR"
  if [ "$DRY" = 1 ] || id skiff >/dev/null 2>&1; then run userdel skiff; fi
else
  step "kept: $STATE_DIR (etcd data, cluster CA, node credentials, pod files; --purge removes it)"
fi

step "done"
note "left installed: packages (docker.io, etcd-server, nodejs, ...); Debian's etcd.service stays disabled"
