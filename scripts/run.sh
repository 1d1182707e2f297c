#!/usr/bin/env bash
# Builds and runs KPI Công vụ on the embedded SQLite database (./data), loading the
# demonstration data on first start. Stop with Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8080}"
HOST="${HOST:-0.0.0.0}"
swift build
BIN=.build/debug/kpi
"$BIN" migrate
"$BIN" demo --if-empty
echo
echo "KPI Công vụ đang chạy tại: http://localhost:$PORT"
echo "(Đăng nhập bằng một trong các tài khoản mẫu ở trên.)"
exec "$BIN" serve --hostname "$HOST" --port "$PORT"
