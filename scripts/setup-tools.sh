#!/usr/bin/env bash
# Installs, once, what the tests need beyond Swift: PostgreSQL, Chromium, nginx, Prometheus (promtool), sqlite3,
# openssl, etcd, Patroni, HAProxy, pgBackRest (Debian) and Playwright + pytest + qrcode + pyotp + aiosmtpd + schemathesis + oidc-provider-mock (PyPI). Safe to run again: it installs only what is missing.
set -euo pipefail

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

missing=()
[ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The highly available database of e2e/test_failover.py (deploy/ha/cluster.py).
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v patroni >/dev/null 2>&1 || missing+=(patroni)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
# Continuous WAL archiving and the point-in-time restore of e2e/test_pitr.py.
command -v pgbackrest >/dev/null 2>&1 || missing+=(pgbackrest)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== Cài đặt gói Debian: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! python3 -c "import playwright, pytest, qrcode, pyotp, aiosmtpd, schemathesis, oidc_provider_mock" >/dev/null 2>&1; then
  echo "== Cài đặt Playwright, pytest, qrcode, pyotp, aiosmtpd, schemathesis và oidc-provider-mock (PyPI; qrcode và pyotp"
  echo "   kiểm tra chéo mã QR và mã TOTP, aiosmtpd là máy chủ thư thật nhận thư của hệ thống, schemathesis kiểm tra API"
  echo "   theo api/openapi.yaml, oidc-provider-mock là hệ thống định danh OpenID Connect thật cho đăng nhập một lần)"
  python3 -m pip install -q --disable-pip-version-check playwright pytest qrcode pyotp aiosmtpd schemathesis oidc-provider-mock
fi
