import datetime

from playwright.sync_api import expect

from conftest import SIZES, next_month, next_working_day, no_horizontal_overflow, shot, sign_in, url, server_today

# Each window size works on its own agency and its own day: both run against the same server.
AGENCY = {"desktop": "SNV", "phone": "MTTQT"}


def test_a_holiday_added_in_settings_moves_a_deadline(page, browser):
    # The advisory body opens a period: the page proposes the self-assessment deadline in working days.
    sign_in(page, "thammuu")
    page.goto(url("/ky-danh-gia"))
    page.click("summary:has-text('Mở kỳ đánh giá')")
    page.select_option("#co_quan", AGENCY[page.size_name])
    # The demo's agencies have this month open already: the next one is opened here.
    page.fill("#ky", next_month(page.input_value("#ky")))
    page.click("button:has-text('Mở kỳ')")
    expect(page.locator(".flash").first).to_contain_text("Đã mở kỳ đánh giá")
    page.locator("table.list tbody tr", has_text=f"({AGENCY[page.size_name]})").first.locator("a").first.click()
    before = datetime.datetime.strptime(page.input_value("#han_tu_danh_gia"), "%d/%m/%Y").date()

    # The system administrator adds a holiday on the next working day (another window, another account).
    admin = browser.new_context(viewport=SIZES[page.size_name], locale="vi-VN").new_page()
    admin.size_name = page.size_name
    sign_in(admin, "quantri")
    admin.click("nav.menu >> text=Cài đặt")
    expect(admin.locator("h1")).to_have_text("Cài đặt")
    holiday = next_working_day(server_today())
    # A day on a weekend is refused with the reason, and nothing is added.
    saturday = holiday + datetime.timedelta(days=(5 - holiday.weekday()) % 7)
    admin.fill("#ngay", saturday.strftime("%d/%m/%Y"))
    admin.fill("#ten", "Nghỉ thử")
    admin.click("button:has-text('Thêm vào lịch')")
    expect(admin.locator(".problems").first).to_contain_text("vốn đã nghỉ")
    assert admin.input_value("#ten") == "Nghỉ thử", "what was typed is kept"
    admin.fill("#ngay", holiday.strftime("%d/%m/%Y"))
    admin.click("button:has-text('Thêm vào lịch')")
    expect(admin.locator(".flash").first).to_contain_text("Đã thêm ngày vào lịch")
    admin.goto(url(f"/cai-dat?nam={holiday.year}#lich"))
    expect(admin.locator("table.list")).to_contain_text("Nghỉ thử")
    assert no_horizontal_overflow(admin)
    shot(admin, "cai-dat")
    admin.context.close()

    # The same page now proposes a deadline one working day later.
    page.reload()
    after = datetime.datetime.strptime(page.input_value("#han_tu_danh_gia"), "%d/%m/%Y").date()
    assert after > before, (before, after)
    assert no_horizontal_overflow(page)
    shot(page, "ky-danh-gia-han-moi")
