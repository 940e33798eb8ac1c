"""Builds the Grafana dashboards under dashboards/json/ from one description.

The JSON files are what Grafana loads and they are committed; this script exists so
that the panels share one datasource reference, one label selector and one layout
rule instead of a hand-edited copy each (the blocks are in dashboards/panels.py, the
PostgreSQL-only dashboards in dashboards/records.py). After a change:

    python -m dashboards.build           # rewrite dashboards/json/*.json
    python -m dashboards.build --check   # exit 1 if the committed files are stale

Series come from ingest/lineproto.py (`reading_<quantity>{site,gateway,sensor,zone}`,
`reading_quality`, `zone_limits_value{zone,quantity,bound}`) and ingest/metrics.py
(`stockwarden_*`, scraped from the hub's /metrics, so they carry the scraper's `job`
and `instance` labels); tables and annotations from the hub's PostgreSQL.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dashboards.panels import (
    DATASOURCE,
    PG,
    Json,
    annotation,
    ascending,
    color_by,
    dashboard,
    limit_lines,
    sql_table,
    stat,
    table,
    target,
    timeseries,
    value_map,
    variable,
)
from dashboards.records import alarms, inventory_and_expiry

__all__ = ["DATASOURCE", "PG", "render"]

OUT_DIR = Path(__file__).resolve().parent / "json"

READINGS = 'zone=~"$zone",sensor=~"$sensor"'
HUB = 'job=~"$job",instance=~"$instance"'
# How far back "last seen" looks. Longer than any outage someone must still be told
# about, short enough to stay cheap; a sensor silent for longer drops off the table.
LAST_SEEN_WINDOW = "7d"
SILENT_AFTER_S = 600

# A zone's limits, written by the hub every minute (ingest/zone_limits.py).
LIMITS = "zone_limits_value"
# The zone variable as a PostgreSQL regular expression: "(a|b)", or ".*" for All.
ZONE_SQL = "'^${zone:regex}$'"


def limits(quantity: str) -> Json:
    return target(f'max by (zone, bound)({LIMITS}{{zone=~"$zone",quantity="{quantity}"}})',
                  "{{zone}} {{bound}} limit")


def outside_limits(quantity: str) -> str:
    """Sensors whose last value (15 min) lies outside their zone's current limits."""
    last = f"last_over_time(reading_{quantity}{{{READINGS}}}[15m])"

    def bound(which: str, agg: str) -> str:
        return (f'{agg} by (zone)(last_over_time({LIMITS}{{zone=~"$zone",'
                f'quantity="{quantity}",bound="{which}"}}[5m]))')

    return (f"({last} > on (zone) group_left() {bound('max', 'max')}) or "
            f"({last} < on (zone) group_left() {bound('min', 'min')})")


# An excursion or alarm is shown when its span overlaps the range; an open one
# (no end yet) reaches to the range's end.
EXCURSIONS = f"""
SELECT start AS time, COALESCE("end", $__timeTo()) AS timeend,
  'Excursion ' || sensor || ' ' || quantity || ' ' || side || ' limits, peak ' || peak
    || CASE WHEN held_at IS NOT NULL THEN ', lots held' ELSE '' END AS text,
  'excursion,' || zone || ',' || severity AS tags
FROM excursions
WHERE start <= $__timeTo() AND COALESCE("end", $__timeTo()) >= $__timeFrom()
  AND zone ~ {ZONE_SQL}
ORDER BY start
"""
ALARMS = f"""
SELECT raised_at AS time, COALESCE(cleared_at, closed_at, $__timeTo()) AS timeend,
  upper(severity) || ' ' || rule || ': ' || message
    || COALESCE(' (acknowledged by ' || acked_by || ')', '') AS text,
  'alarm,' || kind || ',' || severity AS tags
FROM alarms
WHERE raised_at <= $__timeTo() AND COALESCE(cleared_at, closed_at, $__timeTo()) >= $__timeFrom()
  AND (zone IS NULL OR zone ~ {ZONE_SQL})
ORDER BY raised_at
"""
GATEWAYS = """
SELECT gateway AS "Gateway", site AS "Site", state AS "State", last_seen AS "Last seen",
  EXTRACT(EPOCH FROM now() - last_seen) AS "Silent for",
  outbox_depth AS "Outbox depth", outbox_dropped AS "Dropped", version AS "Version"
FROM gateway_status ORDER BY gateway
"""
SENSORS = f"""
SELECT s.id AS "Sensor", z.code AS "Zone", s.gateway AS "Gateway",
  s.last_seen AS "Last seen", EXTRACT(EPOCH FROM now() - s.last_seen) AS "Silent for",
  s.last_quality AS "Quality", s.last_error AS "Last error"
FROM sensors s LEFT JOIN zones z ON z.id = s.zone_id
WHERE z.code ~ {ZONE_SQL} ORDER BY s.last_seen
"""
SILENCE = ascending(("green", None), ("orange", SILENT_AFTER_S), ("red", 1800))


def storage_conditions() -> Json:
    temperature = f"reading_temperature_c{{{READINGS}}}"
    humidity = f"reading_humidity_pct{{{READINGS}}}"
    quality = f"reading_quality{{{READINGS}}}"
    limit_note = ("The dashed red lines are each zone's limits from its storage class, "
                  "as the hub records them every minute: a change shows from its time on.")
    board = dashboard(
        "stockwarden-conditions", "Stockwarden: storage conditions",
        "Temperature and humidity per sensor and zone against each zone's own limits, "
        "from the hub's time-series store; excursions and alarms marked from the hub's "
        "PostgreSQL. The compliance record (excursions, hourly statistics, mean kinetic "
        "temperature) is kept by the hub in SQL; this dashboard is for watching.",
        [
            variable("zone", "Zone", "reading_temperature_c"),
            variable("sensor", "Sensor", "reading_temperature_c", 'zone=~"$zone"'),
        ],
        [
            timeseries(
                "Temperature", "Good and uncertain temperature readings per sensor. "
                + limit_note,
                [target(temperature, "{{zone}} / {{sensor}}"), limits("temperature_c")],
                unit="celsius", width=16, height=10, overrides=limit_lines("B"),
            ),
            stat(
                "Current temperature", "Last temperature of each sensor within 15 minutes; "
                "a sensor without one is listed under Last seen.",
                [target(f"last_over_time({temperature}[15m])", "{{sensor}}", instant=True)],
                unit="celsius", thresholds=ascending(("blue", None)), width=8, height=10,
            ),
            timeseries(
                "Relative humidity", "Humidity readings per sensor. " + limit_note,
                [target(humidity, "{{zone}} / {{sensor}}"), limits("humidity_pct")],
                unit="humidity", width=16, height=10, overrides=limit_lines("B"),
            ),
            stat(
                "Current humidity", "Last humidity of each sensor within 15 minutes.",
                [target(f"last_over_time({humidity}[15m])", "{{sensor}}", instant=True)],
                unit="humidity", thresholds=ascending(("blue", None)), width=8, height=10,
            ),
            stat(
                "Outside their zone's limits",
                "Sensors whose last temperature or humidity (15 minutes) lies outside "
                "their zone's current limits. The alarm engine decides whether that is "
                "an excursion (see the Alarms dashboard).",
                [target(f"count({outside_limits('temperature_c')} or "
                        f"{outside_limits('humidity_pct')})", "outside", instant=True)],
                unit="none", thresholds=ascending(("green", None), ("red", 1)),
                width=6, height=9, no_value="0",
            ),
            table(
                "Minimum and maximum over the range",
                "Lowest and highest value of each sensor in the selected time range. "
                "The hub's hourly statistics (GET /api/v1/zones/{code}/hourly) are the record.",
                [target(f"min_over_time({temperature}[$__range])", instant=True),
                 target(f"max_over_time({temperature}[$__range])", instant=True),
                 target(f"min_over_time({humidity}[$__range])", instant=True),
                 target(f"max_over_time({humidity}[$__range])", instant=True)],
                columns={"Value #A": "Temperature min", "Value #B": "Temperature max",
                         "Value #C": "Humidity min", "Value #D": "Humidity max"},
                unit="none", thresholds=ascending(("text", None)), width=18,
            ),
            table(
                "Last seen",
                "Time since each sensor's last message of any quality, and since its last "
                "usable temperature (looks back " + LAST_SEEN_WINDOW + "). GDP asks for a "
                "record at least every 30 minutes: orange after 10 minutes, red after 30.",
                [target(f"time() - tlast_over_time({quality}[{LAST_SEEN_WINDOW}])",
                        instant=True),
                 target(f"time() - tlast_over_time({temperature}[{LAST_SEEN_WINDOW}])",
                        instant=True)],
                columns={"Value #A": "Since last message", "Value #B": "Since last value"},
                unit="s", thresholds=SILENCE, width=12, sort_by="Since last message",
            ),
            stat(
                "Silent sensors",
                f"Sensors seen in the last {LAST_SEEN_WINDOW} but without any message for "
                f"{SILENT_AFTER_S // 60} minutes: check the sensor, its wiring and its gateway.",
                [target(f"count((time() - tlast_over_time({quality}[{LAST_SEEN_WINDOW}])) "
                        f"> {SILENT_AFTER_S})", "silent", instant=True)],
                unit="none", thresholds=ascending(("green", None), ("red", 1)),
                width=4, height=9, no_value="0",
            ),
            stat(
                "Bad readings",
                "Share of each sensor's readings in the range that came back bad (timeout, "
                "CRC, exception): these carry no value. A few percent hint at wiring or "
                "polling trouble.",
                [target(f"share_gt_over_time({quality}[$__range], 1.5)", "{{sensor}}",
                        instant=True)],
                unit="percentunit", thresholds=ascending(("green", None), ("orange", 0.01),
                                                         ("red", 0.05)),
                width=8, height=9,
            ),
            sql_table(
                "Gateways", "Each gateway's last status as the hub stored it (PostgreSQL): "
                "online or offline (its last will), when last heard, its outbox (readings "
                "waiting for the broker) and how many it had to drop when the outbox was full.",
                GATEWAYS, overrides=[color_by("Silent for", SILENCE, "s"),
                                     color_by("Dropped", ascending(("green", None),
                                                                   ("red", 1)))],
            ),
            sql_table(
                "Sensors", "Each sensor of the chosen zones as the hub's SQL knows it: last "
                "message, its quality and the last error; the oldest first.",
                SENSORS, overrides=[color_by("Silent for", SILENCE, "s")],
            ),
        ],
        time_from="now-24h",
    )
    board["annotations"]["list"] = [
        annotation("Excursions", "red", EXCURSIONS),
        annotation("Alarms", "orange", ALARMS),
    ]
    return board


def hub_health() -> Json:
    def rate(metric: str, by: str = "") -> str:
        grouping = f" by ({by})" if by else ""
        return f"sum{grouping}(rate({metric}{{{HUB}}}[$__rate_interval]))"

    def quantiles(histogram: str) -> list[Json]:
        return [target(f"histogram_quantile({q}, {rate(histogram + '_bucket', 'le')})",
                       f"p{round(q * 100)}") for q in (0.5, 0.99)]

    per_minute = "Per minute, averaged over Grafana's rate interval."
    return dashboard(
        "stockwarden-hub", "Stockwarden: hub health",
        "The hub's own metrics from its /metrics endpoint, scraped by vmagent or "
        "Prometheus (see dashboards/README.md).",
        [
            variable("job", "Job", "stockwarden_mqtt_connected"),
            variable("instance", "Hub", "stockwarden_mqtt_connected", 'job=~"$job"'),
        ],
        [
            stat(
                "Broker", "1 while the hub is connected to the MQTT broker.",
                [target(f"stockwarden_mqtt_connected{{{HUB}}}", "{{instance}}", instant=True)],
                unit="none", thresholds=ascending(("red", None), ("green", 1)),
                mappings=value_map((0, "disconnected", "red"), (1, "connected", "green")),
            ),
            stat(
                "Scraped", "Whether the scraper reached the hub's /metrics at its last try.",
                [target(f"up{{{HUB}}}", "{{instance}}", instant=True)],
                unit="none", thresholds=ascending(("red", None), ("green", 1)),
                mappings=value_map((0, "down", "red"), (1, "up", "green")),
            ),
            stat(
                "Spool", "Readings waiting on disk for the time-series store. Above zero "
                "while the store is away; they are written in order when it is back.",
                [target(f"sum(stockwarden_tsdb_spool_lines{{{HUB}}})", "spool", instant=True)],
                unit="none", thresholds=ascending(("green", None), ("orange", 1),
                                                  ("red", 10000)),
            ),
            stat(
                "Dead letters in range", "Messages refused in the selected range; the "
                "reasons are at GET /api/v1/dead-letters.",
                [target(f"sum(increase(stockwarden_ingest_dead_letters_total{{{HUB}}}"
                        "[$__range]))", "dead letters", instant=True)],
                unit="none", thresholds=ascending(("green", None), ("orange", 1)),
            ),
            timeseries(
                "Messages per second by kind", "MQTT messages received (telemetry, status ...).",
                [target(rate("stockwarden_ingest_messages_total", "kind"), "{{kind}}")],
                unit="cps",
            ),
            timeseries(
                "Readings per second: accepted and written",
                "Accepted: new, valid readings committed to SQL. Written: accepted by the "
                "time-series store. A lasting gap between them means the spool is growing.",
                [target(rate("stockwarden_ingest_readings_total"), "accepted"),
                 target(rate("stockwarden_tsdb_readings_written_total"), "written")],
                unit="cps",
            ),
            timeseries(
                "Refused, repeated and failed per minute",
                "Dead letters (refused input), duplicates (a (gateway, seq) seen before: "
                "redelivery or outbox replay, counted once) and failed store writes "
                "(retried). " + per_minute,
                [target(f"{rate('stockwarden_ingest_dead_letters_total')} * 60", "dead letters"),
                 target(f"{rate('stockwarden_ingest_duplicates_total')} * 60", "duplicates"),
                 target(f"{rate('stockwarden_tsdb_write_errors_total')} * 60",
                        "store write errors")],
                unit="short",
            ),
            timeseries(
                "Spool depth", "Readings waiting on disk for the time-series store, per hub.",
                [target(f"sum by (instance)(stockwarden_tsdb_spool_lines{{{HUB}}})",
                        "{{instance}}")],
                unit="short",
            ),
            timeseries(
                "Time-series write latency", "One write of a batch to the store, p50 and p99.",
                quantiles("stockwarden_tsdb_write_seconds"), unit="s",
            ),
            timeseries(
                "Ingest lag", "From a reading's own timestamp to its acceptance by the "
                "time-series store, p50 and p99. Grows with gateway outbox replay and store "
                "outages.",
                quantiles("stockwarden_ingest_lag_seconds"), unit="s",
            ),
            timeseries(
                "SQL batch commit", "Time to commit one ingest batch to SQL, p50 and p99.",
                quantiles("stockwarden_ingest_batch_seconds"), unit="s",
            ),
            timeseries(
                "Broker connection", "1 while connected to the broker, per hub.",
                [target(f"stockwarden_mqtt_connected{{{HUB}}}", "{{instance}}")],
                unit="none",
            ),
        ],
        time_from="now-6h",
    )


def render() -> dict[str, str]:
    """File name -> JSON text, exactly as written to dashboards/json/."""
    boards = {"storage-conditions.json": storage_conditions(), "hub-health.json": hub_health(),
              "inventory-expiry.json": inventory_and_expiry(), "alarms.json": alarms()}
    return {name: json.dumps(board, indent=2, ensure_ascii=False) + "\n"
            for name, board in boards.items()}


def main(argv: list[str]) -> int:
    files = render()
    if "--check" in argv:
        stale = [name for name, text in files.items()
                 if not (OUT_DIR / name).exists() or (OUT_DIR / name).read_text() != text]
        for name in stale:
            print(f"dashboards/json/{name} is stale: run python -m dashboards.build")
        return 1 if stale else 0
    OUT_DIR.mkdir(exist_ok=True)
    for name, text in files.items():
        (OUT_DIR / name).write_text(text)
        print(f"wrote dashboards/json/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
