#!/usr/bin/env bash
# Soak (issue 21): $1 minutes (default 30) of mixed load on two `kpi serve` behind nginx, on PostgreSQL with the
# load test's data (the demonstration × 5 000 people, 300 000 tasks; bench/load/multiply.sql): the pages of 50
# signed-in users at a fixed arrival rate ($KPI_SOAK_RATE a second, default 60) and API clients giving, filing,
# submitting and accepting work twice a second. driver.py prints each minute's requests, errors, p95 and each
# process's resident memory; it fails on any error or when a process's memory grew 10 % or more after the warm-up.
#   bench/soak/run.sh [minutes, default 30]
# Builds the server in release mode (once, in $KPI_LOAD_SCRATCH, default .build-release) unless $KPI_BENCH_BIN
# names a kpi to use.
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES=${1:-30}
. bench/lib/setup.sh

. bench/lib/pg.sh kpi_soak
export KPI_DATA_DIR="$WORK/data" KPI_BCRYPT_COST=8 LOG_LEVEL=warning KPI_TRUSTED_PROXIES=127.0.0.1
"$BIN" demo >/dev/null
psql_bench -q -v ON_ERROR_STOP=1 -v people=5000 -v per=60 -f bench/load/multiply.sql
"$PG_BIN/vacuumdb" -q -z -h 127.0.0.1 -p "$PG_PORT" -U postgres kpi_soak
TOKEN=$("$BIN" api-client --username chay-dai --rate 10000 --scopes "tasks:read tasks:write" 2>/dev/null | tail -n 1)
JUDGE=$("$BIN" api-client --username chay-dai-nt --rate 10000 --scopes "tasks:read tasks:write" 2>/dev/null | tail -n 1)
psql_bench -At -F $'\t' -c "SELECT p.code, pr.code FROM people p JOIN positions po ON po.id = p.position_id
  JOIN products pr ON pr.group_id = po.group_id AND pr.active AND (pr.position_id IS NULL OR pr.position_id = p.position_id)
   AND p.scope_path LIKE pr.scope_path || '%' WHERE p.active AND p.leadership_rank = 'khong' ORDER BY 1, 2 LIMIT 200" >"$WORK/pairs.tsv"

. bench/lib/processes.sh
echo "== Chạy dài $MINUTES phút: 50 người dùng, ${KPI_SOAK_RATE:-60} trang/s, giao và nghiệm thu việc qua API"
python3 bench/soak/driver.py --base "http://127.0.0.1:$FRONT" --pids "${PIDS[0]},${PIDS[1]}" --minutes "$MINUTES" \
  --rate "${KPI_SOAK_RATE:-60}" --token "$TOKEN" --judge "$JUDGE" --pairs "$WORK/pairs.tsv" --warmup "$(( MINUTES >= 10 ? 5 : 1 ))"
