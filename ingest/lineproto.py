"""InfluxDB line protocol for readings. Pure string building, no client library.

One line per reading: measurement `reading`, tags site/gateway/sensor/zone, a
field per good quantity and an integer `quality` field (0 good, 1 uncertain,
2 bad), millisecond timestamps. VictoriaMetrics turns this into the series
`reading_temperature_c{sensor=...}`, `reading_quality{...}` and so on.

Writes are idempotent: a replayed line has the same series and timestamp, which
InfluxDB overwrites and VictoriaMetrics (with -dedup.minScrapeInterval) keeps once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from contract.wire import Quality, Reading

MEASUREMENT = "reading"
QUALITY_CODE = {Quality.GOOD: 0, Quality.UNCERTAIN: 1, Quality.BAD: 2}

_TAG_ESCAPES = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})


def escape_tag(value: str) -> str:
    return value.translate(_TAG_ESCAPES)


def reading_line(reading: Reading, *, site: str, gateway: str, zone: str) -> str:
    # Identifiers are pattern-checked by the wire contract; the zone code comes from
    # our own database and may hold anything, so it is escaped.
    tags = (
        f"{MEASUREMENT},site={site},gateway={gateway},"
        f"sensor={reading.sensor},zone={escape_tag(zone)}"
    )
    fields = [f"quality={QUALITY_CODE[reading.quality]}i"]
    if reading.quality is not Quality.BAD:
        fields.extend(f"{name}={value!r}" for name, value in reading.quantities.items())
    millis = int(reading.ts.timestamp() * 1000)
    return f"{tags} {','.join(fields)} {millis}"


class LineBuilder:
    """`reading_line` for many readings, with the tag text of each (site, gateway) and
    each zone built once and kept (a site has few), so a line costs one format of its
    sensor, fields and timestamp, and nothing is kept per sensor."""

    MAX_KEPT = 10_000

    def __init__(self) -> None:
        self._gateways: dict[tuple[str, str], str] = {}
        self._zones: dict[str, str] = {}

    def line(self, reading: Reading, site: str, gateway: str, zone: str) -> str:
        out: list[str] = []
        self.lines((reading,), site, gateway, {}, zone, out)
        return out[0]

    def lines(self, readings: Iterable[Reading], site: str, gateway: str,
              zones: Mapping[str, str], other_zone: str, out: list[str]) -> None:
        """`line` for each of one message's readings, appended to `out`; `zones` names a
        sensor's zone, `other_zone` that of a sensor it does not hold. Ingest's hot path:
        one call a message, not one a reading, the head looked up once and each
        reading's fields added up without a list."""
        head = self._gateways.get((site, gateway))
        if head is None:
            if len(self._gateways) >= self.MAX_KEPT:
                self._gateways.clear()
            head = self._gateways[(site, gateway)] = (
                f"{MEASUREMENT},site={site},gateway={gateway},sensor=")
        tails, add, bad, good = self._zones, out.append, Quality.BAD, Quality.GOOD
        zone_of = zones.get
        for reading in readings:
            zone = zone_of(reading.sensor, other_zone)
            tail = tails.get(zone)
            if tail is None:
                if len(tails) >= self.MAX_KEPT:
                    tails.clear()
                tail = tails[zone] = f",zone={escape_tag(zone)} quality="
            quality = reading.quality
            millis = int(reading.ts.timestamp() * 1000)
            if quality is bad:
                add(f"{head}{reading.sensor}{tail}2i {millis}")
                continue
            fields = "0i" if quality is good else "1i"
            for name, value in reading.quantities.items():
                fields += f",{name}={value!r}"
            add(f"{head}{reading.sensor}{tail}{fields} {millis}")


LIMITS_MEASUREMENT = "zone_limits"


def zone_limit_line(zone: str, quantity: str, bound: str, value: float, millis: int) -> str:
    """One limit of one zone: VictoriaMetrics stores it as the series
    `zone_limits_value{zone, quantity, bound}` (bound is min or max)."""
    return (f"{LIMITS_MEASUREMENT},zone={escape_tag(zone)},quantity={quantity},bound={bound} "
            f"value={float(value)!r} {millis}")
