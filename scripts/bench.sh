#!/usr/bin/env bash
# Run the benchmarks: node test/dist/bench/run.js [args...]
# The benchmark starts what it measures itself (like the integration tests);
# a Docker engine is made available for workloads that run pods.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SKIFF_REPO"

ensure_system_packages
ensure_node_modules
ensure_built
if [ ! -f test/dist/bench/run.js ]; then
  echo "test/dist/bench/run.js not found: the benchmark entry (test/bench/run.ts) is not written yet" >&2
  exit 1
fi
ensure_dockerd
exec node test/dist/bench/run.js "$@"
