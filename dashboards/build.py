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

# Default bands: the cold chain (2-8 °C) and the usual humidity class (35-75 %RH).
# Grafana thresholds cannot follow a variable, so the band is fixed per panel; the
# hub holds each zone's real storage class and raises the alarms from it.
COLD_CHAIN_C = (2.0, 8.0)
HUMIDITY_PCT = (35.0, 75.0)

STORAGE_CLASS_NOTE = (
    "The shaded band is the {band} class. The exact limits of a zone come from its "
    "storage class in the hub (GET /api/v1/zones), which also raises the excursion "
    "alarms; for a zone of another class (e.g. 15-25 °C) read the band as a guide only."
)


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


def band(low: float, high: float) -> Json:
    return {
        "mode": "absolute",
        "steps": [
            {"color": "red", "value": None},
            {"color": "green", "value": low},
            {"color": "red", "value": high},
        ],
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
          options: Json | None = None, transformations: list[Json] | None = None) -> Json:
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": refs(targets),
        "fieldConfig": {"defaults": defaults or {}, "overrides": []},
        "options": options or {},
        **({"transformations": transformations} if transformations else {}),
        "gridPos": {"w": width, "h": height},
    }


def timeseries(title: str, description: str, targets: list[Json], *, unit: str,
               thresholds: Json | None = None, width: int = 12, height: int = 9) -> Json:
    custom: Json = {"lineWidth": 1, "fillOpacity": 0, "showPoints": "never"}
    defaults: Json = {"unit": unit, "color": {"mode": "palette-classic"}, "custom": custom}
    if thresholds:
        defaults["thresholds"] = thresholds
        custom["thresholdsStyle"] = {"mode": "line+area"}
    return panel(
        "timeseries", title, description, targets, width=width, height=height,
        defaults=defaults,
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


def storage_conditions() -> Json:
    temperature = f"reading_temperature_c{{{READINGS}}}"
    humidity = f"reading_humidity_pct{{{READINGS}}}"
    quality = f"reading_quality{{{READINGS}}}"
    cold = "2-8 °C cold-chain"
    return dashboard(
        "stockwarden-conditions", "Stockwarden: storage conditions",
        "Temperature and humidity per sensor and zone, from the hub's time-series store. "
        "The compliance record (excursions, hourly statistics, mean kinetic temperature) "
        "is kept by the hub in SQL; this dashboard is for watching.",
        [
            variable("zone", "Zone", "reading_temperature_c"),
            variable("sensor", "Sensor", "reading_temperature_c", 'zone=~"$zone"'),
        ],
        [
            timeseries(
                "Temperature", "Good and uncertain temperature readings per sensor. "
                + STORAGE_CLASS_NOTE.format(band=cold),
                [target(temperature, "{{zone}} / {{sensor}}")],
                unit="celsius", thresholds=band(*COLD_CHAIN_C), width=16, height=10,
            ),
            stat(
                "Current temperature", "Last temperature of each sensor within 15 minutes; "
                "a sensor without one is listed under Last seen. "
                + STORAGE_CLASS_NOTE.format(band=cold),
                [target(f"last_over_time({temperature}[15m])", "{{sensor}}", instant=True)],
                unit="celsius", thresholds=band(*COLD_CHAIN_C), width=8, height=10,
            ),
            timeseries(
                "Relative humidity", "Humidity readings per sensor. "
                + STORAGE_CLASS_NOTE.format(band="35-75 %RH"),
                [target(humidity, "{{zone}} / {{sensor}}")],
                unit="humidity", thresholds=band(*HUMIDITY_PCT), width=16, height=10,
            ),
            stat(
                "Current humidity", "Last humidity of each sensor within 15 minutes. "
                + STORAGE_CLASS_NOTE.format(band="35-75 %RH"),
                [target(f"last_over_time({humidity}[15m])", "{{sensor}}", instant=True)],
                unit="humidity", thresholds=band(*HUMIDITY_PCT), width=8, height=10,
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
                unit="none", thresholds=ascending(("text", None)), width=12,
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
                unit="s", thresholds=ascending(("green", None), ("orange", SILENT_AFTER_S),
                                               ("red", 1800)),
                width=12, sort_by="Since last message",
            ),
            stat(
                "Silent sensors",
                f"Sensors seen in the last {LAST_SEEN_WINDOW} but without any message for "
                f"{SILENT_AFTER_S // 60} minutes: check the sensor, its wiring and its gateway.",
                [target(f"count((time() - tlast_over_time({quality}[{LAST_SEEN_WINDOW}])) "
                        f"> {SILENT_AFTER_S})", "silent", instant=True)],
                unit="none", thresholds=ascending(("green", None), ("red", 1)),
                width=6, height=9, no_value="0",
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
                width=18, height=9,
            ),
        ],
        time_from="now-24h",
    )


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
    boards = {"storage-conditions.json": storage_conditions(), "hub-health.json": hub_health()}
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
