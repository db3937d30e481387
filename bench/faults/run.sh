#!/usr/bin/env bash
# npm run test:faults: under a steady load of reports worked to closure by simulated partners and
# residents, SIGKILL and restart each service, restart Kafka and Postgres, stop Redis for 10 s;
# then check nothing accepted was lost and nothing was done twice (see bench/faults/main.ts).
# It restarts the machine's shared Kafka and Postgres and stops Redis: run it alone.
# Options go to main.js: --rate=20 --min-reports=2000 --faults=intake,...,redis --keep
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../../deploy/local/lib.sh"
cd "${REPO_ROOT}"

ensure_node_modules
ensure_infra
mkdir -p "${RUN_DIR}"
if [[ -z "${FAULTS_DIST:-}" ]]; then
  log "building (tsc, compiled as in production)"
  if ! npm run --silent build >"${RUN_DIR}/faults-build.log" 2>&1; then
    log "build reported errors (see .run/faults-build.log); resolving path aliases on what was emitted"
    npx tsc-alias -p tsconfig.build.json
  fi
  main=dist/bench/faults/main.js
else
  main="${FAULTS_DIST}/bench/faults/main.js"
fi
[[ -f "${main}" ]] || { echo "${main} missing: the build failed" >&2; exit 1; }
log "fault test"
exec node --enable-source-maps "${main}" "$@"
