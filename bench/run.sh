#!/usr/bin/env bash
# npm run bench [-- --quick]: make sure node_modules and Kafka/Postgres/Redis are there, compile the
# project as in production (tsc + tsc-alias, tsconfig.build.json), then drive the compiled services
# and the bare-pipeline ceiling (see BENCHMARKS.md). Progress lines first, the JSON line last.
#
# The build goes to a private output dir (.run/bench-dist, or $BENCH_DIST), not dist/: `npm run
# build` empties dist/ first, and an engineer or `npm start` rebuilding during a 20-minute bench
# would pull the services' code away mid-run.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../deploy/local/lib.sh"
cd "${REPO_ROOT}"

ensure_node_modules
ensure_infra
mkdir -p "${RUN_DIR}"
OUT="${BENCH_DIST:-.run/bench-dist}"
log "building into ${OUT} (tsc -p tsconfig.build.json, as npm run build)"
rm -rf "${OUT}"
if ! npx tsc -p tsconfig.build.json --outDir "${OUT}" >"${RUN_DIR}/bench-build.log" 2>&1; then
  # Type errors elsewhere in the tree (work in progress) must not stop the bench when JS was emitted.
  log "tsc reported errors (see .run/bench-build.log); running what was emitted"
fi
npx tsc-alias -p tsconfig.build.json --outDir "${OUT}"
[[ -f "${OUT}/bench/main.js" ]] || { echo "${OUT}/bench/main.js missing: the build failed" >&2; exit 1; }
exec node --enable-source-maps "${OUT}/bench/main.js" "$@"
