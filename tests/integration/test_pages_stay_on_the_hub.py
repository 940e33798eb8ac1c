"""No page the hub serves loads anything from outside the hub: warehouse networks are
often cut off from the internet. Each HTML page the hub serves is listed here; a new
page adds itself to HUB_PAGES. (tests/e2e/test_docs_offline.py proves it for /docs in
a real browser; this scan catches a CDN link in any page's HTML.)"""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest

from tests.support.hub_server import HubServer

# Every HTML page the hub serves (path, whether it needs a token).
HUB_PAGES = [
    ("/docs", False),
    ("/login", False),  # the web pages need no token: their data comes from the API
    ("/handheld", False),
    ("/", False),  # the overview
    ("/alarms", False),
    ("/alarms/1", False),  # the link in alarm messages
    ("/reports", False),
    ("/audit", False),  # the audit trail's review
    ("/excursions/1", False),  # an excursion, from the alarms page
    ("/settings/zones", False),  # storage classes, zones, sensors (master data)
    ("/stocktakes", False),  # the stocktakes' list
    ("/stocktakes/1", False),  # one stocktake
    ("/settings/items", False),  # items
    ("/settings/locations", False),  # bins and their label sheets
    ("/settings/gateways", False),  # gateways and their scanners
    ("/settings/users", False),  # users and tokens
    ("/settings/alarms", False),  # alarm rules and recipients
]

_URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.\-]+(?::\d+)?[^\s"'<>)]*""")


def external_urls(html: str, hub_origin: str) -> list[str]:
    """Absolute or protocol-relative URLs in `html` that point away from the hub."""
    return [url for url in _URL.findall(html)
            if not url.startswith(hub_origin) and not url.startswith(hub_origin.split(":", 1)[1])]


def fetch(server: HubServer, path: str, with_token: bool) -> tuple[int, str, str]:
    headers = server.admin_headers if with_token else {}
    request = urllib.request.Request(server.url(path), headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers.get("content-type", ""), response.read().decode()


@pytest.mark.parametrize(("path", "with_token"), HUB_PAGES)
def test_a_hub_page_references_no_other_origin(
    hub_http: HubServer, path: str, with_token: bool
) -> None:
    status, content_type, html = fetch(hub_http, path, with_token)
    assert status == 200 and content_type.startswith("text/html")
    assert "<script" in html or "<link" in html  # a page that loads something, scanned
    assert external_urls(html, hub_http.base_url) == []


def test_the_scan_sees_a_cdn_link() -> None:
    html = ('<link href="https://cdn.jsdelivr.net/npm/x.css"><script src="//unpkg.com/y.js">'
            '</script><script src="/static/docs/z.js"></script>'
            '<a href="http://127.0.0.1:8080/openapi.json">')
    assert external_urls(html, "http://127.0.0.1:8080") == [
        "https://cdn.jsdelivr.net/npm/x.css", "//unpkg.com/y.js"]


def test_there_is_no_redoc_page_to_load_from_a_cdn(hub_http: HubServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        fetch(hub_http, "/redoc", False)
    assert refused.value.code == 404
