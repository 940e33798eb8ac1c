"""The web pages' routes: served without a token, out of the API schema, with a
content security policy that lets only the hub's own files run; every file a page
or the handheld's service worker names is served by the hub."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.container import Hub
from hub.settings import load_settings
from hub.web.layout import NAV, STATIC_DIR
from hub.web.settings_pages import SETTINGS_PAGES


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'hub.db'}", tsdb_url=None,
                             scan_location_prefix="BIN:")
    hub = Hub.build(settings)
    try:
        yield TestClient(create_app(hub, manage_lifecycle=False))
    finally:
        hub.stop()


def test_pages_need_no_token_and_only_run_the_hubs_own_scripts(client: TestClient) -> None:
    for path in ("/login", "/handheld", "/", "/alarms", *SETTINGS_PAGES):
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "connect-src 'self'" in policy
        assert "<script>" not in response.text  # no inline script for the policy to refuse


def test_the_handheld_gets_the_hubs_scan_settings(client: TestClient) -> None:
    html = client.get("/handheld").text
    config = json.loads(re.search(
        r'<script type="application/json" id="page-config">(.*?)</script>', html, re.S).group(1))
    assert config["locationPrefix"] == "BIN:"
    assert config["separatorStandins"] == ["|"]


def test_the_overview_is_the_home_page_and_knows_the_alarm_rules_margins(
    client: TestClient,
) -> None:
    html = client.get("/").text
    assert '<a href="/" aria-current="page">Overview</a>' in html
    assert '<a href="/alarms">Alarms</a>' in html
    config = json.loads(re.search(
        r'<script type="application/json" id="page-config">(.*?)</script>', html, re.S).group(1))
    # The tile's amber band is the default alarms' warning margin; no engine in this hub.
    assert config["warningMargin"] == {"temperature_c": 0.5, "humidity_pct": 3.0}
    assert config["alarmsRunning"] is False
    alarms = client.get("/alarms").text
    assert '<a href="/alarms" aria-current="page">Alarms</a>' in alarms
    assert "gateway_offline" in alarms  # the kinds to filter on


def test_pages_stay_out_of_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths
                if p in ("/", "/login") or p.startswith(("/handheld", "/alarms"))]


def test_every_file_a_page_loads_is_served(client: TestClient) -> None:
    referenced = set()
    for path in ("/login", *(link.path for link in NAV), *SETTINGS_PAGES):
        referenced |= set(re.findall(r'(?:src|href)="(/static/web/[^"]+)"', client.get(path).text))
    for script in STATIC_DIR.glob("*.js"):  # and every module those import
        referenced |= {f"/static/web/{name}" for name in
                       re.findall(r'from "\./([\w.]+)"', script.read_text())}
    assert referenced
    for url in sorted(referenced):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "no-cache"


def test_the_service_worker_may_control_the_handheld_and_caches_what_it_loads(
    client: TestClient,
) -> None:
    response = client.get("/handheld/sw.js")
    assert response.headers["service-worker-allowed"] == "/handheld"
    assert response.headers["content-type"].startswith("text/javascript")
    urls = json.loads(re.search(r"const URLS = (\[.*?\]);", response.text).group(1))
    assert "/handheld" in urls
    html = client.get("/handheld").text
    loaded = set(re.findall(r'(?:src|href)="(/static/web/[^"]+)"', html))
    # Every module the handheld's scripts import, and what those import in turn.
    todo = [url.rsplit("/", 1)[1] for url in loaded if url.endswith(".js")]
    modules: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in modules:
            modules.add(name)
            todo += re.findall(r'from "\./([\w.]+)"', (STATIC_DIR / name).read_text())
    assert loaded | {f"/static/web/{name}" for name in modules} <= set(urls)
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert "__VERSION__" not in response.text


def test_the_stocktake_pages_are_in_the_header_and_know_whether_approval_is_signed(
    client: TestClient,
) -> None:
    html = client.get("/stocktakes").text
    assert '<a href="/stocktakes" aria-current="page">Stocktakes</a>' in html
    page = client.get("/stocktakes/7")
    config = json.loads(re.search(
        r'<script type="application/json" id="page-config">(.*?)</script>', page.text,
        re.S).group(1))
    assert config["stocktake"] == 7
    assert "stocktake_approval" in config["signing"]["required"]  # signed by default
    for bad in ("/stocktakes/abc", "/stocktakes/0"):
        answer = client.get(bad)
        assert answer.status_code in (404, 422), bad
        assert "Traceback" not in answer.text
def test_the_settings_pages_are_one_header_link_with_their_own_links(client: TestClient) -> None:
    """The header has room at 360 px for one "Settings" link; each settings page marks it
    as current and lists every settings page, its own marked."""
    for path in SETTINGS_PAGES:
        html = client.get(path).text
        assert '<a href="/settings/zones" aria-current="page">Settings</a>' in html, path
        subnav = re.search(r'<nav class="settings-nav".*?</nav>', html, re.S).group(0)
        assert re.findall(r'href="([^"]+)"', subnav) == SETTINGS_PAGES
        assert re.findall(r'href="([^"]+)" aria-current="page"', subnav) == [path]
        script = {"/settings/alarms": "alarmrules.js"}.get(path, f'{path.rsplit("/", 1)[1]}.js')
        assert f'src="/static/web/{script}"' in html, path
