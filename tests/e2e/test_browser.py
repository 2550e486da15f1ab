"""End to end in Debian's chromium: log in as staff, switch language, log out."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_staff_logs_in_switches_language_and_logs_out(live_server, page, tmp_path):
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "登录开门平台"

    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill("kaimen-demo-staff")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    assert "欢迎" in page.locator("h1").inner_text()
    assert page.locator(".stat-value").first.inner_text() == "15"  # the seeds' 15 sub-districts
    page.screenshot(path=str(tmp_path / "dashboard-zh.png"))

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text().startswith("Welcome,")
    page.reload()  # the choice is remembered
    assert page.locator("h1").inner_text().startswith("Welcome,")

    page.get_by_role("button", name=re.compile("^Log out")).click()
    page.wait_for_url(re.compile(r"/login$"))
    assert page.get_by_text("You have logged out.").is_visible()
    page.goto(live_server + "/dashboard")
    assert "/login" in page.url


def test_wrong_password_shows_a_chinese_error_in_the_browser(live_server, page):
    page.goto(live_server + "/login")
    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text().strip() == "用户名或密码错误。"


def test_pages_load_no_external_assets_and_no_console_errors(live_server, page):
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server + "/login")
    page.wait_for_load_state("networkidle")
    assert requests and all(url.startswith(live_server) for url in requests)
    assert errors == []  # no CSP violations, no missing files
