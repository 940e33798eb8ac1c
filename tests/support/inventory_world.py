"""A small warehouse to test the inventory against: a hub on a real database,
an HTTP client, users of each role, storage classes, zones, bins and items.

Import the `world` fixture into a test module: `from tests.support.inventory_world import world`."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import httpx
import pytest
from fastapi.testclient import TestClient

from hub.accounts import service as accounts
from hub.accounts.service import create_user_with_token
from hub.app import create_app
from hub.container import Hub
from hub.settings import load_settings
from inventory.queries import ledger_disagreements
from kernel.actors import Role
from tests.support.auth import SIGN_PASSWORD, signature

# Master data every test starts with: a fridge (2-8 °C), a room (15-25 °C) and a
# hazardous-goods cage, one bin each (two in the fridge), and one item per kind.
STORAGE_CLASSES = [
    {"code": "2-8C", "name": "refrigerated", "temp_min_c": 2, "temp_max_c": 8},
    {"code": "15-25C", "name": "room temperature", "temp_min_c": 15, "temp_max_c": 25},
]
ZONES = [
    {"code": "FRIDGE", "name": "cold room", "storage_class": "2-8C"},
    {"code": "ROOM", "name": "main hall", "storage_class": "15-25C"},
    {"code": "HAZ", "name": "chemicals cage", "storage_class": "15-25C", "hazardous": True},
]
LOCATIONS = [
    {"code": "F-01", "zone": "FRIDGE"}, {"code": "F-02", "zone": "FRIDGE"},
    {"code": "R-01", "zone": "ROOM"}, {"code": "H-01", "zone": "HAZ"},
]
ITEMS = [
    {"sku": "VAC-1", "gtin": "04006381333931", "name": "vaccine", "storage_class": "2-8C"},
    {"sku": "GLOVE", "name": "gloves", "storage_class": "15-25C", "policy": "fifo"},
    {"sku": "ETH-1", "name": "ethanol 70%", "storage_class": "15-25C", "hazardous": True},
    {"sku": "INS-1", "name": "insulin", "storage_class": "2-8C", "quarantine_on_receipt": True},
]


@dataclass
class World:
    hub: Hub
    client: TestClient
    tokens: dict[Role, str] = field(default_factory=dict)

    def headers(self, role: Role = Role.OPERATOR, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        headers["Idempotency-Key"] = key or str(uuid.uuid4())
        return headers

    def post(self, path: str, body: dict[str, Any], role: Role = Role.OPERATOR,
             key: str | None = None) -> httpx.Response:
        return self.client.post(f"/api/v1{path}", json=body, headers=self.headers(role, key))

    def sign(self, meaning: str, password: str = SIGN_PASSWORD) -> dict[str, str]:
        return signature(meaning, password)

    def get(self, path: str, role: Role = Role.OPERATOR, **params: Any) -> httpx.Response:
        return self.client.get(f"/api/v1{path}", params=params, headers=self.headers(role))

    def ok(self, response: httpx.Response) -> Any:
        assert response.status_code < 300, response.text
        return response.json()

    def receive(self, item: str, lot: str, quantity: int, location: str,
                expiry: str | None = "2099-12-31") -> Any:
        return self.ok(self.post("/moves/receive", {
            "item": item, "lot_number": lot, "expiry": expiry, "quantity": quantity,
            "location": location}))

    def on_hand(self, **where: Any) -> int:
        return sum(row["quantity"] for row in self.ok(self.get("/stock", **where)))

    def assert_ledger_equals_balances(self) -> None:
        with self.hub.sessions() as session:
            assert ledger_disagreements(session) == []


_hash_password: Callable[[str], str] = accounts.hash_password  # the real one, not patched


@functools.cache
def _sign_password_hash() -> str:
    return _hash_password(SIGN_PASSWORD)


def _hash_once(password: str) -> str:
    """Every world's users have SIGN_PASSWORD: its scrypt hash (deliberately costly, some
    50 ms of CPU and 16 MB) is made once per process, not once per user of every test;
    a stored hash carries its salt, so the users' logins and signatures check as ever."""
    return _sign_password_hash() if password == SIGN_PASSWORD else _hash_password(password)


def build_world(database_url: str) -> Iterator[World]:
    hub = Hub.build(load_settings(database_url=database_url))
    world = World(hub, TestClient(create_app(hub, manage_lifecycle=False)))
    with mock.patch.object(accounts, "hash_password", _hash_once):
        for role in Role:
            with hub.writes() as session:
                world.tokens[role] = create_user_with_token(
                    session, f"{role.value}1", role, SIGN_PASSWORD,
                    f"{role.value.title()} One").token
    for path, rows in (("/storage-classes", STORAGE_CLASSES), ("/zones", ZONES),
                       ("/locations", LOCATIONS), ("/items", ITEMS)):
        for row in rows:
            world.ok(world.post(path, row, Role.ADMIN))
    yield world
    world.client.close()
    hub.engine.dispose()


@pytest.fixture
def world(migrated_db_url: str) -> Iterator[World]:
    """Once on SQLite, once on PostgreSQL (as `db_url`); the database starts at the
    schema's head (tests/conftest.py), as the hub would migrate it."""
    yield from build_world(migrated_db_url)
