#!/usr/bin/env bash
# Years of data (issue 21, item 6): the province of bench/province (80 000 people, 1 500 units, 5 tasks a month, the
# last month computed, 200 users through nginx to two processes) measured with one year of tasks (4,8 million), then
# again after $1 - 1 more years of older, closed tasks are added to the same database (default 5 years in all:
# 24 million): the recompute of the last month (`kpi recompute`), the report of the whole province as its advisory
# body opens it (20 requests, p50 and the slowest), and the pages at a fixed arrival rate (bench/province/driver.py,
# each page's p95 against /healthz's). The two measurements of one run are the baseline and the figure: what the
# years cost is their ratio, on the same machine, the same build, the same day.
#   bench/years/run.sh [years, default 5] [seconds per open-model phase, default 30]
# At full scale it needs about 40 GB free under /tmp (where bench/lib/pg.sh puts the throwaway cluster) and about
# 45 minutes (measured 04/12/2026: bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
YEARS=${1:-5}
SECONDS_EACH=${2:-30}
PEOPLE=${KPI_PROVINCE_PEOPLE:-80000}
PER=${KPI_PROVINCE_TASKS_EACH:-5}
. bench/lib/setup.sh
. bench/lib/pg.sh kpi_years
export KPI_DATA_DIR="$WORK/data" KPI_BCRYPT_COST=8 KPI_WARN_EVERY_MINUTES=0 KPI_SCORE_EVERY_SECONDS=0 LOG_LEVEL=warning \
  KPI_TRUSTED_PROXIES=127.0.0.1

"$BIN" demo >"$WORK/demo.txt"
T0=$(date +%s)
psql_bench -q -v ON_ERROR_STOP=1 -v agencies=58 -v units_each=24 -v people="$PEOPLE" -v per="$PER" \
  -v first="$FIRST" -v last="$LAST" -f bench/reports/generate.sql
psql_bench -q -v ON_ERROR_STOP=1 -v leaders=50 -v step="$(( PEOPLE / 201 > 0 ? PEOPLE / 201 : 1 ))" -f bench/province/users.sql
"$PG_BIN/vacuumdb" -q -z -h 127.0.0.1 -p "$PG_PORT" -U postgres kpi_years
echo "== Năm thứ nhất: $(( $(date +%s) - T0 )) s để sinh dữ liệu"

measure() {
  psql_bench -At -c "SELECT 'nhiệm vụ: ' || count(*) || ', bảng tasks: ' || pg_size_pretty(pg_total_relation_size('tasks')) FROM tasks"
  local a
  a=$(date +%s.%N)
  "$BIN" recompute --period "$LAST_MONTH" >"$WORK/recompute.log"
  echo "   kpi recompute --period $LAST_MONTH: $(python3 -c "print(f'{$(date +%s.%N) - $a:.1f}')") s"
  psql_bench -At -F $'\t' -v month="$LAST_MONTH" -f bench/province/targets.sql >"$WORK/targets.tsv"
  . bench/lib/processes.sh
  python3 bench/years/report.py --base "http://127.0.0.1:$FRONT" --month "$LAST_MONTH" --logins "$WORK/demo.txt"
  python3 bench/province/driver.py --base "http://127.0.0.1:$FRONT" --single "http://127.0.0.1:${PORTS[0]}" \
    --targets "$WORK/targets.tsv" --month "$LAST_MONTH" --seconds "$SECONDS_EACH" --saturation-seconds 20 || true
  kill $NGINX_PID $SERVER_PID 2>/dev/null || true
  wait $NGINX_PID $SERVER_PID 2>/dev/null || true
}

echo "== Đo với 1 năm dữ liệu"
measure
if [ "$YEARS" -gt 1 ]; then
  T0=$(date +%s)
  psql_bench -q -v ON_ERROR_STOP=1 -v per="$PER" -v months="$(( (YEARS - 1) * 12 ))" -v first="$FIRST" -f bench/years/older.sql
  "$PG_BIN/vacuumdb" -q -z -h 127.0.0.1 -p "$PG_PORT" -U postgres kpi_years
  echo "== Thêm $(( YEARS - 1 )) năm cũ hơn: $(( $(date +%s) - T0 )) s; đo với $YEARS năm dữ liệu"
  measure
fi
