"""The CLI: the first admin's token works against the API; imports report refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hub.app import create_app
from hub.cli import app
from hub.container import Hub
from hub.settings import load_settings


def test_the_first_admin_made_by_the_cli_can_use_the_api(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STOCKWARDEN_DATABASE_URL", sqlite_url)
    created = CliRunner().invoke(app, ["user", "create-admin", "--username", "alice"])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    assert token.startswith("sw_")
    again = CliRunner().invoke(app, ["user", "create-admin", "--username", "alice"])
    assert again.exit_code == 2
    assert "user alice exists already" in again.output

    items = tmp_path / "items.csv"
    items.write_text("sku,name\nA-1,first\n,nameless sku\n")
    imported = CliRunner().invoke(app, ["import", "items", str(items), "--reason", "go-live"])
    assert imported.exit_code == 1  # a row was refused
    assert "2 rows: 1 imported" in imported.output
    assert "sku: Field required" in imported.output

    hub = Hub.build(load_settings(database_url=sqlite_url))
    with TestClient(create_app(hub, manage_lifecycle=False)) as client:
        answer = client.get("/api/v1/items", headers={"Authorization": f"Bearer {token}"})
    hub.engine.dispose()
    assert [item["sku"] for item in answer.json()] == ["A-1"]
