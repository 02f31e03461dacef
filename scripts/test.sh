#!/usr/bin/env bash
# Build and run every test: unit tests compiled to packages/*/dist/**/*.test.js and
# integration/e2e tests compiled to test/dist/**/*.test.js, one file at a time.
# Integration tests start their own etcd and master on free ports in temp dirs;
# this script never touches a cluster started by `npm run up`.
#
#   SKIFF_TEST_FILTER   run only test files whose path contains this substring
#   SKIFF_TEST_TIMEOUT  per-test timeout in ms for node --test (default 1200000; 0 = none)
#   SKIFF_TEST_KEEP_DOCKERD=1  leave a dockerd this script had to start running
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SKIFF_REPO"

ensure_system_packages
ensure_node_modules
log "building: npm run build"
run_build
ensure_dockerd
DOCKERD_STARTED_HERE="${SKIFF_DOCKERD_STARTED:-0}"

cleanup() {
  # Stop a dockerd we started for this run, unless a cluster from `up` now uses it.
  if [ "$DOCKERD_STARTED_HERE" = 1 ] && [ "${SKIFF_TEST_KEEP_DOCKERD:-0}" != 1 ]; then
    if pid_alive "$SKIFF_RUN/master.pid" || pid_alive "$SKIFF_RUN/agent.pid"; then
      log "leaving dockerd running: a cluster started by 'up' is running"
    else
      stop_pid "$SKIFF_RUN/dockerd.pid" 40 dockerd || true
    fi
  fi
}
trap cleanup EXIT

# Find compiled tests (node 20 does not expand globs itself).
mapfile -t all < <(
  { find packages -mindepth 2 -maxdepth 2 -name dist -type d -print0 | xargs -0 -r -I{} find {} -name node_modules -prune -o -name '*.test.js' -type f -print
    [ -d test/dist ] && find test/dist -name node_modules -prune -o -name '*.test.js' -type f -print
  } | sort)

# tsc -b never deletes outputs of removed sources: skip a compiled test whose
# source (named by its .js.map) no longer exists.
mapfile -t files < <(node -e '
  const fs = require("fs"), path = require("path");
  for (const f of process.argv.slice(1)) {
    let keep = true;
    try {
      const map = JSON.parse(fs.readFileSync(f + ".map", "utf8"));
      const root = path.resolve(path.dirname(f), map.sourceRoot || "");
      const srcs = (map.sources || []).map((s) => path.resolve(root, s));
      if (srcs.length && !srcs.some((s) => fs.existsSync(s))) keep = false;
    } catch { /* no map: keep */ }
    if (keep) console.log(f); else console.error("[skiff] skipping stale compiled test (source removed): " + f);
  }' "${all[@]}")

if [ -n "${SKIFF_TEST_FILTER:-}" ]; then
  filtered=()
  for f in "${files[@]}"; do
    case "$f" in *"$SKIFF_TEST_FILTER"*) filtered+=("$f") ;; esac
  done
  files=("${filtered[@]}")
  if [ "${#files[@]}" -eq 0 ]; then
    echo "no test file matches SKIFF_TEST_FILTER='$SKIFF_TEST_FILTER'" >&2
    echo "0 passed, 0 failed"
    exit 1
  fi
fi

if [ "${#files[@]}" -eq 0 ]; then
  warn "no compiled test files found (packages/*/dist/**/*.test.js, test/dist/**/*.test.js)"
  echo "0 passed, 0 failed"
  exit 0
fi

log "running ${#files[@]} test file(s)"
out="$SKIFF_LOGS/test-output.log"
timeout_ms="${SKIFF_TEST_TIMEOUT:-1200000}"
args=(--test --test-concurrency=1 --test-reporter=spec)
[ "$timeout_ms" = 0 ] || args+=("--test-timeout=$timeout_ms")

set +e
node "${args[@]}" "${files[@]}" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
set -e

# node's closing summary: "ℹ pass N", "ℹ fail N", "ℹ cancelled N" (timeouts count as cancelled).
count() { { grep -aE "^ℹ $1 [0-9]+\$" "$out" || true; } | tail -n 1 | awk '{print $3}'; }
pass="$(count pass)"; fail="$(count fail)"; cancelled="$(count cancelled)"
pass="${pass:-0}"; fail="${fail:-0}"; cancelled="${cancelled:-0}"
failed=$((fail + cancelled))
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
  failed=1   # the runner itself failed without reporting a failed test
  warn "node --test exited with $rc without a failed test in its summary"
fi
echo "(full output: $out)"
echo "$pass passed, $failed failed"
[ "$rc" = 0 ] && [ "$failed" = 0 ]
