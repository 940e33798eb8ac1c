"""The pages in Chinese, in real headless Chromium against the hub over HTTP, at desktop
and phone size: a supervisor switches to 中文 in the header of the handheld (its service
worker installed), and every page (overview, alarms, handheld, reports, audit, zones, an
excursion, stocktakes, items, locations, gateways, users, alarm rules, the login) shows
Chinese with <html lang="zh-CN">; the handheld refuses a scan in Chinese (its own check
and the hub's refusal); the choice is the user's (it survives logging out, a browser
without cookies, and shows in /auth/me), while another user in the same browser still
gets English. A browser asking for Chinese gets the login page in Chinese. Screenshots
of each page in Chinese are kept (the `shots` fixture); each page's load time is
printed."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import OfflinePage
from tests.support.hub_server import HubServer

PASSWORD = "language-password-12"
SIZES = {
    "desktop": {"viewport": {"width": 1366, "height": 850}},
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
}
# Each page with words it shows in Chinese (from its template and from its script).
PAGES = [
    ("/", "overview", ["总览", "未关闭的报警", "离线网关"]),
    ("/alarms", "alarms", ["报警通路测试", "冻结的批号", "状态"]),
    ("/handheld", "handheld", ["收货", "发货", "就绪", "队列"]),
    ("/reports", "reports", ["库区报表", "库存台账", "批号追溯", "效期"]),
    ("/audit", "audit", ["审计追踪", "筛选", "下载 PDF"]),
    ("/settings/zones", "zones", ["库区与传感器", "储存类别", "报警规则默认值"]),
    ("/excursions/1", "excursion", ["超标", "将被冻结的批号"]),
    ("/stocktakes", "stocktakes", ["盘点单", "发起盘点", "盘点中或待批准"]),
    ("/settings/items", "items", ["补货点", "近效期先出", "1 个商品"]),
    ("/settings/locations", "locations", ["标签页", "库区 COLD · cold room"]),
    ("/settings/gateways", "gateways", ["网关与扫描枪", "由管理员注册扫描枪"]),
    ("/settings/users", "users", ["用户与令牌", "您以主管身份登录"]),
    ("/settings/alarms", "alarmrules", ["报警规则与接收人", "接收组", "由管理员修改"]),
]


def _call(server: HubServer, method: str, path: str, body: Any = None,
          headers: dict[str, str] | None = None) -> Any:
    answer = httpx.request(method, server.url(f"/api/v1{path}"), json=body, timeout=10,
                           headers={**(headers or server.admin_headers),
                                    "Idempotency-Key": str(uuid.uuid4())})
    assert answer.status_code < 300, answer.text
    return answer.json()


@pytest.fixture
def site(hub_http: HubServer) -> HubServer:
    """A cold room with a bin and an item, and two supervisors."""
    for path, body in (
        ("/storage-classes", {"code": "2-8C", "name": "refrigerated", "temp_min_c": 2,
                              "temp_max_c": 8}),
        ("/zones", {"code": "COLD", "name": "cold room", "storage_class": "2-8C"}),
        ("/locations", {"code": "F-01", "zone": "COLD"}),
        ("/items", {"sku": "VAC-1", "gtin": "04006381333931", "name": "vaccine",
                    "storage_class": "2-8C"}),
        ("/users", {"username": "li", "role": "supervisor", "password": PASSWORD,
                    "full_name": "Li Wei"}),
        ("/users", {"username": "max", "role": "supervisor", "password": PASSWORD,
                    "full_name": "Max Muster"}),
    ):
        _call(hub_http, "POST", path, body)
    return hub_http


def log_in(page: Page, username: str) -> None:
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("body[data-ready=true]")


def open_in_chinese(offline: OfflinePage, path: str) -> float:
    started = time.monotonic()
    offline.goto(path)
    offline.page.wait_for_selector("body[data-ready=true]")
    seconds = time.monotonic() - started
    print(f"load {path} (zh-CN) {seconds:.2f} s")
    expect(offline.page.locator("html")).to_have_attribute("lang", "zh-CN")
    return seconds


@pytest.mark.parametrize("size", list(SIZES))
def test_a_user_switches_to_chinese_and_every_page_follows(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path, size: str,
) -> None:
    offline = open_page(site.base_url, **SIZES[size])
    page = offline.page
    offline.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#login-form h1")).to_have_text("Log in")
    log_in(page, "li")
    expect(page.locator("nav.pages")).to_contain_text("Overview")
    # On the handheld, whose service worker keeps a copy of the page for offline use:
    # the switch's reload still gets the page in the new language.
    offline.goto("/handheld")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#feedback .headline")).to_have_text("Ready")
    page.evaluate("() => navigator.serviceWorker.ready")  # installed, with its copy

    page.click("nav.languages a[data-language=zh-CN]")  # the switch: stored, then reloaded
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#feedback .headline")).to_have_text("就绪")
    expect(page.locator("nav.languages a[aria-current=true]")).to_have_text("中文")
    expect(page.locator("#whoami")).to_contain_text("li · 主管")  # a script's words

    for step, (path, name, words) in enumerate(PAGES, start=1):
        open_in_chinese(offline, path)
        for word in words:
            expect(page.locator("main")).to_contain_text(word)
        expect(page.locator("nav.pages")).to_contain_text("总览")
        expect(page.locator("nav.pages")).not_to_contain_text("Overview")
        offline.screenshot(shots / f"{step:02d}-{size}-{name}-zh.png", full_page=True)

    # The handheld's refusals: its own check (no bin yet), then the hub's (a bin that
    # is not on file), both in Chinese, with the error sound.
    open_in_chinese(offline, "/handheld")
    page.fill("#scan", "0104006381333931")
    page.press("#scan", "Enter")
    feedback = page.locator("#feedback")
    expect(feedback).to_have_attribute("data-tone", "error")
    expect(feedback.locator(".headline")).to_have_text("未记账")
    expect(feedback.locator(".detail")).to_have_text("请先扫描库位标签。")
    page.fill("#scan", "LOC:NOWHERE")
    page.press("#scan", "Enter")
    expect(feedback.locator(".headline")).to_have_text("库位 NOWHERE")
    page.fill("#scan", "0104006381333931")
    page.press("#scan", "Enter")
    expect(feedback.locator(".headline")).to_contain_text(
        "被拒绝\N{FULLWIDTH COLON}收货 1 \N{MULTIPLICATION SIGN} ", timeout=15_000)
    expect(feedback).to_have_attribute("data-tone", "error")
    expect(page.locator("#queue li[data-state=refused] .badge")).to_have_text("被拒绝")
    offline.screenshot(shots / f"{len(PAGES) + 1:02d}-{size}-handheld-refused-zh.png",
                       full_page=True)

    # Logged out, the login page stays in the chosen language (the switch's cookie).
    page.click("#logout")
    expect(page).to_have_url(f"{offline.origin}/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#login-form h1")).to_have_text("登录")
    offline.screenshot(shots / f"{len(PAGES) + 2:02d}-{size}-login-zh.png", full_page=True)

    # Another user in the same browser: their own language (the site's, English).
    log_in(page, "max")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("nav.pages")).to_contain_text("Overview")
    expect(page.locator("#open-head")).to_contain_text("Open alarms")
    page.click("#logout")
    expect(page).to_have_url(f"{offline.origin}/login")

    # The choice is Li's, not the browser's: a fresh browser, no cookies, English login,
    # and Chinese pages once Li has logged in.
    fresh = open_page(site.base_url, **SIZES[size])
    fresh.goto("/login?next=%2Freports")
    expect(fresh.page.locator("html")).to_have_attribute("lang", "en")
    log_in(fresh.page, "li")
    expect(fresh.page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(fresh.page.locator("main h1")).to_have_text("报表")
    me = _call(site, "GET", "/auth/me", headers=_bearer(site, "li"))
    assert me["language"] == "zh-CN"
    assert _call(site, "GET", "/auth/me", headers=_bearer(site, "max"))["language"] is None

    # Back to English with the same switch.
    fresh.page.click("nav.languages a[data-language=en]")
    expect(fresh.page.locator("html")).to_have_attribute("lang", "en")
    expect(fresh.page.locator("main h1")).to_have_text("Reports")


def _bearer(site: HubServer, username: str) -> dict[str, str]:
    answer = httpx.post(site.url("/api/v1/auth/login"), timeout=10,
                        json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_a_browser_asking_for_chinese_gets_the_login_page_in_chinese(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path,
) -> None:
    offline = open_page(site.base_url, locale="zh-CN", **SIZES["phone"])
    started = time.monotonic()
    offline.goto("/login")
    print(f"load /login (Accept-Language zh-CN) {time.monotonic() - started:.2f} s")
    page = offline.page
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#login-form h1")).to_have_text("登录")
    expect(page.locator("#login-form")).to_contain_text("用户名")
    page.fill("#username", "li")
    page.fill("#password", "not-the-password")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_have_text("用户名或密码错误。")
    offline.screenshot(shots / "01-login-accept-language-zh.png", full_page=True)
    # The user logged in has no language of their own: the site's, English.
    log_in(page, "li")
    expect(page.locator("html")).to_have_attribute("lang", "en")
