#!/usr/bin/env bash
# Old against new on the same database, in alternating runs: the check that a refactoring kept the
# speed the benchmarks measured (issue 17: "within 10 % of the old on every figure, or faster").
#   bench/compare.sh load|evaluation [old commit, default HEAD~1] [pairs, default 3]
# Builds the old commit (in a git worktree under /tmp) and the working tree in release mode, loads the
# benchmark's data once into a throwaway PostgreSQL, then runs old, new, old, new… on that database:
#   load        the load driver against each server (bench/load: 5 000 people, 300 000 tasks; 50 users;
#               $KPI_LOAD_SECONDS per phase, default 20);
#   evaluation  `kpi recompute` of the quarter (bench/evaluation: $KPI_EVAL_PEOPLE people, default
#               80 000, × 60 tasks, as bench/evaluation/run.sh).
# The order alternates by pair (old, new; new, old; …) so neither binary always runs on a warmer
# cache, and an untimed warm-up run goes first (the first recompute writes the results the later
# ones replace). Prints every run, then each figure's median for old and new and the ratio new ÷ old.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:?load hoặc evaluation}
OLD=${2:-HEAD~1}
PAIRS=${3:-3}
OLD_SHA=$(git rev-parse --short "$OLD")
OLD_DIR=/tmp/kpi-old-$OLD_SHA

bash scripts/setup-tools.sh
[ -d "$OLD_DIR" ] || git worktree add --detach "$OLD_DIR" "$OLD" >/dev/null
echo "== Biên dịch bản cũ ($OLD_SHA) và bản mới (thư mục làm việc), chế độ release"
(cd "$OLD_DIR" && swift build -c release --product kpi --scratch-path .build-release >/dev/null)
swift build -c release --product kpi --scratch-path .build-release >/dev/null
OLD_BIN="$OLD_DIR/.build-release/release/kpi"
NEW_BIN="$PWD/.build-release/release/kpi"

. bench/lib/pg.sh "kpi_compare_$MODE"
export KPI_DATA_DIR="$WORK/data" KPI_BCRYPT_COST=8 KPI_WARN_EVERY_MINUTES=0 KPI_SCORE_EVERY_SECONDS=0 LOG_LEVEL=warning
"$NEW_BIN" demo >/dev/null
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
# Odd pairs run the old binary first, even pairs the new one.
order() { if [ $(($1 % 2)) -eq 1 ]; then echo old new; else echo new old; fi; }

if [ "$MODE" = load ]; then
  command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
  psql_bench -q -v ON_ERROR_STOP=1 -v people="${KPI_LOAD_PEOPLE:-5000}" -v per="${KPI_LOAD_TASKS_EACH:-60}" \
    -f bench/load/multiply.sql
  "$PG_BIN/vacuumdb" -q -z -h 127.0.0.1 -p "$PG_PORT" -U postgres "kpi_compare_$MODE"
  serve() {
    PORT=$(free_port)
    "$1" serve --hostname 127.0.0.1 --port "$PORT" >"$2" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 150); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  }
  echo "== Chạy khởi động (không tính)"
  serve "$NEW_BIN" "$WORK/server-warmup.log"
  python3 bench/load/driver.py --port "$PORT" --seconds 3 >/dev/null || true
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  for pair in $(seq 1 "$PAIRS"); do
    for which in $(order "$pair"); do
      BIN=$([ "$which" = old ] && echo "$OLD_BIN" || echo "$NEW_BIN")
      serve "$BIN" "$WORK/server-$which-$pair.log"
      echo "== Lần $pair, bản $which"
      python3 bench/load/driver.py --port "$PORT" --seconds "${KPI_LOAD_SECONDS:-20}" | tee "$WORK/load-$which-$pair.txt" || true
      kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
      python3 - "$which" "$WORK/load-$which-$pair.txt" >>"$RESULTS" <<'PY'
import re, sys
for line in open(sys.argv[2], encoding="utf-8"):
    m = re.match(r"(.+?)\s+\d+ req\s+\d+ err\s+([\d.]+)/s\s+p50\s+([\d.]+) ms\s+p95\s+([\d.]+) ms\s+p99\s+([\d.]+) ms", line)
    if m:
        name = m.group(1).strip()
        for figure, value in (("req/s", m.group(2)), ("p50 ms", m.group(3)), ("p95 ms", m.group(4)), ("p99 ms", m.group(5))):
            print(f"{sys.argv[1]}\t{name} · {figure}\t{value}")
PY
    done
  done
else
  QUARTER=${KPI_EVAL_QUARTER:-2026-Q4}
  read -r FIRST LAST < <(python3 - "$QUARTER" <<'PY'
import sys, datetime
y, q = sys.argv[1].split("-Q"); y, q = int(y), int(q)
first = datetime.date(y, 3 * q - 2, 1)
last = datetime.date(y + (q == 4), (3 * q) % 12 + 1, 1) - datetime.timedelta(days=1)
print(first.isoformat(), last.isoformat())
PY
)
  psql_bench -q -v ON_ERROR_STOP=1 -v people="${KPI_EVAL_PEOPLE:-80000}" -v per="${KPI_EVAL_TASKS_EACH:-60}" -v first="$FIRST" \
    -v last="$LAST" -v quarter="$QUARTER" -f bench/evaluation/generate.sql
  "$PG_BIN/vacuumdb" -q -z -h 127.0.0.1 -p "$PG_PORT" -U postgres "kpi_compare_$MODE"
  echo "== Chạy khởi động (không tính)"
  "$NEW_BIN" recompute --period "$QUARTER" >"$WORK/recompute-warmup.log"
  for pair in $(seq 1 "$PAIRS"); do
    for which in $(order "$pair"); do
      BIN=$([ "$which" = old ] && echo "$OLD_BIN" || echo "$NEW_BIN")
      a=$(python3 -c 'import time; print(time.time())')
      "$BIN" recompute --period "$QUARTER" >"$WORK/recompute-$which-$pair.log"
      b=$(python3 -c 'import time; print(time.time())')
      s=$(python3 -c "print(f'{$b - $a:.3f}')")
      echo "lần $pair, bản $which: kpi recompute $s s ($(tail -n 1 "$WORK/recompute-$which-$pair.log"))"
      printf '%s\trecompute %s · giây\t%s\n' "$which" "$QUARTER" "$s" >>"$RESULTS"
    done
  done
fi

echo "== Trung vị của $PAIRS lần mỗi bản (tỷ lệ mới ÷ cũ; với req/s, lớn hơn là nhanh hơn)"
python3 - "$RESULTS" <<'PY'
import statistics, sys
values = {}
for line in open(sys.argv[1], encoding="utf-8"):
    which, figure, value = line.rstrip("\n").split("\t")
    values.setdefault(figure, {"old": [], "new": []})[which].append(float(value))
for figure, v in values.items():
    old, new = statistics.median(v["old"]), statistics.median(v["new"])
    print(f"{figure:<48} cũ {old:>9.2f}  mới {new:>9.2f}  mới ÷ cũ {new / old if old else float('nan'):.3f}")
PY
