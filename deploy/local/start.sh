#!/usr/bin/env bash
# npm start: install what is missing, start Kafka/Postgres/Redis, build, migrate, start the four
# services (compiled) with the demo community seeded, and print where everything is.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
cd "${REPO_ROOT}"

ensure_node_modules
ensure_infra
log "building"
npm run --silent build
log "creating topics and running migrations"
node dist/deploy/scripts/provision.js

mkdir -p "${RUN_DIR}/logs"
stop_services
export SEED_DEMO="${SEED_DEMO:-true}" SEED_DEMO_STAFF="${SEED_DEMO_STAFF:-true}" NOTIFY_PROVIDER_MODE="${NOTIFY_PROVIDER_MODE:-dev}"
export NODE_ENV="${NODE_ENV:-production}" MIGRATE_ON_BOOT=false
# The services' runtime settings (heap limit, malloc arenas), as in the Docker image and the bench.
set -a
# shellcheck source=deploy/service-runtime.env
source deploy/service-runtime.env
set +a
for svc in "${SERVICES[@]}"; do
  port=${SERVICE_PORTS[$svc]}
  nohup node --enable-source-maps "dist/services/${svc}/src/main.js" >"${RUN_DIR}/logs/${svc}.log" 2>&1 &
  echo $! >"${RUN_DIR}/${svc}.pid"
done
for svc in "${SERVICES[@]}"; do
  wait_ready "$svc" "${SERVICE_PORTS[$svc]}"
  log "${svc} ready on :${SERVICE_PORTS[$svc]}"
done

cat <<MSG

Community case dispatch is running (logs in .run/logs/, stop with: npm stop).

  Intake        http://localhost:3001/docs   residents: POST /v1/reports, Open311: /open311/v2/discovery.json
  Routing       http://localhost:3002/docs   admin: /v1/admin/..., explain: POST /v1/routing/explain
  Dispatch      http://localhost:3003/docs   partner API /partner/v1, center API /center/v1
  Ops page      http://localhost:3003/ops    (center login below)
  Notification  http://localhost:3004/docs   delivery log /v1/deliveries
  Every service: /health/live, /health/ready, /metrics, /openapi.json

Demo credentials (demo community 五里街道 / Wuli Street):
  Center staff (ops page, /center/v1/auth/login):
    admin / admin-demo-2026        supervisor / supervisor-demo-2026        dispatcher / dispatcher-demo-2026
  Partner units (/partner/v1, header "Authorization: Bearer <key>"), e.g.
    桂花苑物业 U-PM-GHY: demo-key-pm-ghy    五里派出所 U-POLICE-WL: demo-key-police-wl    供水 U-WATER-HZ: demo-key-water-hz
    every unit's key: services/routing/seed/README.md
  Open311 api_key: ${OPEN311_DEMO_API_KEY:-open311-demo-key}
  Routing admin token: ${ROUTING_ADMIN_TOKEN:-routing-dev-token}     Notification admin token: ${NOTIFICATION_ADMIN_TOKEN:-notification-dev-token}

Try it:
  curl -s -X POST localhost:3001/v1/reports -H 'content-type: application/json' \\
    -d '{"channel":"app","description":"楼下下水管堵了,污水冒出来","location":{"buildingCode":"WL-GH-G1-B02"},"reporter":{"anonymous":false,"name":"张三","phone":"13800000001","confidential":false}}'
MSG
