"""The Grafana provisioning and dashboards, checked as Grafana would use them.

Grafana itself is not available here, so the test does what Grafana does with these
files: it reads the provisioning YAML, expands the datasource URL from the
environment, resolves the template variables with label-values queries and runs
every panel query against a real VictoriaMetrics holding readings written exactly
as the hub writes them and the hub's own metrics as a scraper stores them.
"""

from __future__ import annotations

import json
import re
import string
import subprocess
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest

from contract.wire import Quality, Reading
from dashboards import build
from ingest.lineproto import reading_line, zone_limit_line
from ingest.metrics import IngestMetrics
from tests.support.processes import find_binary
from tests.support.services import VictoriaMetrics

Json = dict[str, Any]

ROOT = Path(__file__).resolve().parents[2] / "dashboards"
DATASOURCES = ROOT / "provisioning" / "datasources" / "stockwarden.yaml"
PROVIDERS = ROOT / "provisioning" / "dashboards" / "stockwarden.yaml"
BOARD_FILES = sorted((ROOT / "json").glob("*.json"))

# What Grafana puts in for its own variables: a 1 h range, 30 s steps and the
# $__rate_interval it derives from the datasource's 15 s scrape interval.
RANGE_S, STEP_S = 3600, 30
BUILTINS = {"__rate_interval": "1m", "__interval": "30s", "__range": "1h"}
# The job name of dashboards/scrape/stockwarden-hub.yaml, which a scrape gives the series.
HUB_JOB = "stockwarden-hub"
# The "silent" sensor's readings end this long before the others'.
SILENT_FOR = timedelta(minutes=20)
METRIC_NAME = re.compile(r"\b(?:reading|stockwarden|zone_limits)_[a-z0-9_]+\b")


def load_yaml(path: Path) -> Json:
    return yaml.safe_load(path.read_text())


def boards() -> dict[str, Json]:
    return {path.name: json.loads(path.read_text()) for path in BOARD_FILES}


def datasource(uid: str = build.DATASOURCE["uid"]) -> Json:
    (source,) = [s for s in load_yaml(DATASOURCES)["datasources"] if s["uid"] == uid]
    return source


def vm_targets(item: Json) -> list[Json]:
    """The panel's VictoriaMetrics targets (PostgreSQL ones: test_dashboards_sql.py)."""
    return [t for t in item["targets"] if t["datasource"]["uid"] == build.DATASOURCE["uid"]]


VM_BOARDS = [path.name for path in BOARD_FILES
             if any(vm_targets(p) for p in json.loads(path.read_text())["panels"])]


def panel(board: Json, title: str) -> Json:
    (found,) = [p for p in board["panels"] if p["title"] == title]
    return found


def grafana_escape(value: str) -> str:
    """One value of a multi-value variable as Grafana's Prometheus datasource puts it
    in a regex matcher (its prometheusSpecialRegexEscape): metacharacters escaped for
    the regex *inside* a PromQL string literal, hence two backslashes. re.escape
    would also escape "-", which PromQL's string syntax refuses."""
    return re.sub(r"[$^*{}\[\]'+?.()|]", lambda m: "\\\\" + m[0],
                  value.replace("\\", "\\\\\\\\"))


def substitute(text: str, values: dict[str, str]) -> str:
    # Longest names first, so that $__rate_interval is not read as $__range + "te...".
    for name in sorted(values, key=len, reverse=True):
        text = text.replace(f"${name}", values[name])
    return text


# --- the files as Grafana reads them ---------------------------------------------


def test_datasource_provisioning_has_what_grafana_requires() -> None:
    config = load_yaml(DATASOURCES)
    assert config["apiVersion"] == 1
    source = datasource()
    assert source["name"] == "Stockwarden VictoriaMetrics"
    assert source["type"] == "prometheus"
    assert source["access"] == "proxy"
    assert source["uid"] == build.DATASOURCE["uid"]
    # Grafana runs this through os.ExpandEnv: plain ${VAR}, no default syntax.
    assert source["url"] == "${STOCKWARDEN_VM_URL}"


def test_postgres_datasource_provisioning_has_what_grafana_requires() -> None:
    source = datasource(build.PG["uid"])
    assert source["name"] == "Stockwarden PostgreSQL"
    # Grafana 10.3+ (the compose file runs 11.3) calls its built-in plugin so.
    assert source["type"] == build.PG["type"] == "grafana-postgresql-datasource"
    assert source["access"] == "proxy"
    assert source["url"] == "${STOCKWARDEN_PG_HOST}"
    assert source["user"] == "${STOCKWARDEN_PG_USER}"
    assert source["jsonData"]["database"] == "${STOCKWARDEN_PG_DATABASE}"
    assert source["jsonData"]["sslmode"] in {"disable", "require", "verify-ca", "verify-full"}
    # A password belongs in secureJsonData (stored encrypted), never in jsonData.
    assert source["secureJsonData"] == {"password": "${STOCKWARDEN_PG_PASSWORD}"}
    names = [s["name"] for s in load_yaml(DATASOURCES)["datasources"]]
    uids = [s["uid"] for s in load_yaml(DATASOURCES)["datasources"]]
    assert len(set(names)) == len(names) and len(set(uids)) == len(uids)


def test_dashboard_provider_points_grafana_at_the_json_folder() -> None:
    config = load_yaml(PROVIDERS)
    assert config["apiVersion"] == 1
    (provider,) = config["providers"]
    assert provider["type"] == "file"
    assert provider["name"] and provider["folder"] == "Stockwarden"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards/stockwarden"
    assert "/var/lib/grafana/dashboards/stockwarden" in (ROOT / "README.md").read_text()


def test_scrape_config_is_one_victoria_metrics_accepts() -> None:
    config = ROOT / "scrape" / "stockwarden-hub.yaml"
    (job,) = load_yaml(config)["scrape_configs"]
    assert job["job_name"] == HUB_JOB
    binary = find_binary("victoria-metrics", "/usr/bin/victoria-metrics")
    checked = subprocess.run(
        [binary, f"-promscrape.config={config}", "-promscrape.config.dryRun"],
        capture_output=True, text=True, timeout=30,
    )
    assert checked.returncode == 0, checked.stderr


def test_committed_dashboards_are_what_build_writes() -> None:
    assert {path.name: path.read_text() for path in BOARD_FILES} == build.render()


def test_dashboards_are_well_formed() -> None:
    sources = {s["uid"] for s in load_yaml(DATASOURCES)["datasources"]}
    loaded = boards()
    assert {"storage-conditions.json", "hub-health.json", "inventory-expiry.json",
            "alarms.json"} <= loaded.keys()
    uids = [board["uid"] for board in loaded.values()]
    assert len(set(uids)) == len(uids)
    assert {"stockwarden-conditions", "stockwarden-hub", "stockwarden-inventory",
            "stockwarden-alarms"} <= set(uids)
    for name, board in loaded.items():
        assert board["title"], name
        assert board["schemaVersion"] >= 36, name
        ids = [p["id"] for p in board["panels"]]
        assert all(isinstance(i, int) for i in ids) and len(set(ids)) == len(ids), name
        titles = [p["title"] for p in board["panels"]]
        assert len(set(titles)) == len(titles), name
        for item in [*board["panels"], *board["templating"]["list"],
                     *board["annotations"]["list"]]:
            assert item["datasource"]["uid"] in sources, (name, item.get("title", item["name"]))
        for annotation in board["annotations"]["list"]:
            assert annotation["target"]["rawSql"] and annotation["enable"], name
        for p in board["panels"]:
            assert p["title"] and p["description"] and p["targets"], (name, p["id"])
            assert p["gridPos"]["x"] + p["gridPos"]["w"] <= 24, (name, p["title"])
            for t in p["targets"]:
                # A panel's targets ask its own datasource: a query (PromQL) or raw SQL.
                assert t["datasource"] == p["datasource"], (name, p["title"])
                assert t.get("expr") or t.get("rawSql"), (name, p["title"])


# --- the queries against a real VictoriaMetrics ----------------------------------


@dataclass
class Warehouse:
    """What was written, and how to ask VictoriaMetrics the way Grafana would."""

    url: str
    now: float
    zone: str
    sensors: dict[str, str]  # role -> sensor id, e.g. "steady" -> "steady-ab12cd"
    other_zone: str
    hub: dict[str, str]  # job, instance
    written: dict[str, list[float]] = field(default_factory=dict)

    @cached_property
    def metric_names(self) -> set[str]:
        return set(self.get("/api/v1/label/__name__/values", {})["data"])

    def get(self, path: str, params: dict[str, str | float]) -> Json:
        response = httpx.get(f"{self.url}{path}", params=params, timeout=30)
        body = response.json()
        assert body["status"] == "success", f"{path} {params}: {body}"
        return body

    def variable(self, var: Json, values: dict[str, str]) -> list[str]:
        """A `label_values(selector, label)` variable, resolved as Grafana does."""
        match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", var["query"])
        assert match, var["query"]
        selector, label = substitute(match[1], values), match[2]
        body = self.get(f"/api/v1/label/{label}/values",
                        {"match[]": selector, "start": self.now - RANGE_S, "end": self.now})
        return body["data"]

    def selection(self, board: Json, choose: dict[str, list[str]] | None) -> dict[str, str]:
        """Values for the board's variables: "All" when `choose` is None, else the
        chosen values, each checked to be offered by its variable query first."""
        values = dict(BUILTINS)
        for var in board["templating"]["list"]:
            if choose is None:
                values[var["name"]] = var["allValue"]
                continue
            picked = choose[var["name"]]
            assert set(picked) <= set(self.variable(var, values)), var["name"]
            escaped = [grafana_escape(value) for value in picked]
            values[var["name"]] = escaped[0] if len(escaped) == 1 else f"({'|'.join(escaped)})"
        return values

    def run(self, target: Json, values: dict[str, str]) -> list[Json]:
        expr = substitute(target["expr"], values)
        assert "$" not in expr, f"unknown variable in {expr}"
        if target["instant"]:
            body = self.get("/api/v1/query", {"query": expr, "time": self.now})
        else:
            # Grafana aligns a range query to its step, the end rounded up.
            start, end = self.now - RANGE_S, -(-self.now // STEP_S) * STEP_S
            body = self.get("/api/v1/query_range", {
                "query": expr, "start": start - start % STEP_S, "end": end, "step": STEP_S})
        return body["data"]["result"]

    def points(self, board: Json, title: str, values: dict[str, str],
               ref: str = "A", by: str = "sensor") -> dict[str, list[float]]:
        """What a panel shows per series (named by label `by`): a graph's points, or
        the one value of an instant query."""
        (target,) = [t for t in panel(board, title)["targets"] if t["refId"] == ref]
        return {
            series["metric"].get(by, ""): [
                float(v) for _, v in series.get("values", [series.get("value")])]
            for series in self.run(target, values)
        }

    def last(self, board: Json, title: str, values: dict[str, str],
             ref: str = "A", by: str = "sensor") -> dict[str, float]:
        return {name: shown[-1]
                for name, shown in self.points(board, title, values, ref, by).items()}


def hub_samples(start: datetime, steps: int, every: timedelta) -> str:
    """The hub's /metrics as a scraper would have stored it: the hub's own metric
    definitions, rendered by prometheus_client at each scrape, with the timestamps."""
    registry = CollectorRegistry()
    metrics = IngestMetrics(registry)
    lines = []
    for step in range(steps):
        metrics.mqtt_connected.set(1)
        metrics.messages.labels(kind="telemetry").inc(5)
        metrics.messages.labels(kind="status").inc(1)
        metrics.readings.inc(50)
        metrics.readings_written.inc(50)
        metrics.dead_letters.inc(1 if step % 10 == 0 else 0)
        metrics.duplicates.inc(1 if step % 5 == 0 else 0)
        metrics.write_errors.inc(1 if step % 20 == 0 else 0)
        metrics.sensors_registered.inc(0)
        metrics.spool_lines.set(7 if step == steps - 1 else 0)
        metrics.write_seconds.observe(0.02)
        metrics.lag_seconds.observe(0.4)
        metrics.batch_seconds.observe(0.008)
        millis = int((start + step * every).timestamp() * 1000)
        exposition = generate_latest(registry).decode() + "up 1\n"  # `up` is the scraper's
        lines += [f"{line} {millis}" for line in exposition.splitlines()
                  if line and not line.startswith("#")]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def warehouse(victoria: VictoriaMetrics) -> Warehouse:
    # The session's VictoriaMetrics is shared with other tests: own names keep this
    # test's zone, sensors and hub apart from theirs.
    token = uuid.uuid4().hex[:6]
    now = datetime.now(UTC).replace(microsecond=0)
    sensors = {role: f"{role}-{token}" for role in ("steady", "flaky", "silent", "crt", "new")}
    house = Warehouse(
        url=string.Template(datasource()["url"]).substitute(STOCKWARDEN_VM_URL=victoria.url),
        now=now.timestamp(), zone=f"cold-room-{token}", sensors=sensors,
        other_zone=f"crt-{token}",
        hub={"job": HUB_JOB, "instance": f"hub-{token}.local:8080"},
    )
    zone_of = {"steady": house.zone, "flaky": house.zone, "silent": house.zone,
               "crt": house.other_zone, "new": "unassigned"}
    base = {"steady": 4.0, "flaky": 5.0, "silent": 3.5, "crt": 20.0, "new": 22.0}
    lines = []
    for i in range(30):  # a reading every 30 s for the last 15 minutes
        ts = now - timedelta(seconds=5 + 30 * (29 - i))
        for role, sensor in sensors.items():
            bad = role == "flaky" and i >= 27  # its last three polls timed out
            value = round(base[role] + (0.1 * i if role == "steady" else 0.0), 1)
            reading = Reading(
                sensor=sensor, ts=ts - SILENT_FOR if role == "silent" else ts,
                quantities={} if bad else {"temperature_c": value, "humidity_pct": 50.0 + i},
                quality=Quality.BAD if bad else Quality.GOOD, error="timeout" if bad else None,
            )
            lines.append(reading_line(reading, site="main", gateway=f"gw-{token}",
                                      zone=zone_of[role]))
            if not bad:
                house.written.setdefault(sensor, []).append(value)
    # The zones' limits as the hub samples them every minute (ingest/zone_limits.py):
    # the cold room's upper limit was lowered from 8 to 6 °C half an hour ago.
    for minute in range(61):
        millis = int((now - timedelta(minutes=60 - minute)).timestamp()) // 60 * 60_000
        for zone, temperature in ((house.zone, (2.0, 8.0 if minute < 30 else 6.0)),
                                  (house.other_zone, (15.0, 25.0))):
            for quantity, (low, high) in (("temperature_c", temperature),
                                          ("humidity_pct", (30.0, 80.0))):
                lines += [zone_limit_line(zone, quantity, "min", low, millis),
                          zone_limit_line(zone, quantity, "max", high, millis)]
    httpx.post(f"{house.url}/api/v2/write", params={"precision": "ms"},
               content="\n".join(lines), timeout=30).raise_for_status()
    httpx.post(
        f"{house.url}/api/v1/import/prometheus",
        params=[("extra_label", f"{key}={value}") for key, value in house.hub.items()],
        content=hub_samples(now - timedelta(minutes=10), 40, timedelta(seconds=15)),
        timeout=30,
    ).raise_for_status()
    victoria.flush()
    return house


def problems(house: Warehouse, board: Json, values: dict[str, str]) -> list[str]:
    """Every variable and panel query run with these variable values; what a user
    would see as an error, an empty list or panel, or an empty legend, one line each."""
    stored = house.metric_names
    queries = [(f"variable {var['name']}", var["query"], None)
               for var in board["templating"]["list"]]
    queries += [(f"{p['title']} / {t['refId']}", t["expr"], t)
                for p in board["panels"] for t in vm_targets(p)]
    found = []
    for name, query, target in queries:
        where = f"{board['uid']} / {name}: {query}"
        # A misspelled metric name gives an empty answer, not an error.
        unknown = set(METRIC_NAME.findall(query)) - stored
        if unknown:
            found.append(f"{where}: no such series {sorted(unknown)}")
            continue
        try:
            if target is None:
                var = next(v for v in board["templating"]["list"] if v["query"] == query)
                answer: list[Any] = house.variable(var, values)
            else:
                answer = house.run(target, values)
        except AssertionError as error:
            found.append(f"{where}: {error}")
            continue
        if not answer:
            found.append(f"{where}: no data")
        legend = target["legendFormat"] if target else ""
        for label in re.findall(r"{{\s*(\w+)\s*}}", legend):
            if any(label not in series["metric"] for series in answer):
                found.append(f"{where}: legend label {label} missing")
    return found


def chosen(house: Warehouse) -> dict[str, list[str]]:
    """What a user picks: the cold room and its sensors, the test's hub."""
    return {
        "zone": [house.zone],
        "sensor": [house.sensors[r] for r in ("steady", "flaky", "silent")],
        "job": [house.hub["job"]],
        "instance": [house.hub["instance"]],
    }


@pytest.mark.parametrize("choice", ["all", "chosen"])
@pytest.mark.parametrize("name", VM_BOARDS)
def test_every_query_runs_and_shows_data(warehouse: Warehouse, name: str, choice: str) -> None:
    board = boards()[name]
    values = warehouse.selection(board, None if choice == "all" else chosen(warehouse))
    assert problems(warehouse, board, values) == []


def misspelled(board: Json, where: tuple[int, int] | None, right: str, wrong: str) -> Json:
    """The board cut down to the one query with `right` replaced by `wrong`: target
    where[1] of panel where[0], or the first variable when where is None (the cut
    keeps the check quick; the variables stay, the panel queries need them)."""
    copy = json.loads(json.dumps(board))
    if where is None:
        var = copy["templating"]["list"][0]
        var["query"] = var["query"].replace(right, wrong, 1)
        copy["panels"] = []
    else:
        item = copy["panels"][where[0]]
        item["targets"] = [item["targets"][where[1]]]
        item["targets"][0]["expr"] = item["targets"][0]["expr"].replace(right, wrong, 1)
        copy["panels"] = [item]
    return copy


@pytest.mark.parametrize("name", VM_BOARDS)
def test_a_misspelled_query_fails_the_check(warehouse: Warehouse, name: str) -> None:
    """The check above must catch a typo in any query: a metric name, a label name,
    a function name."""
    board = boards()[name]
    values = warehouse.selection(board, chosen(warehouse))
    typos = []
    for i, p in enumerate(board["panels"]):
        for j, t in enumerate(p["targets"]):
            if t not in vm_targets(p):
                continue
            metric = METRIC_NAME.findall(t["expr"]) or ["up"]
            label = re.search(r"(\w+)=~", t["expr"])
            function = re.search(r"([a-z_]+)\(", t["expr"])
            assert label, t["expr"]
            typos += [((i, j), metric[0], metric[0] + "s"),
                      ((i, j), label[0], label[1] + "x=~")]
            if function:
                typos.append(((i, j), function[0], function[1] + "_x("))
    first_var = board["templating"]["list"][0]["query"]
    typos.append((None, METRIC_NAME.findall(first_var)[0], "stockwarden_nothing"))
    for where, right, wrong in typos:
        assert problems(warehouse, misspelled(board, where, right, wrong), values), \
            f"{right} -> {wrong} at {where} went unnoticed"


def test_variables_offer_the_zones_and_their_sensors(warehouse: Warehouse) -> None:
    zone, sensor = boards()["storage-conditions.json"]["templating"]["list"]
    zones = warehouse.variable(zone, BUILTINS)
    assert {warehouse.zone, warehouse.other_zone, "unassigned"} <= set(zones)
    in_cold_room = warehouse.variable(sensor, {**BUILTINS, "zone": warehouse.zone})
    assert sorted(in_cold_room) == sorted(
        warehouse.sensors[r] for r in ("steady", "flaky", "silent"))


def test_storage_conditions_show_what_the_sensors_sent(warehouse: Warehouse) -> None:
    board = boards()["storage-conditions.json"]
    steady, flaky, silent = (warehouse.sensors[r] for r in ("steady", "flaky", "silent"))
    values = warehouse.selection(board, {"zone": [warehouse.zone],
                                         "sensor": [steady, flaky, silent]})

    # The graph: every sensor of the zone, nothing from other zones.
    temperature = warehouse.points(board, "Temperature", values)
    assert set(temperature) == {steady, flaky, silent}
    assert set(temperature[steady]) <= set(warehouse.written[steady])
    # VictoriaMetrics aligns a graph's points to the 30 s step, so the last point may
    # lie just before the newest reading.
    assert temperature[steady][-1] in warehouse.written[steady][-2:]

    # The zone's own limits beside the readings, the lowered one from its time on.
    upper = warehouse.points(board, "Temperature", values, "B", by="bound")["max"]
    assert upper[0] == 8.0 and upper[-1] == 6.0
    assert upper.index(6.0) == pytest.approx(len(upper) / 2, abs=3)
    assert warehouse.last(board, "Relative humidity", values, "B", by="bound") == {
        "min": 30.0, "max": 80.0}
    # The steady sensor ends at 6.9 °C, above the cold room's 6 °C; the others are in.
    assert warehouse.last(board, "Outside their zone's limits", values, by="") == {"": 1}

    # Current values: only sensors heard from in the last 15 minutes.
    assert warehouse.last(board, "Current temperature", values) == {
        steady: 6.9, flaky: warehouse.written[flaky][-1]}
    assert set(warehouse.last(board, "Current humidity", values)) == {steady, flaky}

    extremes = "Minimum and maximum over the range"
    assert warehouse.last(board, extremes, values, "A")[steady] == min(warehouse.written[steady])
    assert warehouse.last(board, extremes, values, "B")[steady] == 6.9

    last_seen = warehouse.last(board, "Last seen", values)
    assert last_seen[silent] == pytest.approx(SILENT_FOR.total_seconds() + 5, abs=2)
    assert last_seen[steady] == pytest.approx(5, abs=2)
    # The flaky sensor still answers, but its last usable value is 3 polls old.
    assert warehouse.last(board, "Last seen", values, "B")[flaky] == pytest.approx(95, abs=2)
    assert warehouse.last(board, "Silent sensors", values, by="") == {"": 1}

    bad = warehouse.last(board, "Bad readings", values)
    assert bad[steady] == 0
    assert bad[flaky] == pytest.approx(3 / 30)


def test_hub_health_shows_the_scraped_metrics(warehouse: Warehouse) -> None:
    board = boards()["hub-health.json"]
    values = warehouse.selection(board, {"job": [warehouse.hub["job"]],
                                         "instance": [warehouse.hub["instance"]]})
    instance = warehouse.hub["instance"]
    assert warehouse.last(board, "Broker", values, by="instance") == {instance: 1}
    assert warehouse.last(board, "Spool", values, by="") == {"": 7}

    per_second = 50 / 15  # 50 readings per 15 s scrape
    rates = "Readings per second: accepted and written"
    assert warehouse.last(board, rates, values, "A", by="")[""] == pytest.approx(per_second)
    assert warehouse.last(board, rates, values, "B", by="")[""] == pytest.approx(per_second)
    kinds = warehouse.last(board, "Messages per second by kind", values, by="kind")
    assert kinds == pytest.approx({"telemetry": 5 / 15, "status": 1 / 15})

    # Every write took 20 ms: the p50 lies in the 10-25 ms bucket.
    latency = warehouse.last(board, "Time-series write latency", values, by="")
    assert 0.01 <= latency[""] <= 0.025
    assert warehouse.last(board, "Dead letters in range", values, by="")[""] >= 3
