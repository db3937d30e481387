#!/usr/bin/env bash
# npm run test:fuzz — property-based fuzzing of every service's OpenAPI document (schemathesis).
#
#   1. schemathesis in a project venv (.local/fuzz-venv, created when missing)
#   2. Kafka/Postgres/Redis (deploy/local/lib.sh), a build (skip with FUZZ_SKIP_BUILD=1)
#   3. the four services, compiled, in a namespace of their own (test/fuzz/start-stack.ts):
#      demo district and staff seeded, rate limits raised
#   4. schemathesis against each /openapi.json (positive and negative data, credentials added by
#      test/fuzz/hooks.py, Open311 form posts with the api_key), all services in parallel
#   5. one line per service and a total: "fuzz: N requests, 0 server errors, 0 malformed 4xx"
# Fails on any 5xx, any 4xx without a JSON (or Open311) error body, or fewer than FUZZ_MIN_REQUESTS.
#
# Tuning: FUZZ_MAX_EXAMPLES (per operation, default 125), FUZZ_WORKERS (per service, default 2),
# FUZZ_MIN_REQUESTS (default 10000), FUZZ_SEED, FUZZ_FROM_SOURCE=1 (run the TypeScript, no build).
# Writes artifacts/fuzz/{stack.json,<svc>.stats.json,<svc>.out,<svc>.log,summary.json}.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../../deploy/local/lib.sh"
cd "${REPO_ROOT}"
started=$SECONDS

VENV="${REPO_ROOT}/.local/fuzz-venv"
SCHEMATHESIS_SPEC=(schemathesis==3.39.16 'hypothesis<6.131')
if [[ ! -x "${VENV}/bin/schemathesis" ]]; then
  log "fuzz: installing ${SCHEMATHESIS_SPEC[*]} into .local/fuzz-venv"
  python3 -m venv "${VENV}"
  "${VENV}/bin/pip" install -q "${SCHEMATHESIS_SPEC[@]}"
fi

ensure_node_modules
ensure_infra
if [[ "${FUZZ_FROM_SOURCE:-0}" != "1" ]]; then
  if [[ "${FUZZ_SKIP_BUILD:-0}" != "1" ]]; then
    log "fuzz: building"
    npm run --silent build
  fi
  export SERVICES_FROM_DIST=1
fi

OUT="${REPO_ROOT}/artifacts/fuzz"
mkdir -p "${OUT}"
rm -f "${OUT}"/*.stats.json "${OUT}"/*.out "${OUT}"/summary.json "${OUT}"/stack.json
export FUZZ_STACK_FILE="${OUT}/stack.json"

log "fuzz: starting the four services in a fresh namespace"
# Every body the fast validity check passes is validated by class-validator too; a disagreement
# is a 500, which fails the run (libs/contracts/src/validity-check.ts).
VALIDITY_CROSSCHECK=true node -r @swc-node/register test/fuzz/start-stack.ts 2>"${OUT}/stack.err" &
stack_pid=$!
stop_stack() {
  if kill -0 "${stack_pid}" 2>/dev/null; then
    kill -TERM "${stack_pid}" 2>/dev/null || true
    wait "${stack_pid}" 2>/dev/null || true
  fi
}
trap stop_stack EXIT
deadline=$((SECONDS + 240))
until [[ -s "${FUZZ_STACK_FILE}" ]]; do
  if ! kill -0 "${stack_pid}" 2>/dev/null || ((SECONDS > deadline)); then
    echo "fuzz: the stack did not start:" >&2
    tail -n 60 "${OUT}/stack.err" >&2 || true
    exit 1
  fi
  sleep 0.5
done

MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-125}"
WORKERS="${FUZZ_WORKERS:-2}"
export PYTHONPATH="${REPO_ROOT}/test/fuzz${PYTHONPATH:+:${PYTHONPATH}}"
export SCHEMATHESIS_HOOKS=hooks
export SCHEMATHESIS_TELEMETRY=false
export HYPOTHESIS_STORAGE_DIRECTORY="${REPO_ROOT}/.local/fuzz-hypothesis"

log "fuzz: schemathesis, up to ${MAX_EXAMPLES} examples per operation, ${WORKERS} workers per service"
declare -A fuzz_pids=()
for svc in "${SERVICES[@]}"; do
  url=$(node -e 'const s=require(process.argv[1]);console.log(s.services[process.argv[2]].url)' "${FUZZ_STACK_FILE}" "${svc}")
  FUZZ_SERVICE="${svc}" FUZZ_STATS_FILE="${OUT}/${svc}.stats.json" \
    "${VENV}/bin/schemathesis" run "${url}/openapi.json" \
    --base-url "${url}" \
    --checks not_a_server_error,error_body_shape \
    --data-generation-method all \
    --hypothesis-max-examples "${MAX_EXAMPLES}" \
    --hypothesis-seed "${FUZZ_SEED:-20261123}" \
    --hypothesis-deadline 30000 \
    --hypothesis-suppress-health-check all \
    --hypothesis-phases explicit,generate \
    --hypothesis-database none \
    --request-timeout 20000 \
    --validate-schema false \
    --workers "${WORKERS}" \
    --exclude-path-regex '^/(docs|metrics)|^/ops/v1/stream$' \
    --no-color \
    >"${OUT}/${svc}.out" 2>&1 &
  fuzz_pids[${svc}]=$!
done
declare -A fuzz_rc=()
for svc in "${SERVICES[@]}"; do
  rc=0
  wait "${fuzz_pids[${svc}]}" || rc=$?
  fuzz_rc[${svc}]=${rc}
done
stop_stack
trap - EXIT

for svc in "${SERVICES[@]}"; do
  echo "--- schemathesis ${svc} (exit ${fuzz_rc[${svc}]}): last lines of artifacts/fuzz/${svc}.out"
  grep -a -E "^(=+|Performed checks|  (not_a_server_error|error_body_shape)|[0-9]+ (passed|failed|errored)|.*(passed|failed|errored) in )" "${OUT}/${svc}.out" | tail -n 8 || true
done

status=0
node -e '
  const fs = require("fs");
  const dir = process.argv[1], min = Number(process.argv[2]), took = Number(process.argv[3]);
  const services = ["intake", "routing", "dispatch", "notification"];
  let requests = 0, server = 0, malformed = 0, missing = [];
  const per = {};
  for (const s of services) {
    const f = `${dir}/${s}.stats.json`;
    if (!fs.existsSync(f)) { missing.push(s); continue; }
    const st = JSON.parse(fs.readFileSync(f, "utf8"));
    per[s] = st;
    requests += st.requests; server += st.server_errors; malformed += st.malformed_4xx;
    const statuses = Object.entries(st.by_status).sort().map(([k, v]) => `${k}:${v}`).join(" ");
    console.log(`fuzz ${s}: ${st.requests} requests, ${st.server_errors} server errors, ${st.malformed_4xx} malformed 4xx (${statuses})`);
    for (const e of st.examples.slice(0, 10)) console.log(`  ${e.problem}: ${e.method} ${e.path} -> ${e.status} ${e.body.slice(0, 200)}`);
  }
  const ok = missing.length === 0 && server === 0 && malformed === 0 && requests >= min;
  fs.writeFileSync(`${dir}/summary.json`, JSON.stringify({ requests, serverErrors: server, malformed4xx: malformed, missing, min, ok, seconds: took, per }, null, 2));
  if (missing.length) console.log(`fuzz: no statistics from ${missing.join(", ")} (see artifacts/fuzz/<svc>.out)`);
  if (requests < min) console.log(`fuzz: only ${requests} requests, fewer than ${min}`);
  console.log(`fuzz: ${requests} requests, ${server} server errors, ${malformed} malformed 4xx`);
  process.exit(ok ? 0 : 1);
' "${OUT}" "${FUZZ_MIN_REQUESTS:-10000}" "$((SECONDS - started))" || status=$?
log "fuzz finished in $((SECONDS - started)) s"
exit ${status}
