"""No message can wedge ingest: a poison corpus through a real Mosquitto into a
real hub, on SQLite and PostgreSQL, followed by valid messages that all arrive.

Also: a message that passes validation but that the database refuses is found by
bisection and dead-lettered with the database's reason, the rest committed."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from contract import wire
from hub.app import create_app
from hub.container import Hub
from hub.settings import load_settings
from ingest.orm import DeadLetter, SeenMessage, Sensor
from ingest.service import IngestService
from ingest.store import MAX_DEAD_LETTER_BYTES, Accepted, IngestStore, Rejected
from tests.support.auth import bearer_headers
from tests.support.mqtt import publish_raw, wait_until
from tests.support.running_hub import running_hub
from tests.support.services import Mosquitto

_ids = itertools.count()


@pytest.fixture
def hub(db_url: str, mosquitto: Mosquitto) -> Iterator[Hub]:
    with running_hub(
        database_url=db_url,
        mqtt_url=mosquitto.url,
        mqtt_client_id=f"hub-poison-{next(_ids)}",
        ingest_batch_ms=50,
    ) as hub:
        yield hub


def _ts(offset_ms: int = 0) -> str:
    base = datetime.now(UTC) - timedelta(minutes=1)
    return wire.format_ts(base + timedelta(milliseconds=offset_ms))


def _reading(sensor: str, **extra: object) -> dict[str, object]:
    return {"sensor": sensor, "ts": _ts(), "quantities": {"temperature_c": 4.0}, **extra}


def _telemetry(gateway: str, seq: int, readings: list[dict[str, object]]) -> bytes:
    return json.dumps({"gateway": gateway, "seq": seq, "readings": readings}).encode()


def _status(**extra: object) -> bytes:
    return json.dumps({"state": "online", "ts": _ts(), **extra}).encode()


NUL = "\u0000"


def poison_corpus(gateway: str) -> list[tuple[str, bytes, str]]:
    """(kind, payload, what the dead letter's reason names)."""
    s = f"{gateway}-s"
    corpus: list[tuple[str, bytes, str]] = [
        # NUL in every free-text string field (ids are pattern-limited: NUL fails the pattern).
        ("telemetry", _telemetry(gateway, 1, [_reading(s, error=f"crc{NUL}")]),
         "readings.0.error"),
        ("telemetry", _telemetry(gateway, 2, [_reading(s + NUL)]), "readings.0.sensor"),
        ("telemetry", _telemetry(gateway + NUL, 3, [_reading(s)]), "gateway"),
        ("telemetry", _telemetry(gateway, 4, [{**_reading(s), "quantities": {
            "temperature_c" + NUL: 4.0}}]), "readings.0.quantities"),
        ("status", _status(version=f"1.0{NUL}"), "version"),
        ("status", _status(devices={f"dev{NUL}": {}}), "devices.dev\\x00"),
        ("status", _status(devices={"dev": {"last_error": f"timeout{NUL}"}}),
         "devices.dev.last_error"),
        # Lone surrogates as JSON escapes: the JSON parser refuses them.
        ("telemetry", _telemetry(gateway, 5, [_reading(s, error="\\ud800")]).replace(
            b"\\\\ud800", b"\\ud800"), "lone surrogate"),
        ("telemetry", _telemetry(gateway, 6, [_reading(s, error="\\udc00x")]).replace(
            b"\\\\udc00", b"\\udc00"), "lone surrogate"),
        ("status", _status(version="\\udfff").replace(b"\\\\udfff", b"\\udfff"),
         "lone surrogate"),
        # Numbers beyond float and beyond 64 bits.
        # json.dumps cannot write 1e400, so a placeholder marks the one place it goes
        # (a plain b"4.0" replace also rewrote timestamps whose digits held "4.0").
        ("telemetry", _telemetry(gateway, 7, [{**_reading(s), "quantities": {
            "temperature_c": "@HUGE@"}}]).replace(b'"@HUGE@"', b"1e400"),
         "readings.0.quantities.temperature_c"),
        ("telemetry", _telemetry(gateway, 10**30, [_reading(s)]), "seq"),
        ("status", _status(outbox_depth=10**30), "outbox_depth"),
        # 10,000-deep nesting.
        ("telemetry", b'{"gateway": "x", "seq": 8, "readings": ' + b"[" * 10_000 + b"]" * 10_000
         + b"}", "recursion limit"),
        ("status", b"{" + b'"a":{' * 10_000 + b"}" * 10_001, "recursion limit"),
        # A gateway called by a word of the hub's topic tree.
        ("telemetry", _telemetry("alarms", 9, [_reading(s)]), "reserved"),
    ]
    # 1,000 readings, one bad: the message is the unit, the reading named.
    readings = [_reading(f"{gateway}-m{i}") for i in range(1000)]
    readings[417]["error"] = f"bad{NUL}"
    corpus.append(("telemetry", _telemetry(gateway, 11, readings), "readings.417.error"))
    return corpus


def test_the_corpus_rewrites_only_the_number_it_means_whatever_the_clock_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Regression: seconds and milliseconds such as 04.0xx made the old b"4.0" replace
    # rewrite the timestamp too, and the dead letter then named "ts" (1 run in ~100).
    monkeypatch.setattr(__name__ + "._ts", lambda offset_ms=0: "2026-01-01T04:04:04.040Z")
    [(_, payload, _)] = [c for c in poison_corpus("gw-clock") if c[1].count(b"1e400")]
    assert payload.count(b"1e400") == 1
    assert b'"ts": "2026-01-01T04:04:04.040Z"' in payload


def test_a_poison_corpus_becomes_dead_letters_and_every_valid_reading_arrives(
    hub: Hub, mosquitto: Mosquitto
) -> None:
    gateway = f"gw-poison-{next(_ids)}"
    corpus = poison_corpus(gateway)
    started = time.monotonic()
    for kind, payload, _ in corpus:
        publish_raw(mosquitto.port, wire.gateway_topic("site-p", gateway, kind), [payload])
    # On the hub's own topic tree: refused by the topic, whatever the payload.
    publish_raw(mosquitto.port, f"{wire.TOPIC_PREFIX}/site-p/alarms/telemetry",
                [_telemetry("alarms", 1, [_reading(f"{gateway}-s")])])
    # Then valid messages: 20 messages of 50 readings.
    valid = [
        _telemetry(gateway, 100 + n, [
            {**_reading(f"{gateway}-v{i}"), "ts": _ts(n)} for i in range(50)
        ])
        for n in range(20)
    ]
    publish_raw(mosquitto.port, wire.gateway_topic("site-p", gateway, "telemetry"), valid)

    def counts() -> tuple[int, int]:
        with hub.sessions() as session:
            seen = session.scalar(select(func.count()).select_from(SeenMessage)
                                  .where(SeenMessage.gateway == gateway))
            letters = session.scalar(select(func.count()).select_from(DeadLetter).where(
                DeadLetter.topic.contains(gateway) | DeadLetter.topic.contains("/alarms/")))
            return seen or 0, letters or 0

    wait_until(lambda: counts() == (20, len(corpus) + 1), timeout=30,
               what="every valid message stored and every poison message dead-lettered")
    assert time.monotonic() - started < 30, "ingest stalled"

    with hub.sessions() as session:
        sensors = session.scalar(select(func.count()).select_from(Sensor)
                                 .where(Sensor.id.like(f"{gateway}-v%")))
        assert sensors == 50
        # No reading of any poison message got in: not the 999 good ones of the big one.
        assert session.scalar(select(func.count()).select_from(Sensor)
                              .where(Sensor.id.like(f"{gateway}-m%"))) == 0

    with TestClient(create_app(hub, manage_lifecycle=False),
                    headers=bearer_headers(hub)) as client:
        hours = client.get(f"/api/v1/sensors/{gateway}-v0/hourly",
                           params={"quantity": "temperature_c"}).json()
        assert sum(h["count"] for h in hours) == 20
        letters = client.get("/api/v1/dead-letters", params={"limit": 1000}).json()
        assert any("alarms" in d["topic"] and "reserved" in d["reason"] for d in letters)
        assert client.get("/health").json()["status"] == "ok"
    # Each poison message is its own dead letter, whole, with a reason naming where.
    with hub.sessions() as session:
        stored = {d.payload: d.reason for d in session.scalars(
            select(DeadLetter).where(DeadLetter.topic.contains(gateway)))}
    reasons = {payload[:MAX_DEAD_LETTER_BYTES]: stored.get(payload[:MAX_DEAD_LETTER_BYTES], "")
               for _kind, payload, _named in corpus}
    for _kind, payload, named in corpus:
        assert named in reasons[payload[:MAX_DEAD_LETTER_BYTES]], named
    assert "NUL" in reasons[corpus[-1][1][:MAX_DEAD_LETTER_BYTES]]


def test_a_message_the_database_refuses_is_bisected_out_through_the_service(
    hub: Hub, mosquitto: Mosquitto
) -> None:
    """Validation catches what we know; this proves the net below it: a message
    that passes the service's checks but fails in SQL (seq beyond 64 bits, forced
    in past validation) is dead-lettered with the database's reason, its batch
    mates are stored, and every delivery is acknowledged."""
    gateway = f"gw-sql-{next(_ids)}"
    ingest: IngestService = hub.ingest
    examine = ingest._examine

    def sabotage(delivery, now):  # type: ignore[no-untyped-def]
        outcome = examine(delivery, now)
        if isinstance(outcome, Accepted) and outcome.message.seq == 13:
            # Past validation: the fast decoder's struct (or a pydantic model) altered as is.
            forced = msgspec.structs.replace(outcome.message, seq=2**64)
            return Accepted(outcome.topic, forced, delivery.payload)
        return outcome

    ingest._examine = sabotage  # type: ignore[method-assign]
    payloads = [
        _telemetry(gateway, seq, [{**_reading(f"{gateway}-s{seq}"), "ts": _ts(seq)}])
        for seq in range(10, 30)
    ]
    publish_raw(mosquitto.port, wire.gateway_topic("site-p", gateway, "telemetry"), payloads)

    def stored() -> int:
        with hub.sessions() as session:
            return session.scalar(select(func.count()).select_from(Sensor)
                                  .where(Sensor.gateway == gateway)) or 0

    wait_until(lambda: stored() == 19, timeout=20, what="19 good messages stored")
    with hub.sessions() as session:
        letters = session.scalars(select(DeadLetter).where(DeadLetter.topic.contains(gateway)))
        reasons = [d.reason for d in letters]
    assert len(reasons) == 1 and reasons[0].startswith("database refused: "), reasons
    assert ingest.last_error is None


@pytest.fixture
def store(db_url: str) -> Iterator[IngestStore]:
    hub = Hub.build(load_settings(database_url=db_url))
    yield IngestStore(hub.sessions)
    hub.engine.dispose()


def _accepted(gateway: str, seq: int, error: str | None = None) -> Accepted:
    reading = wire.Reading(sensor=f"{gateway}-s{seq}", ts=datetime.now(UTC),
                           quantities={"temperature_c": 3.0})
    if error is not None:  # past validation, as a bug or a newer rule might let through
        reading = wire.Reading.model_construct(**{**dict(reading), "error": error})
    message = wire.Telemetry.model_construct(gateway=gateway, seq=seq, readings=[reading])
    return Accepted(wire.TopicParts("site-p", gateway, "telemetry"), message, b"{}")


def test_the_store_bisects_out_each_refused_message_and_commits_the_rest(
    store: IngestStore, db_url: str
) -> None:
    gateway = "gw-bisect"
    # On PostgreSQL a NUL in text is refused by the server; seq beyond bigint by both.
    bad_error = NUL if db_url.startswith("postgresql") else None
    items = [_accepted(gateway, seq) for seq in range(64)]
    items[5] = _accepted(gateway, 2**64)
    items[40] = _accepted(gateway, 40, error=bad_error)
    items[41] = _accepted(gateway, 2**65)
    items.append(Rejected("stockwarden/v1/site-p/gw-bisect/telemetry", b"x", "not valid JSON"))
    outcome = store.commit_isolating(items, datetime.now(UTC))

    refused = 3 if bad_error else 2
    assert outcome.readings == 64 - refused
    assert len(outcome.dead) == refused + 1
    with store.sessions() as session:
        stored = session.scalar(select(func.count()).select_from(Sensor)
                                .where(Sensor.gateway == gateway))
        reasons = [d.reason for d in session.scalars(select(DeadLetter))]
    assert stored == 64 - refused
    assert sum(r.startswith("database refused: ") for r in reasons) == refused, reasons
    assert "not valid JSON" in reasons
