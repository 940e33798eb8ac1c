"""Builds the Grafana dashboards under dashboards/json/ from one description.

The JSON files are what Grafana loads and they are committed; this script exists so
that the panels share one datasource reference, one label selector and one layout
rule instead of a hand-edited copy each. After a change:

    python -m dashboards.build           # rewrite dashboards/json/*.json
    python -m dashboards.build --check   # exit 1 if the committed files are stale

Series come from ingest/lineproto.py (`reading_<quantity>{site,gateway,sensor,zone}`,
`reading_quality`) and ingest/metrics.py (`stockwarden_*`, scraped from the hub's
/metrics, so they carry the scraper's `job` and `instance` labels).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

Json = dict[str, Any]

OUT_DIR = Path(__file__).resolve().parent / "json"
SCHEMA_VERSION = 39
# Must equal the uid in provisioning/datasources/stockwarden.yaml (a test checks it):
# a uid survives renaming the datasource, a name does not.
DATASOURCE: Json = {"type": "prometheus", "uid": "stockwarden-vm"}
TAG = "stockwarden"

READINGS = 'zone=~"$zone",sensor=~"$sensor"'
HUB = 'job=~"$job",instance=~"$instance"'
# How far back "last seen" looks. Longer than any outage someone must still be told
# about, short enough to stay cheap; a sensor silent for longer drops off the table.
LAST_SEEN_WINDOW = "7d"
SILENT_AFTER_S = 600

# The PostgreSQL datasource (provisioning/datasources/stockwarden.yaml): the hub's
# own records (zones, stock, alarms, excursions, gateway status). Grafana 10.3+ names
# its built-in PostgreSQL plugin `grafana-postgresql-datasource`.
PG: Json = {"type": "grafana-postgresql-datasource", "uid": "stockwarden-pg"}
# A zone's limits, written by the hub every minute (ingest/zone_limits.py).
LIMITS = "zone_limits_value"
# The zone variable as a PostgreSQL regular expression: "(a|b)", or ".*" for All.
ZONE_SQL = "'^${zone:regex}$'"


def sql(query: str, *, kind: str = "table", ref: str = "A") -> Json:
    """A raw SQL query against the hub's PostgreSQL, with Grafana's macros
    ($__timeFilter(col), $__timeFrom(), $__timeTo())."""
    return {"refId": ref, "datasource": PG, "editorMode": "code", "rawQuery": True,
            "format": kind, "rawSql": " ".join(query.split())}


def target(expr: str, legend: str = "", *, instant: bool = False, ref: str = "A") -> Json:
    return {
        "refId": ref,
        "datasource": DATASOURCE,
        "editorMode": "code",
        "expr": expr,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "instant": instant,
    }


def ascending(*steps: tuple[str, float | None]) -> Json:
    return {
        "mode": "absolute",
        "steps": [{"color": color, "value": value} for color, value in steps],
    }


def refs(targets: list[Json]) -> list[Json]:
    """Gives the targets of one panel the refIds A, B, C ... in order."""
    return [{**t, "refId": chr(ord("A") + i)} for i, t in enumerate(targets)]


def panel(kind: str, title: str, description: str, targets: list[Json], *,
          width: int, height: int, defaults: Json | None = None,
          options: Json | None = None, transformations: list[Json] | None = None,
          overrides: list[Json] | None = None) -> Json:
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": targets[0]["datasource"],
        "targets": refs(targets),
        "fieldConfig": {"defaults": defaults or {}, "overrides": overrides or []},
        "options": options or {},
        **({"transformations": transformations} if transformations else {}),
        "gridPos": {"w": width, "h": height},
    }


def timeseries(title: str, description: str, targets: list[Json], *, unit: str,
               thresholds: Json | None = None, width: int = 12, height: int = 9,
               overrides: list[Json] | None = None) -> Json:
    custom: Json = {"lineWidth": 1, "fillOpacity": 0, "showPoints": "never"}
    defaults: Json = {"unit": unit, "color": {"mode": "palette-classic"}, "custom": custom}
    if thresholds:
        defaults["thresholds"] = thresholds
        custom["thresholdsStyle"] = {"mode": "line+area"}
    return panel(
        "timeseries", title, description, targets, width=width, height=height,
        defaults=defaults, overrides=overrides,
        options={
            "legend": {"displayMode": "table", "placement": "bottom",
                       "calcs": ["min", "max", "lastNotNull"]},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
    )


def stat(title: str, description: str, targets: list[Json], *, unit: str,
         thresholds: Json, mappings: list[Json] | None = None,
         width: int = 6, height: int = 5, no_value: str | None = None) -> Json:
    # `no_value` rather than `or vector(0)` in the query: an empty answer then still
    # means "nothing matched", and a misspelled query cannot pass for a zero.
    defaults: Json = {"unit": unit, "thresholds": thresholds, "mappings": mappings or [],
                      "color": {"mode": "thresholds"}}
    if no_value is not None:
        defaults["noValue"] = no_value
    return panel(
        "stat", title, description, targets, width=width, height=height,
        defaults=defaults,
        options={
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "background", "graphMode": "none", "textMode": "value_and_name",
            "orientation": "auto", "justifyMode": "auto",
        },
    )


def table(title: str, description: str, targets: list[Json], *, columns: dict[str, str],
          unit: str, thresholds: Json, width: int = 12, height: int = 9,
          sort_by: str | None = None) -> Json:
    """One row per sensor: instant queries merged on their labels, `columns` renames
    the value columns ("Value #A" ...) and drops the labels nobody needs here."""
    hidden = {"Time": True, "__name__": True, "site": True, "job": True}
    return panel(
        "table", title, description,
        # One row per series with its labels as columns, instead of one frame each.
        [{**t, "format": "table"} for t in targets], width=width, height=height,
        defaults={"unit": unit, "thresholds": thresholds, "decimals": 1,
                  "custom": {"cellOptions": {"type": "color-text"}}},
        options={"showHeader": True,
                 "sortBy": [{"displayName": sort_by, "desc": True}] if sort_by else []},
        transformations=[
            {"id": "merge", "options": {}},
            {"id": "organize", "options": {"excludeByName": hidden, "renameByName": columns}},
        ],
    )


def value_map(*states: tuple[int, str, str]) -> list[Json]:
    return [{"type": "value", "options": {
        str(value): {"text": text, "color": color, "index": i}
        for i, (value, text, color) in enumerate(states)}}]


def variable(name: str, label: str, metric: str, selector: str = "") -> Json:
    query = f"label_values({metric}{{{selector}}}, {name})" if selector else \
        f"label_values({metric}, {name})"
    return {
        "name": name, "label": label, "type": "query", "datasource": DATASOURCE,
        "query": query, "definition": query,
        # Refresh on time range change: sensors come and go.
        "refresh": 2, "sort": 1, "multi": True, "includeAll": True,
        # ".*" instead of a list of every value keeps the query short with many sensors.
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "hide": 0, "regex": "", "options": [], "skipUrlSync": False,
    }


def layout(panels: list[Json]) -> list[Json]:
    """Numbers the panels and places them left to right in rows 24 units wide."""
    x = y = row_height = 0
    placed = []
    for number, item in enumerate(panels, start=1):
        w, h = item["gridPos"]["w"], item["gridPos"]["h"]
        if x + w > 24:
            x, y, row_height = 0, y + row_height, 0
        placed.append({**item, "id": number, "gridPos": {"x": x, "y": y, "w": w, "h": h}})
        x, row_height = x + w, max(row_height, h)
    return placed


def dashboard(uid: str, title: str, description: str, variables: list[Json],
              panels: list[Json], *, time_from: str) -> Json:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": [TAG],
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "timezone": "",
        "time": {"from": time_from, "to": "now"},
        "refresh": "1m",
        "annotations": {"list": []},
        "links": [{"title": "Stockwarden", "type": "dashboards", "tags": [TAG],
                   "asDropdown": True, "includeVars": False, "keepTime": True}],
        "templating": {"list": variables},
        "panels": layout(panels),
    }


def limit_lines(ref: str) -> list[Json]:
    """The limits drawn as dashed red lines, not as readings."""
    return [{"matcher": {"id": "byFrameRefID", "options": ref}, "properties": [
        {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}},
        {"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
        {"id": "custom.lineWidth", "value": 2},
    ]}]


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


def sql_table(title: str, description: str, query: str, *, width: int = 12,
              height: int = 8, defaults: Json | None = None,
              overrides: list[Json] | None = None) -> Json:
    return panel("table", title, description, [sql(query)], width=width, height=height,
                 defaults=defaults or {"custom": {"cellOptions": {"type": "auto"}}},
                 options={"showHeader": True}, overrides=overrides)


def sql_stat(title: str, description: str, query: str, *, thresholds: Json,
             unit: str = "none", width: int = 6, height: int = 5) -> Json:
    return panel(
        "stat", title, description, [sql(query)], width=width, height=height,
        defaults={"unit": unit, "thresholds": thresholds, "color": {"mode": "thresholds"}},
        options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                 "colorMode": "background", "graphMode": "none", "textMode": "value_and_name",
                 "orientation": "auto", "justifyMode": "auto"},
    )


def color_by(column: str, thresholds: Json, unit: str = "none") -> Json:
    return {"matcher": {"id": "byName", "options": column}, "properties": [
        {"id": "unit", "value": unit}, {"id": "thresholds", "value": thresholds},
        {"id": "custom.cellOptions", "value": {"type": "color-background"}}]}


def annotation(name: str, color: str, query: str) -> Json:
    """An annotation from the hub's PostgreSQL: columns time, timeend, text, tags."""
    return {"name": name, "datasource": PG, "enable": True, "hide": False,
            "iconColor": color, "target": sql(query, ref="Anno")}


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


# Stock on hand per lot, with its item and the zone of each bin.
ON_HAND = """
FROM balances b JOIN lots lo ON lo.id = b.lot_id JOIN items i ON i.id = b.item_id
  JOIN locations l ON l.id = b.location_id JOIN zones z ON z.id = l.zone_id
WHERE b.quantity > 0
"""
ITEM_STOCK = """
SELECT i.sku AS "Item", i.name AS "Name", COALESCE(SUM(b.quantity), 0) AS "On hand",
  i.min_stock AS "Minimum", i.max_stock AS "Maximum"
FROM items i LEFT JOIN balances b ON b.item_id = i.id
GROUP BY i.id, i.sku, i.name, i.min_stock, i.max_stock
"""


def expiring(days: int) -> str:
    return f"""
SELECT i.sku AS "Item", lo.lot_number AS "Lot", lo.expiry AS "Expiry",
  lo.expiry - CURRENT_DATE AS "Days left", lo.qc_status AS "Status",
  string_agg(DISTINCT z.code, ', ') AS "Zones", SUM(b.quantity) AS "On hand"
{ON_HAND} AND lo.expiry < CURRENT_DATE + {days}
GROUP BY i.sku, lo.lot_number, lo.expiry, lo.qc_status ORDER BY lo.expiry, i.sku, lo.lot_number
"""


def count_expiring(days: int) -> str:
    return f"""SELECT COUNT(DISTINCT lo.id) AS "Lots" {ON_HAND}
AND lo.expiry < CURRENT_DATE + {days}"""


DAYS_LEFT = ascending(("red", None), ("orange", 0), ("yellow", 30), ("green", 90))


def inventory_and_expiry() -> Json:
    count_colours = ascending(("green", None), ("orange", 1))
    return dashboard(
        "stockwarden-inventory", "Stockwarden: inventory and expiry",
        "Stock by zone, lots near expiry, lots on hold and items outside their stock "
        "levels, from the hub's PostgreSQL (the same records as GET /api/v1/stock and "
        "/api/v1/reports/expiry). Lots already expired count as expiring (days left below 0).",
        [],
        [
            sql_stat("Lots expiring within 30 days", "Lots in stock whose expiry is "
                     "less than 30 days away, or past.", count_expiring(30),
                     thresholds=ascending(("green", None), ("red", 1))),
            sql_stat("Lots expiring within 90 days", "Lots in stock whose expiry is "
                     "less than 90 days away, or past.", count_expiring(90),
                     thresholds=count_colours),
            sql_stat("Lots on hold", "Lots in stock with quality status on hold "
                     "(an excursion, a complaint): not to be picked.",
                     f"""SELECT COUNT(DISTINCT lo.id) AS "Lots" {ON_HAND}
                     AND lo.qc_status = 'on_hold'""", thresholds=count_colours),
            sql_stat("Items below minimum", "Items whose stock on hand is below their "
                     "minimum stock level.",
                     f"""SELECT COUNT(*) AS "Items" FROM ({ITEM_STOCK}
                     HAVING COALESCE(SUM(b.quantity), 0) < i.min_stock) below""",
                     thresholds=ascending(("green", None), ("red", 1))),
            panel("barchart", "Stock by zone", "Units on hand per zone, and how many of "
                  "them are held (returns, stocktake or quality hold).",
                  [sql("""SELECT z.code AS "Zone", SUM(b.quantity) AS "On hand",
                       SUM(b.held) AS "Held" """ + ON_HAND
                       + """GROUP BY z.code ORDER BY z.code""")],
                  width=12, height=9, defaults={"unit": "none"},
                  options={"orientation": "horizontal", "xField": "Zone",
                           "legend": {"displayMode": "list", "placement": "bottom"}}),
            sql_table("Held lots", "Each lot on hold with its reason and where it lies.",
                      """SELECT i.sku AS "Item", lo.lot_number AS "Lot",
                      lo.qc_reason AS "Reason", lo.expiry AS "Expiry",
                      string_agg(DISTINCT z.code, ', ') AS "Zones",
                      SUM(b.quantity) AS "On hand" """ + ON_HAND
                      + """AND lo.qc_status = 'on_hold'
                      GROUP BY i.sku, lo.lot_number, lo.qc_reason, lo.expiry
                      ORDER BY i.sku, lo.lot_number""", height=9),
            sql_table("Expiring within 30 days", "Lots in stock expiring within 30 days "
                      "(or expired), the soonest first.", expiring(30),
                      overrides=[color_by("Days left", DAYS_LEFT)]),
            sql_table("Expiring within 90 days", "Lots in stock expiring within 90 days "
                      "(or expired), the soonest first.", expiring(90),
                      overrides=[color_by("Days left", DAYS_LEFT)]),
            sql_table("Items to reorder", "Items to reorder: stock on hand below the "
                      "item's minimum.", f"""{ITEM_STOCK}
                      HAVING COALESCE(SUM(b.quantity), 0) < i.min_stock ORDER BY i.sku"""),
            sql_table("Items above maximum", "Overstock: stock on hand above the item's "
                      "maximum.", f"""{ITEM_STOCK}
                      HAVING COALESCE(SUM(b.quantity), 0) > i.max_stock ORDER BY i.sku"""),
        ],
        time_from="now-24h",
    )


OPEN_ALARMS = """
SELECT raised_at AS "Raised", severity AS "Severity", state AS "State", rule AS "Rule",
  subject AS "Subject", zone AS "Zone", message AS "Message", acked_by AS "Acknowledged by",
  EXTRACT(EPOCH FROM now() - raised_at) AS "Open for"
FROM alarms WHERE state <> 'closed' ORDER BY raised_at DESC
"""


def alarms() -> Json:
    counted = ascending(("green", None), ("red", 1))
    return dashboard(
        "stockwarden-alarms", "Stockwarden: alarms",
        "The alarm engine's records in the hub's PostgreSQL: open alarms, acknowledgement, "
        "time to acknowledge and failed notifications (GET /api/v1/alarms is the same).",
        [],
        [
            sql_stat("Active, not acknowledged", "Open alarms nobody has acknowledged yet.",
                     """SELECT COUNT(*) AS "Alarms" FROM alarms WHERE state = 'active'""",
                     thresholds=counted),
            sql_stat("Acknowledged", "Open alarms acknowledged but not yet cleared.",
                     """SELECT COUNT(*) AS "Alarms" FROM alarms WHERE state = 'acknowledged'""",
                     thresholds=ascending(("green", None), ("orange", 1))),
            sql_stat("Mean time to acknowledge", "From raising to acknowledgement, over "
                     "the alarms raised in the range that were acknowledged.",
                     """SELECT AVG(EXTRACT(EPOCH FROM acked_at - raised_at)) AS "Mean"
                     FROM alarms WHERE acked_at IS NOT NULL AND $__timeFilter(raised_at)""",
                     unit="s", thresholds=ascending(("green", None), ("orange", 900),
                                                    ("red", 3600))),
            sql_stat("Notifications failed", "Notifications in the range that could not "
                     "be delivered after every retry: check the routes' URLs.",
                     """SELECT COUNT(*) AS "Failed" FROM alarm_notifications
                     WHERE status = 'failed' AND $__timeFilter(at)""", thresholds=counted),
            sql_table("Open alarms", "Active, acknowledged and cleared-but-unacknowledged "
                      "alarms, the newest first.", OPEN_ALARMS, width=24,
                      overrides=[{"matcher": {"id": "byName", "options": "Open for"},
                                  "properties": [{"id": "unit", "value": "s"}]}]),
            sql_table("Time to acknowledge", "Each alarm raised in the range and "
                      "acknowledged: by whom and how long it took.",
                      """SELECT raised_at AS "Raised", rule AS "Rule", subject AS "Subject",
                      acked_by AS "Acknowledged by",
                      EXTRACT(EPOCH FROM acked_at - raised_at) AS "Time to acknowledge"
                      FROM alarms WHERE acked_at IS NOT NULL AND $__timeFilter(raised_at)
                      ORDER BY raised_at DESC""",
                      overrides=[{"matcher": {"id": "byName", "options": "Time to acknowledge"},
                                  "properties": [{"id": "unit", "value": "s"}]}]),
            sql_table("Failed notifications", "Each notification that failed in the "
                      "range, with the error the notifier reported.",
                      """SELECT at AS "At", route AS "Route", "group" AS "Group",
                      target AS "Target", title AS "Title", attempts AS "Attempts",
                      error AS "Error" FROM alarm_notifications
                      WHERE status = 'failed' AND $__timeFilter(at) ORDER BY at DESC"""),
        ],
        time_from="now-7d",
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
