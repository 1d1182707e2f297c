"""Thông báo qua thư (issue 18, item 3) against a real SMTP server: aiosmtpd (PyPI) with STARTTLS
required and a certificate of the test's own, the server trusting it through KPI_SMTP_CA_FILE.
Checks recipients, the decoded Vietnamese subject and the link; stops the relay mid-way and checks
that nothing is lost and nothing is sent twice."""
import atexit
import datetime
import email
import email.header
import email.policy
import os
import re
import shutil
import sqlite3
import ssl
import subprocess
import tempfile
import time
import uuid

from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from conftest import SIZES, free_port, no_horizontal_overflow, shot, sign_in, url, server_today

CERTS = tempfile.mkdtemp(prefix="kpi-smtp-")
# Removed when pytest exits, whether or not this module's tests ran (nothing left in /tmp).
atexit.register(shutil.rmtree, CERTS, ignore_errors=True)
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{CERTS}/key.pem",
                "-out", f"{CERTS}/cert.pem", "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
SMTP_PORT = free_port()
PUBLIC = "https://kpi.nghean.example"
# Read by conftest's server fixture: this module's servers send through the relay below.
SERVER_ENV = {"KPI_SMTP_HOST": "localhost", "KPI_SMTP_PORT": str(SMTP_PORT), "KPI_SMTP_CA_FILE": f"{CERTS}/cert.pem",
              "KPI_SMTP_FROM": "khong-tra-loi@nghean.example", "KPI_PUBLIC_URL": PUBLIC, "KPI_MAIL_EVERY_SECONDS": "1"}


class Relay:
    """aiosmtpd on SMTP_PORT, STARTTLS required; keeps what it received (and whether over TLS)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append({"to": list(envelope.rcpt_tos), "tls": session.ssl is not None, "msg": msg})
        return "250 OK"

    def start(self):
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(f"{CERTS}/cert.pem", f"{CERTS}/key.pem")
        self.controller = Controller(self, hostname="127.0.0.1", port=SMTP_PORT, tls_context=tls, require_starttls=True)
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def subjects(self):
        return [str(email.header.make_header(email.header.decode_header(m["msg"]["Subject"]))) for m in self.messages]

    def wait_for(self, text, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [m for m, s in zip(self.messages, self.subjects()) if text in s]
            if found:
                return found[0]
            time.sleep(0.2)
        raise AssertionError(f"no mail with «{text}» in its subject; received: {self.subjects()}")


def plain(m):
    return m["msg"].get_body(preferencelist=("plain",)).get_content()


def assign(pg, title):
    pg.goto(url("/viec/moi"))
    pg.fill("#tieu_de", title)
    pg.fill("#nguoi", "CB-BTCTU-P3-03")
    pg.select_option("#san_pham", "SP-CM-02")
    pg.fill("#so_luong", "1")
    pg.fill("#muc_do", "Phức tạp")
    today = server_today()
    pg.fill("#bat_dau", today.strftime("%d/%m/%Y"))
    pg.fill("#han", (today + datetime.timedelta(days=14)).strftime("%d/%m/%Y"))
    pg.click("button.primary:has-text('Giao việc')")
    expect(pg.locator(".flash")).to_contain_text("Đã giao nhiệm vụ.")


def test_mail_reaches_a_real_smtp_server_and_survives_its_stop(page, browser):
    relay = Relay()
    relay.start()
    try:
        # canbo wants task events at once (the standard is the daily digest).
        staff = browser.new_context(viewport=SIZES[page.size_name], locale="vi-VN").new_page()
        staff.size_name = page.size_name
        sign_in(staff, "canbo")
        staff.goto(url("/thong-bao"))
        staff.click("a:has-text('Cách nhận thông báo qua thư')")
        expect(staff.locator("h1")).to_have_text("Cách nhận thông báo")
        expect(staff.locator("main")).to_contain_text("canbo@kpi-demo.invalid")
        staff.check("input[name=nhiem-vu][value=ngay]")
        staff.click("button:has-text('Lưu cách nhận thông báo')")
        expect(staff.locator(".flash")).to_contain_text("Đã lưu cách nhận thông báo")
        expect(staff.locator("input[name=nhiem-vu][value=ngay]")).to_be_checked()
        assert no_horizontal_overflow(staff)
        shot(staff, "cach-nhan-thong-bao")

        # The administrator's test mail: an address that is not one is refused, what was typed kept.
        sign_in(page, "quantri")
        page.goto(url("/cai-dat/thu-di"))
        page.fill("#dia_chi", "van.thu@nghean")
        page.click("button:has-text('Gửi thư thử')")
        expect(page.locator(".problems")).to_contain_text("không phải địa chỉ thư điện tử")
        assert page.input_value("#dia_chi") == "van.thu@nghean"
        page.fill("#dia_chi", "van.thu@nghean.example")
        page.click("button:has-text('Gửi thư thử')")
        expect(page.locator(".flash")).to_contain_text("Đã xếp thư thử")
        test_mail = relay.wait_for("Thư thử cấu hình gửi thư")
        assert test_mail["to"] == ["van.thu@nghean.example"]
        assert test_mail["tls"], "sent after STARTTLS"
        assert "[KPI Công vụ] Thư thử cấu hình gửi thư" in relay.subjects()

        # A task assigned to canbo: a mail at once, in Vietnamese, with the link to the notice.
        leader = browser.new_context(viewport=SIZES[page.size_name], locale="vi-VN").new_page()
        leader.size_name = page.size_name
        sign_in(leader, "lanhdao")
        first = f"Báo cáo quý IV về công tác cán bộ {uuid.uuid4().hex[:6]}"
        assign(leader, first)
        mail = relay.wait_for(first)
        assert mail["to"] == ["canbo@kpi-demo.invalid"]
        assert mail["tls"]
        subject = relay.subjects()[relay.messages.index(mail)]
        assert subject.startswith("[KPI Công vụ] ") and first in subject, subject
        body = plain(mail)
        assert "Kính gửi" in body
        link = re.search(re.escape(PUBLIC) + r"(/thong-bao/[0-9A-F-]{36})", body)
        assert link, body
        assert mail["msg"].get_body(preferencelist=("html",)).get_content().count("<a href") >= 1
        staff.goto(url(link.group(1)))
        expect(staff.locator("h1")).to_contain_text(first)

        # The relay stops: the next mail waits, the outbox page says so; nothing is lost.
        relay.stop()
        second = f"Tờ trình kiện toàn tổ chức {uuid.uuid4().hex[:6]}"
        assign(leader, second)
        deadline = time.time() + 30
        while True:
            page.goto(url("/cai-dat/thu-di?trang_thai=cho"))
            if "đang chờ gửi lại" in page.inner_text("main"):
                break
            assert time.time() < deadline, page.inner_text("main")
            time.sleep(0.5)
        expect(page.locator("table.list")).to_contain_text("Không kết nối được máy chủ thư")
        assert no_horizontal_overflow(page)
        shot(page, "hop-thu-di")

        # Back up: sent again at once on request, exactly once each.
        relay.start()
        page.click("button:has-text('Gửi lại ngay')")
        expect(page.locator(".flash")).to_contain_text("vào hàng chờ gửi")
        relay.wait_for(second)
        time.sleep(2)
        subjects = relay.subjects()
        assert sum(first in s for s in subjects) == 1, subjects
        assert sum(second in s for s in subjects) == 1, subjects
        page.goto(url("/cai-dat/thu-di?trang_thai=da-gui"))
        expect(page.locator("table.list")).to_contain_text(second)
        leader.context.close()
        staff.context.close()
    finally:
        try:
            relay.stop()
        except Exception:
            pass


def test_a_forgotten_password_is_reset_by_mail(page, tmp_path):
    relay = Relay()
    relay.start()
    try:
        page.goto(url("/dang-nhap"))
        page.click("text=Quên mật khẩu?")
        expect(page.locator("h1")).to_have_text("Quên mật khẩu")
        page.fill("#username", "canbo")
        page.click("button:has-text('Gửi liên kết đặt lại')")
        expect(page.locator(".flash")).to_contain_text("Nếu tên đăng nhập đúng")
        mail = relay.wait_for("Đặt lại mật khẩu")
        assert mail["to"] == ["canbo@kpi-demo.invalid"] and mail["tls"]
        link = re.search(re.escape(PUBLIC) + r"(/dat-mat-khau/[A-Za-z0-9_-]+)", plain(mail))
        assert link, plain(mail)
        page.goto(url(link.group(1)))
        expect(page.locator("h1")).to_have_text("Đặt mật khẩu mới")
        new = "Sông Lam xanh 2026"
        page.fill("#new", new)
        page.fill("#confirm", new + "x")
        page.click("button:has-text('Đặt mật khẩu')")
        expect(page.locator(".problems")).to_contain_text("không khớp")
        page.fill("#new", new)
        page.fill("#confirm", new)
        page.click("button:has-text('Đặt mật khẩu')")
        expect(page.locator(".flash")).to_contain_text("Đã đặt mật khẩu")
        assert no_horizontal_overflow(page)
        shot(page, "dat-mat-khau")
        page.click("a:has-text('Đăng nhập')")
        page.fill("#username", "canbo")
        page.fill("#password", new)
        with page.expect_navigation():
            page.click("button.primary")
        expect(page.locator("h1")).not_to_have_text("Đăng nhập")
        # The link works once, and the outbox no longer holds it.
        page.goto(url(link.group(1)))
        expect(page.locator("h1")).to_have_text("Liên kết không còn dùng được")
        with sqlite3.connect(tmp_path / "data" / "kpi.sqlite") as db:
            bodies = [b for (b,) in db.execute("SELECT body FROM outbox_messages WHERE dedupe_key LIKE 'bi-mat:%'")]
        assert bodies and all("dat-mat-khau" not in b for b in bodies), bodies
    finally:
        relay.stop()
