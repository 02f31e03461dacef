#!/usr/bin/env bash
# Builds the images Skiff's tests use, from local material only (no registry):
#   skiff/pause:3.9      packages/agent/images/pause (pause.c, gcc -static -O2)
#   skiff/busybox:latest the host's static busybox with its applet symlinks
#   skiff/web:latest     busybox httpd serving index.html on :80, also tagged nginx:1.7.9
# Idempotent: an image whose io.skiff.image.version label matches is skipped
# (FORCE=1 rebuilds). Honours DOCKER_HOST like the docker client does.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
busybox_bin="${BUSYBOX:-/bin/busybox}"
export DOCKER_BUILDKIT=0   # the classic builder: no buildx plugin needed

# Bump a version to force a rebuild everywhere after changing an image.
PAUSE_VERSION=1
BUSYBOX_VERSION=1
WEB_VERSION=1

log() { printf 'build.sh: %s\n' "$*" >&2; }

has_image() { # ref version
  local v
  v="$(docker image inspect -f '{{ index .Config.Labels "io.skiff.image.version" }}' "$1" 2>/dev/null || true)"
  [[ -z "${FORCE:-}" && "$v" == "$2" ]]
}

build() { # context tag version [extra tags...]
  local ctx="$1" tag="$2" version="$3"; shift 3
  local args=(-t "$tag")
  for t in "$@"; do args+=(-t "$t"); done
  log "building $tag"
  local out
  if ! out="$(docker build -q --label io.skiff.managed=true --build-arg "SKIFF_IMAGE_VERSION=$version" "${args[@]}" "$ctx" 2>&1)"; then
    printf '%s\n' "$out" >&2; return 1
  fi
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# --- pause ---
if has_image skiff/pause:3.9 "$PAUSE_VERSION"; then
  log "skiff/pause:3.9 present"
else
  mkdir -p "$tmp/pause"
  gcc -static -O2 -Wall -o "$tmp/pause/pause" "$repo/packages/agent/images/pause/pause.c"
  strip "$tmp/pause/pause" 2>/dev/null || true
  cp "$repo/packages/agent/images/pause/Dockerfile" "$tmp/pause/"
  build "$tmp/pause" skiff/pause:3.9 "$PAUSE_VERSION"
fi

# --- busybox ---
if has_image skiff/busybox:latest "$BUSYBOX_VERSION"; then
  log "skiff/busybox:latest present"
else
  if ! file_out="$(head -c 4 "$busybox_bin" 2>/dev/null | od -An -c | tr -d ' ')" || [[ "$file_out" != '177ELF' ]]; then
    log "$busybox_bin is not an ELF binary"; exit 1
  fi
  if ldd "$busybox_bin" >/dev/null 2>&1; then
    log "$busybox_bin is dynamically linked; install busybox-static"; exit 1
  fi
  ctx="$tmp/busybox"; root="$ctx/rootfs"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,var/www,home}
  chmod 1777 "$root/tmp"
  cp "$busybox_bin" "$root/bin/busybox"
  # One symlink per applet, in the directory busybox itself would use.
  while read -r applet; do
    [[ -z "$applet" || "$applet" == bin/busybox ]] && continue
    target="$root/$applet"
    [[ -e "$target" || -L "$target" ]] && continue
    mkdir -p "$(dirname "$target")"
    ln -s /bin/busybox "$target"
  done < <("$busybox_bin" --list-full)
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  cp "$here/busybox/Dockerfile" "$ctx/"
  build "$ctx" skiff/busybox:latest "$BUSYBOX_VERSION"
fi

# --- web (nginx:1.7.9 stand-in) ---
if has_image skiff/web:latest "$WEB_VERSION" && has_image nginx:1.7.9 "$WEB_VERSION"; then
  log "skiff/web:latest and nginx:1.7.9 present"
else
  build "$here/web" skiff/web:latest "$WEB_VERSION" nginx:1.7.9
fi
