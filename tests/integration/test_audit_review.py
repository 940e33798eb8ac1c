"""Reviewing the audit trail, on SQLite and PostgreSQL, over HTTP (issue 19, item 3):
the review API's filters and paging, the PDF export with the same filters (read back
through pdftotext), the chain's state; the zone report's "Changes in the period"
(JSON, CSV, PDF, the CLI's CSV) answering who changed the zone's upper limit, when, from what to
what and why, and leaving out another zone's changes; a lot's trace with its QC
status changes and their reasons."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hub.app import create_app
from hub.cli import app as cli
from hub.container import Hub, build_alarms
from hub.settings import load_settings
from kernel.actors import Role
from tests.support.auth import bearer_headers, signature

QA = "qa-admin"


class Desk:
    def __init__(self, client: TestClient, headers: dict[Role | str, dict[str, str]]) -> None:
        self.client, self.headers = client, headers
        self.names = {role: client.get("/api/v1/auth/me", headers=h).json()["username"]
                      for role, h in headers.items()}

    def write(self, method: str, path: str, body: Any = None, role: Role | str = Role.ADMIN,
              **params: Any) -> Any:
        body = _signed(method, path, body)
        answer = self.client.request(method, f"/api/v1{path}", json=body, params=params,
                                     headers={**self.headers[role],
                                              "Idempotency-Key": str(uuid.uuid4())})
        assert answer.status_code < 300, answer.text
        return answer.json()

    def get(self, path: str, role: Role = Role.SUPERVISOR, **params: Any) -> Any:
        answer = self.client.get(f"/api/v1{path}", params=params, headers=self.headers[role])
        assert answer.status_code == 200, answer.text
        return answer


def _signed(method: str, path: str, body: Any) -> Any:
    """The decisions that are signed (kernel/signatures.py) carry a signature."""
    if isinstance(body, dict) and (path.startswith("/alarms/rules") or (
            method == "PATCH" and path.startswith(("/storage-classes/", "/zones/")))):
        return {**body, "signature": signature("approved")}
    if isinstance(body, dict) and path.endswith("/qc-status") and body.get("status") in (
            "released", "rejected"):
        return {**body, "signature": signature(body["status"])}
    return body


def _unsigned(after: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in after.items() if k != "signature"}


@pytest.fixture
def desk(db_url: str) -> Iterator[Desk]:
    hub = Hub.build(load_settings(database_url=db_url, mqtt_url="mqtt://127.0.0.1:1",
                                  tsdb_url=None, alarm_tick_s=0.1))
    headers: dict[Role | str, dict[str, str]] = {role: bearer_headers(hub, role) for role in Role}
    headers[QA] = bearer_headers(hub, Role.ADMIN)  # a second admin, for the user filter
    hub.alarms = build_alarms(hub)  # the rules are edited through the alarm engine
    hub.alarms.start()
    with TestClient(create_app(hub, manage_lifecycle=False)) as client:
        desk = Desk(client, headers)
        desk.write("POST", "/storage-classes", {"code": "2-8C", "name": "fridge",
                                                "temp_min_c": 2, "temp_max_c": 8})
        desk.write("POST", "/storage-classes", {"code": "15-25C", "name": "room",
                                                "temp_min_c": 15, "temp_max_c": 25})
        desk.write("POST", "/zones", {"code": "COLD", "name": "Cold room",
                                      "storage_class": "2-8C"})
        desk.write("POST", "/zones", {"code": "DRY", "name": "Dry store",
                                      "storage_class": "15-25C"})
        desk.write("POST", "/sensors", {"id": "cold-t1", "name": "wall", "zone": "COLD"})
        desk.write("POST", "/sensors", {"id": "dry-t1", "name": "shelf", "zone": "DRY"})
        yield desk
    hub.stop()


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: ./run installs poppler-utils")
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def _section(csv_text: str, name: str) -> list[list[str]]:
    """A section of a report's CSV: its rows after the head, up to the next blank line."""
    rows = list(csv.reader(io.StringIO(csv_text)))
    start = rows.index([f"# {name}"])
    found = []
    for row in rows[start + 2:]:
        if not row:
            break
        found.append(row)
    return found


def test_who_changed_the_upper_limit_is_in_the_zone_report(
        desk: Desk, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    dry = {"zone": "DRY", "quantity": "temperature_c", "high_critical": 26}
    desk.write("PUT", "/alarms/rules", {"thresholds": [dry]}, reason="dry")
    start = datetime.now(UTC)  # the period: after the set-up
    desk.write("PATCH", "/storage-classes/2-8C", {"temp_max_c": 6}, role=QA,
               reason="temperature mapping study TM-7")
    # Another zone's changes (its class's limit, its rule): not in this zone's report.
    desk.write("PATCH", "/storage-classes/15-25C", {"temp_max_c": 24}, reason="room mapping")
    cold = {"sensor": "cold-t1", "quantity": "temperature_c", "high_warning": 5.5}
    desk.write("PUT", "/alarms/rules", {"thresholds": [dry, cold]},
               reason="warn before the new limit")
    desk.write("PUT", "/alarms/rules", {"thresholds": [{**dry, "high_critical": 27}, cold]},
               reason="dry higher")
    end = datetime.now(UTC) + timedelta(minutes=5)
    period = {"start": start.isoformat(), "end": end.isoformat()}

    report = desk.get("/reports/zones/COLD", **period).json()
    who = desk.names[QA]
    limit, rule = report["changes"]
    assert (limit["actor"], limit["entity"], limit["key"], limit["reason"]) == (
        who, "storage_class", "2-8C", "temperature mapping study TM-7")
    assert (limit["before"], _unsigned(limit["after"])) == ({"temp_max_c": 8.0},
                                                            {"temp_max_c": 6.0})
    assert limit["after"]["signature"]["meaning"] == "approved"  # a limit change is signed
    assert start <= datetime.fromisoformat(limit["at"]) <= end
    assert (rule["entity"], rule["reason"]) == ("alarm_rules", "warn before the new limit")

    rows = [r for r in _section(desk.get("/reports/zones/COLD", format="csv", **period).text,
                                "changes in the period") if r[7] != "signature"]
    assert rows[0][5:] == ["storage_class", "2-8C", "temp_max_c", "8.0", "6.0",
                           "temperature mapping study TM-7"]
    assert rows[0][2] == who and rows[0][1] == limit["at"][:19].replace("T", " ")
    # Of the rules list, only the rule that changed, on each side: the new one for cold-t1.
    assert rows[1][5:8] == ["alarm_rules", "rules", "thresholds"] and rows[1][8] == "[]"
    assert '"sensor":"cold-t1"' in rows[1][9] and "DRY" not in rows[1][9]
    assert len(rows) == 2

    text = _pdf_text(desk.get("/reports/zones/COLD", format="pdf", **period).content, tmp_path)
    assert "Changes in the period" in text
    assert re.search(r"temp_max_c\s+8\.0\s+6\.0", text), text
    assert who in text and "TM-7" in text
    assert "room mapping" not in text and "dry higher" not in text

    monkeypatch.setenv("STOCKWARDEN_DATABASE_URL", db_url)
    printed = CliRunner().invoke(cli, ["report", "zone", "COLD", "--from", start.isoformat(),
                                       "--to", end.isoformat(), "--format", "csv"])
    assert printed.exit_code == 0, printed.output
    assert [r for r in _section(printed.stdout, "changes in the period")
            if r[7] != "signature"] == rows

    other = desk.get("/reports/zones/DRY", **period).json()["changes"]
    assert [c["reason"] for c in other] == ["room mapping", "dry higher"]


def test_filters_paging_and_the_pdf_export(desk: Desk, tmp_path: Path) -> None:
    for limit in (7, 6):
        desk.write("PATCH", "/storage-classes/2-8C", {"temp_max_c": limit}, role=QA,
                   reason=f"set to {limit}")
    desk.write("PATCH", "/zones/DRY", {"name": "Dry store A"})
    everything = desk.get("/audit").json()
    mine = desk.get("/audit", user=desk.names[QA]).json()
    assert [r["reason"] for r in mine] == ["set to 7", "set to 6"]
    assert [r["action"] for r in desk.get("/audit", entity="zone", key="DRY").json()] == [
        "create", "update"]
    created = desk.get("/audit", action="create").json()
    assert {"storage_class", "zone", "sensor"} <= {r["entity"] for r in created}
    assert {r["action"] for r in created} == {"create"}
    last = everything[-1]["at"]
    assert [r["seq"] for r in desk.get("/audit", since=last).json()] == [everything[-1]["seq"]]
    assert everything[-1]["seq"] not in [r["seq"] for r in desk.get("/audit", until=last).json()]
    page = desk.get("/audit", limit=2).json()
    nxt = desk.get("/audit", limit=2, after_seq=page[-1]["seq"]).json()
    assert [r["seq"] for r in page + nxt] == [r["seq"] for r in everything[:4]]

    pdf = desk.get("/audit.pdf", entity="storage_class", key="2-8C", action="update")
    assert pdf.headers["content-type"] == "application/pdf"
    text = _pdf_text(pdf.content, tmp_path)
    assert "Audit trail" in text and "verified" in text
    assert "set to 7" in text and "set to 6" in text and "Dry store A" not in text
    assert "rows 2" in " ".join(text.split())
    assert re.search(r"temp_max_c\s+8\.0\s+7\.0\s+set to 7", text), text
    assert "no row matches" in _pdf_text(desk.get("/audit.pdf", user="nobody").content, tmp_path)

    chain = desk.get("/audit/chain").json()
    assert chain["ok"] and chain["head_seq"] == everything[-1]["seq"]
    assert desk.get("/audit/chain", whole="true").json()["checked"] == len(everything)
    assert desk.client.get("/api/v1/audit.pdf",
                           headers=desk.headers[Role.OPERATOR]).status_code == 403
    bad = desk.client.get("/api/v1/audit.pdf", params={"since": "yesterday"},
                          headers=desk.headers[Role.SUPERVISOR])
    assert bad.status_code == 422


def test_a_lots_trace_carries_its_qc_changes_with_reasons(desk: Desk) -> None:
    desk.write("POST", "/locations", {"code": "C-01", "zone": "COLD"})
    desk.write("POST", "/items", {"sku": "VAC-1", "name": "vaccine", "storage_class": "2-8C"})
    desk.write("POST", "/moves/receive", {"item": "VAC-1", "lot_number": "L1",
                                          "expiry": "2030-01-31", "quantity": 5,
                                          "location": "C-01"})
    [lot] = desk.get("/lots").json()
    desk.write("POST", f"/lots/{lot['id']}/qc-status",
               {"status": "on_hold", "reason": "excursion, awaiting QA"})
    desk.write("POST", f"/lots/{lot['id']}/qc-status", {"status": "released",
               "reason": "QA: stability data cover it"}, role=Role.SUPERVISOR)
    found = desk.get(f"/reports/lots/{lot['id']}/trace").json()
    assert [(c["action"], c["before"], _unsigned(c["after"]), c["reason"], c["actor"])
            for c in found["changes"]] == [
        ("qc_status", {"qc_status": "released"}, {"qc_status": "on_hold"},
         "excursion, awaiting QA", desk.names[Role.ADMIN]),
        ("qc_status", {"qc_status": "on_hold"}, {"qc_status": "released"},
         "QA: stability data cover it", desk.names[Role.SUPERVISOR])]
    rows = [r for r in _section(desk.get(f"/reports/lots/{lot['id']}/trace",
                                         format="csv").text, "audit trail")
            if r[7] != "signature"]
    assert [r[5:] for r in rows] == [
        ["lot", "VAC-1/L1", "qc_status", "released", "on_hold", "excursion, awaiting QA"],
        ["lot", "VAC-1/L1", "qc_status", "on_hold", "released", "QA: stability data cover it"]]
