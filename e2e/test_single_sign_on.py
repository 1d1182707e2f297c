"""Đăng nhập một lần (issue 20, item 7) through a real OpenID Connect provider: oidc-provider-mock (PyPI)
started here, with the accounts below. Between it and everyone (the browser and the server) sits a relay
of this test's own that passes everything through unchanged, or — when a test asks — changes what an
attacker would: a byte of the ID token (its signature no longer matches), the nonce of the request (a
token of another sign-in), the issuer (a token from another provider), the state of the return (a return
that is not this browser's). Each is refused, nobody is signed
in. The relay is the provider's address as the server knows it (KPI_OIDC_ISSUER)."""
import base64
import http.client
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from conftest import free_port, no_horizontal_overflow, shot, sign_in, totp_code, url

PROVIDER_PORT = free_port()
RELAY_PORT = free_port()
ISSUER = f"http://127.0.0.1:{RELAY_PORT}"
ACCOUNTS = [
    {"sub": "sso-canbo", "preferred_username": "canbo", "amr": ["pwd"]},
    {"sub": "sso-quantri", "preferred_username": "quantri", "amr": ["pwd"]},
    {"sub": "sso-quantri-otp", "preferred_username": "quantri", "amr": ["pwd", "otp"]},
    {"sub": "sso-nguoi-la", "preferred_username": "khong-co-tai-khoan"},
]
# Read by conftest's server fixture.
SERVER_ENV = {"KPI_OIDC_ISSUER": ISSUER, "KPI_OIDC_CLIENT_ID": "kpi-cong-vu", "KPI_OIDC_CLIENT_SECRET": "bi-mat-kiem-thu",
              "KPI_OIDC_AMR": "otp,hwk", "KPI_PUBLIC_URL": "http://127.0.0.1:{port}"}
# What the relay changes now: None, "signature", "nonce", "issuer" or "state".
TAMPER = {"mode": None}


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Relay(http.server.BaseHTTPRequestHandler):
    """Passes each request to the provider and its answer back, tampering as TAMPER says."""

    def log_message(self, *args):
        pass

    def forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, headers = self.path, {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
        if TAMPER["mode"] == "nonce" and path.startswith("/oauth2/authorize"):
            parts = urllib.parse.urlsplit(path)
            query = [(k, "nonce-cua-lan-khac" if k == "nonce" else v) for k, v in urllib.parse.parse_qsl(parts.query)]
            path = parts.path + "?" + urllib.parse.urlencode(query)
        if TAMPER["mode"] == "issuer" and path == "/oauth2/token":
            headers = {k: v for k, v in headers.items() if k.lower() != "host"}
            headers["Host"] = f"localhost:{RELAY_PORT}"
        conn = http.client.HTTPConnection("127.0.0.1", PROVIDER_PORT, timeout=10)
        conn.request(self.command, path, body=body or None, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        if TAMPER["mode"] == "signature" and path == "/oauth2/token" and answer.status == 200:
            token = json.loads(data)
            head, payload, signature = token["id_token"].split(".")
            claims = json.loads(unb64(payload))
            claims["preferred_username"] = "quantri"
            token["id_token"] = ".".join([head, b64(json.dumps(claims).encode()), signature])
            data = json.dumps(token).encode()
        self.send_response(answer.status)
        for k, v in answer.getheaders():
            if TAMPER["mode"] == "state" and k.lower() == "location":
                parts = urllib.parse.urlsplit(v)
                query = [(n, "khac" + x if n == "state" else x) for n, x in urllib.parse.parse_qsl(parts.query)]
                v = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = forward
    do_POST = forward


@pytest.fixture(scope="module", autouse=True)
def provider():
    args = [sys.executable, "-m", "oidc_provider_mock", "--port", str(PROVIDER_PORT)]
    for account in ACCOUNTS:
        args += ["--user-claims", json.dumps(account)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, NO_COLOR="1"))
    relay = http.server.ThreadingHTTPServer(("127.0.0.1", RELAY_PORT), Relay)
    threading.Thread(target=relay.serve_forever, daemon=True).start()
    deadline = time.time() + 30
    while True:
        try:
            found = json.load(urllib.request.urlopen(ISSUER + "/.well-known/openid-configuration", timeout=2))
            assert found["issuer"] == ISSUER
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError("oidc-provider-mock did not start")
            time.sleep(0.2)
    yield
    relay.shutdown()
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(autouse=True)
def untampered():
    TAMPER["mode"] = None
    yield
    TAMPER["mode"] = None


def through_provider(page, account, next_path=None):
    """From the sign-in page, by the single sign-on button, as `account` at the provider."""
    page.goto(url("/dang-nhap" + (f"?next={urllib.parse.quote(next_path, safe='')}" if next_path else "")))
    with page.expect_navigation():
        page.get_by_role("link", name="Đăng nhập một lần bằng tài khoản định danh của tỉnh").click()
    assert page.url.startswith(ISSUER + "/oauth2/authorize")
    with page.expect_navigation():
        page.locator(f"button[name=sub][value='{account}']").click()


def flash(page):
    return page.locator(".flash").inner_text()


def test_single_sign_on_signs_in_and_out(page):
    page.goto(url("/dang-nhap"))
    expect(page.get_by_role("link", name="Đăng nhập một lần bằng tài khoản định danh của tỉnh")).to_be_visible()
    expect(page.get_by_text("(dành cho quản trị)")).to_be_visible()
    assert no_horizontal_overflow(page)
    shot(page, "dang-nhap-mot-lan")
    through_provider(page, "sso-canbo", next_path="/viec")
    # canbo's own work page: signed in, and sent where the sign-in began.
    assert page.url == url("/viec"), page.url
    expect(page.get_by_role("heading", name="Việc của tôi")).to_be_visible()
    # Signing out ends the provider's session too (RP-initiated logout), then back to the sign-in page.
    page.get_by_role("button", name="Đăng xuất").first.click()
    page.wait_for_url(ISSUER + "/oauth2/end_session**")
    assert "id_token_hint=" in page.url and "post_logout_redirect_uri=" in page.url
    with page.expect_navigation():
        page.get_by_role("button", name="End session").click()
    assert page.url.startswith(url("/dang-nhap")), page.url
    page.goto(url("/viec"))
    assert "/dang-nhap" in page.url


def test_password_sign_in_stays_for_administrators_only(page):
    page.goto(url("/dang-nhap"))
    page.fill("#username", "canbo")
    page.fill("#password", "KpiCongVu@2026")
    with page.expect_navigation():
        page.click("button.primary")
    assert "/dang-nhap" in page.url
    assert "bấm «Đăng nhập một lần»" in flash(page)
    sign_in(page, "quantri")
    assert "/dang-nhap" not in page.url, page.url


@pytest.mark.parametrize("mode, said", [
    ("signature", "Chữ ký của thẻ định danh không hợp lệ"),
    ("nonce", "không thuộc lần đăng nhập này (nonce)"),
    ("issuer", "không do hệ thống định danh đã cấu hình cấp (iss)"),
])
def test_a_tampered_id_token_is_refused(page, mode, said):
    TAMPER["mode"] = mode
    through_provider(page, "sso-canbo")
    assert page.url.startswith(url("/dang-nhap/sso/ve")), page.url
    assert said in flash(page), flash(page)
    if mode == "signature":
        shot(page, "dang-nhap-mot-lan-bi-sua")
    page.goto(url("/"))
    assert "/dang-nhap" in page.url


def test_a_wrong_state_or_an_unlinked_account_is_refused(page):
    # The provider's answer comes back with another state (a forged or replayed return).
    TAMPER["mode"] = "state"
    through_provider(page, "sso-canbo")
    assert "(tham số state)" in flash(page), flash(page)
    TAMPER["mode"] = None
    # An account of the provider that no account of the system matches: never created.
    through_provider(page, "sso-nguoi-la")
    assert "chưa được liên kết" in flash(page), flash(page)
    page.goto(url("/"))
    assert "/dang-nhap" in page.url


def test_a_role_that_needs_two_steps_gets_them(page):
    # quantri's role requires two steps: the provider asserted a password only, so the local code is asked.
    through_provider(page, "sso-quantri")
    assert "/dang-nhap/ma-xac-thuc" in page.url, page.url
    page.fill("#code", totp_code("quantri"))
    with page.expect_navigation():
        page.click("button.primary")
    assert "/dang-nhap" not in page.url, page.url
    page.get_by_role("button", name="Đăng xuất").first.click()
    page.wait_for_url(ISSUER + "/oauth2/end_session**")
    # The provider asserted a one-time code (amr "otp", accepted by KPI_OIDC_AMR): no local code.
    through_provider(page, "sso-quantri-otp")
    assert "/dang-nhap" not in page.url, page.url
    expect(page.get_by_role("button", name="Đăng xuất").first).to_be_attached()
