"""Time out of range from the readings themselves: limit breaches, clipped to a period.
Pure code (no SQL, no IO): ingest/queries.py fetches the readings, hub/reports/ puts
a report together. docs/reports.md, *Time above and below the limits*, says the same
in words; tests/unit/test_out_of_range.py works examples by hand.

The rules, chosen so that every figure can be recomputed from the raw readings:

- A reading is *out* when it is strictly above the upper limit or strictly below the
  lower one; a reading exactly at a limit is inside. These are the storage class's
  limits, never the alarm engine's warning levels (limit ∓ 0.5).
- **Sample and hold**: a reading stands for the time from its own timestamp to the
  next reading of the same sensor and quantity, but for at most `hold_s` (the record
  interval, 30 minutes by default: beyond that the record has a gap, which the report
  lists as such, and the time is counted neither in nor out). The newest reading holds
  until now, with the same cap. No interpolation at a crossing: the state changes at
  the first reading on the other side, as a data logger counts it; an excursion from a
  first reading out at 10:40 to a first reading back in at 11:27 lasts 47 minutes.
- An **excursion** (a breach) is a run of consecutive readings beyond the same limit:
  it starts at the first of them and ends at the next reading after the last of them
  (back inside, or beyond the other limit). With no reading after it, it is *ongoing*.
- For a period [start, end): the time out of range is the held time of the breach's
  readings that falls inside the period (and before now). A breach that began before
  the period or ends after it is *cut*: the report shows its true start and end and,
  beside them, the part inside the period.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Side = Literal["above", "below"]
Interval = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class Bounds:
    """A quantity's limits; None: no limit on that side."""

    low: float | None = None
    high: float | None = None

    def side(self, value: float) -> Side | None:
        if self.high is not None and value > self.high:
            return "above"
        if self.low is not None and value < self.low:
            return "below"
        return None

    @property
    def any(self) -> bool:
        return self.low is not None or self.high is not None


@dataclass(frozen=True, slots=True)
class Breach:
    """One excursion beyond a limit, whole, and the part of it inside the period."""

    sensor: str
    quantity: str
    side: Side
    start: datetime  # the first reading beyond the limit
    end: datetime | None  # the next reading after the last one beyond it; None: ongoing
    peak: float
    readings: int
    seconds: float  # held time out of range of the whole excursion (up to now)
    inside_start: datetime  # the part inside the period
    inside_end: datetime
    inside_s: float  # held time out of range inside the period

    @property
    def ongoing(self) -> bool:
        return self.end is None

    @property
    def cut(self) -> bool:
        """Began before the period or ends after it (or is still going on past it)."""
        return self.start < self.inside_start or self.end is None or self.end > self.inside_end


@dataclass(frozen=True, slots=True)
class Run:
    """A breach before clipping: its readings' held intervals."""

    side: Side
    start: datetime
    end: datetime | None
    peak: float
    readings: int
    held: tuple[Interval, ...]


def runs(points: Sequence[tuple[datetime, float]], bounds: Bounds, *, hold_s: float,
         now: datetime) -> list[Run]:
    """Every breach in one sensor's readings of one quantity (any order; one value per
    timestamp)."""
    ordered = sorted(points)
    hold = timedelta(seconds=hold_s)
    found: list[Run] = []
    current: list[int] = []
    current_side: Side | None = None

    def held(i: int) -> Interval:
        ts = ordered[i][0]
        limit = min(ts + hold, now)
        if i + 1 < len(ordered):
            limit = min(limit, ordered[i + 1][0])
        return ts, max(ts, limit)

    def close(next_ts: datetime | None) -> None:
        if not current or current_side is None:
            return
        values = [ordered[i][1] for i in current]
        peak = max(values) if current_side == "above" else min(values)
        found.append(Run(current_side, ordered[current[0]][0], next_ts, peak, len(current),
                         tuple(held(i) for i in current)))

    for i, (ts, value) in enumerate(ordered):
        side = bounds.side(value)
        if side != current_side:
            close(ts)
            current = []
        current_side = side
        if side is not None:
            current.append(i)
    close(None)
    return found


def _clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> float:
    return sum(max(0.0, (min(b, end) - max(a, start)).total_seconds()) for a, b in intervals)


def breaches(points: Sequence[tuple[datetime, float]], bounds: Bounds, start: datetime,
             end: datetime, *, sensor: str, quantity: str, hold_s: float, now: datetime
             ) -> list[Breach]:
    """The breaches that overlap [start, end), each with its part inside the period."""
    shown = []
    for run in runs(points, bounds, hold_s=hold_s, now=now):
        # An ongoing breach reaches every period from its start on.
        if not (run.start < end and (run.end is None or run.end > start)):
            continue
        last = run.end if run.end is not None else max(now, run.held[-1][1])
        whole = _clip(run.held, run.start, last)
        inside_start, inside_end = max(run.start, start), min(last, end)
        shown.append(Breach(sensor, quantity, run.side, run.start, run.end, run.peak,
                            run.readings, whole, inside_start, max(inside_start, inside_end),
                            _clip(run.held, start, end)))
    return shown


def union_seconds(intervals: Iterable[Interval], start: datetime, end: datetime) -> float:
    """The time covered by any of the intervals inside [start, end): a zone is above its
    limit while any of its sensors is, counted once."""
    clipped = sorted((max(a, start), min(b, end)) for a, b in intervals
                     if min(b, end) > max(a, start))
    total = 0.0
    cur_a: datetime | None = None
    cur_b: datetime | None = None
    for a, b in clipped:
        if cur_b is None or a > cur_b:
            if cur_a is not None and cur_b is not None:
                total += (cur_b - cur_a).total_seconds()
            cur_a, cur_b = a, b
        elif b > cur_b:
            cur_b = b
    if cur_a is not None and cur_b is not None:
        total += (cur_b - cur_a).total_seconds()
    return total


@dataclass(frozen=True, slots=True)
class TimeOut:
    """Seconds above and below the limits over one stretch (a period or a day)."""

    above_s: float = 0.0
    below_s: float = 0.0


def time_out(found: Iterable[Run], start: datetime, end: datetime) -> TimeOut:
    """Held time above and below inside [start, end), over one sensor's runs or many
    sensors' (then the union: time during which any of them was out)."""
    above: list[Interval] = []
    below: list[Interval] = []
    for run in found:
        (above if run.side == "above" else below).extend(run.held)
    return TimeOut(union_seconds(above, start, end), union_seconds(below, start, end))
