"""Hướng dẫn trong sản phẩm (issue 18, item 4): the guide opened from a page lands on that page's
section, with its pictures; the training copy is made and reset by `kpi demo --training`."""
import os
import sqlite3
import subprocess
import time
import urllib.request

from playwright.sync_api import expect

from conftest import KPI_BIN, free_port, no_horizontal_overflow, shot, sign_in, url


def test_the_guide_opened_from_a_page(page):
    sign_in(page, "canbo")
    page.goto(url("/viec"))
    page.click("footer >> text=Hướng dẫn cho trang này")
    assert page.url.endswith("/huong-dan#cong-viec"), page.url
    expect(page.locator("h1")).to_have_text("Hướng dẫn sử dụng")
    heading = page.locator("h2#cong-viec")
    expect(heading).to_be_visible()
    expect(heading).to_be_in_viewport()
    picture = page.locator("img[src='/huong-dan/anh/viec-cua-toi.png']")
    picture.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    # The role section links to the sections; the table of contents too.
    page.click(".guide-toc >> text=Theo vai trò")
    page.click("article.guide >> a[href='#quy-trinh-cua-mot-ky'] >> nth=0")
    expect(page.locator("h3#quy-trinh-cua-mot-ky")).to_be_in_viewport()
    assert no_horizontal_overflow(page)
    shot(page, "huong-dan")
    # From the sign-in page, without an account.
    page.click("button:has-text('Đăng xuất')")
    page.goto(url("/dang-nhap"))
    page.click("footer >> text=Hướng dẫn cho trang này")
    expect(page.locator("h2#dang-nhap")).to_be_in_viewport()


def test_a_training_copy_is_made_and_reset(tmp_path):
    target = tmp_path / "dao-tao"
    env = dict(os.environ, KPI_DATA_DIR=str(tmp_path / "that"), KPI_BCRYPT_COST="8")
    made = subprocess.run([KPI_BIN, "demo", "--training", str(target)], env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "Bản đào tạo sẵn sàng" in made.stdout and "canbo" in made.stdout
    db = target / "kpi.sqlite"
    with sqlite3.connect(db) as c:
        people = c.execute("SELECT count(*) FROM people").fetchone()[0]
        c.execute("DELETE FROM notices")
        c.execute("UPDATE people SET full_name = 'Học viên đã sửa'")
    again = subprocess.run([KPI_BIN, "demo", "--training", str(target)], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*) FROM people").fetchone()[0] == people
        assert c.execute("SELECT count(*) FROM people WHERE full_name = 'Học viên đã sửa'").fetchone()[0] == 0
    # A folder with other data is never wiped; nor the live data folder.
    other = tmp_path / "khac"
    other.mkdir()
    (other / "ho-so.txt").write_text("dữ liệu thật")
    refused = subprocess.run([KPI_BIN, "demo", "--training", str(other)], env=env, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "không phải bản đào tạo" in refused.stdout + refused.stderr
    assert (other / "ho-so.txt").exists()
    live = subprocess.run([KPI_BIN, "demo", "--training", str(tmp_path / "that")], env=env, capture_output=True, text=True)
    assert live.returncode != 0 and "thư mục dữ liệu đang dùng" in live.stdout + live.stderr

    # Served, every page says it is a training copy.
    port_env = dict(os.environ, KPI_DATA_DIR=str(target))
    port = free_port()
    proc = subprocess.Popen([KPI_BIN, "serve", "--hostname", "127.0.0.1", "--port", str(port)], env=port_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while True:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/dang-nhap", timeout=2).read().decode()
                break
            except OSError:
                assert time.time() < deadline
                time.sleep(0.2)
        assert "Bản đào tạo: dữ liệu mẫu" in body
    finally:
        proc.terminate()
        proc.wait(timeout=20)
