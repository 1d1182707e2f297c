"""Ủy quyền in Chromium: a head hands their powers on a unit to a deputy for some days (a mistake
first), the deputy sees on every page on whose behalf they act, the head takes it back."""
import datetime

from playwright.sync_api import expect

from conftest import no_horizontal_overflow, shot, sign_in, server_today

# The server is shared by the two window sizes: a different head and deputy for each.
WHO = {"desktop": ("lanhdao", "canbo", "Phòng Cán bộ"), "phone": ("truongban", "lanhdao", "Ban Tổ chức Tỉnh ủy")}


def test_delegate_act_and_take_back(page):
    head, deputy, unit = WHO[page.size_name]
    today = server_today()
    sign_in(page, head)
    page.click("nav.menu >> text=Ủy quyền")
    expect(page.locator("h1")).to_have_text("Ủy quyền")
    page.click("text=+ Ủy quyền")
    page.select_option("#pham_vi", label=unit)
    page.fill("#nguoi_duoc_uy_quyen", deputy)
    page.fill("#tu_ngay", today.strftime("%d/%m/%Y"))
    page.fill("#den_ngay", (today - datetime.timedelta(days=1)).strftime("%d/%m/%Y"))
    page.fill("#ly_do", "Đi công tác Hà Nội")
    page.click("button.primary")
    expect(page.locator(".problems")).to_contain_text("trước ngày bắt đầu")
    expect(page.locator("#ly_do")).to_have_value("Đi công tác Hà Nội")
    shot(page, "uy-quyen-loi")
    assert no_horizontal_overflow(page)
    page.fill("#den_ngay", (today + datetime.timedelta(days=4)).strftime("%d/%m/%Y"))
    page.click("button.primary")
    expect(page.locator(".flash")).to_contain_text("Đã ủy quyền")
    expect(page.locator("section.acting")).to_contain_text("Bạn đã ủy quyền cho")
    expect(page.locator("table.list tbody tr").first).to_contain_text("Đang hiệu lực")
    shot(page, "uy-quyen")
    assert no_horizontal_overflow(page)
    page.click("button:has-text('Đăng xuất')")

    # The deputy: told on every page, with the head's powers in that unit.
    sign_in(page, deputy)
    expect(page.locator("section.acting")).to_contain_text("Đang thay mặt")
    expect(page.locator("section.acting")).to_contain_text(unit)
    page.click("nav.menu >> text=Công việc")
    expect(page.locator("section.acting")).to_contain_text("Đang thay mặt")
    shot(page, "uy-quyen-thay-mat")
    assert no_horizontal_overflow(page)
    page.click("button:has-text('Đăng xuất')")

    # Taken back by the head, after confirming.
    sign_in(page, head)
    page.click("nav.menu >> text=Ủy quyền")
    page.once("dialog", lambda d: d.accept())
    page.click("table.list button:has-text('Thu hồi')")
    expect(page.locator(".flash")).to_contain_text("Đã thu hồi")
    expect(page.locator("section.acting")).to_have_count(0)
    page.click("button:has-text('Đăng xuất')")
    sign_in(page, deputy)
    expect(page.locator("section.acting")).to_have_count(0)
