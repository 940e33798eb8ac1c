"""The Debian-native deployment without systemd running: the units pass
`systemd-analyze verify` and `security --offline`, and /etc/stockwarden/hub.env's
example passes the hub's production checks. (Debian's Mosquitto with
deploy/debian/mosquitto.conf runs for real in tests/integration/test_broker_acl.py, and
VictoriaMetrics with the shipped arguments in tests/integration/test_deploy_debian.py.)"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hub.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
DEBIAN = ROOT / "deploy/debian"
SHIPPED_BINARY = "/opt/stockwarden/bin/stockwarden"
UNITS = ["stockwarden-hub.service", "stockwarden-edge@.service"]


def unit_lines(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (DEBIAN / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


@pytest.mark.parametrize("name", UNITS)
def test_each_unit_restarts_runs_as_its_own_user_and_is_hardened(name: str) -> None:
    unit = unit_lines(name)
    assert unit["Restart"] == ["on-failure"]
    assert unit["DynamicUser"] == ["yes"]
    state = unit["StateDirectory"][0]
    assert unit["ReadWritePaths"] == [f"%S/{state}"]
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                       "ProtectHome": "yes", "PrivateTmp": "yes"}.items():
        assert unit[key] == [value], key
    assert all(cmd.startswith(SHIPPED_BINARY) for cmd in unit["ExecStart"])


def test_the_hub_reads_its_settings_from_etc_stockwarden_hub_env() -> None:
    assert unit_lines("stockwarden-hub.service")["EnvironmentFile"] == [
        "/etc/stockwarden/hub.env"]


@pytest.fixture
def units_here(tmp_path: Path) -> Path:
    """The units with the stockwarden of this checkout in place of /opt/stockwarden's
    (verify checks that ExecStart's program exists), and an instance of the template."""
    binary = str(Path(sys.executable).parent / "stockwarden")
    assert Path(binary).is_file(), "the stockwarden command of this checkout is missing"
    for name in UNITS:
        text = (DEBIAN / name).read_text().replace(SHIPPED_BINARY, binary)
        (tmp_path / name.replace("@.", "@gw-1.")).write_text(text)
    return tmp_path


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip(reason="systemd-analyze is not installed (Debian package systemd)")
    return found


def test_systemd_analyze_verify_finds_nothing(units_here: Path) -> None:
    tool = systemd_analyze()
    files = [str(units_here / "stockwarden-hub.service"),
             str(units_here / "stockwarden-edge@gw-1.service")]
    result = subprocess.run([tool, "verify", "--man=no", *files], capture_output=True,
                            text=True, timeout=60)
    # verify reports a misspelt key or a bad value as a warning, with status 0: any
    # line about our files is a finding.
    ours = [line for line in result.stderr.splitlines() if "stockwarden" in line]
    assert result.returncode == 0 and ours == [], result.stderr


def test_verify_would_catch_a_mistake(units_here: Path) -> None:
    tool = systemd_analyze()
    broken = units_here / "stockwarden-hub.service"
    broken.write_text(broken.read_text().replace("NoNewPrivileges=", "NoNewPrivilege="))
    result = subprocess.run([tool, "verify", "--man=no", str(broken)], capture_output=True,
                            text=True, timeout=60)
    assert "Unknown key 'NoNewPrivilege'" in result.stderr


@pytest.mark.parametrize("name", ["stockwarden-hub.service", "stockwarden-edge@gw-1.service"])
def test_systemd_rates_the_exposure_ok(units_here: Path, name: str) -> None:
    tool = systemd_analyze()
    result = subprocess.run([tool, "security", "--offline=yes", "--no-pager",
                             str(units_here / name)], capture_output=True, text=True, timeout=60)
    if "--offline" in result.stderr and result.returncode != 0:
        pytest.skip(reason=f"this systemd-analyze has no offline security check: {result.stderr}")
    found = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", result.stdout)
    assert found, result.stdout + result.stderr
    assert float(found.group(1)) <= 2.5 and found.group(2) == "OK", found.group(0)


def env_file(path: Path) -> dict[str, str]:
    """systemd's EnvironmentFile=: KEY=VALUE lines, # comments."""
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


@pytest.fixture
def hub_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key in list(os.environ):
        if key.startswith("STOCKWARDEN_"):
            monkeypatch.delenv(key)
    values = env_file(DEBIAN / "hub.env")
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def test_the_hub_env_example_passes_the_production_checks(hub_env: dict[str, str]) -> None:
    settings = load_settings()
    assert settings.env == "production"
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.tsdb_url == "http://127.0.0.1:8428"
    assert settings.http_host == "127.0.0.1"


def test_production_still_refuses_a_broker_url_without_an_account(
    hub_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STOCKWARDEN_MQTT_URL", "mqtt://127.0.0.1:1883")
    with pytest.raises(SettingsError, match="mqtt_url"):
        load_settings()
