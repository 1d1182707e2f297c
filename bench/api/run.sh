#!/usr/bin/env bash
# API benchmark (issue 20): 10 000 tasks created through POST /api/v1/tasks by 8 concurrent API
# clients on PostgreSQL, with retries under the same Idempotency-Key and documents sent twice; the
# floor is /healthz from the same 8 connections in the same run. Goal: ≥ 0,25× the floor's rate and
# not one duplicate task. Prints both rates and the ratio; exits 1 on a duplicate, a missing task or an
# unexpected answer. Also prints the server's and PostgreSQL's CPU time per /healthz and per task.
#   bench/api/run.sh [number of tasks, default 10000]
# KPI_BENCH_SPLIT=1 gives the server CPU 0 alone and PostgreSQL and the driver the other CPUs, as when the
# database and the callers are other machines (both rates of the ratio are measured so).
# Builds the server in release mode (once, in $KPI_LOAD_SCRATCH, default .build-release) unless $KPI_BENCH_BIN
# names a kpi to use (to compare two builds).
set -euo pipefail
cd "$(dirname "$0")/../.."
TASKS=${1:-10000}
CLIENTS=8
SCRATCH=${KPI_LOAD_SCRATCH:-.build-release}

if [ -n "${KPI_BENCH_BIN:-}" ]; then BIN=$KPI_BENCH_BIN; else
  swift build -c release --product kpi --scratch-path "$SCRATCH"
  BIN="$SCRATCH/release/kpi"
fi

. bench/lib/pg.sh kpi_api
export KPI_DATA_DIR="$WORK/data" KPI_BCRYPT_COST=8 KPI_WARN_EVERY_MINUTES=0 LOG_LEVEL=warning

echo "== Dữ liệu mẫu và $CLIENTS ứng dụng kết nối (toàn tỉnh, quyền giao nhiệm vụ)"
"$BIN" demo >/dev/null
: >"$WORK/tokens"
for i in $(seq 1 $CLIENTS); do
  "$BIN" api-client --username "tai-api-$i" --name "Ứng dụng thử tải $i" --scopes "tasks:read tasks:write" --rate 10000 \
    >>"$WORK/tokens"
done
# Who may be given what: active staff (not heads, whose work is decided from above) and the products
# of their position's catalog (ProductScope: the group, the position if named, the agency's subtree).
psql_bench -At -F $'\t' -c "
  SELECT p.code, pr.code FROM people p
  JOIN positions po ON po.id = p.position_id
  JOIN products pr ON pr.group_id = po.group_id AND pr.active
    AND (pr.position_id IS NULL OR pr.position_id = p.position_id) AND p.scope_path LIKE pr.scope_path || '%'
  WHERE p.active AND p.leadership_rank = 'khong'" >"$WORK/pairs"
echo "   $(wc -l <"$WORK/pairs") cặp người – sản phẩm hợp lệ"

PM=$(head -n 1 "$WORK/pg/postmaster.pid")
SERVER_CPUS=() REST_CPUS=()
if [ -n "${KPI_BENCH_SPLIT:-}" ]; then
  N=$(nproc)
  [ "$N" -ge 2 ] || { echo "KPI_BENCH_SPLIT cần ít nhất 2 CPU (máy này có $N)"; exit 2; }
  REST=$([ "$N" = 2 ] && echo 1 || echo "1-$((N - 1))")
  SERVER_CPUS=(taskset -c 0) REST_CPUS=(taskset -c "$REST")
  # The postmaster and the processes it has started; the backends it starts later inherit its CPUs.
  for p in "$PM" $(pgrep -P "$PM"); do taskset -p -c "$REST" "$p" >/dev/null; done
  echo "== Máy chủ trên CPU 0, PostgreSQL và trình tạo tải trên CPU $REST"
fi

PORT=$(free_port)
"${SERVER_CPUS[@]}" "$BIN" serve --hostname 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 150); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
BEFORE=$(psql_bench -At -c "SELECT count(*) FROM tasks")
TODAY=$(date -u +%F)
DUE=$(date -u -d "+10 days" +%F)
echo "== $TASKS nhiệm vụ qua API, $CLIENTS ứng dụng đồng thời"
"${REST_CPUS[@]}" python3 bench/api/driver.py --port "$PORT" --tokens "$WORK/tokens" --pairs "$WORK/pairs" --tasks "$TASKS" \
  --start "$TODAY" --due "$DUE" --server-pid "$SERVER_PID" \
  --postgres-pid "$PM" | tee "$WORK/result.txt"

echo "== Kiểm tra trong cơ sở dữ liệu"
MADE=$(psql_bench -At -c "SELECT count(*) FROM tasks t JOIN users u ON u.id = t.assigner_user_id WHERE u.username LIKE 'tai-api-%'")
DUPS=$(psql_bench -At -c "SELECT count(*) - count(DISTINCT creation_token) FROM tasks WHERE creation_token <> ''")
AFTER=$(psql_bench -At -c "SELECT count(*) FROM tasks")
echo "Nhiệm vụ do các ứng dụng giao: $MADE (cần $TASKS); nhiệm vụ trùng khóa tạo: $DUPS; tổng tăng $((AFTER - BEFORE))"
[ "$MADE" = "$TASKS" ] && [ "$DUPS" = "0" ] && [ $((AFTER - BEFORE)) = "$TASKS" ] || { echo "SAI: thiếu hoặc trùng nhiệm vụ"; exit 1; }
"$BIN" verify-audit | tail -n 1
