# Shared by the benchmarks: the test tools and wrk installed, and BIN, the kpi to measure: built in release mode
# (once, in $KPI_LOAD_SCRATCH, default .build-release), or $KPI_BENCH_BIN when set (a kpi built already: a quick
# check of a script at small scale with a debug build). Also FIRST, LAST (ISO dates of the first day of the month a
# year ago and the last day of the last month), MONTHS (those twelve months, oldest first) and LAST_MONTH.
#   . bench/lib/setup.sh
SCRATCH=${KPI_LOAD_SCRATCH:-.build-release}
read -r FIRST LAST MONTHS < <(python3 - <<'PY'
import datetime
t = datetime.date.today().replace(day=1)
last = t - datetime.timedelta(days=1)
months = []
y, m = t.year, t.month
for _ in range(12):
    y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    months.append(f"{y}-{m:02d}")
first = datetime.date(y, m, 1)
print(first.isoformat(), last.isoformat(), ",".join(reversed(months)))
PY
)
LAST_MONTH=${MONTHS##*,}
bash scripts/setup-tools.sh
command -v wrk >/dev/null || { apt-get install -y -q wrk >/dev/null 2>&1 || (apt-get update -q && apt-get install -y -q wrk); }
if [ -n "${KPI_BENCH_BIN:-}" ]; then BIN=$KPI_BENCH_BIN; else
  swift build -c release --product kpi --scratch-path "$SCRATCH"
  BIN="$SCRATCH/release/kpi"
fi
