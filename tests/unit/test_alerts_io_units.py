"""The alarm engine's small pure pieces around the evaluator: expiry and stock
findings through the lifecycle, the notification worker's retries (with a fake
sender: the real apprise is in tests/integration/test_alarms.py), and the wire's
AlarmEvent, old and new."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from alerts.engine.findings import FindingAlarms
from alerts.engine.stock_findings import ItemStock, LotStock
from alerts.model import AlarmKey, Event, Phase
from alerts.notifications.dispatch import NotificationWorker, Outgoing, SendResult
from alerts.notifications.senders import SendFailed
from alerts.rules.document import AlarmRules
from contract import wire
from contract.retry import Backoff

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


def test_findings_raise_at_once_clear_when_gone_and_close_when_acknowledged() -> None:
    findings = FindingAlarms()
    rules = AlarmRules()
    lots = [LotStock("L1", "VAC", TODAY + timedelta(days=5), 10, "vaccine", "COLD"),
            LotStock("L2", "VAC", TODAY - timedelta(days=1), 3, "vaccine", "COLD")]
    items = [ItemStock("VAC", 13, min_stock=50)]
    raised = findings.judge(rules, lots, items, TODAY, T0)
    assert sorted((t.key.rule, t.key.subject, t.event) for t in raised) == [
        ("expired", "L2", Event.RAISED), ("expiry:7", "L1", Event.RAISED),
        ("low_stock", "VAC", Event.RAISED)]
    assert findings.judge(rules, lots, items, TODAY, T0) == []  # nothing new: no transition
    [acked] = findings.operate(AlarmKey("low_stock", "VAC"), "acknowledge", by="ann", now=T0)
    assert acked.to_phase is Phase.ACKNOWLEDGED
    gone = findings.judge(rules, lots, [ItemStock("VAC", 80, min_stock=50)], TODAY, T0)
    assert [(t.key.rule, t.event, t.to_phase) for t in gone] == [
        ("low_stock", Event.CLEARED, Phase.CLOSED)]


class FlakySender:
    def __init__(self, failures: int, error: str = "connection refused") -> None:
        self.failures = failures
        self.error = error
        self.sent: list[str] = []

    def schemes(self) -> frozenset[str]:
        return frozenset({"json"})

    def send(self, url: str, title: str, body: str) -> None:
        if self.failures:
            self.failures -= 1
            raise SendFailed(self.error)
        self.sent.append(title)


def run_worker(sender: FlakySender, attempts: int,
               url: str = "json://secret@host/x") -> list[SendResult]:
    results: list[SendResult] = []
    done = threading.Event()

    def record(result: SendResult) -> None:
        results.append(result)
        done.set()

    worker = NotificationWorker(sender, record, attempts=attempts,
                                backoff=lambda: Backoff(0.001, 0.01))
    worker.start()
    worker.submit([Outgoing("cold", "duty", (url,), "t", "b", (7,))])
    assert done.wait(5)
    worker.stop()
    return results


def test_a_send_is_retried_with_backoff_and_recorded() -> None:
    [ok] = run_worker(FlakySender(failures=2), attempts=4)
    assert (ok.ok, ok.attempts, ok.error, ok.target, ok.alarm_ids) == (True, 3, None, "json#0",
                                                                      (7,))


def test_a_send_that_keeps_failing_is_an_error_on_its_route_never_a_crash() -> None:
    [failed] = run_worker(FlakySender(failures=10), attempts=3)
    assert (failed.ok, failed.attempts, failed.error) == (False, 3, "connection refused")
    assert "secret" not in failed.target


def test_a_failed_send_neither_records_nor_logs_the_url_or_its_tokens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # requests says "Max retries exceeded with url: /path": apprise passes such texts on.
    url = "json://alarms:s3cretPW@hooks.example.com/hook/TOKENabc123?token=QTOKEN99"
    error = (f"Socket Exception: Max retries exceeded with url: /hook/TOKENabc123?"
             f"token=QTOKEN99 ({url})")
    with caplog.at_level(logging.WARNING, logger="alerts.notifications.dispatch"):
        [failed] = run_worker(FlakySender(failures=10, error=error), attempts=2, url=url)
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records and failed.error is not None
    for secret in ("s3cretPW", "TOKENabc123", "QTOKEN99"):
        assert secret not in failed.error
        assert secret not in logged
    assert failed.error.startswith("Socket Exception: Max retries exceeded with url: /***")


def test_the_alarm_event_grew_and_old_payloads_still_decode() -> None:
    old = b'{"id": 1, "rule": "r", "subject": "s", "state": "active", ' \
          b'"severity": "critical", "ts": "2026-11-25T08:00:00.000Z"}'
    event = wire.decode(wire.AlarmEvent, old)
    assert event.kind is None and event.shelved is False
    new = wire.AlarmEvent(id=1, rule="r", subject="s", state="closed", severity="warning",
                          ts=T0, kind="threshold", event="closed", zone="COLD", limit=8.0,
                          acknowledged_by="ann", acknowledged_at=T0, comment="done")
    assert wire.decode(wire.AlarmEvent, wire.encode(new)) == new
