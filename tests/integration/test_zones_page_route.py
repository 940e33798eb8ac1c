"""The zones page's route (/settings/zones): served without a token under the pages'
content security policy, linked from the header, and told what the site requires of
a change (a signature for limits, reasons per kind) so that it asks before sending."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.container import Hub
from hub.settings import load_settings


@pytest.fixture
def client_with(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    hubs: list[Hub] = []

    def make(**settings: Any) -> TestClient:
        hub = Hub.build(load_settings(database_url=f"sqlite:///{tmp_path / f'{len(hubs)}.db'}",
                                      tsdb_url=None, **settings))
        hubs.append(hub)
        return TestClient(create_app(hub, manage_lifecycle=False))

    yield make
    for hub in hubs:
        hub.stop()


def config_of(html: str) -> dict[str, Any]:
    block = re.search(r'<script type="application/json" id="page-config">(.*?)</script>', html,
                      re.S)
    assert block is not None
    return json.loads(block.group(1))


def test_the_zones_page_is_linked_and_knows_what_the_site_requires(
    client_with: Callable[..., TestClient],
) -> None:
    response = client_with().get("/settings/zones")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert '<a href="/settings/zones" aria-current="page">Settings</a>' in html  # the header
    assert '<a href="/settings/zones" aria-current="page">Zones</a>' in html  # settings' own
    assert 'src="/static/web/zones.js"' in html and "<script>" not in html
    config = config_of(html)
    assert "limits" in config["signing"]["required"]
    assert {"limits", "sensor_zone"} <= set(config["reasonRequired"])


def test_a_site_without_signatures_or_reasons_tells_the_page_so(
    client_with: Callable[..., TestClient],
) -> None:
    config = config_of(client_with(signature_required=[], audit_reason_required=[])
                       .get("/settings/zones").text)
    assert config == {"signing": {"required": []}, "reasonRequired": []}
