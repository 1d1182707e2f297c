#!/usr/bin/env bash
# Load at province scale (issue 21): the demonstration data plus 58 agencies of 24 offices (about 1 500 units) and
# $KPI_PROVINCE_PEOPLE people (default 80 000) with $KPI_PROVINCE_TASKS_EACH tasks in each of the twelve months
# before the current one (default 5: 4,8 million tasks), the last month computed; 200 sign-ins (50 unit leaders,
# 150 staff); two `kpi serve` behind nginx (deploy/nginx/kpi-proxy.conf), on PostgreSQL. driver.py measures the
# saturation throughput of the mix (Việc của tôi, a task page, the unit board, a result explanation, a report)
# with one process and with two, then the mix and /healthz at a fixed arrival rate of half the two-process
# saturation, and prints each page's p95 against /healthz's (goal: at most 5×, no error).
#   bench/province/run.sh [seconds per open-model phase, default 60]
# Builds the server in release mode (once, in $KPI_LOAD_SCRATCH, default .build-release) unless $KPI_BENCH_BIN
# names a kpi to use.
set -euo pipefail
cd "$(dirname "$0")/../.."
PEOPLE=${KPI_PROVINCE_PEOPLE:-80000}
PER=${KPI_PROVINCE_TASKS_EACH:-5}
SECONDS_EACH=${1:-60}
. bench/lib/setup.sh

. bench/lib/pg.sh kpi_province
export KPI_DATA_DIR="$WORK/data" KPI_BCRYPT_COST=8 KPI_WARN_EVERY_MINUTES=0 KPI_SCORE_EVERY_SECONDS=0 LOG_LEVEL=warning \
  KPI_TRUSTED_PROXIES=127.0.0.1

echo "== Dữ liệu: dữ liệu mẫu + 58 cơ quan × 24 phòng, $PEOPLE người × $PER nhiệm vụ mỗi tháng, $FIRST – $LAST"
"$BIN" demo >/dev/null
T0=$(date +%s)
psql_bench -q -v ON_ERROR_STOP=1 -v agencies=58 -v units_each=24 -v people="$PEOPLE" -v per="$PER" \
  -v first="$FIRST" -v last="$LAST" -f bench/reports/generate.sql
psql_bench -q -v ON_ERROR_STOP=1 -v leaders=50 -v step="$(( PEOPLE / 201 > 0 ? PEOPLE / 201 : 1 ))" -f bench/province/users.sql
"$PG_BIN/vacuumdb" -q -z -h 127.0.0.1 -p "$PG_PORT" -U postgres kpi_province
"$BIN" recompute --period "$LAST_MONTH" >"$WORK/recompute.log"
echo "   sinh dữ liệu và tính kỳ $LAST_MONTH: $(( $(date +%s) - T0 )) s"
psql_bench -At -c "SELECT 'đơn vị: ' || (SELECT count(*) FROM organizations) || ', người: ' || (SELECT count(*) FROM people)
  || ', nhiệm vụ: ' || (SELECT count(*) FROM tasks) || ', người dùng thử tải: ' || (SELECT count(*) FROM users WHERE username LIKE 'prov%')"
psql_bench -At -F $'\t' -v month="$LAST_MONTH" -f bench/province/targets.sql >"$WORK/targets.tsv"

# KPI_BENCH_WAIT_FOR: measure only once this file exists (the data generated while the machine did something else).
if [ -n "${KPI_BENCH_WAIT_FOR:-}" ]; then
  echo "   chờ tệp $KPI_BENCH_WAIT_FOR để bắt đầu đo"
  while [ ! -e "$KPI_BENCH_WAIT_FOR" ]; do sleep 5; done
fi
. bench/lib/processes.sh
echo "== Tải: 200 người dùng qua nginx tới 2 tiến trình, kỳ $LAST_MONTH"
python3 bench/province/driver.py --base "http://127.0.0.1:$FRONT" --single "http://127.0.0.1:${PORTS[0]}" \
  --targets "$WORK/targets.tsv" --month "$LAST_MONTH" --seconds "$SECONDS_EACH" \
  --saturation-seconds "${KPI_PROVINCE_SATURATION_SECONDS:-30}"
