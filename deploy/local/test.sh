#!/usr/bin/env bash
# npm test: the whole suite against real infrastructure, from a fresh clone.
#   1. npm dependencies and Kafka/Postgres/Redis (installed and started when missing)
#   2. lint (ESLint, Prettier, dependency rules) and typecheck, build
#   3. unit tests (no infrastructure)
#   4. integration tests (real Kafka/Postgres/Redis, each file in its own namespace, 2 workers)
#   5. disruptive tests (restart Postgres/Kafka/Redis themselves), one at a time
#   6. API fuzzing of every service's OpenAPI document (schemathesis, test/fuzz/run.sh)
# Ends with one line "N passed, N failed".
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
cd "${REPO_ROOT}"
started=$SECONDS
ensure_node_modules
ensure_infra

log "lint and typecheck"
npm run --silent lint
npm run --silent typecheck
npm run --silent build
# Services spawned by e2e tests run the compiled build just made (faster to start than TypeScript).
export SERVICES_FROM_DIST=1

mkdir -p artifacts
rm -f artifacts/jest-*.json
status=0
run_jest() { # name, args...
  local name=$1
  shift
  log "jest: ${name}"
  npx jest "$@" --json --outputFile="artifacts/jest-${name}.json" || status=1
}
run_jest unit --selectProjects unit
run_jest integration --selectProjects integration --maxWorkers="${TEST_WORKERS:-2}"
run_jest disruptive --selectProjects disruptive --runInBand

# API fuzzing (test/fuzz/run.sh): counts as one test in the summary below; its own summary line
# ("fuzz: N requests, 0 server errors, 0 malformed 4xx") is printed by the stage.
log "fuzz: schemathesis against every service's OpenAPI document"
fuzz_ok=1
FUZZ_SKIP_BUILD=1 bash test/fuzz/run.sh || { fuzz_ok=0; status=1; }
printf '{"numPassedTests":%d,"numFailedTests":%d,"numPendingTests":0}\n' "${fuzz_ok}" "$((1 - fuzz_ok))" >artifacts/jest-fuzz.json

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of fs.readdirSync("artifacts").filter((f) => /^jest-.*\.json$/.test(f))) {
    const r = JSON.parse(fs.readFileSync("artifacts/" + f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + (r.numRuntimeErrorTestSuites || 0); skipped += r.numPendingTests;
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
'
log "npm test finished in $((SECONDS - started)) s"
exit $status
