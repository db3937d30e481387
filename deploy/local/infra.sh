#!/usr/bin/env bash
# Local infrastructure for development, tests and benchmarks: Kafka 4 (KRaft, single node),
# PostgreSQL and Redis, run as plain processes (no Docker needed).
#
#   bash deploy/local/infra.sh up|down|status|restart-kafka|restart-postgres|stop-redis|start-redis|stop-postgres|start-postgres|stop-kafka|start-kafka
#
#   up                start whatever is not running, wait until all three are ready, print the
#                     env vars to use (also written to .local/env, sourceable). Idempotent; when
#                     all three already run it returns in well under 2 s.
#   down              stop all three cleanly and wait for them to exit. Data is kept.
#   status            one line each, "up"/"down"; exit 0 only if all three are up.
#   restart-kafka     SIGTERM (controlled shutdown), wait for exit, start, wait until ready.
#   restart-postgres  clean "fast" shutdown (see below), start, wait until ready.
#   stop-redis        SIGTERM, wait for exit.       start-redis   start, wait for PONG.
#   stop-postgres / start-postgres, stop-kafka / start-kafka: for tests that need a component
#                     down for a while (readiness, fault tests).
#
# Where things live: <repo>/.local/ (git-ignored): kafka/{libs,data,logs,server.properties},
# pg/ (the PostgreSQL data dir), redis/, env. Wipe a component with `down` + rm -rf its folder.
#
# Ports and settings (environment, defaults in brackets):
#   KAFKA_PORT [9092]  KAFKA_CONTROLLER_PORT [9093]  KAFKA_BIND_HOST [127.0.0.1, empty = all]
#   KAFKA_ADVERTISED_HOST [localhost]  KAFKA_HEAP_OPTS [-Xms256m -Xmx1g]
#   PG_PORT [5432]  REDIS_PORT [6379]  INFRA_START_TIMEOUT [120 s]  INFRA_STOP_TIMEOUT [60 s]
#   USE_DOCKER=1: when a Docker engine answers, use `docker compose` (docker-compose.yml at the
#   repo root, services kafka, postgres, redis) instead of local processes.
#
# Kafka: the broker's jars come from Maven Central through deploy/local/kafka/pom.xml into
#   .local/kafka/libs (re-fetched when the pom changes; a running broker is then restarted).
#   The config is rendered from deploy/local/kafka/server.properties; the storage is formatted
#   once (--standalone). Readiness: "Kafka Server started" in the log and the port accepting.
#
# PostgreSQL: our OWN cluster (initdb) in .local/pg, never the Debian system cluster's data.
#   Binaries: the newest /usr/lib/postgresql/*/bin (apt-get install postgresql when missing).
#   It runs as the OS user "postgres" when this script runs as root (root cannot run postgres);
#   if that user cannot reach <repo>/.local, the data dir is /var/tmp/casedispatch-pg-<hash of
#   the repo path> and .local/pg is a symlink to it. Listens on 127.0.0.1:PG_PORT, unix socket in
#   the data dir (or /tmp when that path is too long). Role and database "casedispatch",
#   password "casedispatch", SUPERUSER (a local dev cluster: lets tests create databases).
#   Port choice: PG_PORT defaults to 5432 so that DATABASE_URL is the same as with Docker. The
#   Debian package also creates a system cluster "main" on 5432: packages are installed with a
#   policy-rc.d that forbids service starts, so it stays down; and if a Debian system cluster is
#   online on our port when ours must start, it is stopped with pg_ctlcluster (its data is left
#   alone; the project never uses it). Anything else on the port is an error: set PG_PORT=5433.
#   Shutdown uses pg_ctl -m fast (SIGINT): connected clients are disconnected, a checkpoint is
#   written; SIGTERM ("smart") would wait forever for the services' pooled connections.
#
# Redis: redis-server (apt-get install redis-server when missing) on 127.0.0.1:REDIS_PORT, no
#   persistence (--save "" --appendonly no), daemonized with its pid file in .local/redis.
#
# Topics and migrations are not made here: the TypeScript code does that after `up`.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "${SCRIPT_DIR}/../.." && pwd -P)
LOCAL_DIR="${REPO_ROOT}/.local"

KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_BIND_HOST=${KAFKA_BIND_HOST-127.0.0.1}
KAFKA_ADVERTISED_HOST=${KAFKA_ADVERTISED_HOST:-localhost}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}
PG_PORT=${PG_PORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}
START_TIMEOUT=${INFRA_START_TIMEOUT:-120}
STOP_TIMEOUT=${INFRA_STOP_TIMEOUT:-60}

readonly DB_USER=casedispatch DB_PASSWORD=casedispatch DB_NAME=casedispatch

KAFKA_SRC="${SCRIPT_DIR}/kafka"
KAFKA_DIR="${LOCAL_DIR}/kafka"
KAFKA_LIBS="${KAFKA_DIR}/libs"
KAFKA_PROPS="${KAFKA_DIR}/server.properties"
KAFKA_DATA="${KAFKA_DIR}/data"
KAFKA_LOGS="${KAFKA_DIR}/logs"
KAFKA_PIDFILE="${KAFKA_DIR}/kafka.pid"
KAFKA_OUT="${KAFKA_DIR}/kafka.out"
REDIS_DIR="${LOCAL_DIR}/redis"
REDIS_PIDFILE="${REDIS_DIR}/redis.pid"
PG_LINK="${LOCAL_DIR}/pg"
ENV_FILE="${LOCAL_DIR}/env"

JAVA="${JAVA_HOME:+${JAVA_HOME}/bin/}java"
KAFKA_NEW_LIBS=""    # set when fresh jars were fetched and wait to replace KAFKA_LIBS
KAFKA_START_OFFSET=0 # size of server.log when the broker was launched
KAFKA_LAUNCHED=0     # 1 once this run launched the broker (kafka_wait still to do)
POLICY_RC_CREATED=0

# ---------------------------------------------------------------------------------------------
# helpers

log() { printf 'infra: %s\n' "$*" >&2; }
die() {
  printf 'infra: error: %s\n' "$*" >&2
  exit 1
}

# Show the last lines of a log file on stderr (used before dying).
show_tail() {
  local file=$1 lines=${2:-40}
  if [[ -s ${file} ]]; then
    printf -- '--- last %s lines of %s ---\n' "${lines}" "${file}" >&2
    tail -n "${lines}" -- "${file}" >&2 || true
    printf -- '---\n' >&2
  fi
}

# Run a command with its output going to a log file; on failure show the log and die.
run_logged() {
  local logfile=$1 what=$2
  shift 2
  if ! "$@" >"${logfile}" 2>&1; then
    show_tail "${logfile}"
    die "${what} failed (full output: ${logfile})"
  fi
}

# True when something accepts TCP connections on host:port.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

pid_alive() {
  [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null
}

# True when process $1 is alive and its command line contains every other argument.
pid_matches() {
  local pid=$1 cmdline needle
  shift
  pid_alive "${pid}" || return 1
  cmdline=$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null) || return 1
  for needle in "$@"; do
    [[ ${cmdline} == *"${needle}"* ]] || return 1
  done
}

read_pidfile() {
  local pid=""
  if [[ -f $1 ]]; then
    read -r pid <"$1" 2>/dev/null || pid=""
  fi
  printf '%s' "${pid}"
}

# Wait until process $1 has exited; $2 = seconds. Returns 1 on timeout.
wait_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while pid_alive "${pid}"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# SIGTERM, wait for exit; SIGKILL (with a warning) only if it does not exit in STOP_TIMEOUT.
term_and_wait() {
  local pid=$1 name=$2
  pid_alive "${pid}" || return 0
  kill -TERM "${pid}" 2>/dev/null || true
  if ! wait_exit "${pid}" "${STOP_TIMEOUT}"; then
    log "warning: ${name} (pid ${pid}) did not exit ${STOP_TIMEOUT}s after SIGTERM; sending SIGKILL"
    kill -KILL "${pid}" 2>/dev/null || true
    wait_exit "${pid}" 10 || die "${name} (pid ${pid}) survived SIGKILL"
  fi
}

# Everything that changes state holds this lock, so that parallel callers (test workers) do
# not start things twice. Daemons are started with 9>&- so that they do not inherit it.
take_lock() {
  mkdir -p "${LOCAL_DIR}"
  exec 9>"${LOCAL_DIR}/.infra.lock"
  flock -w $((START_TIMEOUT * 3)) 9 || die "timed out waiting for another infra.sh (lock ${LOCAL_DIR}/.infra.lock)"
}

ensure_local_dir() {
  if [[ ! -d ${LOCAL_DIR} ]]; then
    mkdir -p "${LOCAL_DIR}"
  fi
  chmod 755 "${LOCAL_DIR}" 2>/dev/null || true
}

cleanup() {
  if ((POLICY_RC_CREATED)); then
    rm -f /usr/sbin/policy-rc.d
  fi
  if [[ -n ${KAFKA_NEW_LIBS} && -d ${KAFKA_NEW_LIBS} ]]; then
    rm -rf -- "${KAFKA_NEW_LIBS}"
  fi
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
# packages

# Newest PostgreSQL server bin dir (Debian layout first), or nothing.
pg_bindir() {
  local d best=""
  if [[ -n ${PG_BINDIR:-} ]]; then
    printf '%s' "${PG_BINDIR}"
    return 0
  fi
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x ${d}/initdb && -x ${d}/pg_ctl && -x ${d}/postgres ]] || continue
    if [[ -z ${best} ]] || [[ $(printf '%s\n%s\n' "${best}" "${d}" | sort -V | tail -n 1) == "${d}" ]]; then
      best=${d}
    fi
  done
  if [[ -z ${best} ]] && d=$(command -v pg_ctl 2>/dev/null); then
    d=$(dirname -- "$(readlink -f -- "${d}")")
    [[ -x ${d}/initdb && -x ${d}/postgres ]] && best=${d}
  fi
  printf '%s' "${best}"
}

# Install what is missing with apt-get: one update, one install, no service started.
ensure_packages() {
  local -a missing=()
  [[ -n $(pg_bindir) ]] || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
  command -v "${JAVA}" >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  ((${#missing[@]} == 0)) && return 0

  ((EUID == 0)) || die "missing ${missing[*]}: install them (Debian: sudo apt-get install -y ${missing[*]}) or run as root"
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
  log "installing ${missing[*]} with apt-get (once)"
  # No init system here: the packages' postinst scripts must not start their own services
  # (a system Redis on 6379 or the system PostgreSQL cluster on 5432 would take our ports).
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=1
  fi
  local aptlog="${LOCAL_DIR}/apt.log"
  export DEBIAN_FRONTEND=noninteractive
  run_logged "${aptlog}" "apt-get update" apt-get -o DPkg::Lock::Timeout=300 update
  run_logged "${aptlog}" "apt-get install ${missing[*]}" \
    apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}"
  if ((POLICY_RC_CREATED)); then
    rm -f /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=0
  fi
  [[ -n $(pg_bindir) ]] || die "PostgreSQL server binaries still missing after apt-get install"
  command -v redis-server >/dev/null 2>&1 || die "redis-server still missing after apt-get install"
}

# ---------------------------------------------------------------------------------------------
# Kafka

kafka_pid() {
  local pid
  pid=$(read_pidfile "${KAFKA_PIDFILE}")
  if [[ -n ${pid} ]] && pid_matches "${pid}" kafka.Kafka "${KAFKA_PROPS}"; then
    printf '%s' "${pid}"
  fi
}

kafka_ready() {
  [[ -n $(kafka_pid) ]] && port_open 127.0.0.1 "${KAFKA_PORT}"
}

# JVM flags; $1 = threshold of the console appender (the file appender logs INFO).
kafka_jvm_opts() {
  local console=${1:-WARN}
  # shellcheck disable=SC2206 # KAFKA_HEAP_OPTS is a list of JVM flags
  local -a heap=(${KAFKA_HEAP_OPTS})
  printf '%s\n' "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=${KAFKA_SRC}/log4j2.properties" \
    "-Dkafka.logs.dir=${KAFKA_LOGS}" "-Dkafka.console.level=${console}"
}

# Fetch the jars into a new folder when the pom changed (swapped in by kafka_install_libs).
kafka_fetch_libs() {
  local want have=""
  want=$(sha256sum "${KAFKA_SRC}/pom.xml" | cut -d' ' -f1)
  [[ -f ${KAFKA_LIBS}/.pom.sha256 ]] && have=$(<"${KAFKA_LIBS}/.pom.sha256")
  if [[ ${have} == "${want}" ]] && compgen -G "${KAFKA_LIBS}/kafka_2.13-*.jar" >/dev/null; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to fetch the Kafka jars)"
  log "fetching the Kafka jars with Maven into ${KAFKA_LIBS}"
  mkdir -p "${KAFKA_DIR}"
  KAFKA_NEW_LIBS="${KAFKA_DIR}/libs.new"
  rm -rf -- "${KAFKA_NEW_LIBS}"
  run_logged "${KAFKA_DIR}/mvn.log" "mvn dependency:copy-dependencies (${KAFKA_SRC}/pom.xml)" \
    mvn -q -B -f "${KAFKA_SRC}/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime "-DoutputDirectory=${KAFKA_NEW_LIBS}"
  compgen -G "${KAFKA_NEW_LIBS}/kafka_2.13-*.jar" >/dev/null ||
    die "mvn ran but ${KAFKA_NEW_LIBS} has no kafka_2.13 jar (see ${KAFKA_DIR}/mvn.log)"
  printf '%s\n' "${want}" >"${KAFKA_NEW_LIBS}/.pom.sha256"
}

kafka_install_libs() {
  [[ -n ${KAFKA_NEW_LIBS} ]] || return 0
  rm -rf -- "${KAFKA_LIBS}"
  mv -- "${KAFKA_NEW_LIBS}" "${KAFKA_LIBS}"
  KAFKA_NEW_LIBS=""
}

kafka_render_props() {
  sed -e "s|@KAFKA_PORT@|${KAFKA_PORT}|g" \
    -e "s|@KAFKA_CONTROLLER_PORT@|${KAFKA_CONTROLLER_PORT}|g" \
    -e "s|@KAFKA_BIND_HOST@|${KAFKA_BIND_HOST}|g" \
    -e "s|@KAFKA_ADVERTISED_HOST@|${KAFKA_ADVERTISED_HOST}|g" \
    -e "s|@KAFKA_DATA_DIR@|${KAFKA_DATA}|g" \
    "${KAFKA_SRC}/server.properties"
}

kafka_format() {
  [[ -f ${KAFKA_DATA}/meta.properties ]] && return 0
  local cluster_id="" idfile="${KAFKA_DIR}/cluster.id"
  local -a jvm
  mapfile -t jvm < <(kafka_jvm_opts OFF)
  [[ -s ${idfile} ]] && cluster_id=$(<"${idfile}")
  if [[ -z ${cluster_id} ]]; then
    run_logged "${KAFKA_DIR}/format.log" "kafka StorageTool random-uuid" \
      "${JAVA}" "${jvm[@]}" -cp "${KAFKA_LIBS}/*" kafka.tools.StorageTool random-uuid
    cluster_id=$(tail -n 1 "${KAFKA_DIR}/format.log")
    [[ ${cluster_id} =~ ^[A-Za-z0-9_-]{22}$ ]] ||
      die "kafka StorageTool random-uuid printed no cluster id (see ${KAFKA_DIR}/format.log)"
    printf '%s\n' "${cluster_id}" >"${idfile}"
  fi
  log "formatting Kafka storage in ${KAFKA_DATA} (cluster id ${cluster_id})"
  run_logged "${KAFKA_DIR}/format.log" "kafka StorageTool format" \
    "${JAVA}" "${jvm[@]}" -cp "${KAFKA_LIBS}/*" kafka.tools.StorageTool \
    format --standalone -g -t "${cluster_id}" -c "${KAFKA_PROPS}"
}

kafka_stop() {
  local pid
  pid=$(kafka_pid)
  [[ -n ${pid} ]] && term_and_wait "${pid}" kafka
  rm -f -- "${KAFKA_PIDFILE}"
}

# Launch the broker in the background (own session, nohup); kafka_wait waits for it.
kafka_launch() {
  local port
  for port in "${KAFKA_PORT}" "${KAFKA_CONTROLLER_PORT}"; do
    if port_open 127.0.0.1 "${port}"; then
      die "port ${port} is in use by another process (not our Kafka); stop it or set KAFKA_PORT/KAFKA_CONTROLLER_PORT"
    fi
  done
  local -a jvm
  mapfile -t jvm < <(kafka_jvm_opts WARN)
  mkdir -p "${KAFKA_LOGS}"
  KAFKA_START_OFFSET=$(stat -c %s "${KAFKA_LOGS}/server.log" 2>/dev/null || echo 0)
  rm -f -- "${KAFKA_PIDFILE}"
  # setsid: a new session, so that the caller's job control or terminal does not take the
  # broker down with it; the inner shell writes its own pid and execs, so the pid is java's.
  # shellcheck disable=SC2016 # $$ and $1 are expanded by the inner shell
  setsid bash -c 'echo $$ >"$1"; shift; exec nohup "$@"' kafka-launch "${KAFKA_PIDFILE}" \
    "${JAVA}" "${jvm[@]}" -cp "${KAFKA_LIBS}/*" kafka.Kafka "${KAFKA_PROPS}" \
    </dev/null >>"${KAFKA_OUT}" 2>&1 9>&- &
  local deadline=$((SECONDS + 10))
  until [[ -s ${KAFKA_PIDFILE} ]]; do
    ((SECONDS < deadline)) || die "kafka did not start (no pid file ${KAFKA_PIDFILE})"
    sleep 0.05
  done
  KAFKA_LAUNCHED=1
}

kafka_wait() {
  local pid deadline=$((SECONDS + START_TIMEOUT)) offset=${KAFKA_START_OFFSET} size
  pid=$(read_pidfile "${KAFKA_PIDFILE}")
  while :; do
    if ! pid_alive "${pid}"; then
      show_tail "${KAFKA_OUT}"
      show_tail "${KAFKA_LOGS}/server.log"
      die "kafka (pid ${pid}) exited during startup (logs: ${KAFKA_LOGS}/server.log, ${KAFKA_OUT})"
    fi
    size=$(stat -c %s "${KAFKA_LOGS}/server.log" 2>/dev/null || echo 0)
    ((size >= offset)) || offset=0 # the log was rolled meanwhile
    if ((size > offset)) && tail -c +"$((offset + 1))" "${KAFKA_LOGS}/server.log" | grep -F 'Kafka Server started' >/dev/null &&
      port_open 127.0.0.1 "${KAFKA_PORT}"; then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      show_tail "${KAFKA_LOGS}/server.log"
      die "kafka not ready after ${START_TIMEOUT}s (pid ${pid}; log ${KAFKA_LOGS}/server.log)"
    fi
    sleep 0.25
  done
}

# Bring Kafka to "running with the current jars and config". $1=wait|nowait.
kafka_ensure() {
  local mode=${1:-wait} rendered changed=0
  kafka_fetch_libs
  rendered=$(kafka_render_props)
  if [[ ! -f ${KAFKA_PROPS} ]] || [[ $(<"${KAFKA_PROPS}") != "${rendered}" ]]; then
    changed=1
  fi
  [[ -n ${KAFKA_NEW_LIBS} ]] && changed=1
  if [[ -n $(kafka_pid) ]]; then
    if ((changed == 0)); then
      [[ ${mode} == wait ]] || return 0
      if ((KAFKA_LAUNCHED)); then
        kafka_wait
        return 0
      fi
      local deadline=$((SECONDS + START_TIMEOUT))
      until kafka_ready; do
        ((SECONDS < deadline)) || die "kafka runs (pid $(kafka_pid)) but port ${KAFKA_PORT} does not accept connections"
        sleep 0.25
      done
      return 0
    fi
    local port
    for port in "${KAFKA_PORT}" "${KAFKA_CONTROLLER_PORT}"; do
      # moving to another port: make sure it is free before stopping the running broker
      if ! grep -E "^listeners=.*:${port}(,|$)" "${KAFKA_PROPS}" >/dev/null && port_open 127.0.0.1 "${port}"; then
        die "port ${port} is in use by another process; the running broker keeps its config"
      fi
    done
    log "Kafka jars or config changed: restarting the broker"
    kafka_stop
  fi
  kafka_install_libs
  mkdir -p "${KAFKA_DATA}" "${KAFKA_LOGS}"
  printf '%s\n' "${rendered}" >"${KAFKA_PROPS}"
  kafka_format
  kafka_launch
  [[ ${mode} == wait ]] && kafka_wait
  return 0
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

PG_BIN=""
PG_DATA=""
PG_SOCKDIR=""

as_pg() {
  if ((EUID == 0)); then
    # from /, which postgres can always enter (the caller's cwd may be closed to it)
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Resolve (and on first use choose) the data dir; sets PG_BIN, PG_DATA, PG_SOCKDIR.
pg_paths() {
  [[ -n ${PG_DATA} ]] && return 0
  PG_BIN=$(pg_bindir)
  if [[ -e ${PG_LINK} || -L ${PG_LINK} ]]; then
    PG_DATA=$(readlink -f -- "${PG_LINK}")
  elif ((EUID == 0)) && ! runuser -u postgres -- test -x "${LOCAL_DIR}" 2>/dev/null; then
    # The postgres user cannot traverse the path to the repo: keep the data outside it.
    PG_DATA="/var/tmp/casedispatch-pg-$(printf '%s' "${REPO_ROOT}" | sha256sum | cut -c1-12)"
    mkdir -p "${PG_DATA}"
    ln -sfn -- "${PG_DATA}" "${PG_LINK}"
    log "PostgreSQL data in ${PG_DATA} (user postgres cannot reach ${LOCAL_DIR}); ${PG_LINK} links to it"
  else
    PG_DATA=${PG_LINK}
  fi
  # unix socket paths are limited to ~107 bytes
  if ((${#PG_DATA} + 16 < 100)); then
    PG_SOCKDIR=${PG_DATA}
  else
    PG_SOCKDIR=/tmp
  fi
}

pg_pid() {
  local pid=""
  pg_paths
  [[ -f ${PG_DATA}/postmaster.pid ]] || return 0
  pid=$(head -n 1 "${PG_DATA}/postmaster.pid" 2>/dev/null || true)
  if [[ -n ${pid} ]] && pid_matches "${pid}" postgres "${PG_DATA}"; then
    printf '%s' "${pid}"
  fi
}

pg_ready() {
  [[ -n $(pg_pid) ]] && "${PG_BIN}/pg_isready" -q -h 127.0.0.1 -p "${PG_PORT}" -t 2 >/dev/null 2>&1
}

pg_conf() {
  cat <<EOF
# Written by deploy/local/infra.sh at each start; edit the script, not this file.
listen_addresses = '127.0.0.1'
port = ${PG_PORT}
unix_socket_directories = '${PG_SOCKDIR}'
max_connections = 300
shared_buffers = 512MB
# Durable like production: tests and benchmarks measure real commits.
fsync = on
synchronous_commit = on
full_page_writes = on
# Fewer forced checkpoints during load tests.
max_wal_size = 2GB
# Busy, fast-growing tables: analyze them often enough that cached plans (the services prepare
# hot statements) are re-planned while a fresh database fills up, and keep dead rows in check.
autovacuum_naptime = 10s
# Per-statement time and calls (CREATE EXTENSION pg_stat_statements; the bench reads it).
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = 'top'
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
EOF
}

pg_initdb() {
  [[ -f ${PG_DATA}/PG_VERSION ]] && return 0
  if [[ -d ${PG_DATA} ]] && [[ -n $(ls -A -- "${PG_DATA}") ]]; then
    die "${PG_DATA} is not empty but holds no PostgreSQL cluster: remove it and run up again"
  fi
  local -a locale=(--no-locale)
  if locale -a 2>/dev/null | grep -ix 'c\.utf-\?8' >/dev/null; then
    locale=(--locale=C.UTF-8)
  fi
  log "creating a PostgreSQL cluster in ${PG_DATA}"
  mkdir -p "${PG_DATA}"
  ((EUID == 0)) && chown postgres:postgres "${PG_DATA}"
  chmod 700 "${PG_DATA}"
  run_logged "${LOCAL_DIR}/initdb.log" "initdb ${PG_DATA}" \
    as_pg "${PG_BIN}/initdb" -D "${PG_DATA}" -U postgres -E UTF8 "${locale[@]}" \
    --auth-local=trust --auth-host=scram-sha-256
  printf "\ninclude_if_exists = 'casedispatch.conf'\n" | as_pg tee -a "${PG_DATA}/postgresql.conf" >/dev/null
}

pg_write_conf() {
  # $1 = the wanted content; returns 0 if the file changed
  if [[ -f ${PG_DATA}/casedispatch.conf ]] && [[ $(<"${PG_DATA}/casedispatch.conf") == "$1" ]]; then
    return 1
  fi
  printf '%s\n' "$1" | as_pg tee "${PG_DATA}/casedispatch.conf" >/dev/null
}

# Stop a Debian system cluster that holds our port (see the header).
pg_free_port() {
  port_open 127.0.0.1 "${PG_PORT}" || return 0
  if command -v pg_lsclusters >/dev/null 2>&1 && ((EUID == 0)); then
    local ver name port status _rest
    while read -r ver name port status _rest; do
      if [[ ${port} == "${PG_PORT}" && ${status} == online* ]]; then
        log "stopping the Debian system cluster ${ver}/${name} that holds port ${PG_PORT} (its data is left alone)"
        pg_ctlcluster "${ver}" "${name}" stop 9>&- || die "could not stop system cluster ${ver}/${name}"
      fi
    done < <(pg_lsclusters -h 2>/dev/null)
  fi
  if port_open 127.0.0.1 "${PG_PORT}"; then
    die "port ${PG_PORT} is in use by another process (not our PostgreSQL); stop it or set PG_PORT (e.g. PG_PORT=5433)"
  fi
}

pg_start() {
  pg_free_port
  local logfile="${PG_DATA}/server.log"
  if ! as_pg "${PG_BIN}/pg_ctl" -D "${PG_DATA}" -l "${logfile}" -w -t "${START_TIMEOUT}" -s start \
    </dev/null >"${LOCAL_DIR}/pg_ctl.log" 2>&1 9>&-; then
    show_tail "${LOCAL_DIR}/pg_ctl.log" 20
    show_tail "${logfile}"
    die "PostgreSQL did not start (log ${logfile})"
  fi
  local deadline=$((SECONDS + START_TIMEOUT))
  until "${PG_BIN}/pg_isready" -q -h 127.0.0.1 -p "${PG_PORT}" -t 2 >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      show_tail "${logfile}"
      die "PostgreSQL not accepting connections on 127.0.0.1:${PG_PORT} after ${START_TIMEOUT}s"
    fi
    sleep 0.2
  done
}

pg_stop() {
  pg_paths
  [[ -n $(pg_pid) ]] || return 0
  if ! as_pg "${PG_BIN}/pg_ctl" -D "${PG_DATA}" -m fast -w -t "${STOP_TIMEOUT}" -s stop \
    </dev/null >"${LOCAL_DIR}/pg_ctl.log" 2>&1 9>&-; then
    show_tail "${LOCAL_DIR}/pg_ctl.log" 20
    die "PostgreSQL did not stop within ${STOP_TIMEOUT}s (pg_ctl -m fast)"
  fi
}

# Role and database, created when missing (cheap: one psql call).
pg_bootstrap() {
  local out
  if ! out=$(as_pg "${PG_BIN}/psql" -X -q -v ON_ERROR_STOP=1 -h "${PG_SOCKDIR}" -p "${PG_PORT}" \
    -U postgres -d postgres 2>&1 <<EOF
SELECT format('CREATE ROLE %I LOGIN SUPERUSER PASSWORD %L', '${DB_USER}', '${DB_PASSWORD}')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${DB_USER}') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', '${DB_NAME}', '${DB_USER}')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '${DB_NAME}') \gexec
EOF
  ); then
    printf '%s\n' "${out}" >&2
    die "could not create role/database ${DB_USER}/${DB_NAME}"
  fi
}

pg_ensure() {
  pg_paths
  [[ -n ${PG_BIN} ]] || die "PostgreSQL server binaries not found (apt-get install postgresql)"
  pg_initdb
  local conf
  conf=$(pg_conf)
  if [[ -n $(pg_pid) ]]; then
    local running_port
    running_port=$(sed -n 4p "${PG_DATA}/postmaster.pid" 2>/dev/null || true)
    # moving to another port: make sure it is free before stopping the running server
    [[ ${running_port} == "${PG_PORT}" ]] || pg_free_port
    if pg_write_conf "${conf}"; then
      log "PostgreSQL settings changed: restarting it"
      pg_stop
      pg_start
    fi
  else
    pg_write_conf "${conf}" || true
    pg_start
  fi
  pg_bootstrap
}

# ---------------------------------------------------------------------------------------------
# Redis

redis_pid() {
  local pid
  pid=$(read_pidfile "${REDIS_PIDFILE}")
  if [[ -n ${pid} ]] && pid_matches "${pid}" redis-server; then
    printf '%s' "${pid}"
  fi
}

redis_ping() {
  [[ $(redis-cli -h 127.0.0.1 -p "${REDIS_PORT}" ping 2>/dev/null) == PONG ]]
}

redis_ready() {
  [[ -n $(redis_pid) ]] && redis_ping
}

redis_start() {
  port_open 127.0.0.1 "${REDIS_PORT}" &&
    die "port ${REDIS_PORT} is in use by another process (not our Redis); stop it or set REDIS_PORT"
  mkdir -p "${REDIS_DIR}"
  rm -f -- "${REDIS_PIDFILE}"
  if ! redis-server --daemonize yes --bind 127.0.0.1 --port "${REDIS_PORT}" --save "" \
    --appendonly no --dir "${REDIS_DIR}" --pidfile "${REDIS_PIDFILE}" \
    --logfile "${REDIS_DIR}/redis.log" </dev/null >"${REDIS_DIR}/start.log" 2>&1 9>&-; then
    show_tail "${REDIS_DIR}/start.log"
    die "redis-server did not start"
  fi
  local deadline=$((SECONDS + START_TIMEOUT))
  until redis_ready; do
    if ((SECONDS >= deadline)); then
      show_tail "${REDIS_DIR}/redis.log"
      die "redis not answering PING on 127.0.0.1:${REDIS_PORT} after ${START_TIMEOUT}s"
    fi
    sleep 0.1
  done
}

redis_stop() {
  local pid
  pid=$(redis_pid)
  [[ -n ${pid} ]] && term_and_wait "${pid}" redis
  rm -f -- "${REDIS_PIDFILE}"
}

redis_ensure() {
  command -v redis-server >/dev/null 2>&1 || die "redis-server not found (apt-get install redis-server)"
  local pid
  pid=$(redis_pid)
  if [[ -n ${pid} ]] && ! pid_matches "${pid}" ":${REDIS_PORT}"; then
    # runs on another port (its process title is "redis-server 127.0.0.1:<port>"): move it
    port_open 127.0.0.1 "${REDIS_PORT}" &&
      die "port ${REDIS_PORT} is in use by another process; the running Redis keeps its port"
    log "Redis port changed: restarting it"
    redis_stop
  fi
  if [[ -n $(redis_pid) ]]; then
    local deadline=$((SECONDS + START_TIMEOUT))
    until redis_ping; do
      ((SECONDS < deadline)) || die "redis runs (pid $(redis_pid)) but does not answer PING on port ${REDIS_PORT}"
      sleep 0.1
    done
    return 0
  fi
  redis_start
}

# ---------------------------------------------------------------------------------------------
# Docker (USE_DOCKER=1 and an engine answering)

use_docker() {
  [[ ${USE_DOCKER:-0} == 1 ]] || return 1
  command -v docker >/dev/null 2>&1 || return 1
  timeout 15 docker info >/dev/null 2>&1
}

compose() {
  (cd -- "${REPO_ROOT}" && docker compose "$@")
}

docker_wait() {
  local deadline=$((SECONDS + START_TIMEOUT))
  until port_open 127.0.0.1 "${KAFKA_PORT}" &&
    compose exec -T postgres pg_isready -q >/dev/null 2>&1 &&
    [[ $(compose exec -T redis redis-cli ping 2>/dev/null | tr -d '\r') == PONG ]]; do
    ((SECONDS < deadline)) || die "docker compose services not ready after ${START_TIMEOUT}s (docker compose logs)"
    sleep 1
  done
}

docker_cmd() {
  local -a svcs=(kafka postgres redis)
  case $1 in
    up)
      run_logged "${LOCAL_DIR}/compose.log" "docker compose up" compose up -d "${svcs[@]}"
      docker_wait
      write_env
      ;;
    down) run_logged "${LOCAL_DIR}/compose.log" "docker compose stop" compose stop "${svcs[@]}" ;;
    status)
      local rc=0 s running
      running=$(compose ps --status running --services 2>/dev/null || true)
      for s in "${svcs[@]}"; do
        if grep -qx "${s}" <<<"${running}"; then
          printf '%-9s up (docker)\n' "${s}"
        else
          printf '%-9s down (docker)\n' "${s}"
          rc=1
        fi
      done
      return "${rc}"
      ;;
    restart-kafka) run_logged "${LOCAL_DIR}/compose.log" "docker compose restart kafka" compose restart kafka && docker_wait ;;
    restart-postgres) run_logged "${LOCAL_DIR}/compose.log" "docker compose restart postgres" compose restart postgres && docker_wait ;;
    stop-redis) run_logged "${LOCAL_DIR}/compose.log" "docker compose stop redis" compose stop redis ;;
    start-redis) run_logged "${LOCAL_DIR}/compose.log" "docker compose start redis" compose start redis && docker_wait ;;
    stop-postgres) run_logged "${LOCAL_DIR}/compose.log" "docker compose stop postgres" compose stop postgres ;;
    start-postgres) run_logged "${LOCAL_DIR}/compose.log" "docker compose start postgres" compose start postgres && docker_wait ;;
    stop-kafka) run_logged "${LOCAL_DIR}/compose.log" "docker compose stop kafka" compose stop kafka ;;
    start-kafka) run_logged "${LOCAL_DIR}/compose.log" "docker compose start kafka" compose start kafka && docker_wait ;;
    *) usage ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# commands

write_env() {
  local content
  content=$(
    cat <<EOF
export KAFKA_BROKERS=localhost:${KAFKA_PORT}
export DATABASE_URL=postgres://${DB_USER}:${DB_PASSWORD}@127.0.0.1:${PG_PORT}/${DB_NAME}
export REDIS_URL=redis://127.0.0.1:${REDIS_PORT}
EOF
  )
  if [[ ! -f ${ENV_FILE} ]] || [[ $(<"${ENV_FILE}") != "${content}" ]]; then
    printf '%s\n' "${content}" >"${ENV_FILE}.tmp"
    mv -f -- "${ENV_FILE}.tmp" "${ENV_FILE}"
  fi
  printf '%s\n' "${content}"
}

cmd_up() {
  ensure_packages
  kafka_ensure nowait # the JVM boots while PostgreSQL and Redis start
  pg_ensure
  redis_ensure
  kafka_ensure wait
  write_env
}

cmd_down() {
  local pid
  pid=$(kafka_pid)
  if [[ -n ${pid} ]]; then
    kill -TERM "${pid}" 2>/dev/null || true # Kafka stops in parallel with the others
  fi
  if [[ -e ${PG_LINK} && -n $(pg_bindir) ]]; then pg_stop; fi
  redis_stop
  kafka_stop
}

cmd_status() {
  local rc=0 pid
  pid=$(kafka_pid)
  if [[ -n ${pid} ]] && port_open 127.0.0.1 "${KAFKA_PORT}"; then
    printf 'kafka     up    %s:%s (pid %s)\n' "${KAFKA_ADVERTISED_HOST}" "${KAFKA_PORT}" "${pid}"
  else
    printf 'kafka     down\n'
    rc=1
  fi
  if [[ -e ${PG_LINK} && -n $(pg_bindir) ]] && pg_paths && pid=$(pg_pid) && [[ -n ${pid} ]] &&
    "${PG_BIN}/pg_isready" -q -h 127.0.0.1 -p "${PG_PORT}" -t 2 >/dev/null 2>&1; then
    printf 'postgres  up    127.0.0.1:%s (pid %s, data %s)\n' "${PG_PORT}" "${pid}" "${PG_DATA}"
  else
    printf 'postgres  down\n'
    rc=1
  fi
  pid=$(redis_pid)
  if [[ -n ${pid} ]] && command -v redis-cli >/dev/null 2>&1 && redis_ping; then
    printf 'redis     up    127.0.0.1:%s (pid %s)\n' "${REDIS_PORT}" "${pid}"
  else
    printf 'redis     down\n'
    rc=1
  fi
  return "${rc}"
}

usage() {
  printf 'usage: %s up|down|status|restart-kafka|restart-postgres|stop-redis|start-redis|stop-postgres|start-postgres|stop-kafka|start-kafka\n' "$0" >&2
  exit 2
}

main() {
  (($# == 1)) || usage
  case $1 in
    up | down | status | restart-kafka | restart-postgres | stop-redis | start-redis | stop-postgres | start-postgres | stop-kafka | start-kafka) ;;
    *) usage ;;
  esac
  if use_docker; then
    [[ $1 == status ]] || take_lock
    docker_cmd "$1"
    return
  fi
  if [[ $1 == status ]]; then
    cmd_status
    return
  fi
  ensure_local_dir
  take_lock
  case $1 in
    up) cmd_up ;;
    down) cmd_down ;;
    restart-kafka)
      kafka_stop
      kafka_ensure wait
      ;;
    restart-postgres)
      ensure_packages
      pg_stop
      pg_ensure
      ;;
    stop-redis) redis_stop ;;
    start-redis)
      ensure_packages
      redis_ensure
      ;;
    stop-postgres) pg_stop ;;
    start-postgres)
      ensure_packages
      pg_ensure
      ;;
    stop-kafka) kafka_stop ;;
    start-kafka) kafka_ensure wait ;;
    *) usage ;;
  esac
}

main "$@"
