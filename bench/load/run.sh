#!/usr/bin/env bash
# Load test of the work pages on PostgreSQL (issue 5): the demo data multiplied to 5 000 people and
# 300 000 tasks, 50 concurrent signed-in users on loopback, each phase bounded in time. Prints
# p50/p95/p99 of /healthz, "Việc của tôi" and the unit board, and each page's ratio to /healthz
# measured in the same run; exits 1 when a page has errors or p95 > 100 ms.
#   bench/load/run.sh [seconds per phase, default 30]
# Builds the server in release mode (once, in $KPI_LOAD_SCRATCH, default .build-release).
set -euo pipefail
cd "$(dirname "$0")/../.."
PHASE_SECONDS=${1:-30}
PEOPLE=${KPI_LOAD_PEOPLE:-5000}
PER=${KPI_LOAD_TASKS_EACH:-60}
SCRATCH=${KPI_LOAD_SCRATCH:-.build-release}

bash scripts/setup-tools.sh
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
swift build -c release --product kpi --scratch-path "$SCRATCH"
BIN="$SCRATCH/release/kpi"

. bench/lib/pg.sh kpi_load
export KPI_DATA_DIR="$WORK/data" KPI_BCRYPT_COST=8 KPI_WARN_EVERY_MINUTES=0 LOG_LEVEL=warning

echo "== Dữ liệu: dữ liệu mẫu × $PEOPLE người, $PER nhiệm vụ mỗi người"
"$BIN" demo >/dev/null
T0=$(date +%s)
psql_bench -q -v ON_ERROR_STOP=1 -v people="$PEOPLE" -v per="$PER" -f bench/load/multiply.sql
"$PG_BIN/vacuumdb" -q -z -h 127.0.0.1 -p "$PG_PORT" -U postgres kpi_load
psql_bench -At -c "SELECT 'người: ' || (SELECT count(*) FROM people) || ', nhiệm vụ: ' || (SELECT count(*) FROM tasks) || ' (' || $(date +%s) - $T0 || ' s)'"

PORT=$(free_port)
"$BIN" serve --hostname 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 150); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
echo "== Tải: 50 người dùng đồng thời, $PHASE_SECONDS s mỗi pha"
python3 bench/load/driver.py --port "$PORT" --seconds "$PHASE_SECONDS"
