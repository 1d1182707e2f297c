"""A demo unit's month from self-assessment to the lock, then a complaint accepted, in Chromium.

Each test starts from the demo's open month of Ban Tổ chức Tỉnh ủy on a server of its own and moves
it forward itself; each page it passes is also looked at on a phone.
"""
import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD, SIZES, no_horizontal_overflow, url

SHEET = "CB-BTCTU-P3-03"


@pytest.fixture
def people(browser):
    """One signed-in desktop page per person; confirmations accepted as a user would."""
    contexts = []

    def open_as(username, size="desktop"):
        ctx = browser.new_context(viewport=SIZES[size], locale="vi-VN")
        contexts.append(ctx)
        pg = ctx.new_page()
        pg.size_name = size
        pg.on("dialog", lambda d: d.accept())
        pg.goto(url("/dang-nhap"))
        pg.fill("#username", username)
        pg.fill("#password", PASSWORD)
        with pg.expect_navigation():
            pg.click("button.primary")
        return pg

    yield open_as
    for ctx in contexts:
        ctx.close()


def shot(pg, name):
    from conftest import SHOTS
    pg.screenshot(path=str(SHOTS / f"{pg.size_name}-{name}.png"), full_page=True)


def flash(pg, text):
    expect(pg.locator(".flash").first).to_contain_text(text)


def test_a_month_from_self_assessment_to_the_lock_and_a_complaint(people):
    head = people("truongban")
    head.click("nav.menu >> text=Kỳ đánh giá")
    head.locator("table.list tbody tr", has_text="(BTCTU)").first.locator("a").first.click()
    expect(head.locator("ol.steps li.current")).to_have_text(re.compile("Đang mở"))
    period_url = head.url.split("?")[0]
    head.click("button:has-text('Bắt đầu tự đánh giá')")
    flash(head, "Đã bắt đầu bước tự đánh giá")
    expect(head.locator("ol.steps li.current")).to_contain_text("Tự đánh giá")
    expect(head.locator("section.panel", has_text="Tiến độ")).to_contain_text("người chưa tự đánh giá")
    assert no_horizontal_overflow(head)
    shot(head, "ky-tu-danh-gia")

    # The person: their sheet from "Đánh giá của tôi", a wrong level never reaches the server.
    staff = people("canbo")
    staff.click("nav.menu >> text=Đánh giá của tôi")
    expect(staff.locator("table.list")).to_contain_text("cần tự đánh giá")
    staff.locator("table.list tbody tr").first.locator("a").click()
    expect(staff.locator("h1")).to_contain_text("Phiếu đánh giá")
    staff.fill("#tu_nhan_xet", "Hoàn thành các báo cáo đúng hạn; chủ động phối hợp với các phòng.")
    staff.select_option("#de_xuat_KL-02", "Tốt")
    staff.click("button:has-text('Gửi tự đánh giá')")
    flash(staff, "Đã lưu phiếu đánh giá")
    expect(staff.locator("#tu_nhan_xet")).to_have_value(re.compile("Hoàn thành các báo cáo"))
    assert no_horizontal_overflow(staff)
    shot(staff, "phieu-tu-danh-gia")

    # The unit's leader reviews from "Phiếu chờ tôi đánh giá".
    leader = people("lanhdao")
    leader.click("nav.menu >> text=Đánh giá của tôi")
    expect(leader.locator("h2", has_text="Phiếu chờ tôi đánh giá")).to_be_visible()
    leader.click(f"table.list a[href$='/phieu/{SHEET}']")
    expect(leader.locator("blockquote")).to_contain_text("Hoàn thành các báo cáo")
    leader.select_option("#muc_KL-02", "Khá")
    leader.fill("#nhan_xet", "Đạt yêu cầu; cần chủ động hơn trong tham mưu.")
    leader.click("button:has-text('Lưu đánh giá')")
    flash(leader, "Đã lưu phiếu đánh giá")
    shot(leader, "phieu-danh-gia")

    # The head moves on, approves (ties looked at if any) and locks.
    head.goto(period_url)
    head.click("button:has-text('Chuyển sang bước đánh giá')")
    flash(head, "Đã chuyển sang bước đánh giá")
    head.click("button:has-text('Trình phê duyệt')")
    flash(head, "Đã trình phê duyệt")
    head.click("text=Xem đề xuất xếp loại và phê duyệt")
    expect(head.locator("h1")).to_contain_text("Phê duyệt")
    expect(head.locator("section.panel").first).to_contain_text("Hạn mức xuất sắc")
    assert no_horizontal_overflow(head)
    shot(head, "phe-duyet")
    if head.locator("input[name=dong_diem]").count():
        head.check("input[name=dong_diem]")
    head.click("button:has-text('Phê duyệt và công khai')")
    flash(head, "Đã phê duyệt và công khai")
    expect(head.locator("ol.steps li.current")).to_contain_text("Công khai")
    head.click("button:has-text('Chốt điểm')")
    flash(head, "Đã chốt điểm")
    expect(head.locator("ol.steps li.current")).to_contain_text("Đã chốt điểm")
    shot(head, "ky-da-chot")

    # After the lock: the person's complaint, accepted by the head with a corrected level.
    staff.goto(period_url + f"/phieu/{SHEET}")
    expect(staff.locator("table.list", has_text="Phiên bản")).to_contain_text("hiện hành")
    before = staff.locator("section.total").inner_text()
    staff.fill("#ly_do", "Chỉ số KL-02: chi bộ đã đánh giá mức Tốt trong tháng.")
    staff.fill("#minh_chung", "Biên bản sinh hoạt chi bộ số 11")
    staff.click("button:has-text('Gửi kiến nghị')")
    flash(staff, "Đã lưu phiếu đánh giá")
    expect(staff.locator("ul.cases")).to_contain_text("Chờ trả lời")

    head.goto(period_url + f"/phieu/{SHEET}")
    form = head.locator("form", has=head.locator("button:has-text('Gửi trả lời')"))
    form.locator("textarea[name=tra_loi]").fill("Chấp nhận theo biên bản của chi bộ.")
    form.locator("input[value=chap-nhan]").check()
    form.locator("select[name='sua_KL-02']").select_option("Tốt")
    form.locator("button:has-text('Gửi trả lời')").click()
    flash(head, "Đã lưu phiếu đánh giá")
    revisions = head.locator("table.list", has_text="Phiên bản")
    expect(revisions.locator("tbody tr")).to_have_count(2)
    expect(revisions.locator("tbody tr").first).to_contain_text("Kiến nghị")
    expect(revisions.locator("tbody tr").first).to_contain_text("hiện hành")
    shot(head, "phieu-kien-nghi")

    staff.reload()
    expect(staff.locator("ul.cases")).to_contain_text("Chấp nhận")
    assert staff.locator("section.total").inner_text() != before
    phone = people("canbo", "phone")
    phone.goto(period_url + f"/phieu/{SHEET}")
    assert no_horizontal_overflow(phone)
    shot(phone, "phieu-kien-nghi")


def test_printed_form_and_ranking_list(people):
    """The evaluation form and the agency's ranking list as official documents, saved as PDF by Chromium."""
    from conftest import SHOTS
    head = people("truongban")
    head.click("nav.menu >> text=Kỳ đánh giá")
    head.locator("table.list tbody tr", has_text="(BTCTU)").first.locator("a").first.click()
    period_url = head.url.split("?")[0]
    # Its own start: the demo month is open; self-assessment makes the sheets.
    head.click("button:has-text('Bắt đầu tự đánh giá')")
    flash(head, "Đã bắt đầu bước tự đánh giá")
    head.goto(period_url + f"/phieu/{SHEET}")
    head.click("text=In phiếu đánh giá, xếp loại")
    doc = head.locator("article.doc")
    expect(doc).to_contain_text("ĐẢNG CỘNG SẢN VIỆT NAM")  # a Party body's heading
    expect(doc).to_contain_text("BAN TỔ CHỨC TỈNH ỦY")
    expect(doc).to_contain_text(re.compile(r"Nghệ An, ngày \d{2} tháng \d{2} năm \d{4}"))
    expect(doc).to_contain_text("PHIẾU ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG")
    expect(doc).to_contain_text("Tổng điểm")
    expect(doc.locator("table.signatures")).to_contain_text("THỦ TRƯỞNG CƠ QUAN")
    head.emulate_media(media="print")
    assert not head.locator(".doc-tools").is_visible()
    pdf = head.pdf(path=str(SHOTS / "phieu-danh-gia.pdf"), format="A4", print_background=True, prefer_css_page_size=True)
    assert pdf[:4] == b"%PDF" and len(pdf) > 20_000
    head.screenshot(path=str(SHOTS / "print-phieu-danh-gia.png"), full_page=True)
    head.emulate_media(media="screen")

    head.goto(period_url + "/danh-sach")
    doc = head.locator("article.doc")
    expect(doc).to_contain_text("DANH SÁCH ĐÁNH GIÁ, XẾP LOẠI")
    expect(doc).to_contain_text("Tổng số:")
    expect(doc.locator("table.doc-table tbody tr").first).to_be_visible()
    head.emulate_media(media="print")
    pdf = head.pdf(path=str(SHOTS / "danh-sach-xep-loai.pdf"), format="A4", prefer_css_page_size=True)
    assert pdf[:4] == b"%PDF"
    head.screenshot(path=str(SHOTS / "print-danh-sach.png"), full_page=True)
    head.emulate_media(media="screen")
    with head.expect_download() as download:
        head.goto(period_url)
        head.click("text=Danh sách xếp loại (Excel)")
    assert download.value.suggested_filename.startswith("danh-sach-xep-loai-")
    assert download.value.suggested_filename.endswith(".xlsx")
