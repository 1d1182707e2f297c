#!/usr/bin/env bash
# API benchmark (issue 20): 10 000 tasks created through POST /api/v1/tasks by 8 concurrent API
# clients on PostgreSQL, with retries under the same Idempotency-Key and documents sent twice; the
# floor is /healthz from the same 8 connections in the same run. Goal: ≥ 0,25× the floor's rate and
# not one duplicate task. Prints both rates and the ratio; exits 1 on a duplicate, a missing task or an
# unexpected answer.
#   bench/api/run.sh [number of tasks, default 10000]
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

PORT=$(free_port)
"$BIN" serve --hostname 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 150); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
BEFORE=$(psql_bench -At -c "SELECT count(*) FROM tasks")
TODAY=$(date -u +%F)
DUE=$(date -u -d "+10 days" +%F)
echo "== $TASKS nhiệm vụ qua API, $CLIENTS ứng dụng đồng thời"
python3 bench/api/driver.py --port "$PORT" --tokens "$WORK/tokens" --pairs "$WORK/pairs" --tasks "$TASKS" \
  --start "$TODAY" --due "$DUE" | tee "$WORK/result.txt"

echo "== Kiểm tra trong cơ sở dữ liệu"
MADE=$(psql_bench -At -c "SELECT count(*) FROM tasks t JOIN users u ON u.id = t.assigner_user_id WHERE u.username LIKE 'tai-api-%'")
DUPS=$(psql_bench -At -c "SELECT count(*) - count(DISTINCT creation_token) FROM tasks WHERE creation_token <> ''")
AFTER=$(psql_bench -At -c "SELECT count(*) FROM tasks")
echo "Nhiệm vụ do các ứng dụng giao: $MADE (cần $TASKS); nhiệm vụ trùng khóa tạo: $DUPS; tổng tăng $((AFTER - BEFORE))"
[ "$MADE" = "$TASKS" ] && [ "$DUPS" = "0" ] && [ $((AFTER - BEFORE)) = "$TASKS" ] || { echo "SAI: thiếu hoặc trùng nhiệm vụ"; exit 1; }
"$BIN" verify-audit | tail -n 1
