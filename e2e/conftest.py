"""Browser tests: Debian's Chromium driven by Playwright, each against a server of its own.

Every test starts from the same known state: a copy of the demonstration data `kpi demo` wrote in
KPI_E2E_TEMPLATE, served by `kpi serve` (KPI_BIN) on a free port for that test alone, so no test
depends on what another left behind, in any order. When the server stops, `kpi verify-audit` checks
the audit trail the test left. Without KPI_E2E_TEMPLATE the tests use the server at KPI_BASE_URL."""
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
    verified when it stops."""
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
