from playwright.sync_api import expect

from conftest import next_month, no_horizontal_overflow, shot, sign_in, url

# Each window size works on its own agency: both run against the same server.
AGENCY = {"desktop": "VPTU", "phone": "SKHCN"}


def test_open_a_period_compute_it_and_read_its_results(page):
    sign_in(page, "thammuu")
    page.click("nav.menu >> text=Kỳ đánh giá")
    expect(page.locator("h1")).to_have_text("Kỳ đánh giá")
    page.click("summary:has-text('Mở kỳ đánh giá')")
    agency = AGENCY[page.size_name]
    page.select_option("#co_quan", agency)
    # The demo's agencies have this month open already: the next one is opened here.
    month = next_month(page.input_value("#ky"))
    # A period that is not one is explained and nothing is opened.
    page.fill("#ky", "2026-13")
    page.click("button:has-text('Mở kỳ')")
    expect(page.locator(".problems, .flash.error").first).to_contain_text("không hợp lệ")
    page.fill("#ky", month)
    page.click("button:has-text('Mở kỳ')")
    expect(page.locator(".flash").first).to_contain_text("Đã mở kỳ đánh giá")
    row = page.locator("table.list tbody tr", has_text=f"({agency})").first
    row.locator("button:has-text('Tính lại ngay')").click()
    expect(page.locator(".flash").first).to_contain_text("Đã tính lại điểm của kỳ")
    row = page.locator("table.list tbody tr", has_text=f"({agency})").first
    expect(row).to_contain_text("Đang mở")
    assert no_horizontal_overflow(page)
    shot(page, "ky-danh-gia")
    row.locator("a:has-text('Kết quả')").click()
    expect(page.locator("h1")).to_have_text("Kết quả đánh giá theo kỳ")
    expect(page.locator("p.count")).not_to_have_text("0 người")
    assert no_horizontal_overflow(page)


def test_staff_do_not_see_the_periods(page):
    sign_in(page, "canbo")
    assert "Kỳ đánh giá" not in page.locator("nav.menu").inner_text()
    response = page.goto(url("/ky-danh-gia"))
    assert response.status == 403
