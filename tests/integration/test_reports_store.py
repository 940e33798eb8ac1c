"""Migration 0008 on both databases (an hour stored before it merges honestly), the
explicit purge, and `stockwarden report zone` writing a PDF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from contract.wire import Reading, Telemetry, TopicParts
from hub.cli import app
from hub.db import alembic_config, make_engine, migrate, session_factory
from ingest.orm import DeadLetter, HourlyStat, Sensor
from ingest.store import Accepted, IngestStore
from kernel.orm import StorageClass, Zone

HOUR = datetime(2026, 11, 20, 10, tzinfo=UTC)


def _reading(ts: datetime, value: float = 5.0, seq: int = 1) -> Accepted:
    readings = [Reading(sensor="s1", ts=ts, quantities={"temperature_c": value})]
    return Accepted(TopicParts("site", "gw", "telemetry"),
                    Telemetry(gateway="gw", seq=seq, readings=readings))


def test_an_hour_stored_before_0008_keeps_no_kinetic_sum_and_gets_its_times(db_url: str
                                                                          ) -> None:
    from alembic import command

    engine = make_engine(db_url)
    migrate(engine, "0003")
    # As ingest stored it before 0008 (on SQLite: SQLAlchemy's text format).
    stamp = (HOUR.strftime("%Y-%m-%d %H:%M:%S.%f") if engine.dialect.name == "sqlite"
             else HOUR)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sensors (id, name) VALUES ('s1', '')"))
        conn.execute(text("INSERT INTO hourly_stats (sensor_id, quantity, hour, count, min, max, "
                          "sum) VALUES ('s1', 'temperature_c', :h, 2, 4.0, 6.0, 10.0)"),
                     {"h": stamp})
    migrate(engine)
    store = IngestStore(session_factory(engine))
    store.commit_batch([_reading(HOUR + timedelta(minutes=30), 7.0),
                        _reading(HOUR + timedelta(hours=1), 5.0, seq=2)], datetime.now(UTC))
    with session_factory(engine)() as session:
        old, new = session.scalars(select(HourlyStat).order_by(HourlyStat.hour)).all()
    assert (old.count, old.min, old.max, old.sum) == (3, 4.0, 7.0, 17.0)
    assert old.exp_sum is None  # readings before the sum was kept: no sum, the report says
    assert old.first_ts == old.last_ts == HOUR + timedelta(minutes=30)
    assert new.exp_sum is not None and new.delta_h == 83_144.0 and new.max_gap_s == 0.0
    command.downgrade(alembic_config(engine), "0003")
    migrate(engine)
    engine.dispose()


def test_purge_deletes_only_what_is_older_and_only_when_asked(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STOCKWARDEN_DATABASE_URL", sqlite_url)
    engine = make_engine(sqlite_url)
    migrate(engine)
    old = datetime.now(UTC) - timedelta(days=7 * 365)
    with session_factory(engine)() as session, session.begin():
        session.add(Sensor(id="s1", name=""))
        session.flush()
        for hour in (old, datetime.now(UTC).replace(minute=0, second=0, microsecond=0)):
            session.add(HourlyStat(sensor_id="s1", quantity="temperature_c", hour=hour,
                                   count=1, min=5.0, max=5.0, sum=5.0))
        session.add(DeadLetter(received_at=old, topic="t", reason="r", payload=b""))
    runner = CliRunner()
    inside = runner.invoke(app, ["purge", "--before", f"{datetime.now(UTC):%Y-%m-%d}"])
    assert inside.exit_code == 2 and "inside the retention" in inside.output
    before = f"{datetime.now(UTC) - timedelta(days=6 * 365):%Y-%m-%d}"
    declined = runner.invoke(app, ["purge", "--before", before], input="n\n")
    assert declined.exit_code == 1 and "1 hourly statistics, 1 dead letters" in declined.output
    unexplained = runner.invoke(app, ["purge", "--before", before, "--yes"])
    assert unexplained.exit_code == 2 and "needs a reason" in unexplained.output
    done = runner.invoke(app, ["purge", "--before", before, "--yes", "--reason", "retention"])
    assert done.exit_code == 0, done.output
    assert "deleted 1 hourly statistics, 1 dead letters, 0 seen messages" in done.output
    with session_factory(engine)() as session:
        trail = session.execute(text("SELECT action, actor, via, after, reason "
                                     "FROM audit_trail")).all()
    assert [(r.action, r.via, r.reason) for r in trail] == [("purge", "cli", "retention")]
    assert trail[0].actor.startswith("os:") and '"hourly statistics":1' in trail[0].after
    with session_factory(engine)() as session:
        assert len(session.scalars(select(HourlyStat)).all()) == 1
    engine.dispose()


def test_the_cli_writes_a_zone_report_as_pdf(sqlite_url: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOCKWARDEN_DATABASE_URL", sqlite_url)
    engine = make_engine(sqlite_url)
    migrate(engine)
    with session_factory(engine)() as session, session.begin():
        klass = StorageClass(code="CRT", name="room", temp_min_c=15.0, temp_max_c=25.0)
        session.add(klass)
        session.flush()
        zone = Zone(code="HALL", name="main hall", storage_class_id=klass.id)
        session.add(zone)
        session.flush()
        session.add(Sensor(id="s1", name="door", zone_id=zone.id))
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    IngestStore(session_factory(engine)).commit_batch(
        [_reading(start + timedelta(minutes=m), 20.0, seq=m) for m in range(0, 180, 10)],
        datetime.now(UTC))
    out = tmp_path / "hall.pdf"
    result = CliRunner().invoke(app, [
        "report", "zone", "HALL", "--from", f"{start:%Y-%m-%dT%H:%M:%S}", "--to",
        f"{start + timedelta(hours=3):%Y-%m-%dT%H:%M:%S}", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    missing = CliRunner().invoke(app, ["report", "zone", "NOPE", "--output", str(out)])
    assert missing.exit_code == 2 and "no zone NOPE" in missing.output
    engine.dispose()


def test_the_report_routes_are_declared_and_refuse_bad_requests_clearly(sqlite_url: str
                                                                        ) -> None:
    from fastapi.testclient import TestClient

    from hub.app import create_app
    from hub.container import Hub
    from hub.settings import load_settings
    from tests.support.auth import bearer_headers

    hub = Hub.build(load_settings(database_url=sqlite_url))
    with TestClient(create_app(hub, manage_lifecycle=False),
                    headers=bearer_headers(hub)) as client:
        paths = client.get("/openapi.json").json()["paths"]
        zone = paths["/api/v1/reports/zones/{code}"]["get"]["responses"]["200"]["content"]
        assert set(zone) == {"application/json", "text/csv", "application/pdf",
                             "image/svg+xml"}  # the chart, for the reports page
        for path in ("expiry", "ledger", "turnover", "lots/{lot_id}/trace"):
            assert "text/csv" in paths[f"/api/v1/reports/{path}"]["get"]["responses"]["200"][
                "content"]
        missing = client.get("/api/v1/reports/zones/NOPE")
        assert (missing.status_code, missing.json()["error"]) == (404, "zone_not_found")
        backwards = client.get("/api/v1/reports/ledger",
                               params={"start": "2026-02-01", "end": "2026-01-01"})
        assert backwards.status_code == 422 and backwards.json()["error"] == "bad_period"
        assert client.get("/api/v1/reports/zones/X", params={"format": "doc"}
                          ).status_code == 422
        assert client.get("/api/v1/reports/lots/999/trace").status_code == 404
    hub.stop()
