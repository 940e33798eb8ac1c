"""The hours of a zone report cut at its boundaries: an hour that a boundary (the
period's start or end, a day's, an MKT window's start) falls inside is replaced by its
parts, each computed from the stored readings on its side of the boundary. So the
readings, min, max, mean and MKT of a period from 19:01 to 19:10, of a day that begins
at 18:30 UTC (Asia/Kolkata) or of a window ending at 19:10 are those of the readings
inside it, never of the whole hour 19:00-20:00 (issue 17, item 4).

A part is an `HourStat` whose `hour` is where it starts (19:00 and 19:01), so every
`start <= h.hour < end` of the report takes exactly the parts inside. Hours stored
before readings were kept (migration 0010) cannot be split and stay whole; the report
says so. The record's gaps are judged on the stored hours as before."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import pairwise

from sqlalchemy.orm import Session

from ingest.compliance import HOUR, HourStat
from ingest.queries import readings_in_hours
from ingest.rollup import DEFAULT_DELTA_H, TEMPERATURE, kinetic_term


def part_of(hour: HourStat, start: datetime, points: list[tuple[datetime, float]]
            ) -> HourStat | None:
    """The figures of `points` (time order, all of one hour's part from `start`): pure."""
    if not points:
        return None
    values = [value for _, value in points]
    gap = max(((b - a).total_seconds() for (a, _), (b, _) in pairwise(points)), default=0.0)
    exp_sum = delta_h = None
    if hour.quantity == TEMPERATURE:
        delta_h = hour.delta_h or DEFAULT_DELTA_H
        exp_sum = math.fsum(kinetic_term(value, delta_h) for value in values)
    return HourStat(hour.sensor, hour.quantity, start, len(values), min(values), max(values),
                    math.fsum(values), points[0][0], points[-1][0], gap, exp_sum, delta_h)


def split_hours(session: Session, hours: list[HourStat], cuts: Iterable[datetime]
                ) -> tuple[list[HourStat], int]:
    """`hours` with every hour a cut falls inside replaced by its parts; and how many
    hours could not be split (no readings kept for them)."""
    wanted = sorted(set(cuts))
    inner: dict[int, list[datetime]] = {}
    for index, hour in enumerate(hours):
        found = [c for c in wanted if hour.hour < c < hour.hour + HOUR]
        if found:
            inner[index] = found
    if not inner:
        return hours, 0
    by_series: dict[tuple[str, str], list[datetime]] = {}
    for index in inner:
        by_series.setdefault((hours[index].sensor, hours[index].quantity), []).append(
            hours[index].hour)
    points = {key: readings_in_hours(session, *key, starts)
              for key, starts in by_series.items()}
    out: list[HourStat] = []
    whole = 0
    for index, hour in enumerate(hours):
        if index not in inner:
            out.append(hour)
            continue
        mine = [p for p in points[(hour.sensor, hour.quantity)]
                if hour.hour <= p[0] < hour.hour + HOUR]
        if not mine:
            out.append(hour)
            whole += 1
            continue
        bounds = [hour.hour, *inner[index], hour.hour + HOUR]
        for start, end in pairwise(bounds):
            part = part_of(hour, start, [p for p in mine if start <= p[0] < end])
            if part is not None:
                out.append(part)
    return out, whole


def cuts_of(start: datetime, end: datetime, day_bounds: Iterable[tuple[datetime, datetime]],
            window_h: int) -> set[datetime]:
    """Where the report's figures begin and end: the period, each day, each day's
    MKT window."""
    window = timedelta(hours=window_h)
    found = {start, end}
    for day_start, day_end in day_bounds:
        found |= {day_start, day_end, day_end - window}
    return found
