"""InfluxDB line protocol for readings. Pure string building, no client library.

One line per reading: measurement `reading`, tags site/gateway/sensor/zone, a
field per good quantity and an integer `quality` field (0 good, 1 uncertain,
2 bad), millisecond timestamps. VictoriaMetrics turns this into the series
`reading_temperature_c{sensor=...}`, `reading_quality{...}` and so on.

Writes are idempotent: a replayed line has the same series and timestamp, which
InfluxDB overwrites and VictoriaMetrics (with -dedup.minScrapeInterval) keeps once.
"""

from __future__ import annotations

from edge.wire import Quality, Reading

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
    """`reading_line` for many readings: the tags of a (site, gateway, sensor, zone) are
    built once and kept (a site has a few thousand sensors), so a line costs one
    format of its fields and timestamp."""

    MAX_KEPT = 200_000

    def __init__(self) -> None:
        self._tags: dict[tuple[str, str, str, str], str] = {}

    def line(self, reading: Reading, site: str, gateway: str, zone: str) -> str:
        key = (site, gateway, reading.sensor, zone)
        tags = self._tags.get(key)
        if tags is None:
            if len(self._tags) >= self.MAX_KEPT:
                self._tags.clear()
            tags = self._tags[key] = (
                f"{MEASUREMENT},site={site},gateway={gateway},"
                f"sensor={reading.sensor},zone={escape_tag(zone)} quality="
            )
        quality = reading.quality
        millis = int(reading.ts.timestamp() * 1000)
        if quality is Quality.GOOD:
            fields = "".join([f",{name}={value!r}" for name, value in reading.quantities.items()])
            return f"{tags}0i{fields} {millis}"
        if quality is Quality.BAD:
            return f"{tags}2i {millis}"
        fields = "".join([f",{name}={value!r}" for name, value in reading.quantities.items()])
        return f"{tags}1i{fields} {millis}"


LIMITS_MEASUREMENT = "zone_limits"


def zone_limit_line(zone: str, quantity: str, bound: str, value: float, millis: int) -> str:
    """One limit of one zone: VictoriaMetrics stores it as the series
    `zone_limits_value{zone, quantity, bound}` (bound is min or max)."""
    return (f"{LIMITS_MEASUREMENT},zone={escape_tag(zone)},quantity={quantity},bound={bound} "
            f"value={float(value)!r} {millis}")
