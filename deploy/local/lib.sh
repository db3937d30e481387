# Shared by start.sh, stop.sh and test.sh (sourced, not run).
REPO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
RUN_DIR="${REPO_ROOT}/.run"
SERVICES=(intake routing dispatch notification)
declare -A SERVICE_PORTS=([intake]=3001 [routing]=3002 [dispatch]=3003 [notification]=3004)

log() { printf '\033[1m[%s]\033[0m %s\n' "$(date +%H:%M:%S)" "$*"; }

# npm dependencies: install when node_modules is missing or older than the lock file.
ensure_node_modules() {
  cd "${REPO_ROOT}"
  if [[ ! -d node_modules || ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    # `npm install` with the committed lock, not `npm ci`: @swc/core lists per-platform optional
    # packages that the lock cannot record for every platform, and `npm ci` refuses such a lock.
    log "installing npm dependencies (npm install, from package-lock.json)"
    npm install --no-audit --no-fund --loglevel=error
  fi
}

# Real Kafka, Postgres, Redis (installed if missing); exports their URLs unless already set.
ensure_infra() {
  if [[ -n "${KAFKA_BROKERS:-}" && -n "${DATABASE_URL:-}" && -n "${REDIS_URL:-}" ]]; then
    log "using infrastructure from the environment (KAFKA_BROKERS, DATABASE_URL, REDIS_URL)"
    return
  fi
  bash "${REPO_ROOT}/deploy/local/infra.sh" up
  # shellcheck disable=SC1091
  set -a && source "${REPO_ROOT}/.local/env" && set +a
}

service_pid() {
  local f="${RUN_DIR}/$1.pid"
  [[ -f "$f" ]] || return 1
  local pid
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

stop_services() {
  local svc pid
  for svc in "${SERVICES[@]}"; do
    if pid=$(service_pid "$svc"); then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      log "stopped ${svc} (pid ${pid})"
    fi
    rm -f "${RUN_DIR}/${svc}.pid"
  done
}

wait_ready() {
  local svc=$1 port=$2 deadline=$((SECONDS + 90))
  until curl -fsS "http://127.0.0.1:${port}/health/ready" >/dev/null 2>&1; do
    if ! service_pid "$svc" >/dev/null; then
      echo "${svc} exited; last log lines:" >&2
      tail -n 40 "${RUN_DIR}/logs/${svc}.log" >&2 || true
      return 1
    fi
    if ((SECONDS > deadline)); then
      echo "${svc} not ready after 90 s; last log lines:" >&2
      tail -n 40 "${RUN_DIR}/logs/${svc}.log" >&2 || true
      return 1
    fi
    sleep 0.3
  done
}
