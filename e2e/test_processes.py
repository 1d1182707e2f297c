"""Two `kpi serve` processes behind nginx on one PostgreSQL database (conftest.cluster; issue 21):
a session opened through one is good on the other; a change made on one is in force on the other at once
(the working-day calendar, kept by each process for five minutes, follows through PostgreSQL's
LISTEN/NOTIFY); a process killed with `kill -9` is skipped by nginx and nobody sees an error."""
import datetime
import os
import signal

import pytest
from playwright.sync_api import expect

from conftest import SERVER, SIZES, next_month, next_working_day, sign_in, url, server_today

CLUSTER = True


@pytest.fixture
def page(desktop_page):
    """One window size: these tests are about processes and faults, not layout."""
    return desktop_page


def upstreams(pg, paths):
    """Opens each path through nginx; every answer must be 200; the processes that answered."""
    seen = set()
    for path in paths:
        r = pg.goto(url(path))
        assert r.status == 200, (path, r.status)
        # After a failed try nginx lists every process it tried: the last one answered.
        seen.add(r.headers["x-kpi-upstream"].split(", ")[-1])
    return seen


def test_a_change_on_one_process_is_in_force_on_the_other_at_once(page, browser):
    sign_in(page, "thammuu")
    # One session, answered by both processes in turn.
    seen = upstreams(page, ["/", "/viec?xem=cua-toi", "/ky-danh-gia", "/", "/viec?xem=cua-toi", "/ky-danh-gia"])
    assert len(seen) == 2, seen
    first, second = SERVER["processes"]

    # A period opened through nginx; its page read on the second process proposes a deadline in working days.
    page.goto(url("/ky-danh-gia"))
    page.click("summary:has-text('Mở kỳ đánh giá')")
    page.select_option("#co_quan", "SNV")
    page.fill("#ky", next_month(page.input_value("#ky")))
    page.click("button:has-text('Mở kỳ')")
    expect(page.locator(".flash").first).to_contain_text("Đã mở kỳ đánh giá")
    link = page.locator("table.list tbody tr", has_text="(SNV)").first.locator("a").first.get_attribute("href")
    page.goto(second + link)
    before = datetime.datetime.strptime(page.input_value("#han_tu_danh_gia"), "%d/%m/%Y").date()

    # The administrator adds a holiday on the first process.
    admin = browser.new_context(viewport=SIZES["desktop"], locale="vi-VN").new_page()
    sign_in(admin, "quantri")
    admin.goto(first + "/cai-dat")
    holiday = next_working_day(server_today())
    admin.fill("#ngay", holiday.strftime("%d/%m/%Y"))
    admin.fill("#ten", "Nghỉ thử hai tiến trình")
    admin.click("button:has-text('Thêm vào lịch')")
    expect(admin.locator(".flash").first).to_contain_text("Đã thêm ngày vào lịch")
    admin.context.close()

    # The second process, which kept the calendar for five minutes, proposes the later deadline now.
    page.reload()
    after = datetime.datetime.strptime(page.input_value("#han_tu_danh_gia"), "%d/%m/%Y").date()
    assert after > before, (before, after)


def test_a_killed_process_is_skipped_without_an_error(page):
    sign_in(page, "canbo")
    assert len(upstreams(page, ["/viec?xem=cua-toi", "/", "/viec?xem=cua-toi", "/"])) == 2
    victim = SERVER["procs"][0]
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    # Every page still opens, from the process left; the session is still good there.
    seen = upstreams(page, ["/viec?xem=cua-toi", "/", "/viec?xem=cua-toi", "/", "/viec?xem=cua-toi", "/"])
    assert seen <= {SERVER["processes"][1].removeprefix("http://")}, seen
    expect(page.locator("h1").first).to_be_visible()
