"""The alarm path challenge against real parts: a hub on SQLite and on PostgreSQL (the
alarm engine then leads through its advisory lock) with its alarm engine,
a test alarm sent through real apprise to a real SMTP server (aiosmtpd) and a real
webhook, a failing route recorded with its reason (the URL's secret masked), the
confirm link opened (GET confirms nothing) and confirmed (POST, once), the test in the
report (JSON, CSV, PDF, and the CLI), and the schedule's reminder raised when due and
cleared by a complete test; and with two hub processes, a test asked through the
standby sent once, by the leader."""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from hub.accounts.service import create_user_with_token
from hub.cli import app
from hub.container import Hub, build_alarms
from hub.settings import load_settings
from kernel.actors import Role
from tests.support.auth import signature
from tests.support.hub_cluster import Cluster, hub_env, seed_cold_room, sql
from tests.support.inventory_world import World, build_world
from tests.support.mqtt import wait_until
from tests.support.receivers import Smtp, Webhook
from tests.support.services import Mosquitto

pytestmark = pytest.mark.timeout(120)
LINK = re.compile(r"https?://[^\s/]+(/alarm-tests/confirm/[A-Za-z0-9_-]+)")
SECRET = "S3cretPassw0rd"


class ShiftedClock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Site:
    world: World
    clock: ShiftedClock

    def call(self, method: str, path: str, role: Role = Role.SUPERVISOR, **kw: Any) -> Any:
        headers = self.world.headers(role)
        headers.update(kw.pop("headers", {}))
        return self.world.client.request(method, f"/api/v1{path}", headers=headers, **kw)

    def finished(self, test_id: int) -> dict[str, Any]:
        return wait_until(lambda: (lambda t: t if t["finished_at"] else None)(
            self.call("GET", f"/alarms/tests/{test_id}").json()), timeout=30,
            what="every recipient delivered or failed")


def start_site(url: str, rules: dict[str, Any]) -> Iterator[Site]:
    for world in build_world(url):
        hub = world.hub
        hub.settings = hub.settings.model_copy(update={
            "alarm_notify_attempts": 2, "alarm_notify_backoff_s": 0.1,
            "public_url": "https://hub.example.com", "alarm_tick_s": 0.2})
        clock = ShiftedClock()
        service = hub.alarms = build_alarms(hub, clock=clock)
        service.start()
        wait_until(lambda s=service: s.evaluator is not None, what="the alarm engine leading")
        try:
            site = Site(world, clock)
            answer = site.call("PUT", "/alarms/rules", Role.ADMIN,
                               json={**rules, "signature": signature("approved")},
                               params={"reason": "alarm paths for the test"})
            assert answer.status_code == 200, answer.text
            yield site
        finally:
            service.stop()


def routes(webhook: Webhook, smtp: Smtp, *, failing: bool) -> dict[str, Any]:
    quality = [f"json://alarms:{SECRET}@127.0.0.1:9/quality"] if failing else [
        webhook.url("quality")]
    return {
        "recipients": {"duty": {"urls": [webhook.url("duty"), smtp.url()]},
                       "quality": {"urls": quality}},
        "routes": [{"name": "cold-chain", "groups": ["duty", "quality"],
                    "escalate_after": "15m"}],
    }


@pytest.fixture
def site(db_url: str, webhook: Webhook, smtp: Smtp) -> Iterator[Site]:
    yield from start_site(db_url, routes(webhook, smtp, failing=True))


@pytest.fixture
def good_site(sqlite_url: str, webhook: Webhook, smtp: Smtp) -> Iterator[Site]:
    yield from start_site(sqlite_url, routes(webhook, smtp, failing=False))


def mail_text(smtp: Smtp) -> str:
    parts = [p.get_payload(decode=True) for m in smtp.messages for p in m.walk()
             if p.get_content_type() == "text/plain"]
    return "\n".join(bytes(p).decode() for p in parts if p)


def test_a_test_alarm_reaches_mail_and_webhook_is_confirmed_once_and_reported(
    site: Site, webhook: Webhook, smtp: Smtp, db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = {"Idempotency-Key": f"test-{uuid.uuid4()}"}
    refused = site.call("POST", "/alarms/test", Role.OPERATOR, json={})
    assert refused.status_code == 403
    assert site.call("POST", "/alarms/test", json={"route": "nowhere"}).status_code == 422

    asked = site.call("POST", "/alarms/test", json={"note": "monthly"}, headers=key)
    assert asked.status_code == 201, asked.text
    test = asked.json()
    assert test["complete"] and test["requested_by"] == "supervisor1"
    assert [(r["group"], r["status"]) for r in test["recipients"]] == [
        ("duty", "queued"), ("duty", "queued"), ("quality", "queued")]
    again = site.call("POST", "/alarms/test", json={"note": "monthly"}, headers=key)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == test["id"]

    done = site.finished(test["id"])
    status = {(r["group"], r["target"]): r for r in done["recipients"]}
    assert status[("duty", "json#0")]["status"] == "delivered"
    assert status[("duty", "mailto#1")]["status"] == "delivered"
    failed = status[("quality", "json#0")]
    assert failed["status"] == "failed" and failed["error"] and failed["attempts"] == 2
    assert SECRET not in failed["error"] and SECRET not in failed["recipient"]
    assert done["delivered"] == 2 and done["failed"] == 1

    # The webhook and the mail each got a message saying it is a test, naming the route
    # and the recipient, with a link of its own.
    hook = webhook.at("duty")
    assert len(hook) == 1  # the resend above sent nothing more
    text = f"{hook[0].body['title']}\n{hook[0].body['message']}"
    assert "TEST" in text and "not an alarm" in text
    assert "Route: cold-chain" in text and "group duty, json://127.0.0.1" in text
    mail = wait_until(lambda: mail_text(smtp), what="the test e-mail")
    assert "Route: cold-chain" in mail and "duty@example.com" in mail
    assert smtp.messages[0]["Subject"].startswith("TEST ALARM")
    hook_link = LINK.search(text)
    mail_link = LINK.search(mail)
    assert hook_link and mail_link and hook_link.group(1) != mail_link.group(1)
    assert text.count("https://hub.example.com/alarm-tests/confirm/") == 1

    # GET (what a mail system's link scanner does) shows the page and confirms nothing.
    client = site.world.client
    page = client.get(hook_link.group(1))
    assert page.status_code == 200 and "confirm-button" in page.text
    assert "cold-chain" in page.text and page.headers["Referrer-Policy"] == "no-referrer"
    again_read = site.call("GET", f"/alarms/tests/{test['id']}").json()
    assert all(r["confirmed_at"] is None for r in again_read["recipients"])

    # POST confirms, without a login, naming who; a second POST says it was done.
    confirmed = client.post(hook_link.group(1), data={"name": "Li Na"})
    assert confirmed.status_code == 200 and "Confirmed by Li Na" in confirmed.text
    second = client.post(hook_link.group(1), data={"name": "someone else"})
    assert second.status_code == 409 and "already confirmed by Li Na" in second.text
    assert client.get("/alarm-tests/confirm/" + "x" * 32).status_code == 404
    record = site.call("GET", f"/alarms/tests/{test['id']}").json()
    webhook_row = next(r for r in record["recipients"] if r["target"] == "json#0"
                       and r["group"] == "duty")
    assert webhook_row["confirmed_by"] == "Li Na" and webhook_row["confirmed_at"]
    assert record["confirmed"] == 1

    # The audit trail has the send and the confirm.
    trail = site.call("GET", "/audit", params={"entity": "alarm_test"}).json()
    assert [(row["action"], row["actor"]) for row in trail] == [
        ("send", "supervisor1"), ("confirm", "Li Na")]

    # The report of the period lists it: JSON, CSV, PDF, and the CLI.
    period = {"from": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
              "to": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    report = site.call("GET", "/reports/alarm-tests", params=period).json()
    assert [t["id"] for t in report["rows"]] == [test["id"]]
    assert (report["delivered"], report["failed"], report["confirmed"]) == (2, 1, 1)
    csv = site.call("GET", "/reports/alarm-tests", params={**period, "format": "csv"})
    assert "Li Na" in csv.text and "failed" in csv.text and SECRET not in csv.text
    pdf = site.call("GET", "/reports/alarm-tests", params={**period, "format": "pdf"})
    assert pdf.content.startswith(b"%PDF")
    printed = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.content,
                             capture_output=True, check=True).stdout.decode()
    assert "Alarm path tests" in printed and "by Li Na" in printed
    assert "failed, 2 attempt(s)" in printed and SECRET not in printed
    earlier = site.call("GET", "/reports/alarm-tests", params={
        "from": "2020-01-01", "to": "2020-02-01"}).json()
    assert earlier["rows"] == []
    monkeypatch.setenv("STOCKWARDEN_DATABASE_URL", db_url)
    cli = CliRunner().invoke(app, ["report", "alarm-tests", "--from", period["from"][:10],
                                   "--to", period["to"][:10], "--format", "csv"])
    assert cli.exit_code == 0, cli.output
    assert "Li Na" in cli.stdout and "cold-chain" in cli.stdout


def test_the_reminder_is_raised_when_a_test_is_due_and_cleared_by_a_complete_test(
    good_site: Site, webhook: Webhook,
) -> None:
    site = good_site
    tests = site.world.hub.alarms.tests  # type: ignore[union-attr]

    def reminder() -> list[dict[str, Any]]:
        return site.call("GET", "/alarms", params={"kind": "alarm_test_due",
                                                   "state": "all"}).json()

    tests.check_reminder()
    assert reminder() == []  # the schedule starts now: nothing is due yet
    site.clock.offset = timedelta(days=31)
    tests.check_reminder()
    raised = reminder()
    assert [(a["state"], a["severity"]) for a in raised] == [("active", "info")]
    assert "alarm path test is due" in raised[0]["message"]

    # A test of one group does not count: the reminder stays.
    partial = site.call("POST", "/alarms/test", json={"group": "duty"}).json()
    assert not partial["complete"]
    site.finished(partial["id"])
    tests.check_reminder()
    assert reminder()[0]["state"] == "active"

    every = site.call("POST", "/alarms/test", json={}).json()
    site.finished(every["id"])
    wait_until(lambda: reminder()[0]["state"] == "cleared", timeout=10,
               what="the reminder cleared by the complete test")


def test_a_test_asked_through_a_standby_process_is_sent_once_by_the_leader(
    mosquitto: Mosquitto, pg_url: str, webhook: Webhook, smtp: Smtp, tmp_path: Path,
) -> None:
    """Two `stockwarden hub` processes on one PostgreSQL: the test is stored by the
    standby that was asked, and sent by the leader alone, each recipient once."""
    seed_cold_room(pg_url, "cold-ch1")
    rules = tmp_path / "alarms.yaml"
    rules.write_text(yaml.safe_dump({
        "recipients": {"duty": {"urls": [webhook.url("duty")]},
                       "boss": {"urls": [smtp.url("boss@example.com")]}},
        "routes": [{"name": "cold", "groups": ["duty", "boss"]}]}))
    hub = Hub.build(load_settings(database_url=pg_url), migrate_schema=False)
    with hub.writes() as session:
        token = create_user_with_token(session, "sup-ch", Role.SUPERVISOR).token
    hub.engine.dispose()
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"k-{uuid.uuid4()}"}
    cluster = Cluster(tmp_path, 2, hub_env(pg_url, mosquitto.url, rules, "hub-ch", "ch"))
    try:
        cluster.start()
        leader = cluster.wait_leader()
        standby = next(p for p in cluster.processes if p is not leader)
        status, asked = standby.post("/api/v1/alarms/test", {"note": "via standby"}, headers)
        assert status == 201, asked
        status, again = standby.post("/api/v1/alarms/test", {"note": "via standby"}, headers)
        assert (status, again["id"]) == (201, asked["id"])
        wait_until(lambda: webhook.at("duty") and smtp.messages, timeout=20,
                   what="both recipients told")
        time.sleep(2.5)  # a second send would be here by now
        assert len(webhook.at("duty")) == 1 and len(smtp.messages) == 1
        rows = sql(pg_url, "SELECT status, term FROM alarm_test_recipients ORDER BY id")
        assert [r[0] for r in rows] == ["delivered", "delivered"]
        assert sql(pg_url, "SELECT count(*) FROM alarm_tests") == [(1,)]
    finally:
        cluster.stop()
    assert "Traceback" not in cluster.logs(), cluster.logs()
