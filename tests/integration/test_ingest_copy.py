"""The store writes a batch's (gateway, seq) pairs and readings by COPY on PostgreSQL
(INSERT on SQLite); what is stored already must not break the batch: a redelivered
message counts once, and a value stored already for its sensor, quantity and time
(a repeat under another seq) is kept as it was, the rest of the batch committed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from contract import wire
from hub.container import Hub
from hub.settings import load_settings
from ingest.orm import HourlyStat, SeenMessage, StoredReading
from ingest.prepared import prepare
from ingest.store import Accepted, IngestStore

GATEWAY = "gw-copy"
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)


@pytest.fixture
def store(db_url: str) -> Iterator[IngestStore]:
    hub = Hub.build(load_settings(database_url=db_url))
    yield IngestStore(hub.sessions)
    hub.engine.dispose()


def _message(seq: int, *readings: tuple[str, int, float]) -> Accepted:
    """`readings`: (sensor, seconds after T0, temperature)."""
    message = wire.Telemetry.model_construct(gateway=GATEWAY, seq=seq, readings=[
        wire.Reading(sensor=sensor, ts=T0 + timedelta(seconds=at),
                     quantities={"temperature_c": value})
        for sensor, at, value in readings])
    return Accepted(wire.TopicParts("site-c", GATEWAY, "telemetry"), message, b"{}")


def _commit(store: IngestStore, items: list[Accepted]):  # -> BatchOutcome
    # As the service does: the rows built ahead, then the commit.
    return store.commit_isolating(items, datetime.now(UTC), None,
                                  prepare(items, store.sql, store.delta_h, None))


def test_a_redelivery_and_a_value_stored_already_keep_the_batch_and_count_once(
    store: IngestStore,
) -> None:
    first = _commit(store, [_message(1, ("c1", 0, 4.0), ("c2", 0, 5.0)),
                            _message(2, ("c1", 10, 4.5))])
    assert (first.readings, first.duplicates) == (3, 0)

    # seq 2 again (a redelivery); seq 3 repeats c1 at 0 s with another value, and
    # brings one new value; seq 4 is new.
    second = _commit(store, [_message(2, ("c1", 10, 4.5)),
                             _message(3, ("c1", 0, 9.0), ("c2", 20, 5.5)),
                             _message(4, ("c1", 30, 4.2))])
    assert (second.readings, second.duplicates) == (3, 1)

    with store.sessions() as session:
        stored = {(r.sensor_id, r.ts.astimezone(UTC)): r.value
                  for r in session.scalars(select(StoredReading))}
        seen = session.scalar(select(func.count()).select_from(SeenMessage)
                              .where(SeenMessage.gateway == GATEWAY))
        counted = session.scalar(select(func.sum(HourlyStat.count)))
    assert stored == {
        ("c1", T0): 4.0,  # the value stored first stays
        ("c2", T0): 5.0,
        ("c1", T0 + timedelta(seconds=10)): 4.5,
        ("c2", T0 + timedelta(seconds=20)): 5.5,
        ("c1", T0 + timedelta(seconds=30)): 4.2,
    }
    assert seen == 4
    # The hourly statistics count each fresh message's values, the repeat included.
    assert counted == 6


def test_two_values_for_one_time_in_one_batch_keep_one(store: IngestStore) -> None:
    outcome = _commit(store, [_message(7, ("c9", 0, 1.0)), _message(8, ("c9", 0, 2.0))])
    assert outcome.readings == 2
    with store.sessions() as session:
        values = list(session.scalars(select(StoredReading.value)
                                      .where(StoredReading.sensor_id == "c9")))
    assert len(values) == 1
