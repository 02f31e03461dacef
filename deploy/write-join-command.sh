#!/usr/bin/env bash
# deploy/write-join-command.sh FILE [TIMEOUT_SECONDS]: waits until this master answers
# `skiff token create --print-join-command` (etcd up, CA created), then writes the
# command (`skiff-agent --join HOST:9443 --token ... --ca-hash sha256:...`) to FILE,
# atomically and readable by its owner only. Started in the background by
# install.sh --role master --join-command-file FILE (the Vagrant lab's /vagrant/.skiff/join.sh).
set -euo pipefail
file="${1:?usage: write-join-command.sh FILE [TIMEOUT_SECONDS]}"
timeout="${2:-3600}"
skiff="${SKIFF_CLI:-/usr/local/bin/skiff}"
umask 077
mkdir -p "$(dirname "$file")"
deadline=$((SECONDS + timeout))
while :; do
  if out="$("$skiff" token create --print-join-command 2>&1)" && [[ "$out" == skiff-agent\ --join* ]]; then
    tmp="$(mktemp "$file.XXXXXX")"
    printf '%s\n' "$out" >"$tmp"
    mv -f "$tmp" "$file"
    echo "write-join-command.sh: wrote $file"
    exit 0
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "write-join-command.sh: the master did not answer within ${timeout}s: $out" >&2
    exit 1
  fi
  sleep 5
done
