from playwright.sync_api import expect

from conftest import no_horizontal_overflow, shot, sign_in, url


def test_edit_a_draft_framework_see_an_error_preview_and_publish(page):
    sign_in(page, "thammuu")
    page.click("nav.menu >> text=Bộ chỉ số")
    expect(page.locator("h1")).to_have_text("Bộ chỉ số đánh giá")
    page.fill("#q", "vien chuc")
    page.click("button:has-text('Lọc')")
    # The newest version of the lineage comes first: the version in force (the demo has no draft).
    page.locator("table.list tbody tr >> nth=0 >> a").click()
    page.click("button:has-text('Tạo bản nháp để điều chỉnh')")
    expect(page.locator(".flash")).to_contain_text("Đã tạo bản nháp")
    page.click("a:has-text('Sửa bản nháp')")
    expect(page.locator("h1")).to_contain_text("Sửa bản nháp")

    # Validation as you type: thresholds out of order are flagged before saving.
    page.fill("#goodThreshold", "95")
    expect(page.locator("[data-field=goodThreshold] .field-error")).to_contain_text("các ngưỡng phải tăng dần")
    expect(page.locator("#goodThreshold")).to_have_attribute("aria-invalid", "true")
    shot(page, "bo-chi-so-loi")
    # And on save: refused, what was typed kept.
    page.click("button:has-text('Lưu bản nháp')")
    expect(page.locator(".problems")).to_contain_text("các ngưỡng phải tăng dần")
    expect(page.locator("#goodThreshold")).to_have_value("95")

    page.fill("#goodThreshold", "70")
    # A real change against the version in force (the seeded 0,25 per major error).
    expect(page.locator("#errorPenalty")).to_have_value("0,25")
    page.fill("#errorPenalty", "0,5")
    expect(page.locator("#live-problems")).to_contain_text("Không có lỗi.")
    page.click("button:has-text('Lưu bản nháp')")
    expect(page.locator(".flash")).to_contain_text("Đã lưu bản nháp.")

    page.click("a:has-text('So sánh')")
    expect(page.locator("tr.changed")).to_contain_text("Mức giảm mỗi lỗi lớn")
    page.go_back()

    page.click("a:has-text('Xem trước tác động')")
    expect(page.locator("h1")).to_contain_text("Xem trước tác động")
    expect(page.locator("table.list >> nth=0")).to_contain_text("Hoàn thành xuất sắc nhiệm vụ")
    assert no_horizontal_overflow(page)
    shot(page, "bo-chi-so-xem-truoc")
    page.click("text=Quay lại bản nháp")

    page.check("input[name=xac_nhan]")
    page.click("button:has-text('Ban hành phiên bản')")
    expect(page.locator(".flash")).to_contain_text("Đã ban hành.")
    expect(page.locator("main")).to_contain_text("Đã ban hành")
    assert no_horizontal_overflow(page)
    shot(page, "bo-chi-so-ban-hanh")


def test_staff_do_not_see_the_framework_pages(page):
    sign_in(page, "canbo")
    assert page.locator("nav.menu >> text=Bộ chỉ số").count() == 0
    response = page.goto(url("/khung-danh-gia"))
    assert response.status == 403


def test_a_leader_reads_the_explanation_of_a_score(page):
    sign_in(page, "lanhdao")
    page.click("nav.menu >> text=Kết quả")
    expect(page.locator("h1")).to_have_text("Kết quả đánh giá theo kỳ")
    page.fill("#q", "CB-BTCTU-P3-03")
    page.click("button:has-text('Lọc')")
    page.locator("table.list tbody tr >> nth=0 >> a").click()
    expect(page.locator("h1")).to_contain_text("Giải trình điểm")
    expect(page.locator("main")).to_contain_text("U — tổng khối lượng quy đổi được giao")
    expect(page.locator("main")).to_contain_text("Tổng điểm kỳ:")
    assert no_horizontal_overflow(page)
    shot(page, "giai-trinh")
