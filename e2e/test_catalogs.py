import uuid

from playwright.sync_api import expect

from conftest import no_horizontal_overflow, shot, sign_in, url


def test_browse_the_organization_tree(page):
    sign_in(page, "quantri")
    page.click("nav.menu >> text=Cơ quan")
    expect(page.locator("h1")).to_have_text("Cơ quan, đơn vị")
    page.fill("#flt_q", "noi vu")
    page.click("text=Lọc")
    page.click("table.list >> text=Sở Nội vụ")
    expect(page.locator("h1")).to_have_text("Sở Nội vụ")
    assert "Hệ thống chính trị tỉnh Nghệ An" in page.locator(".crumbs").inner_text()
    shot(page, "co-quan-chi-tiet")
    page.goto(url("/danh-muc/co-quan?don_vi=SNV"))
    table = page.locator("table.list tbody").inner_text()
    for unit in ["Sở Nội vụ", "Văn phòng Sở", "Phòng Tổ chức, biên chế", "Phòng Công chức, viên chức",
                 "Phòng Xây dựng chính quyền"]:
        assert unit in table, "the subtree filter shows Sở Nội vụ and its units"
    assert "Ban Tổ chức Tỉnh ủy" not in table
    page.click("table.list >> text=Phòng Tổ chức, biên chế")
    expect(page.locator("h1")).to_have_text("Phòng Tổ chức, biên chế")
    assert "Sở Nội vụ" in page.locator(".crumbs").inner_text()
    assert no_horizontal_overflow(page)
    shot(page, "co-quan-don-vi")
    page.goto(url("/danh-muc/can-bo?don_vi=SNV-P2"))
    assert no_horizontal_overflow(page)
    shot(page, "can-bo")


def test_import_good_csv_then_bad_csv(page, tmp_path):
    sign_in(page, "quantri")
    code = "SKHCN-E2E-" + page.size_name.upper() + "-" + uuid.uuid4().hex[:4].upper()
    good = tmp_path / "co-quan.csv"
    good.write_text(f"Mã,Tên,Khối,Cấp,Mã cơ quan cấp trên\n{code},Phòng Thử nghiệm,Chính quyền,Tỉnh,SKHCN\n", encoding="utf-8")
    page.goto(url("/nhap-du-lieu"))
    page.select_option("#danh_muc", "co-quan")
    page.set_input_files("#tep", str(good))
    page.click("button:has-text(\"Kiểm tra tệp\")")
    expect(page.locator("h1")).to_have_text("Kiểm tra tệp: hợp lệ")
    shot(page, "nhap-thu")
    page.click("button:has-text(\"Nhập chính thức\")")
    expect(page.locator("h1")).to_have_text("Đã nhập dữ liệu")
    page.goto(url("/danh-muc/co-quan?q=") + code)
    assert "Phòng Thử nghiệm" in page.locator("table.list").inner_text()

    bad = tmp_path / "sai.csv"
    bad.write_text("Mã,Tên,Khối,Cấp,Mã cơ quan cấp trên\nA1,,Đảng,Tỉnh,\nA2,Tên,Khối lạ,Tỉnh,KHONGCO\n", encoding="utf-8")
    page.goto(url("/nhap-du-lieu"))
    page.set_input_files("#tep", str(bad))
    page.click("button:has-text(\"Kiểm tra tệp\")")
    expect(page.locator("h1")).to_have_text("Tệp chưa hợp lệ")
    errors = page.locator("table.errors").inner_text()
    assert "«Tên»: không được để trống" in errors
    assert "«Khối»: giá trị «Khối lạ» không hợp lệ" in errors
    assert "Chưa có dữ liệu nào được ghi" in page.locator(".flash").inner_text()
    assert page.locator("button:has-text(\"Nhập chính thức\")").count() == 0
    assert no_horizontal_overflow(page)
    shot(page, "nhap-loi")


def test_add_a_unit_with_a_form_error_first(page):
    sign_in(page, "quantri.snv")
    code = "SNV-" + page.size_name.upper() + "-" + uuid.uuid4().hex[:4].upper()
    page.goto(url("/danh-muc/co-quan/moi?cap_tren=SNV"))
    page.fill("#f_ma", code)
    page.select_option("#f_khoi", "chinh-quyen")
    page.select_option("#f_cap", "tinh")
    page.click("button.primary")
    expect(page.locator(".problems")).to_be_visible()
    assert "«Tên»: không được để trống" in page.locator(".problems").inner_text()
    assert page.input_value("#f_ma") == code, "values kept"
    shot(page, "them-loi")
    page.fill("#f_ten", "Phòng Cải cách hành chính")
    page.click("button.primary")
    expect(page.locator("h1")).to_have_text("Phòng Cải cách hành chính")
    assert "Đã lưu." in page.locator(".flash").inner_text()
    shot(page, "them-xong")


def test_audit_page_for_inspector(page):
    sign_in(page, "kiemtra")
    page.click("nav.menu >> text=Nhật ký")
    expect(page.locator("h1")).to_have_text("Nhật ký hệ thống")
    assert "Đăng nhập" in page.locator("table.audit").inner_text()
    assert no_horizontal_overflow(page)
    shot(page, "nhat-ky")
