# Shared by the benchmarks with several processes: two `kpi serve` ($BIN, on the environment's database) and nginx in
# front of them with the project's own proxy settings (deploy/nginx/kpi-proxy.conf), its files in $WORK/nginx; waits
# until all answer /healthz. Source it after bench/lib/pg.sh; it sets PORTS and PIDS (the processes), FRONT (nginx's
# port) and stops them all on exit.
#   . bench/lib/processes.sh
PORTS=("$(free_port)" "$(free_port)")
PIDS=()
for p in "${PORTS[@]}"; do
  "$BIN" serve --hostname 127.0.0.1 --port "$p" >"$WORK/server-$p.log" 2>&1 &
  PIDS+=($!)
done
SERVER_PID="${PIDS[*]}"
FRONT=$(free_port)
mkdir -p "$WORK/nginx"
{
  printf 'worker_processes 1;\nerror_log %s/nginx/error.log warn;\npid %s/nginx/nginx.pid;\n' "$WORK" "$WORK"
  printf 'events { worker_connections 4096; }\nhttp {\n    access_log off;\n'
  for d in body proxy fastcgi uwsgi scgi; do printf '    %s_temp_path %s/nginx/%s;\n' "${d/body/client_body}" "$WORK" "$d"; done
  printf '    upstream kpi_cong_vu {\n'
  for p in "${PORTS[@]}"; do printf '        server 127.0.0.1:%s max_fails=1 fail_timeout=5s;\n' "$p"; done
  printf '        keepalive 64;\n    }\n    server {\n        listen 127.0.0.1:%s;\n' "$FRONT"
  printf '        location / {\n            proxy_pass http://kpi_cong_vu;\n            include %s/deploy/nginx/kpi-proxy.conf;\n' "$PWD"
  printf '        }\n    }\n}\n'
} >"$WORK/nginx/nginx.conf"
"$(command -v nginx || echo /usr/sbin/nginx)" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g "daemon off;" &
NGINX_PID=$!
trap 'kill $NGINX_PID $SERVER_PID 2>/dev/null || true; cleanup' EXIT INT TERM
for p in "${PORTS[@]}" "$FRONT"; do
  for _ in $(seq 1 150); do curl -fsS "http://127.0.0.1:$p/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
done
