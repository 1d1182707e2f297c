"""Browser tests: Debian's Chromium driven by Playwright, each against a server of its own.

Every test starts from the same known state: a copy of the demonstration data `kpi demo` wrote in
KPI_E2E_TEMPLATE, served by `kpi serve` (KPI_BIN) on a free port for that test alone, so no test
depends on what another left behind, in any order. When the server stops, `kpi verify-audit` checks
the audit trail the test left. Without KPI_E2E_TEMPLATE the tests use the server at KPI_BASE_URL."""
import contextlib
import datetime
import os
import pathlib
import re
import shutil
import socket
import subprocess
import time
import urllib.request

import pyotp

import pytest
from playwright.sync_api import sync_playwright

TEMPLATE = os.environ.get("KPI_E2E_TEMPLATE")
KPI_BIN = os.environ.get("KPI_BIN", str(pathlib.Path(__file__).parent.parent / ".build" / "debug" / "kpi"))
SERVER = {"base": os.environ.get("KPI_BASE_URL", "http://127.0.0.1:8080")}
PASSWORD = "KpiCongVu@2026"
SHOTS = pathlib.Path(__file__).parent / "screenshots"
SHOTS.mkdir(exist_ok=True)
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture(params=list(SIZES))
def page(request, browser):
    ctx = browser.new_context(viewport=SIZES[request.param], locale="vi-VN")
    pg = ctx.new_page()
    pg.size_name = request.param
    yield pg
    ctx.close()


@pytest.fixture
def desktop_page(browser):
    """One window size, for tests about processes and faults rather than layout."""
    ctx = browser.new_context(viewport=SIZES["desktop"], locale="vi-VN")
    pg = ctx.new_page()
    pg.size_name = "desktop"
    yield pg
    ctx.close()


def demo_secrets():
    """The two-step keys `kpi demo` printed (scripts/test.sh saves its output in KPI_DEMO_LOGINS)."""
    text = pathlib.Path(os.environ["KPI_DEMO_LOGINS"]).read_text(encoding="utf-8")
    found = re.findall(r"^\s+(\S+)\s.*khóa xác thực hai bước: ([A-Z2-7 ]+)$", text, re.M)
    return {user: key.replace(" ", "") for user, key in found}


# Each account's current key (a test that sets two-step sign-in up again records the new one) and
# the last 30-second step used: a code works once, so a second sign-in takes the next step's code.
DEMO_SECRETS = demo_secrets() if os.environ.get("KPI_DEMO_LOGINS") else {}
SECRETS = dict(DEMO_SECRETS)
LAST_STEP = {}


def next_month(text):
    """The month after a period code: «2026-12» → «2027-01»."""
    year, month = map(int, text.split("-"))
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def next_working_day(today):
    """The first Monday-to-Friday day after `today`."""
    day = today + datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def server_today():
    """The server's today: it counts days in Việt Nam (UTC+7), whatever this machine's zone. Tests that type a
    date relative to today use this one, so a run crossing Vietnamese midnight before UTC's agrees with it."""
    return datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7))).date()


def url(path=""):
    """The address of `path` on the current test's server."""
    return SERVER["base"] + path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def server(tmp_path, request):
    """A server of this test's own on a fresh copy of the demonstration data; its audit trail is
    verified when it stops. A module with CLUSTER = True gets two processes behind nginx instead."""
    if getattr(request.module, "CLUSTER", False):
        yield from cluster(tmp_path, getattr(request.module, "SERVER_ENV", {}))
        return
    if not TEMPLATE:
        yield
        return
    data = tmp_path / "data"
    shutil.copytree(TEMPLATE, data)
    env = dict(os.environ, KPI_DATA_DIR=str(data))
    port = free_port()
    # A test module may add to the server's environment (test_mail.py: the SMTP relay); "{port}" in a
    # value is this server's port (test_single_sign_on.py: the address the identity provider returns to).
    env.update({k: v.replace("{port}", str(port)) for k, v in getattr(request.module, "SERVER_ENV", {}).items()})
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen([KPI_BIN, "serve", "--hostname", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    SERVER["base"] = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(url("/healthz"), timeout=2).read()
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("kpi serve did not start: " + (tmp_path / "server.log").read_text())
            time.sleep(0.1)
    # A fresh database: the demo's two-step keys again, no code used yet.
    SECRETS.clear()
    SECRETS.update(DEMO_SECRETS)
    LAST_STEP.clear()
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
    verified = subprocess.run([KPI_BIN, "verify-audit"], env=env, capture_output=True, text=True)
    assert verified.returncode == 0, "kpi verify-audit: " + verified.stdout + verified.stderr


def totp_code(username):
    """The code pyotp (an independent TOTP implementation) gives for the account, never one already
    used; waits for the next step when both the current and the next were used."""
    totp = pyotp.TOTP(SECRETS[username])
    last = LAST_STEP.get(username, -1)
    now = int(time.time() // 30)
    # The server accepts one step either side of now (a phone's clock may be off). The previous step's
    # code is never chosen: it expires at the next step boundary, which may fall between typing the
    # code and the server checking it (a sign-in failing about once in thirty).
    while not [s for s in (now, now + 1) if s > last]:
        time.sleep((now + 1) * 30 - time.time() + 0.2)
        now = int(time.time() // 30)
    step = min(s for s in (now, now + 1) if s > last)
    LAST_STEP[username] = step
    return totp.at(step * 30)


def sign_in(pg, username):
    pg.goto(url("/dang-nhap"))
    pg.fill("#username", username)
    pg.fill("#password", PASSWORD)
    with pg.expect_navigation():
        pg.click("button.primary")
    if "/dang-nhap/ma-xac-thuc" in pg.url:
        pg.fill("#code", totp_code(username))
        with pg.expect_navigation():
            pg.click("button.primary")


def shot(pg, name):
    pg.screenshot(path=str(SHOTS / f"{pg.size_name}-{name}.png"), full_page=True)


def no_horizontal_overflow(pg):
    return pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def wait_healthy(base, proc, log_path):
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).read()
            return
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"{base} did not start: " + pathlib.Path(log_path).read_text())
            time.sleep(0.1)


@contextlib.contextmanager
def cluster_postgres(address):
    """While it lasts, the cluster tests make their databases on the PostgreSQL at `address`
    (postgres://user@host:port) instead of KPI_E2E_POSTGRES's: a module's own HA or archiving cluster."""
    before = os.environ.get("KPI_E2E_POSTGRES")
    os.environ["KPI_E2E_POSTGRES"] = address
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("KPI_E2E_POSTGRES", None)
        else:
            os.environ["KPI_E2E_POSTGRES"] = before


def cluster(tmp_path, extra_env):
    """Two `kpi serve` processes on one PostgreSQL database (a fresh one with the demonstration data),
    behind nginx with the project's own proxy settings (deploy/nginx/kpi-proxy.conf). SERVER["base"] is
    nginx; SERVER["processes"] the two processes' own addresses and SERVER["procs"] their handles.
    Needs KPI_E2E_POSTGRES (postgres://user@host:port of a running cluster, scripts/test.sh sets it) and
    nginx; skipped without them. `extra_env` is added to the processes' environment ("{database}" in a
    value: the database's name)."""
    pg = os.environ.get("KPI_E2E_POSTGRES")
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if not pg or not nginx:
        pytest.skip("needs KPI_E2E_POSTGRES and nginx (scripts/test.sh provides both)")
    name = "kpi_cluster_" + tmp_path.name.replace("-", "_").lower()[-40:]
    pg_bin = sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    host, port = pg.rsplit("@", 1)[1].split(":")
    subprocess.run([str(pg_bin / "createdb"), "-h", host, "-p", port, "-U", "postgres", name], check=True)
    env = dict(os.environ, DATABASE_URL=f"{pg}/{name}?tlsmode=disable", KPI_DATA_DIR=str(tmp_path / "data"),
               KPI_TRUSTED_PROXIES="127.0.0.1", KPI_BCRYPT_COST="8")
    env.update({k: v.replace("{database}", name) for k, v in extra_env.items()})
    demo = subprocess.run([KPI_BIN, "demo"], env=env, capture_output=True, text=True)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    secrets = {user: key.replace(" ", "") for user, key in
               re.findall(r"^\s+(\S+)\s.*khóa xác thực hai bước: ([A-Z2-7 ]+)$", demo.stdout, re.M)}
    ports = [free_port(), free_port()]
    procs, logs = [], []
    for i, p in enumerate(ports):
        log = open(tmp_path / f"server-{i}.log", "w")
        logs.append(log)
        procs.append(subprocess.Popen([KPI_BIN, "serve", "--hostname", "127.0.0.1", "--port", str(p)],
                                      env=env, stdout=log, stderr=subprocess.STDOUT))
    for i, p in enumerate(ports):
        wait_healthy(f"http://127.0.0.1:{p}", procs[i], tmp_path / f"server-{i}.log")
    front = free_port()
    proxy = pathlib.Path(__file__).parent.parent / "deploy" / "nginx" / "kpi-proxy.conf"
    (tmp_path / "nginx").mkdir()
    conf = tmp_path / "nginx" / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
error_log {tmp_path}/nginx/error.log warn;
pid {tmp_path}/nginx/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log {tmp_path}/nginx/access.log;
    client_body_temp_path {tmp_path}/nginx/body;
    proxy_temp_path {tmp_path}/nginx/proxy;
    fastcgi_temp_path {tmp_path}/nginx/fastcgi;
    uwsgi_temp_path {tmp_path}/nginx/uwsgi;
    scgi_temp_path {tmp_path}/nginx/scgi;
    upstream kpi_cong_vu {{
        server 127.0.0.1:{ports[0]} max_fails=1 fail_timeout=5s;
        server 127.0.0.1:{ports[1]} max_fails=1 fail_timeout=5s;
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{front};
        location / {{
            proxy_pass http://kpi_cong_vu;
            include {proxy};
            add_header X-KPI-Upstream $upstream_addr always;
        }}
    }}
}}
""")
    front_proc = subprocess.Popen([nginx, "-p", str(tmp_path / "nginx"), "-c", str(conf), "-g", "daemon off;"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    SERVER["base"] = f"http://127.0.0.1:{front}"
    SERVER["processes"] = [f"http://127.0.0.1:{p}" for p in ports]
    SERVER["procs"] = procs
    # For tests that run `kpi` commands on the same database and data folder, or make databases of their own.
    SERVER["env"] = env
    SERVER["postgres"] = {"bin": pg_bin, "host": host, "port": port, "url": pg}
    wait_healthy(SERVER["base"], front_proc, tmp_path / "nginx" / "error.log")
    SECRETS.clear()
    SECRETS.update(secrets)
    LAST_STEP.clear()
    try:
        yield
    finally:
        front_proc.terminate()
        front_proc.wait(timeout=20)
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)
        for log in logs:
            log.close()
    verified = subprocess.run([KPI_BIN, "verify-audit"], env=env, capture_output=True, text=True)
    assert verified.returncode == 0, "kpi verify-audit: " + verified.stdout + verified.stderr
    subprocess.run([str(pg_bin / "dropdb"), "-h", host, "-p", port, "-U", "postgres", name], check=False)
