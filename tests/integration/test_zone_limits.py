"""Zone limits as time series: the hub samples every zone's limits each minute into
the time-series outbox, and a change of a storage class shows in VictoriaMetrics
from its time on, while the samples before it keep the former limits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from prometheus_client import CollectorRegistry
from sqlalchemy import func, select

from hub.db import make_engine, migrate, session_factory
from ingest.metrics import IngestMetrics
from ingest.orm import TsOutbox
from ingest.tsdb import InfluxWriteSink, OutboxWriter
from ingest.zone_limits import ZoneLimitSampler
from kernel.orm import StorageClass, Zone
from tests.support.services import VictoriaMetrics


def limits_at(victoria: VictoriaMetrics, zone: str, at: datetime) -> dict[tuple[str, str], float]:
    body = httpx.get(f"{victoria.url}/api/v1/query", timeout=30, params={
        "query": f'last_over_time(zone_limits_value{{zone="{zone}"}}[90s])',
        "time": at.timestamp()}).json()
    return {(s["metric"]["quantity"], s["metric"]["bound"]): float(s["value"][1])
            for s in body["data"]["result"]}


def test_a_limit_change_shows_from_its_time_on(db_url: str, victoria: VictoriaMetrics) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    sessions = session_factory(engine)
    token = uuid.uuid4().hex[:6]
    cold, bare = f"cold-{token}", f"bare-{token}"
    with sessions() as session, session.begin():
        band = StorageClass(code=f"2-8-{token}", name="2-8 °C", temp_min_c=2.0, temp_max_c=8.0,
                            humidity_min_pct=35.0, humidity_max_pct=75.0)
        session.add_all([band, Zone(code=cold, name="Cold room", storage_class=band),
                         Zone(code=bare, name="No class")])

    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)
    now = {"t": start}
    sampler = ZoneLimitSampler(sessions, clock=lambda: now["t"])
    for minute in range(20):
        now["t"] = start + timedelta(minutes=minute, seconds=12)
        if minute == 10:
            with sessions() as session, session.begin():
                changed = session.scalars(select(StorageClass).where(
                    StorageClass.code == f"2-8-{token}")).one()
                changed.temp_max_c = 6.0
                changed.humidity_min_pct = None  # no lower humidity bound from now on
        assert sampler.sample_once() == (4 if minute < 10 else 3)

    # Nothing reaches the store but through the outbox, which the writer drains.
    with sessions() as session:
        assert session.scalar(select(func.sum(TsOutbox.line_count))) == 10 * 4 + 10 * 3
    sink = InfluxWriteSink(victoria.url, "token", "stockwarden", "stockwarden", 10.0)
    metrics = IngestMetrics(CollectorRegistry())
    writer = OutboxWriter(sessions, sink, metrics)
    while writer.drain_once():
        pass
    # Limits are not readings: the hub-health count of readings written stays put.
    assert metrics.readings_written._value.get() == 0
    sink.close()
    victoria.flush()

    before = limits_at(victoria, cold, start + timedelta(minutes=9, seconds=30))
    assert before == {("temperature_c", "min"): 2.0, ("temperature_c", "max"): 8.0,
                      ("humidity_pct", "min"): 35.0, ("humidity_pct", "max"): 75.0}
    after = limits_at(victoria, cold, start + timedelta(minutes=19, seconds=30))
    assert after == {("temperature_c", "min"): 2.0, ("temperature_c", "max"): 6.0,
                     ("humidity_pct", "max"): 75.0}
    # Samples are whole minutes: one point per minute, the change at minute 10.
    export = victoria.export(f'zone_limits_value{{zone="{cold}",bound="max",'
                             'quantity="temperature_c"}')
    (series,) = export
    assert len(series["values"]) == 20
    assert series["values"][9:11] == [8, 6]
    assert all(ts % 60_000 == 0 for ts in series["timestamps"])
    assert limits_at(victoria, bare, start + timedelta(minutes=19)) == {}
    engine.dispose()


def test_the_sampler_runs_every_minute_on_its_own(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions() as session, session.begin():
        band = StorageClass(code="crt", name="15-25 °C", temp_min_c=15.0, temp_max_c=25.0)
        session.add(Zone(code="ambient", name="Ambient", storage_class=band))
    sampler = ZoneLimitSampler(sessions, every_s=0.05)
    sampler.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=5)
        while datetime.now(UTC) < deadline:
            with sessions() as session:
                if (session.scalar(select(func.count(TsOutbox.id))) or 0) >= 3:
                    break
        with sessions() as session:
            lines = session.scalars(select(TsOutbox.lines)).all()
    finally:
        sampler.stop()
        engine.dispose()
    assert len(lines) >= 3
    assert lines[0].startswith("zone_limits,zone=ambient,quantity=temperature_c,bound=min ")
    assert " value=15.0 " in lines[0]
