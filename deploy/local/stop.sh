#!/usr/bin/env bash
# npm stop: stop the four services; with --all also Kafka, Postgres and Redis (data is kept).
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
stop_services
if [[ "${1:-}" == "--all" ]]; then bash "${REPO_ROOT}/deploy/local/infra.sh" down; fi
