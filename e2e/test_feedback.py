"""Góp ý in Chromium: a specialist sends feedback about the page they are on (a mistake first), the
advisory body is told, answers it, and the specialist reads the answer."""
from playwright.sync_api import expect

from conftest import no_horizontal_overflow, shot, sign_in, url


def test_feedback_sent_from_a_page_and_answered(page):
    sign_in(page, "canbo")
    page.goto(url("/viec"))
    page.click("footer >> text=Góp ý về trang này")
    expect(page.locator("h1")).to_have_text("Gửi góp ý")
    expect(page.locator("form.record-form")).to_contain_text("Gửi từ trang: /viec")
    expect(page.locator("#chu_de")).to_have_value("trang")
    page.fill("#noi_dung", "Khó dùng")
    page.click("button.primary")
    expect(page.locator(".problems")).to_contain_text("ít nhất 10 ký tự")
    expect(page.locator("#noi_dung")).to_have_value("Khó dùng")
    page.fill("#noi_dung", "Bộ lọc theo hạn khó thấy trên điện thoại; đề nghị để ở đầu trang.")
    shot(page, "gop-y-gui")
    page.click("button.primary")
    expect(page.locator(".flash")).to_contain_text("Đã gửi góp ý")
    row = page.locator("table.list tbody tr", has_text="Bộ lọc theo hạn")
    expect(row).to_contain_text("Chờ trả lời")
    assert no_horizontal_overflow(page)

    # The advisory body hears of it, opens it from the notice and answers (after confirming).
    page.context.clear_cookies()
    sign_in(page, "thammuu")
    page.goto(url("/thong-bao"))
    page.click("text=Góp ý mới của")
    expect(page.locator("h1")).to_have_text("Góp ý: trang, chức năng của phần mềm")
    page.fill("#tra_loi", "Đã chuyển bộ lọc lên đầu trang trong bản cập nhật tới.")
    page.once("dialog", lambda d: d.accept())
    page.click("button:has-text('Gửi trả lời')")
    expect(page.locator(".flash")).to_contain_text("Đã gửi trả lời")
    expect(page.locator("form.record-form")).to_have_count(0)
    shot(page, "gop-y-tra-loi")
    assert no_horizontal_overflow(page)

    # The specialist reads the answer from their list.
    page.context.clear_cookies()
    sign_in(page, "canbo")
    page.goto(url("/gop-y?trang_thai=da-tra-loi"))
    page.click("table.list >> text=Bộ lọc theo hạn")
    expect(page.locator("main")).to_contain_text("Đã chuyển bộ lọc lên đầu trang trong bản cập nhật tới.")
    assert no_horizontal_overflow(page)
