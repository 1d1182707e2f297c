"""Báo cáo in Chromium: the advisory body opens the report from the menu, drills from the province to an
agency and to a unit with its people, filters, exports; a unit's leader sees their room only. It fits the
window (1366 px and 360 px) and is photographed for the guide."""
import zipfile

from playwright.sync_api import expect

from conftest import SHOTS, no_horizontal_overflow, shot, sign_in, url


def test_drill_down_filter_and_export(page):
    sign_in(page, "thammuu")
    page.click("nav.menu >> text=Báo cáo")
    expect(page.locator("h1")).to_have_text("Báo cáo: Toàn tỉnh")
    expect(page.locator("table.report")).to_contain_text("Ban Tổ chức Tỉnh ủy")
    assert no_horizontal_overflow(page)
    shot(page, "bao-cao")
    page.click("table.report >> text=Ban Tổ chức Tỉnh ủy")
    expect(page.locator("h1")).to_have_text("Báo cáo: Ban Tổ chức Tỉnh ủy")
    page.click("table.report >> text=Phòng Cán bộ")
    expect(page.locator("h1")).to_have_text("Báo cáo: Phòng Cán bộ")
    expect(page.locator("main")).to_contain_text("Cán bộ trực tiếp tại Phòng Cán bộ")
    assert no_horizontal_overflow(page)
    shot(page, "bao-cao-don-vi")
    # Back up through the trail; a filter that matches nobody says so.
    page.click(".trail >> text=Toàn tỉnh")
    expect(page.locator("h1")).to_have_text("Báo cáo: Toàn tỉnh")
    page.select_option("#khoi", "su-nghiep")
    page.click("button:has-text('Xem báo cáo')")
    expect(page.locator("main")).to_contain_text("Không có số liệu nào khớp bộ lọc")
    with page.expect_download() as d:
        page.click("a:has-text('Xuất Excel')")
    assert d.value.suggested_filename.endswith(".xlsx")


def test_every_persons_results_download_as_a_workbook(page):
    """«Kết quả từng người»: the streamed workbook opens as a ZIP (Python's zipfile checks each entry's
    CRC) whose sheet lists the agency's people."""
    sign_in(page, "thammuu")
    page.goto(url("/bao-cao?don_vi=BTCTU"))
    with page.expect_download() as d:
        page.click("a:has-text('Kết quả từng người (Excel)')")
    assert d.value.suggested_filename.startswith("ket-qua-tung-nguoi-BTCTU")
    with zipfile.ZipFile(d.value.path()) as z:
        assert z.testzip() is None
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "Họ và tên" in sheet and "CB-BTCTU-P3-03" in sheet


def test_a_unit_leader_reports_on_their_room_only(page):
    sign_in(page, "lanhdao")
    page.goto(url("/bao-cao?don_vi=BTCTU-P3"))
    expect(page.locator("h1")).to_have_text("Báo cáo: Phòng Cán bộ")
    page.goto(url("/bao-cao?don_vi=SNV"))
    expect(page.locator("main")).to_contain_text("Không có cơ quan, đơn vị này trong phạm vi báo cáo của bạn")


def test_fairness_analysis_and_its_rules(page):
    sign_in(page, "thammuu")
    page.goto(url("/bao-cao"))
    page.click("a:has-text('Phân tích công bằng')")
    expect(page.locator("h1")).to_have_text("Phân tích công bằng")
    expect(page.locator("main")).to_contain_text("Áp lực hạn mức xuất sắc")
    assert no_horizontal_overflow(page)
    shot(page, "phan-tich-cong-bang")
    page.click("a:has-text('sửa tiêu chí')")
    page.fill("#chenh_trung_vi", "80")
    page.click("button:has-text('Lưu tiêu chí')")
    expect(page.locator(".problems")).to_contain_text("từ 1 đến 50")
    assert page.input_value("#chenh_trung_vi") == "80", "what was typed is kept"
    page.fill("#chenh_trung_vi", "12")
    page.click("button:has-text('Lưu tiêu chí')")
    expect(page.locator(".flash")).to_contain_text("Đã lưu tiêu chí phân tích")
    expect(page.locator("main")).to_contain_text("quá 12 điểm")


def test_the_pilot_review_as_a_page_a_printed_document_and_appendices(page):
    """Báo cáo sơ kết thí điểm: from the report page, for the demo's pilot months; the printed document
    (A4) saved as PDF; an appendix downloaded as a workbook."""
    sign_in(page, "thammuu")
    page.goto(url("/bao-cao"))
    page.click("text=Báo cáo sơ kết thí điểm")
    expect(page.locator("h1")).to_have_text("Báo cáo sơ kết thí điểm")
    review = page.locator("article.pilot-review")
    expect(review).to_contain_text("Tháng 7/2026")
    expect(review).to_contain_text("Ủy ban nhân dân Xã Hưng Nguyên")
    expect(review).to_contain_text("So sánh với kết quả năm 2025")
    assert no_horizontal_overflow(page)
    shot(page, "bao-cao-so-ket-trang")
    with page.expect_download() as d:
        page.click("a:has-text('1. Kết quả theo cơ quan')")
    with zipfile.ZipFile(d.value.path()) as z:
        assert z.testzip() is None
        assert "Ban Tổ chức Tỉnh ủy" in z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    # One agency, printed.
    page.fill("#co_quan", "SNV")
    page.click("button:has-text('Lập báo cáo')")
    expect(review).to_contain_text("tại 1 cơ quan: Sở Nội vụ")
    page.click("a:has-text('Bản in (A4, lưu PDF)')")
    doc = page.locator("article.doc")
    expect(doc).to_contain_text("BAN TỔ CHỨC TỈNH ỦY")
    expect(doc).to_contain_text("Sơ kết thí điểm đánh giá hiệu quả công việc theo sản phẩm")
    expect(doc.locator("table.doc-table").first).to_contain_text("Sở Nội vụ")
    expect(doc.locator("table.signatures")).to_contain_text("T/M CƠ QUAN")
    assert no_horizontal_overflow(page)
    shot(page, "bao-cao-so-ket")
    page.emulate_media(media="print")
    pdf = page.pdf(path=str(SHOTS / "bao-cao-so-ket.pdf"), format="A4", prefer_css_page_size=True)
    assert pdf[:4] == b"%PDF" and len(pdf) > 20_000
    page.emulate_media(media="screen")
