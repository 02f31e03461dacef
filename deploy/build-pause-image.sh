#!/usr/bin/env bash
# deploy/build-pause-image.sh [IMAGE]: builds the pod sandbox image (default skiff/pause:3.9)
# from packages/agent/images/pause (pause.c, gcc -static) with the local Docker, as
# test/images/build.sh does. Run by install.sh --role agent from /opt/skiff/deploy/.
# Idempotent: skipped when the image with the same io.skiff.image.version exists.
set -euo pipefail
image="${1:-skiff/pause:3.9}"
version=1   # keep equal to PAUSE_VERSION in test/images/build.sh
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/../packages/agent/images/pause"
[ -f "$src/pause.c" ] || { echo "build-pause-image.sh: no $src/pause.c" >&2; exit 1; }
have="$(docker image inspect -f '{{ index .Config.Labels "io.skiff.image.version" }}' "$image" 2>/dev/null || true)"
if [ "$have" = "$version" ]; then echo "build-pause-image.sh: $image present"; exit 0; fi
command -v gcc >/dev/null || { echo "build-pause-image.sh: gcc is missing (apt-get install gcc libc6-dev)" >&2; exit 1; }
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
gcc -static -O2 -Wall -o "$tmp/pause" "$src/pause.c"
strip "$tmp/pause" 2>/dev/null || true
cp "$src/Dockerfile" "$tmp/"
DOCKER_BUILDKIT=0 docker build -q --label io.skiff.managed=true --build-arg "SKIFF_IMAGE_VERSION=$version" -t "$image" "$tmp" >/dev/null
echo "build-pause-image.sh: built $image"
