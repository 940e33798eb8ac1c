"""A whole hub started in process on the test services, for integration tests that
publish over MQTT and read the API: started, connected to the broker, stopped after."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

from hub.app import create_app
from hub.container import Hub, assemble
from hub.settings import load_settings
from tests.support.auth import bearer_headers
from tests.support.mqtt import wait_until


@contextmanager
def running_hub(**settings: Any) -> Iterator[Hub]:
    """`assemble(load_settings(**settings))`, started, once its ingest is on the broker."""
    hub = assemble(load_settings(**settings))
    hub.start()
    try:
        wait_until(hub.ingest.subscriber.connected.is_set, what="hub connected")
        yield hub
    finally:
        hub.stop()


@contextmanager
def api_client(hub: Hub) -> Iterator[TestClient]:
    """The hub's API with an admin token, the hub's lifecycle left to `running_hub`."""
    with TestClient(create_app(hub, manage_lifecycle=False),
                    headers=bearer_headers(hub)) as client:
        yield client


def ok(answer: Any) -> Any:
    """The JSON of a successful answer; else the test fails showing the body."""
    assert answer.status_code < 300, answer.text
    return answer.json()
