"""The hot-path fold of `Rollup.of` against the plain one it inlines, on any batch:
repeated and out-of-order times, hours crossed, bad values, several sensors and
quantities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from contract.wire import Quality, Reading
from ingest.rollup import DEFAULT_DELTA_H, TEMPERATURE, Aggregate, Rollup, hour_of, kinetic_term

T0 = datetime(2026, 5, 4, 12, 58, 0, tzinfo=UTC)

readings = st.lists(st.builds(
    lambda sensor, seconds, values, quality: Reading.model_construct(
        sensor=sensor, ts=T0 + timedelta(seconds=seconds), quantities=values,
        quality=quality, error=None),
    st.sampled_from(["s1", "s2", "s3"]),
    st.integers(min_value=0, max_value=240),  # four minutes across an hour's end
    st.dictionaries(st.sampled_from([TEMPERATURE, "humidity_pct"]),
                    st.floats(min_value=-40, max_value=60, allow_nan=False), min_size=1),
    st.sampled_from([Quality.GOOD, Quality.GOOD, Quality.GOOD, Quality.BAD]),
), max_size=60)


def plain_fold(batch: list[Reading], delta_h: dict[str, float]
               ) -> tuple[dict[tuple[str, str, datetime], Aggregate],
                          dict[tuple[str, str], tuple[datetime, float]],
                          list[tuple[str, str, datetime, float]]]:
    hours: dict[tuple[str, str, datetime], Aggregate] = {}
    latest: dict[tuple[str, str], tuple[datetime, float]] = {}
    points = []
    for reading in batch:
        if reading.quality is not Quality.GOOD:
            continue
        at = reading.ts.timestamp()
        for quantity, value in reading.quantities.items():
            points.append((reading.sensor, quantity, reading.ts, value))
            key = (reading.sensor, quantity, hour_of(reading.ts))
            agg = hours.get(key)
            if agg is None:
                agg = hours[key] = Aggregate(1, value, value, value, at, at)
                if quantity == TEMPERATURE:
                    agg.delta_h = delta_h.get(reading.sensor, DEFAULT_DELTA_H)
                    agg.exp_sum = kinetic_term(value, agg.delta_h)
            else:
                agg.add(value, at)
                if agg.exp_sum is not None and agg.delta_h is not None:
                    agg.exp_sum += kinetic_term(value, agg.delta_h)
            now = latest.get((reading.sensor, quantity))
            if now is None or reading.ts >= now[0]:
                latest[(reading.sensor, quantity)] = (reading.ts, value)
    return hours, latest, sorted(points)


def figures(agg: Aggregate) -> tuple[object, ...]:
    return (agg.count, agg.min, agg.max, agg.sum, agg.first, agg.last, agg.max_gap_s,
            agg.exp_sum, agg.delta_h)


@settings(max_examples=300, deadline=None)
@given(readings)
def test_the_fold_gives_what_the_plain_fold_gives(batch: list[Reading]) -> None:
    delta_h = {"s2": 90_000.0}
    hours, latest, points = plain_fold(batch, delta_h)
    rollup = Rollup.of(batch, delta_h)
    assert {k: figures(a) for k, a in rollup.hours.items()} == {
        k: figures(a) for k, a in hours.items()}
    assert rollup.latest == latest
    assert rollup.points == points


def test_two_values_at_one_time_store_the_smaller_first_and_keep_the_later_as_latest(
) -> None:
    # The stored readings keep the first of a key (COPY falls back to ON CONFLICT DO
    # NOTHING on a repeat), so the sorted order decides; the latest value is the one
    # that came last, as for any newer reading.
    batch = [Reading.model_construct(sensor="s1", ts=T0, quantities={TEMPERATURE: v},
                                     quality=Quality.GOOD, error=None) for v in (5.0, 4.0)]
    rollup = Rollup.of(batch)
    assert [p[3] for p in rollup.points] == [4.0, 5.0]
    assert rollup.latest[("s1", TEMPERATURE)] == (T0, 4.0)
