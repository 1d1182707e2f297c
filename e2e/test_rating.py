import re
import uuid
import urllib.request

import qrcode
from playwright.sync_api import expect

from conftest import SIZES, no_horizontal_overflow, shot, sign_in, url


def qr_modules(svg):
    """The dark modules of our SVG (quiet zone of 4 removed), and its version and mask."""
    version = int(re.search(r'data-version="(\d+)"', svg).group(1))
    mask = int(re.search(r'data-mask="(\d+)"', svg).group(1))
    dark = {(int(x) - 4, int(y) - 4) for x, y in re.findall(r"M(\d+),(\d+)h1v1h-1z", svg)}
    return version, mask, dark


def test_citizen_rates_through_the_public_link(page, browser):
    page.on("dialog", lambda d: d.accept())
    sign_in(page, "lanhdao")
    page.goto(url("/viec?xem=da-giao&trang_thai=hoan-thanh"))
    page.locator("table.tasks tbody tr >> nth=0 >> a").click()
    task_url = page.url.split("?")[0]
    page.click("button:has-text('Tạo liên kết đánh giá')")
    expect(page.locator(".flash")).to_contain_text("Đã tạo liên kết đánh giá")
    link = page.locator("li.rating-link a").last.get_attribute("href")
    assert "/danh-gia/" in link
    shot(page, "lien-ket-danh-gia")

    # The QR code is exactly what an independent encoder (python-qrcode) makes of the link.
    token = link.rsplit("/", 1)[1]
    svg = urllib.request.urlopen(url(f"/danh-gia/{token}/qr.svg")).read().decode()
    version, mask, dark = qr_modules(svg)
    ref = qrcode.QRCode(version=version, error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=mask)
    ref.add_data(qrcode.util.QRData(link.encode(), mode=qrcode.util.MODE_8BIT_BYTE))
    ref.make(fit=False)
    expected = {(x, y) for y, row in enumerate(ref.modules) for x, v in enumerate(row) if v}
    assert dark == expected

    # A citizen, not signed in, on a phone or a desktop.
    ctx = browser.new_context(viewport=SIZES[page.size_name], locale="vi-VN")
    citizen = ctx.new_page()
    citizen.size_name = page.size_name
    citizen.goto(link)
    expect(citizen.locator("h1")).to_have_text("Đánh giá mức độ hài lòng")
    code = "BN-" + uuid.uuid4().hex[:8]
    citizen.fill("#ma_bien_nhan", code)
    citizen.check("input[name=diem][value='5']")
    citizen.fill("#gop_y", "Giải quyết nhanh, hướng dẫn tận tình")
    assert no_horizontal_overflow(citizen)
    shot(citizen, "danh-gia-cong-khai")
    citizen.click("button:has-text('Gửi đánh giá')")
    expect(citizen.locator("h1")).to_have_text("Cảm ơn ông/bà đã đánh giá")
    # The same receipt code again is refused, what was typed kept.
    citizen.goto(link)
    citizen.fill("#ma_bien_nhan", code)
    citizen.check("input[name=diem][value='1']")
    citizen.click("button:has-text('Gửi đánh giá')")
    expect(citizen.locator(".flash.error")).to_contain_text("đã được dùng để đánh giá")
    expect(citizen.locator("#ma_bien_nhan")).to_have_value(code)
    citizen.goto(url("/danh-gia/khong-co"))
    expect(citizen.locator(".flash.error")).to_contain_text("không tồn tại hoặc đã đóng")
    ctx.close()

    page.goto(task_url)
    expect(page.locator("#danh-gia")).to_contain_text("Giải quyết nhanh, hướng dẫn tận tình")
