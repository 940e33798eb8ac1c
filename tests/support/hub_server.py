"""A hub serving real HTTP on a free port (uvicorn in a thread), for browser tests and
anything else that needs a real socket rather than the in-process TestClient.

Fixture `hub_http`: the hub on a fresh SQLite database, no ingest (no broker needed),
with an admin and their token. Build on it: `hub_http.hub` is the `Hub`, so a test can
seed what its page shows through the hub's own services before opening it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.app import create_app
from hub.container import Hub
from hub.settings import load_settings
from kernel.actors import Role
from tests.http_server import serve_in_thread
from tests.support.auth import bearer_headers


@dataclass
class HubServer:
    hub: Hub
    base_url: str
    admin_headers: dict[str, str]

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"


@pytest.fixture
def hub_http(tmp_path: Path) -> Iterator[HubServer]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'hub.db'}", tsdb_url=None)
    hub = Hub.build(settings)
    try:
        with serve_in_thread(create_app(hub, manage_lifecycle=False)) as base_url:
            yield HubServer(hub, base_url, bearer_headers(hub, Role.ADMIN))
    finally:
        hub.stop()
