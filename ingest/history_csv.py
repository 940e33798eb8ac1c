"""The generic CSV of a data logger's download, row by row: pure code (no SQL, no IO
beyond the lines it is given), so every refusal is unit-tested in ms.

The format (docs/reports.md, "Historical import"):

    sensor,timestamp,temperature_c,humidity_pct
    cold-1,2025-11-03T08:00:00+08:00,5.2,41
    cold-1,2025-11-03 08:05:00,5.3 °C,41 %

- `sensor` and `timestamp` are required; every other column is a quantity by its wire
  name (`temperature_c`, `humidity_pct`, `dew_point_c`, `pressure_hpa`, `co2_ppm`).
  A column that is none of them refuses the whole file, naming it: a logger's
  `temperature_f` must be converted first, never read as °C.
- A timestamp is ISO 8601 (`T` or a space, seconds and a fraction optional). With an
  offset (`+08:00`, `Z`) it is taken as it says; without one it is a local time of the
  import's time zone (`--timezone`, the API's `timezone`), and without that the row is
  refused: the hub never guesses a zone. A local time that a daylight-saving change
  makes ambiguous (it happens twice) or impossible (it never happens) is refused too.
- A value may carry its unit after it (`5.2 °C`, `41 %RH`); a unit that is not the
  column's is refused (`41 °F` in `temperature_c`). An empty cell: not measured.
- Values outside what the quantity can physically be (the wire contract's limits) are
  refused, like a row with no value at all, a broken number or a sensor id the wire
  contract would refuse.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from contract.wire import ID_PATTERN, QUANTITY_LIMITS

REQUIRED = ("sensor", "timestamp")
# The units a value may be written with, per quantity (case-insensitive, spaces ignored).
UNITS: dict[str, frozenset[str]] = {
    "temperature_c": frozenset({"c", "°c", "degc", "℃"}),
    "dew_point_c": frozenset({"c", "°c", "degc", "℃"}),
    "humidity_pct": frozenset({"%", "%rh", "pct", "rh"}),
    "pressure_hpa": frozenset({"hpa", "mbar"}),
    "co2_ppm": frozenset({"ppm"}),
}
_ID = re.compile(ID_PATTERN)
_VALUE = re.compile(r"^\s*([-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


class BadHeader(ValueError):
    """The file cannot be read at all: a required column missing, an unknown one."""


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # in the file, the header being line 1
    sensor: str
    ts: datetime  # UTC, to the millisecond (as on the wire)
    quantities: dict[str, float]


@dataclass(frozen=True, slots=True)
class Refused:
    line: int
    reason: str


def quantity_columns(header: list[str]) -> list[str]:
    """The header's quantity columns, in order; BadHeader names what is wrong."""
    names = [name.strip() for name in header]
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise BadHeader(f"missing column(s) {', '.join(missing)}: the header must name "
                        f"sensor, timestamp and one column per quantity "
                        f"({', '.join(sorted(QUANTITY_LIMITS))})")
    quantities = [name for name in names if name not in REQUIRED]
    unknown = [name for name in quantities if name not in QUANTITY_LIMITS]
    if unknown:
        raise BadHeader(f"unknown column(s) {', '.join(unknown)}: quantity columns are "
                        f"{', '.join(sorted(QUANTITY_LIMITS))} (convert other units first)")
    doubled = sorted({name for name in names if names.count(name) > 1})
    if doubled:
        raise BadHeader(f"column(s) named twice: {', '.join(doubled)}")
    if not quantities:
        raise BadHeader("no quantity column: name at least one of "
                        f"{', '.join(sorted(QUANTITY_LIMITS))}")
    return quantities


def parse_time(text: str, zone: tzinfo | None) -> datetime:
    """`text` as UTC to the millisecond; ValueError says why not."""
    raw = text.strip()
    if not raw:
        raise ValueError("no timestamp")
    try:
        value = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"timestamp {raw!r} is not ISO 8601 "
                         f"(e.g. 2025-11-03T08:00:00+08:00)") from None
    if value.tzinfo is None:
        if zone is None:
            raise ValueError(f"timestamp {raw!r} has no offset and the import names no time "
                             f"zone: give --timezone (API: timezone=) or write the offset")
        early, late = value.replace(tzinfo=zone, fold=0), value.replace(tzinfo=zone, fold=1)
        if early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
            raise ValueError(f"local time {raw} does not exist in {zone} (a clock change)")
        if early.utcoffset() != late.utcoffset():
            raise ValueError(f"local time {raw} happens twice in {zone} (a clock change): "
                             f"write its offset")
        value = early
    utc = value.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond - utc.microsecond % 1000)


def parse_value(quantity: str, text: str) -> float:
    """The number in a cell, its unit checked; ValueError says why not."""
    match = _VALUE.match(text)
    if match is None:
        raise ValueError(f"{quantity}: {text.strip()!r} is not a number")
    number, unit = match.groups()
    if unit and unit.replace(" ", "").lower() not in UNITS.get(quantity, frozenset()):
        wanted = sorted(UNITS.get(quantity, frozenset()))
        raise ValueError(f"{quantity}: unit {unit!r} is not the column's "
                         f"({', '.join(wanted) or 'none'})")
    value = float(number.replace(",", "."))
    low, high = QUANTITY_LIMITS[quantity]
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{quantity}: {value:g} is outside {low:g}..{high:g}")
    return value


def read_rows(lines: Iterable[list[str]], header: list[str], zone: tzinfo | None,
              *, first_line: int = 2) -> Iterator[Row | Refused]:
    """Each data row of a csv.reader after `header`, as a Row or Refused."""
    names = [name.strip() for name in header]
    quantities = quantity_columns(header)
    at = {name: names.index(name) for name in names}
    for line, cells in enumerate(lines, start=first_line):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line: nothing to import, nothing refused
        if len(cells) != len(names):
            yield Refused(line, f"{len(cells)} cells where the header has {len(names)}")
            continue
        sensor = cells[at["sensor"]].strip()
        if not _ID.match(sensor):
            yield Refused(line, f"sensor {sensor!r} is not a sensor id")
            continue
        try:
            ts = parse_time(cells[at["timestamp"]], zone)
            values = {q: parse_value(q, cells[at[q]]) for q in quantities
                      if cells[at[q]].strip()}
        except ValueError as exc:
            yield Refused(line, str(exc))
            continue
        if not values:
            yield Refused(line, "no value in any quantity column")
            continue
        yield Row(line, sensor, ts, values)


def age_problem(ts: datetime, now: datetime, retention: timedelta,
                max_future: timedelta) -> str | None:
    """Why a reading at `ts` cannot be imported now: older than the retention period
    (a purge could delete it at once), or in the future."""
    if ts < now - retention:
        return (f"{ts.isoformat()} is older than the retention of {retention.days} days "
                f"(STOCKWARDEN_RETENTION_DAYS)")
    if ts > now + max_future:
        return f"{ts.isoformat()} is in the future"
    return None
