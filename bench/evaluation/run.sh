#!/usr/bin/env bash
# Province-scale recompute of an evaluation quarter on PostgreSQL (issue 6): the demonstration data
# plus $KPI_EVAL_PEOPLE people (default 80 000) with $KPI_EVAL_TASKS_EACH tasks each (default 60) due in
# the quarter, the quarter opened for every agency; then, in the same run, three times each:
#   1. the floor: one hand-written SQL aggregation over the same task rows (bench/evaluation/floor.sql);
#   2. `kpi recompute --period <quarter>`: every agency gathered, scored and stored.
# Prints each time (median of three) and the ratio recompute / floor.
#   bench/evaluation/run.sh [quarter, default the current one]
# Builds the server in release mode (once, in $KPI_LOAD_SCRATCH, default .build-release).
set -euo pipefail
cd "$(dirname "$0")/../.."
PEOPLE=${KPI_EVAL_PEOPLE:-80000}
PER=${KPI_EVAL_TASKS_EACH:-60}
RUNS=${KPI_EVAL_RUNS:-3}
SCRATCH=${KPI_LOAD_SCRATCH:-.build-release}
QUARTER=${1:-$(python3 -c 'import datetime; d=datetime.date.today(); print(f"{d.year}-Q{(d.month-1)//3+1}")')}
read -r FIRST LAST < <(python3 - "$QUARTER" <<'PY'
import sys, datetime
y, q = sys.argv[1].split("-Q"); y, q = int(y), int(q)
first = datetime.date(y, 3 * q - 2, 1)
last = (datetime.date(y + (q == 4), (3 * q) % 12 + 1, 1) - datetime.timedelta(days=1))
print(first.isoformat(), last.isoformat())
PY
)

bash scripts/setup-tools.sh
swift build -c release --product kpi --scratch-path "$SCRATCH"
BIN="$SCRATCH/release/kpi"

. bench/lib/pg.sh kpi_eval
export KPI_DATA_DIR="$WORK/data" KPI_BCRYPT_COST=8 KPI_WARN_EVERY_MINUTES=0 KPI_SCORE_EVERY_SECONDS=0 LOG_LEVEL=warning

echo "== Dữ liệu: dữ liệu mẫu + $PEOPLE người × $PER nhiệm vụ đến hạn trong $QUARTER ($FIRST – $LAST)"
"$BIN" demo >/dev/null
T0=$(date +%s)
psql_bench -q -v ON_ERROR_STOP=1 -v people="$PEOPLE" -v per="$PER" -v first="$FIRST" -v last="$LAST" -v quarter="$QUARTER" \
  -f bench/evaluation/generate.sql
"$PG_BIN/vacuumdb" -q -z -h 127.0.0.1 -p "$PG_PORT" -U postgres kpi_eval
psql_bench -At -c "SELECT 'người: ' || (SELECT count(*) FROM people) || ', nhiệm vụ: ' || (SELECT count(*) FROM tasks) || ', kỳ: ' || (SELECT count(*) FROM evaluation_periods WHERE code = '$QUARTER') || ' cơ quan (' || $(date +%s) - $T0 || ' s)'"

seconds() { python3 -c 'import time; print(f"{time.time():.3f}")'; }
median() { python3 -c 'import sys, statistics; print(f"{statistics.median(map(float, sys.argv[1:])):.3f}")' "$@"; }
FLOORS=(); RECOMPUTES=()
for run in $(seq 1 "$RUNS"); do
  a=$(seconds)
  psql_bench -q -o /dev/null -v ON_ERROR_STOP=1 -v first="$FIRST" -v last="$LAST" -f bench/evaluation/floor.sql
  b=$(seconds)
  "$BIN" recompute --period "$QUARTER" >"$WORK/recompute-$run.log"
  c=$(seconds)
  FLOORS+=("$(python3 -c "print(f'{$b - $a:.3f}')")"); RECOMPUTES+=("$(python3 -c "print(f'{$c - $b:.3f}')")")
  echo "lần $run: truy vấn SQL ${FLOORS[-1]} s · kpi recompute ${RECOMPUTES[-1]} s ($(tail -n 1 "$WORK/recompute-$run.log"))"
done
F=$(median "${FLOORS[@]}"); R=$(median "${RECOMPUTES[@]}")
PEOPLE_SCORED=$(psql_bench -At -c "SELECT count(*) FROM score_inputs WHERE period = '$QUARTER'")
echo "== Kết quả ($PEOPLE_SCORED người có điểm)"
echo "sàn SQL (một truy vấn tổng hợp): $F s"
echo "tính lại toàn tỉnh: $R s"
python3 -c "print(f'tỷ lệ: {$R / $F:.1f}×  (mục tiêu ≤ 3×)')"
