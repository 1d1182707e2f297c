#!/usr/bin/env bash
# Reports at province scale on PostgreSQL (issue 19): the demonstration data plus $KPI_REPORT_AGENCIES
# agencies (default 58) of $KPI_REPORT_UNITS_EACH offices (default 24), about 1 500 units in all, and
# $KPI_REPORT_PEOPLE people (default 80 000) with $KPI_REPORT_TASKS_EACH tasks each (default 4) in each of
# the twelve months before the current one; each month opened for every agency and computed by
# `kpi recompute` (stored scores and their summaries, as the server keeps them). Then driver.py times, with
# $KPI_REPORT_VIEWERS concurrent viewers (default 20), /healthz, the province report, an agency's report
# and the advisory home page, and the province's export of every person's results as CSV and as XLSX with
# the server's memory sampled.
#   bench/reports/run.sh [seconds per page, default 20]
# Builds the server in release mode (once, in $KPI_LOAD_SCRATCH, default .build-release) unless
# $KPI_BENCH_BIN names a kpi to use.
set -euo pipefail
cd "$(dirname "$0")/../.."
PEOPLE=${KPI_REPORT_PEOPLE:-80000}
AGENCIES=${KPI_REPORT_AGENCIES:-58}
UNITS_EACH=${KPI_REPORT_UNITS_EACH:-24}
PER=${KPI_REPORT_TASKS_EACH:-4}
VIEWERS=${KPI_REPORT_VIEWERS:-20}
SECONDS_EACH=${1:-20}
. bench/lib/setup.sh

. bench/lib/pg.sh kpi_reports
export KPI_DATA_DIR="$WORK/data" KPI_BCRYPT_COST=8 KPI_WARN_EVERY_MINUTES=0 KPI_SCORE_EVERY_SECONDS=0 LOG_LEVEL=warning

echo "== Dữ liệu: dữ liệu mẫu + $AGENCIES cơ quan × $UNITS_EACH phòng, $PEOPLE người × $PER nhiệm vụ mỗi tháng, $FIRST – $LAST"
"$BIN" demo >"$WORK/demo.txt"
T0=$(date +%s)
psql_bench -q -v ON_ERROR_STOP=1 -v agencies="$AGENCIES" -v units_each="$UNITS_EACH" -v people="$PEOPLE" -v per="$PER" \
  -v first="$FIRST" -v last="$LAST" -f bench/reports/generate.sql
"$PG_BIN/vacuumdb" -q -z -h 127.0.0.1 -p "$PG_PORT" -U postgres kpi_reports
echo "   sinh dữ liệu: $(( $(date +%s) - T0 )) s"
for m in ${MONTHS//,/ }; do
  a=$(date +%s)
  "$BIN" recompute --period "$m" >"$WORK/recompute-$m.log"
  echo "   kpi recompute --period $m: $(( $(date +%s) - a )) s ($(tail -n 1 "$WORK/recompute-$m.log"))"
done
"$PG_BIN/vacuumdb" -q -z -h 127.0.0.1 -p "$PG_PORT" -U postgres kpi_reports
psql_bench -At -c "SELECT 'đơn vị: ' || (SELECT count(*) FROM organizations) || ', người: ' || (SELECT count(*) FROM people)
  || ', nhiệm vụ: ' || (SELECT count(*) FROM tasks) || ', kết quả lưu: ' || (SELECT count(*) FROM score_inputs)
  || ', dòng tổng hợp: ' || (SELECT count(*) FROM score_aggregates) || ', kỳ tháng có điểm: '
  || (SELECT count(DISTINCT period) FROM score_aggregates)"

PORT=$(free_port)
"$BIN" serve --hostname 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
echo "== Đo ($VIEWERS người xem đồng thời, $SECONDS_EACH s mỗi trang, kỳ $LAST_MONTH)"
python3 bench/reports/driver.py --port "$PORT" --pid "$SERVER_PID" --viewers "$VIEWERS" --seconds "$SECONDS_EACH" \
  --month "$LAST_MONTH" --agency BCQ-001 --logins "$WORK/demo.txt"
