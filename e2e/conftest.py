"""Browser tests: Debian's Chromium driven by Playwright, against a running server (KPI_BASE_URL)."""
import os
import pathlib

import pytest
from playwright.sync_api import sync_playwright

BASE = os.environ.get("KPI_BASE_URL", "http://127.0.0.1:8080")
PASSWORD = "KpiCongVu@2026"
SHOTS = pathlib.Path(__file__).parent / "screenshots"
SHOTS.mkdir(exist_ok=True)
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture(params=list(SIZES))
def page(request, browser):
    ctx = browser.new_context(viewport=SIZES[request.param], locale="vi-VN")
    pg = ctx.new_page()
    pg.size_name = request.param
    yield pg
    ctx.close()


def sign_in(pg, username):
    pg.goto(BASE + "/dang-nhap")
    pg.fill("#username", username)
    pg.fill("#password", PASSWORD)
    with pg.expect_navigation():
        pg.click("button.primary")


def shot(pg, name):
    pg.screenshot(path=str(SHOTS / f"{pg.size_name}-{name}.png"), full_page=True)


def no_horizontal_overflow(pg):
    return pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
