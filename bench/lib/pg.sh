# Shared by the benchmarks: a throwaway PostgreSQL cluster from Debian's packages in a temporary
# directory, stopped and removed on exit. Source it after `set -euo pipefail`; it sets WORK, PG_BIN,
# PG_PORT, DATABASE_URL (database $1, default kpi_bench) and `psql_bench` (psql on that database).
# KPI_BENCH_KEEP=1 leaves the cluster running with its data at the end (to profile; it prints how to
# reach and stop it).
#   . bench/lib/pg.sh kpi_load
PG_DB=${1:-kpi_bench}
WORK=$(mktemp -d /tmp/kpi-bench.XXXXXX)
chmod 755 "$WORK"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  if [ -n "${KPI_BENCH_KEEP:-}" ]; then
    echo "PostgreSQL giữ lại: DATABASE_URL=$DATABASE_URL; dừng: runuser -u postgres -- $PG_BIN/pg_ctl -D $WORK/pg stop; rm -rf $WORK"
    return
  fi
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

PG_PORT=$(free_port)
mkdir -p "$WORK/pg" && chown postgres:postgres "$WORK" "$WORK/pg"
runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w \
  -o "-p $PG_PORT -k $WORK -c listen_addresses=127.0.0.1 -c shared_buffers=256MB ${KPI_BENCH_PG_OPTIONS:-}" start >/dev/null
runuser -u postgres -- "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$PG_DB"
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB?tlsmode=disable"
psql_bench() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$PG_DB" "$@"; }
