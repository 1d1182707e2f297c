"""Issue 16 in a real browser: the session list, error pages as pages (not JSON), an open redirect refused."""
from playwright.sync_api import expect

from conftest import PASSWORD, no_horizontal_overflow, shot, sign_in, url


def test_session_list_shows_and_ends_another_device(browser, page):
    sign_in(page, "truongban")
    other = browser.new_context(locale="vi-VN")
    second = other.new_page()
    sign_in(second, "truongban")
    page.goto(url("/phien-dang-nhap"))
    expect(page.locator("h1")).to_have_text("Phiên đăng nhập")
    rows = page.locator("table.list tbody tr")
    assert rows.count() >= 2
    expect(page.locator("text=Phiên này")).to_be_visible()
    assert no_horizontal_overflow(page)
    shot(page, "phien-dang-nhap")
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        page.click("text=Kết thúc mọi phiên khác")
    expect(page.locator(".flash")).to_contain_text("Đã kết thúc mọi phiên khác")
    assert page.locator("table.list tbody tr").count() == 1
    second.goto(url("/viec"))
    assert "/dang-nhap" in second.url, "the other device must sign in again"
    other.close()


def test_error_pages_are_pages_in_a_browser(page):
    sign_in(page, "canbo")
    response = page.goto(url("/khong-co-trang-nay"))
    assert response.status == 404
    assert "text/html" in response.headers["content-type"]
    expect(page.locator("h1")).to_have_text("Không tìm thấy")
    csp = response.headers["content-security-policy"]
    assert "form-action 'self'" in csp and "base-uri 'none'" in csp
    forbidden = page.goto(url("/nhat-ky"))
    assert forbidden.status == 403
    expect(page.locator("h1")).to_have_text("Không có quyền truy cập")
    shot(page, "loi-403")


def test_sign_in_never_leaves_the_site(page):
    page.goto(url("/dang-nhap?next=%2F%5Cexample.org"))
    page.fill("#username", "kiemtra")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button.primary")
    assert page.url == url("/"), page.url
