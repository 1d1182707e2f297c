#!/usr/bin/env bash
# Runs every test of KPI Công vụ:
#   1. Swift tests (core + server) on the embedded SQLite, the server tests again with the test
#      clock pinned to 31/12/2026 and to 29/02/2028,
#   2. the server tests again on a throwaway PostgreSQL cluster (with a streaming replica for the reports),
#   3. browser tests in Chromium, each against a real server of its own on a copy of the demo data
#      (its audit trail verified after); two processes behind nginx on PostgreSQL (e2e/test_processes.py),
#      faults under load (e2e/test_faults.py) and a Patroni failover (e2e/test_failover.py),
#   4. the API against its contract (schemathesis over every operation of api/openapi.yaml, with a
#      token of a test client), then `kpi verify-audit` against an edited entry.
# Builds once and reuses the binaries. Any failure stops with a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash scripts/setup-tools.sh

WORK=$(mktemp -d /tmp/kpi-test.XXXXXX)
chmod 755 "$WORK"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_DATA="$WORK/pg"
PG_REPLICA="$WORK/pg-replica"
cleanup() {
  status=$?
  for d in "$PG_REPLICA" "$PG_DATA"; do
    if [ -f "$d/postmaster.pid" ]; then
      runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true
    fi
  done
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

echo "== Độ dài dòng (tối đa 140 byte)"
python3 scripts/check-line-length.py
python3 scripts/generate-model-properties.py --check

echo "== Biên dịch (một lần)"
swift build --build-tests

echo "== Kiểm thử Swift trên SQLite"
swift test --skip-build

# The server tests again with the test clock at the end of a year and on a leap day (the test
# harness reads KPI_TEST_TODAY; the server has no such setting), so the calendar cannot break CI.
for day in 31/12/2026 29/02/2028; do
  echo "== Kiểm thử máy chủ trên SQLite, đồng hồ kiểm thử ngày $day"
  KPI_TEST_TODAY="$day" swift test --skip-build --filter KPIServerTests
done

echo "== Kiểm thử máy chủ trên PostgreSQL"
PG_PORT=$(free_port)
mkdir -p "$PG_DATA" && chown postgres:postgres "$WORK" "$PG_DATA"
runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$WORK/pg.log" -w \
  -o "-p $PG_PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
runuser -u postgres -- "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres kpi_test
# A streaming replica of that cluster for the report pages' reads (ReadReplicaTests; KPI_READ_DATABASE_URL).
REPLICA_PORT=$(free_port)
runuser -u postgres -- "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres -D "$PG_REPLICA" -R -X stream
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_REPLICA" -l "$WORK/pg-replica.log" -w \
  -o "-p $REPLICA_PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
KPI_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/kpi_test?tlsmode=disable" \
  KPI_TEST_READ_DATABASE_URL="postgres://postgres@127.0.0.1:$REPLICA_PORT/kpi_test?tlsmode=disable" \
  swift test --skip-build --filter KPIServerTests
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_REPLICA" -m fast stop >/dev/null

BIN="$ROOT/.build/debug/kpi"
echo "== kpi score trên ví dụ tính tay (docs/examples/score-case.json)"
# Output to a file first: with pipefail, `kpi | grep -q` fails whenever grep stops reading early.
"$BIN" score --input docs/examples/score-case.json >"$WORK/score.json"
grep -q '"yearScore" : 84.92' "$WORK/score.json" || { echo "kpi score: unexpected result"; cat "$WORK/score.json"; exit 1; }
if echo '{"people":[{"id":"x","periods":[{"tasks":[{"units":1,"status":"xong"}]}]}]}' | "$BIN" score --input - 2>"$WORK/score.err"; then
  echo "kpi score accepted a malformed case"; exit 1
fi
grep -q "people\[0\].periods\[0\].tasks\[0\].status" "$WORK/score.err" || { echo "kpi score did not name the field"; exit 1; }
echo "kpi score: 84,92 as computed by hand; a malformed case is refused naming its field."

echo "== TLS tới PostgreSQL, kiểm tra đầy đủ (KPI_DATABASE_CA_FILE)"
# An authority of the test's own signs the server's certificate for the name «localhost» only; the database
# kpi_tls takes TLS connections only (pg_hba). The right authority and name connect; another authority, or
# the address instead of the name, are refused.
TLS="$WORK/tls"
mkdir -p "$TLS"
ca() { openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" -keyout "$TLS/$2.key" -out "$TLS/$2.crt" 2>/dev/null; }
ca "KPI CA thu nghiem" ca
ca "KPI CA khac" other
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$TLS/server.key" -out "$TLS/server.csr" 2>/dev/null
openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial -days 2 \
  -extfile <(printf "subjectAltName=DNS:localhost") -out "$TLS/server.crt" 2>/dev/null
chown postgres "$TLS/server.key" "$TLS/server.crt" && chmod 600 "$TLS/server.key"
{ printf "hostnossl kpi_tls all 127.0.0.1/32 reject\nhostssl kpi_tls all 127.0.0.1/32 trust\n"; cat "$PG_DATA/pg_hba.conf"; } \
  >"$TLS/hba" && cp "$TLS/hba" "$PG_DATA/pg_hba.conf"
runuser -u postgres -- "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "ALTER SYSTEM SET ssl = on" \
  -c "ALTER SYSTEM SET ssl_cert_file = '$TLS/server.crt'" -c "ALTER SYSTEM SET ssl_key_file = '$TLS/server.key'" \
  -c "SELECT pg_reload_conf()" >/dev/null
runuser -u postgres -- "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres kpi_tls
tls_migrate() { DATABASE_URL="postgres://postgres@$1:$PG_PORT/kpi_tls" KPI_DATABASE_CA_FILE="$TLS/$2.crt" \
  KPI_DATA_DIR="$TLS/data" "$BIN" migrate >"$TLS/out.txt" 2>&1; }
tls_migrate localhost ca || { echo "TLS with the right authority failed"; cat "$TLS/out.txt"; exit 1; }
if tls_migrate localhost other; then echo "a certificate from another authority was accepted"; exit 1; fi
if tls_migrate 127.0.0.1 ca; then echo "a certificate for another name was accepted"; exit 1; fi
if DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/kpi_tls?tlsmode=disable" KPI_DATA_DIR="$TLS/data" "$BIN" migrate \
  >/dev/null 2>&1; then echo "kpi_tls took a connection without TLS"; exit 1; fi
echo "TLS: the right authority and name connect; another authority, another name, or no TLS are refused."

echo "== Kiểm thử trình duyệt (Chromium)"
# The demonstration data once; each browser test serves its own copy on a port of its own (see
# e2e/conftest.py), so every test starts from the same state, whatever ran before it.
export KPI_E2E_TEMPLATE="$WORK/template" KPI_BIN="$BIN" KPI_BCRYPT_COST=8
KPI_DATA_DIR="$KPI_E2E_TEMPLATE" "$BIN" demo >"$WORK/demo.txt"
export KPI_DEMO_LOGINS="$WORK/demo.txt"
# e2e/test_processes.py, test_backup.py, test_faults.py: two processes behind nginx, each on a database of its own here.
export KPI_E2E_POSTGRES="postgres://postgres@127.0.0.1:$PG_PORT"
# e2e/test_faults.py stops and starts this PostgreSQL (with its own options) under load.
export KPI_E2E_PGDATA="$PG_DATA"
# e2e/test_failover.py builds its own Patroni cluster (deploy/ha/cluster.py); setup-tools installed what it needs.
export KPI_E2E_REQUIRE_HA=1
python3 -m pytest -q e2e

echo "== Kiểm thử API theo hợp đồng (schemathesis, mọi thao tác của api/openapi.yaml)"
# A server of its own on a copy of the demo data, a client holding every scope; every check
# schemathesis has (server errors, status codes, content types, headers, response schemas, refusal of
# invalid data, acceptance of valid data, methods not declared, authentication; the exceptions and their
# reasons in api/schemathesis.toml), with a fixed seed so a failure reproduces.
API_DIR="$WORK/api"
cp -r "$KPI_E2E_TEMPLATE" "$API_DIR"
TOKEN=$(KPI_DATA_DIR="$API_DIR" "$BIN" api-client --username schemathesis --name "Kiểm thử hợp đồng" --rate 10000 \
  --scopes "catalog:read catalog:write tasks:read tasks:write results:read results:read-unpublished webhooks:manage")
API_PORT=$(free_port)
KPI_DATA_DIR="$API_DIR" "$BIN" serve --port "$API_PORT" >"$WORK/api-server.log" 2>&1 &
API_PID=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$API_PORT/healthz" >/dev/null && break; sleep 0.2; done
if ! schemathesis --no-color --config-file api/schemathesis.toml run api/openapi.yaml \
  --url "http://127.0.0.1:$API_PORT/api/v1" -H "Authorization: Bearer $TOKEN" \
  --checks all --max-examples 60 --seed 20261203 >"$WORK/schemathesis.txt" 2>&1; then
  cat "$WORK/schemathesis.txt"; tail -n 50 "$WORK/api-server.log"; kill "$API_PID"; exit 1
fi
tail -n 4 "$WORK/schemathesis.txt"
kill "$API_PID"; wait "$API_PID" 2>/dev/null || true
KPI_DATA_DIR="$API_DIR" "$BIN" verify-audit >/dev/null

echo "== Giám sát (Prometheus: /metrics theo promtool, quy tắc cảnh báo)"
# A server with a metrics token: /metrics refuses a visitor, and what it gives the token's bearer passes
# Prometheus's own lint; the alert rules load and fire on the figures they are meant for.
MET_DIR="$WORK/metrics"
cp -r "$KPI_E2E_TEMPLATE" "$MET_DIR"
MET_TOKEN=$(head -c 32 /dev/urandom | base64)
MET_PORT=$(free_port)
KPI_DATA_DIR="$MET_DIR" KPI_METRICS_TOKEN="$MET_TOKEN" "$BIN" serve --port "$MET_PORT" >"$WORK/metrics-server.log" 2>&1 &
MET_PID=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$MET_PORT/healthz" >/dev/null && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$MET_PORT/dang-nhap" >/dev/null
MET_VISITOR=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MET_PORT/metrics")
curl -fs -H "Authorization: Bearer $MET_TOKEN" "http://127.0.0.1:$MET_PORT/metrics" >"$WORK/metrics.txt"
kill "$MET_PID"; wait "$MET_PID" 2>/dev/null || true
[ "$MET_VISITOR" = 401 ] || { echo "/metrics answered $MET_VISITOR without the token"; exit 1; }
promtool check metrics <"$WORK/metrics.txt"
grep -q 'kpi_http_requests_total{route="/dang-nhap",method="GET",status="2xx"} 1' "$WORK/metrics.txt" \
  || { echo "/metrics did not count the page"; cat "$WORK/metrics.txt"; exit 1; }
promtool check rules deploy/prometheus/kpi-alerts.yml deploy/prometheus/kpi-alerts-ha.yml
(cd deploy/prometheus && promtool test rules kpi-alerts.test.yml kpi-alerts-ha.test.yml)

echo "== Kiểm tra toàn vẹn nhật ký (kpi verify-audit, kpi audit-anchor)"
export KPI_DATA_DIR="$WORK/check"
cp -r "$KPI_E2E_TEMPLATE" "$KPI_DATA_DIR"
"$BIN" audit-anchor --file "$WORK/neo.jsonl"
"$BIN" verify-audit --anchors "$WORK/neo.jsonl" >"$WORK/verify.txt"
grep -q "Khớp 1 neo" "$WORK/verify.txt" || { echo "verify-audit did not check the anchor"; cat "$WORK/verify.txt"; exit 1; }
DB="$KPI_DATA_DIR/kpi.sqlite"
SEQ=$(sqlite3 "$DB" "SELECT seq FROM audit_entries ORDER BY seq LIMIT 1 OFFSET 10")
sqlite3 "$DB" "DROP TRIGGER audit_entries_no_update; UPDATE audit_entries SET ip='10.9.9.9' WHERE seq=$SEQ;"
if OUT=$("$BIN" verify-audit 2>&1); then
  echo "verify-audit did not notice an edited entry"; exit 1
fi
grep -q "mục số $SEQ" <<<"$OUT" || { echo "verify-audit did not name entry $SEQ: $OUT"; exit 1; }
echo "verify-audit named the edited entry $SEQ."
echo "== Tất cả kiểm thử đều đạt"
