"""The zone report against an oracle (tests/support/report_oracle.py), on SQLite and
PostgreSQL: random series (values at and beyond the limits, gaps longer than the hold),
random periods (to the minute), random batchings through the real ingest store, UTC or
the site's local days; the same through the historical import (a logger's CSV, random
chunks, imported twice over) and through MQTT (tests/integration/
test_report_oracle_mqtt.py); every figure the report shows must be the oracle's."""

from __future__ import annotations

import io
import itertools
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from contract import wire
from contract.wire import Reading, Telemetry, TopicParts
from hub.container import Hub
from hub.reports.zone import zone_report
from hub.routes.reports import zone_json
from hub.settings import load_settings
from ingest import history
from ingest.orm import Sensor, StoredReading
from ingest.store import Accepted, IngestStore
from kernel import audit
from kernel.orm import StorageClass, Zone
from tests.support.mqtt import publish_raw, wait_until
from tests.support.report_oracle import Point, check, compute
from tests.support.running_hub import running_hub
from tests.support.services import Mosquitto

_ids = itertools.count()
M = timedelta(minutes=1)
H = timedelta(hours=1)
LOW, HIGH = 2.0, 8.0
VALUES = [1.5, 2.0, 5.0, 7.8, 8.0, 8.5, 12.0]  # at, near and beyond both limits
STEPS = [1, 2, 3, 5, 10, 29, 31, 45, 70]  # minutes; 31 and more: beyond the 30-minute hold


@pytest.fixture
def hub(db_url: str) -> Iterator[Hub]:
    hub = Hub.build(load_settings(database_url=db_url))
    yield hub
    hub.engine.dispose()


def series() -> st.SearchStrategy[list[tuple[int, float]]]:
    return st.lists(st.tuples(st.sampled_from(STEPS), st.sampled_from(VALUES)),
                    min_size=1, max_size=30)


def _zone(hub: Hub) -> tuple[str, list[str]]:
    n = next(_ids)
    code, sensors = f"OR{n}", [f"or{n}a", f"or{n}b"]
    with hub.writes() as session, session.begin():
        klass = StorageClass(code=f"K{n}", name="cold", temp_min_c=LOW, temp_max_c=HIGH)
        session.add(klass)
        session.flush()
        zone = Zone(code=code, name="oracle", storage_class_id=klass.id)
        session.add(zone)
        session.flush()
        session.add_all([Sensor(id=s, name=s, zone_id=zone.id) for s in sensors])
    return code, sensors


def _ingest(hub: Hub, points: list[Point], sizes: list[int]) -> None:
    """Through the ingest store, in messages of the given sizes (both sensors mixed)."""
    store = IngestStore(hub.sessions)
    ordered = sorted(points, key=lambda p: (p.ts, p.sensor))
    seq = itertools.count(1)
    sizes_cycle = itertools.cycle(sizes or [len(ordered)])
    while ordered:
        size = next(sizes_cycle)
        chunk, ordered = ordered[:size], ordered[size:]
        gateway = "gw-oracle"
        store.commit_batch([Accepted(TopicParts("site", gateway, "telemetry"), Telemetry(
            gateway=gateway, seq=next(seq) + 1_000_000 * next(_ids), readings=[
                Reading(sensor=p.sensor, ts=p.ts, quantities={"temperature_c": p.value})
                for p in chunk]))], datetime.now(UTC))


def _check(hub: Hub, code: str, sensors: list[str], points: list[Point],
           period: tuple[int, int], after_last: int, time_zone: str | None,
           base: datetime, example: object) -> None:
    # In minutes: periods that begin and end inside an hour (issue 17, item 4).
    start = base + period[0] * M
    end = start + period[1] * M
    # "now" a little after the last reading: an excursion still going counts up to it.
    now = max(p.ts for p in points) + after_last * M
    with hub.sessions() as session:
        report = zone_json(zone_report(session, code, start, end, now=now,
                                       generated_by="oracle", time_zone=time_zone))
    oracle = compute(points, sensors, LOW, HIGH, start, end, now=now, hold_s=1800,
                     delta_h=83_144.0, window_h=24,
                     tz=ZoneInfo(time_zone) if time_zone else UTC)
    try:
        check(report, oracle, sensors)
    except AssertionError:
        print("EXAMPLE", example)
        raise
    assert report["time_zone"] == (time_zone or "UTC")
    event(f"excursions: {min(len(oracle.excursions), 3)}")
    event(f"cut: {any(e.began_before or e.ended_after for e in oracle.excursions)}")
    event(f"ongoing: {any(e.end is None for e in oracle.excursions)}")
    event(f"zone overlap: {oracle.zone_above_s < sum(oracle.above_s.values())}")


def _points(sensors: list[str], base: datetime, first: list[tuple[int, float]],
            second: list[tuple[int, float]], offsets: tuple[int, int]) -> list[Point]:
    points = []
    for sensor, steps, offset in zip(sensors, (first, second), offsets, strict=True):
        at = base + offset * M
        for step, value in steps:
            points.append(Point(sensor, at, value))
            at += step * M
    return points


def _base(days: int = 6) -> datetime:
    return (datetime.now(UTC) - timedelta(days=days)).replace(hour=0, minute=0, second=0,
                                                              microsecond=0)


PERIODS = st.tuples(st.integers(-3 * 60, 30 * 60), st.integers(1, 40 * 60))
OFFSETS = st.tuples(st.integers(0, 240), st.integers(0, 240))
TIME_ZONES = st.sampled_from([None, "Asia/Shanghai", "Asia/Kolkata"])


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=series(), second=series(), offsets=OFFSETS, period=PERIODS,
       after_last=st.integers(0, 120), sizes=st.lists(st.integers(1, 12), max_size=6),
       time_zone=TIME_ZONES)
def test_the_zone_report_agrees_with_the_oracle(
    hub: Hub, first: list[tuple[int, float]], second: list[tuple[int, float]],
    offsets: tuple[int, int], period: tuple[int, int], after_last: int, sizes: list[int],
    time_zone: str | None,
) -> None:
    base = _base()
    code, sensors = _zone(hub)
    points = _points(sensors, base, first, second, offsets)
    _ingest(hub, points, sizes)
    _check(hub, code, sensors, points, period, after_last, time_zone, base,
           (first, second, offsets, period, after_last, sizes, time_zone))


def _csv(points: list[Point], offsets_h: list[int]) -> bytes:
    """The points as a logger's CSV, each timestamp written with one of these offsets."""
    lines = ["sensor,timestamp,temperature_c"]
    for index, p in enumerate(points):
        shift = timedelta(hours=offsets_h[index % len(offsets_h)])
        local = p.ts.astimezone(timezone(shift))
        lines.append(f"{p.sensor},{local.isoformat()},{p.value} °C")
    return ("\n".join(lines) + "\n").encode()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=series(), second=series(), offsets=OFFSETS, period=PERIODS,
       after_last=st.integers(0, 120), chunk=st.integers(1, 40),
       offsets_h=st.lists(st.sampled_from([0, 8, 5, -3]), min_size=1, max_size=3),
       before=st.integers(0, 60), order=st.randoms(use_true_random=False),
       time_zone=TIME_ZONES)
def test_imported_history_agrees_with_the_oracle(
    hub: Hub, first: list[tuple[int, float]], second: list[tuple[int, float]],
    offsets: tuple[int, int], period: tuple[int, int], after_last: int, chunk: int,
    offsets_h: list[int], before: int, order: random.Random, time_zone: str | None,
) -> None:
    """The same series written as a logger's CSV (times with offsets, in random order)
    and imported in random chunks: once part of it (`before` rows), then all of it, so
    the second import meets values already stored; 400 days back, beyond live ingest's
    window."""
    base = _base(days=400)
    code, sensors = _zone(hub)
    points = _points(sensors, base, first, second, offsets)
    shuffled = order.sample(points, len(points))
    options = history.ImportOptions(retention=timedelta(days=5 * 366))
    store = IngestStore(hub.writes)
    actor = audit.cli_actor()
    for part in (shuffled[:before], shuffled):
        if part:
            history.import_readings(store, io.BytesIO(_csv(part, offsets_h)), "oracle.csv",
                                    actor, options, reason="oracle", chunk_rows=chunk)
    _check(hub, code, sensors, points, period, after_last, time_zone, base,
           (first, second, offsets, period, after_last, chunk, offsets_h, before, time_zone))


@pytest.fixture
def live_hub(db_url: str, mosquitto: Mosquitto) -> Iterator[Hub]:
    with running_hub(database_url=db_url, mqtt_url=mosquitto.url, tsdb_url=None,
                     mqtt_client_id=f"hub-oracle-{next(_ids)}", ingest_batch_ms=20) as hub:
        yield hub


def _stored(hub: Hub, sensors: list[str]) -> int:
    with hub.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(StoredReading).where(
            StoredReading.sensor_id.in_(sensors))) or 0)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=series(), second=series(), offsets=OFFSETS, period=PERIODS,
       after_last=st.integers(0, 120), sizes=st.lists(st.integers(1, 12), max_size=6),
       time_zone=TIME_ZONES)
def test_readings_sent_over_mqtt_agree_with_the_oracle(
    live_hub: Hub, mosquitto: Mosquitto, first: list[tuple[int, float]],
    second: list[tuple[int, float]], offsets: tuple[int, int], period: tuple[int, int],
    after_last: int, sizes: list[int], time_zone: str | None,
) -> None:
    """Through a real Mosquitto and the hub's own consumer: messages of random sizes
    (both sensors mixed), QoS 1, batched however ingest takes them."""
    base = _base()
    code, sensors = _zone(live_hub)
    points = _points(sensors, base, first, second, offsets)
    ordered = sorted(points, key=lambda p: (p.ts, p.sensor))
    gateway = f"gw-oracle-{next(_ids)}"
    messages, seq = [], itertools.count(1)
    sizes_cycle = itertools.cycle(sizes or [len(ordered)])
    while ordered:
        size = next(sizes_cycle)
        chunk, ordered = ordered[:size], ordered[size:]
        messages.append(wire.encode(Telemetry(gateway=gateway, seq=next(seq), readings=[
            Reading(sensor=p.sensor, ts=p.ts, quantities={"temperature_c": p.value})
            for p in chunk])))
    publish_raw(mosquitto.port, wire.gateway_topic("site", gateway, "telemetry"), messages)
    wait_until(lambda: _stored(live_hub, sensors) == len(points), what="every reading stored")
    _check(live_hub, code, sensors, points, period, after_last, time_zone, base,
           (first, second, offsets, period, after_last, sizes, time_zone))
