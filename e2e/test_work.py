import datetime
import pathlib
import uuid

from playwright.sync_api import expect

from conftest import SIZES, no_horizontal_overflow, shot, sign_in, url, server_today


def staff_page(browser, size_name):
    ctx = browser.new_context(viewport=SIZES[size_name], locale="vi-VN")
    pg = ctx.new_page()
    pg.size_name = size_name
    return ctx, pg


def act(pg, heading_or_button, **fields):
    for name, value in fields.items():
        pg.fill(f"[name={name}]", value)
    pg.click(f"button:has-text('{heading_or_button}')")


def test_assign_progress_evidence_submit_return_accept(page, browser, tmp_path):
    page.on("dialog", lambda d: d.accept())
    title = f"Báo cáo kiểm tra trình duyệt {uuid.uuid4().hex[:6]}"
    today = server_today()
    due = today + datetime.timedelta(days=14)

    # The leader assigns.
    sign_in(page, "lanhdao")
    page.click("nav.menu >> text=Công việc")
    page.click("a:has-text('+ Giao việc')")
    expect(page.locator("h1")).to_have_text("Giao việc")
    page.fill("#tieu_de", title)
    page.fill("#nguoi", "CB-BTCTU-P3-03")
    page.select_option("#san_pham", "SP-CM-02")
    page.fill("#so_luong", "2")
    page.fill("#muc_do", "Phức tạp")
    page.fill("#bat_dau", today.strftime("%d/%m/%Y"))
    # A due date before the start is refused, with what was typed kept.
    page.fill("#han", (today - datetime.timedelta(days=3)).strftime("%d/%m/%Y"))
    page.click("button.primary:has-text('Giao việc')")
    expect(page.locator(".problems")).to_contain_text("không được trước ngày bắt đầu")
    expect(page.locator("#tieu_de")).to_have_value(title)
    shot(page, "giao-viec-loi")
    page.fill("#han", due.strftime("%d/%m/%Y"))
    page.click("button.primary:has-text('Giao việc')")
    expect(page.locator(".flash")).to_contain_text("Đã giao nhiệm vụ.")
    expect(page.locator("h1")).to_contain_text(title)
    task_url = page.url.split("?")[0]

    # The assignee starts, updates progress, attaches evidence and submits.
    ctx, staff = staff_page(browser, page.size_name)
    staff.on("dialog", lambda d: d.accept())
    sign_in(staff, "canbo")
    staff.click("nav.menu >> text=Công việc")
    staff.click(f"a:has-text('{title}')")
    staff.click("button:has-text('Bắt đầu thực hiện')")
    expect(staff.locator(".flash")).to_contain_text("Đã chuyển sang đang thực hiện.")
    staff.fill("#phan_tram", "50")
    staff.fill("form[action$='tien-do'] [name=ghi_chu]", "Đã có số liệu các phòng")
    staff.click("button:has-text('Cập nhật')")
    expect(staff.locator(".flash")).to_contain_text("Đã cập nhật tiến độ.")
    evidence = pathlib.Path(tmp_path) / "bao-cao-thang.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% KPI test\n%%EOF\n")
    staff.set_input_files("#tep", str(evidence))
    staff.click("button:has-text('Tải lên')")
    expect(staff.locator("#minh-chung")).to_contain_text("bao-cao-thang.pdf")
    staff.click("button:has-text('Gửi nghiệm thu')")
    expect(staff.locator(".flash")).to_contain_text("Đã gửi nghiệm thu.")
    assert no_horizontal_overflow(staff)
    shot(staff, "viec-da-gui")

    # The leader returns it once, with a reason.
    page.goto(task_url)
    expect(page.locator("p .badge").first).to_have_text("Chờ nghiệm thu")
    page.fill("form[action$='tra-lai'] [name=ly_do]", "Bổ sung số liệu quý III")
    page.click("button:has-text('Trả lại để làm lại')")
    expect(page.locator(".flash")).to_contain_text("Đã trả lại nhiệm vụ")

    # The assignee submits again; the leader accepts with a verdict.
    staff.goto(task_url)
    expect(staff.locator("ol.timeline")).to_contain_text("Bổ sung số liệu quý III")
    staff.click("button:has-text('Gửi nghiệm thu')")
    expect(staff.locator(".flash")).to_contain_text("Đã gửi nghiệm thu.")
    page.goto(task_url)
    page.check("input[name=ket_qua][value=dat]")
    page.click("button:has-text('Ghi kết quả nghiệm thu')")
    expect(page.locator(".flash")).to_contain_text("Đã nghiệm thu nhiệm vụ.")
    expect(page.locator("main")).to_contain_text("Kết quả: Đạt")
    expect(page.locator("dl.record")).to_contain_text("1 · 0")
    assert no_horizontal_overflow(page)
    shot(page, "viec-nghiem-thu")
    ctx.close()


def test_overdue_warning_shows_in_the_lists_and_the_board(page):
    # The demonstration data has an overdue task for canbo.
    sign_in(page, "canbo")
    page.click("nav.menu >> text=Công việc")
    expect(page.locator("table.tasks")).to_contain_text("Quá hạn")
    page.select_option("#trang_thai", "qua-han")
    page.click("button:has-text('Lọc')")
    expect(page.locator("table.tasks tbody tr")).not_to_have_count(0)
    assert no_horizontal_overflow(page)
    shot(page, "viec-cua-toi")
    page.click("a:has-text('Lịch')")
    expect(page.locator("ol.calendar")).to_be_visible()
    shot(page, "lich")
    page.click("a.bell")
    expect(page.locator("h1")).to_have_text("Thông báo")
    shot(page, "thong-bao")

    page.click("button:has-text('Đăng xuất')")
    sign_in(page, "lanhdao")
    page.goto(url("/viec/bang"))
    expect(page.locator("table.board tbody tr").first).to_have_class("late")
    assert no_horizontal_overflow(page)
    shot(page, "bang-theo-doi")
