"""Nghỉ theo chế độ in Chromium: a leader records long leave (a mistake first), finds it in the list,
and the demo specialist on maternity leave has this month not evaluated."""
import datetime

from playwright.sync_api import expect

from conftest import no_horizontal_overflow, shot, sign_in, url, server_today

# Far from the demonstration's months, and a different person per window size (the server is shared).
WHO = {"desktop": "CB-BTCTU-P3-04", "phone": "CB-BTCTU-P3-05"}


def test_record_leave_and_see_the_month_not_evaluated(page):
    sign_in(page, "truongban")
    page.click("nav.menu >> text=Nghỉ chế độ")
    expect(page.locator("h1")).to_have_text("Nghỉ theo chế độ")
    # The demo's maternity leave is listed.
    expect(page.locator("table.list")).to_contain_text("Nghỉ thai sản")
    shot(page, "nghi-che-do")
    assert no_horizontal_overflow(page)

    page.click("text=+ Ghi nhận nghỉ")
    who = WHO[page.size_name]
    page.fill("#nguoi", who)
    page.select_option("#loai", "om-dau")
    page.fill("#tu_ngay", "01/03/2028")
    page.fill("#den_ngay", "28/02/2028")
    page.fill("#can_cu", "Giấy chứng nhận nghỉ việc số 42/2028")
    page.click("button.primary")
    expect(page.locator(".problems")).to_contain_text("trước ngày bắt đầu")
    expect(page.locator("#can_cu")).to_have_value("Giấy chứng nhận nghỉ việc số 42/2028")
    shot(page, "nghi-che-do-loi")
    page.fill("#den_ngay", "31/08/2028")
    page.click("button.primary")
    expect(page.locator(".flash")).to_contain_text("Đã ghi nhận")
    page.fill("#q", who)
    page.click("button:has-text('Lọc')")
    row = page.locator("table.list tbody tr", has_text=who)
    expect(row).to_contain_text("Nghỉ ốm đau dài ngày từ 01/03/2028 đến 31/08/2028")
    expect(row).to_contain_text("Giấy chứng nhận nghỉ việc số 42/2028")
    assert no_horizontal_overflow(page)

    # This month of the demo specialist on maternity leave: not evaluated, said why.
    month = server_today().strftime("%Y-%m")
    page.goto(url(f"/ket-qua/{month}/CB-BTCTU-P1-05"))
    expect(page.locator(".leave-note")).to_contain_text("Nghỉ theo chế độ cả kỳ: Nghỉ thai sản")
    expect(page.locator("section.total")).to_contain_text("không đánh giá (nghỉ theo chế độ cả kỳ)")
    shot(page, "nghi-che-do-giai-trinh")
    assert no_horizontal_overflow(page)
