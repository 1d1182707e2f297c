"""Two-step sign-in (issue 16) in Chromium, with codes from pyotp — an implementation independent of
the server's: sign-in with a code, forced set-up for an administrator, recovery codes."""
import base64
import re

import pyotp
from playwright.sync_api import expect

import conftest
from conftest import PASSWORD, no_horizontal_overflow, shot, sign_in, url


def password_step(pg, username):
    pg.goto(url("/dang-nhap"))
    pg.fill("#username", username)
    pg.fill("#password", PASSWORD)
    with pg.expect_navigation():
        pg.click("button.primary")


def test_sign_in_asks_for_the_code_after_the_password(page):
    password_step(page, "thammuu")
    assert "/dang-nhap/ma-xac-thuc" in page.url
    expect(page.locator("h1")).to_have_text("Xác thực hai bước")
    assert page.locator("#code").get_attribute("autocomplete") == "one-time-code"
    assert no_horizontal_overflow(page)
    shot(page, "xac-thuc-ma")
    page.fill("#code", "000000")
    with page.expect_navigation():
        page.click("button.primary")
    expect(page.locator(".flash.error")).to_contain_text("Mã xác thực không đúng")
    page.fill("#code", conftest.totp_code("thammuu"))
    with page.expect_navigation():
        page.click("button.primary")
    assert page.url.rstrip("/") == url()
    page.goto(url("/xac-thuc-hai-buoc"))
    expect(page.locator("main")).to_contain_text("đang bật")


def test_an_administrator_without_it_must_set_it_up(browser, page):
    # The system administrator resets the unit administrator's two-step sign-in (a lost phone).
    admin = browser.new_context(locale="vi-VN").new_page()
    sign_in(admin, "quantri")
    admin.goto(url("/danh-muc/nguoi-dung?q=quantri.snv"))
    admin.click("table.list a:has-text('quantri.snv')")
    admin.once("dialog", lambda d: d.accept())
    with admin.expect_navigation():
        admin.click("text=Đặt lại xác thực hai bước")
    expect(admin.locator("main")).to_contain_text("Tài khoản chưa bật xác thực hai bước")
    admin.context.close()

    # The password alone now leads only to set-up.
    password_step(page, "quantri.snv")
    page.goto(url("/danh-muc/nguoi-dung"))
    assert page.url.endswith("/xac-thuc-hai-buoc")
    expect(page.locator(".flash")).to_contain_text("bắt buộc xác thực hai bước")
    with page.expect_navigation():
        page.click("text=Bắt đầu thiết lập")
    expect(page.locator(".qr svg")).to_be_visible()
    assert no_horizontal_overflow(page)
    shot(page, "xac-thuc-thiet-lap")
    secret = page.locator("code.secret").get_attribute("data-secret")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    conftest.SECRETS["quantri.snv"] = secret
    conftest.LAST_STEP.pop("quantri.snv", None)
    page.fill("#code", conftest.totp_code("quantri.snv"))
    with page.expect_navigation():
        page.click("text=Xác nhận và bật")
    codes = page.locator("ol.recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    shot(page, "xac-thuc-ma-khoi-phuc")
    page.click("text=Tiếp tục làm việc")
    page.goto(url("/danh-muc/nguoi-dung"))
    expect(page.locator("h1")).to_have_text("Người dùng")

    # A lost phone: a recovery code signs in once.
    page.context.clear_cookies()
    password_step(page, "quantri.snv")
    page.fill("#code", codes[0])
    with page.expect_navigation():
        page.click("button.primary")
    assert page.url.rstrip("/") == url()
    page.context.clear_cookies()
    password_step(page, "quantri.snv")
    page.fill("#code", codes[0])
    with page.expect_navigation():
        page.click("button.primary")
    expect(page.locator(".flash.error")).to_contain_text("Mã xác thực không đúng")


def test_kpi_demo_prints_a_key_for_each_account_that_requires_it():
    keys = conftest.demo_secrets()
    assert set(keys) == {"quantri", "quantri.snv", "thammuu"}
    for key in keys.values():
        assert len(base64.b32decode(key)) == 20, "160-bit keys"
        assert re.fullmatch(r"\d{6}", pyotp.TOTP(key).now())
