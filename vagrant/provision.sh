#!/usr/bin/env bash
# vagrant/provision.sh ROLE NAME IP ETCD_MEMBERS MASTER_IP: run as root in each lab VM by
# the Vagrantfile. Installs Skiff with deploy/install.sh from the repository rsynced to
# /skiff-src:
#   master: etcd member + skiff-master; writes the join command to /vagrant/.skiff/join.sh
#           once the master serves (in the background: etcd needs a second member first)
#   worker: its etcd member first (when it is one: ETCD_MEMBERS is not "-"), then waits
#           for /vagrant/.skiff/join.sh and installs skiff-agent with it
set -euo pipefail
role="$1" name="$2" ip="$3" members="$4" master_ip="$5"
src=/skiff-src
install=("$src/deploy/install.sh")
join_file=/vagrant/.skiff/join.sh
wait_seconds="${SKIFF_LAB_JOIN_TIMEOUT:-1800}"

log() { printf '[skiff-lab %s] %s\n' "$name" "$*"; }
[ -x "$src/deploy/install.sh" ] || { log "no $src/deploy/install.sh: is the repository synced (vagrant rsync)?"; exit 1; }

case "$role" in
master)
  rm -f "$join_file"
  log "installing the master on $ip (etcd members: $members)"
  bash "${install[@]}" --role master --advertise-address "$ip" --etcd-members "$members" \
    --join-command-file "$join_file"
  ;;
worker)
  if [ "$members" != - ]; then
    log "installing the etcd member on $ip"
    bash "${install[@]}" --role etcd --advertise-address "$ip" --etcd-members "$members"
  fi
  log "waiting for the master's join command in $join_file (up to ${wait_seconds}s)"
  deadline=$((SECONDS + wait_seconds))
  until [ -s "$join_file" ]; do
    [ "$SECONDS" -lt "$deadline" ] || { log "no $join_file after ${wait_seconds}s: see 'journalctl -u skiff-master -u skiff-etcd -u skiff-join-command' on the master"; exit 1; }
    sleep 5
  done
  read -r -a words <"$join_file"
  join="" token="" ca_hash=""
  for ((i = 0; i < ${#words[@]}; i++)); do
    case "${words[$i]}" in
      --join) join="${words[$((i + 1))]:-}" ;;
      --token) token="${words[$((i + 1))]:-}" ;;
      --ca-hash) ca_hash="${words[$((i + 1))]:-}" ;;
    esac
  done
  [ -n "$join" ] && [ -n "$token" ] && [ -n "$ca_hash" ] || { log "$join_file is not a join command: $(cat "$join_file")"; exit 1; }
  [ "${join%:*}" = "$master_ip" ] || log "warning: the join command names ${join%:*}, the master is $master_ip"
  log "installing the agent on $ip, joining $join"
  bash "${install[@]}" --role agent --join "$join" --token "$token" --ca-hash "$ca_hash" \
    --node-ip "$ip" --node-name "$name"
  ;;
*) log "unknown role $role"; exit 1 ;;
esac
