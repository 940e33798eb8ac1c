"""The building blocks of the dashboards: datasource references, targets (PromQL
and SQL), panels of each kind, variables, annotations and the grid layout."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

SCHEMA_VERSION = 39
# Must equal the uids in provisioning/datasources/stockwarden.yaml (a test checks it):
# a uid survives renaming the datasource, a name does not.
DATASOURCE: Json = {"type": "prometheus", "uid": "stockwarden-vm"}
# The PostgreSQL datasource: the hub's own records (zones, stock, alarms, excursions,
# gateway status). Grafana 10.3+ names its built-in PostgreSQL plugin so.
PG: Json = {"type": "grafana-postgresql-datasource", "uid": "stockwarden-pg"}
TAG = "stockwarden"


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
