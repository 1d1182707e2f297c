import pytest
from playwright.sync_api import expect

from conftest import no_horizontal_overflow, shot, sign_in, url

ROLES = {
    "quantri": ("Quản trị hệ thống", ["Cơ quan", "Người dùng", "Nhập dữ liệu", "Nhật ký"]),
    "quantri.snv": ("Quản trị đơn vị", ["Cơ quan", "Người dùng", "Nhập dữ liệu"]),
    "thammuu": ("Cơ quan tham mưu", ["Cơ quan", "Cán bộ"]),
    "lanhdao": ("Lãnh đạo", ["Cơ quan", "Cán bộ"]),
    "canbo": ("Cán bộ, công chức, viên chức", ["Cơ quan"]),
    "kiemtra": ("Kiểm tra, giám sát", ["Nhật ký"]),
}


@pytest.mark.parametrize("username", list(ROLES))
def test_each_role_signs_in_sees_its_menu_and_signs_out(page, username):
    label, menu = ROLES[username]
    sign_in(page, username)
    assert page.url == url("/")
    assert page.locator("h1").inner_text() == "Tổng quan"
    assert label in page.locator("main").inner_text()
    nav = page.locator("nav.menu").inner_text()
    for item in menu:
        assert item in nav, f"{username} should see {item}"
    if username == "canbo":
        assert "Nhập dữ liệu" not in nav and "Nhật ký" not in nav and "Người dùng" not in nav
    assert no_horizontal_overflow(page)
    shot(page, f"tong-quan-{username}")
    page.click("text=Đăng xuất")
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    page.goto(url("/danh-muc/co-quan"))
    assert "/dang-nhap" in page.url, "signed out: protected pages send back to sign-in"


def test_wrong_password_is_explained(page):
    page.goto(url("/dang-nhap"))
    page.fill("#username", "lanhdao")
    page.fill("#password", "sai-mat-khau")
    page.click("button.primary")
    expect(page.locator(".flash")).to_be_visible()
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in page.locator(".flash").inner_text()
    assert page.input_value("#username") == "lanhdao", "the username is kept"
    shot(page, "dang-nhap-sai")
