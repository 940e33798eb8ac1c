"""Settings from environment and files, errors that name the field; the CLI's help."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("STOCKWARDEN_"):
            monkeypatch.delenv(key)


def test_environment_overrides_the_config_file(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "hub.toml"
    config.write_text('mqtt_url = "mqtt://broker:1883"\nhttp_port = 9000\n')
    monkeypatch.setenv("STOCKWARDEN_HTTP_PORT", "9100")
    settings = load_settings(config)
    assert settings.mqtt_url == "mqtt://broker:1883"
    assert settings.http_port == 9100


def test_a_yaml_config_file_works_too(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text("tsdb_url: http://vm:8428/\n")
    assert load_settings(config).tsdb_url == "http://vm:8428"


def test_a_bad_value_is_named_with_its_field_and_variable(monkeypatch) -> None:
    monkeypatch.setenv("STOCKWARDEN_MQTT_URL", "http://nope")
    with pytest.raises(SettingsError, match=r"mqtt_url \(STOCKWARDEN_MQTT_URL\): .*mqtt://"):
        load_settings()


def test_an_unknown_setting_in_a_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "hub.toml"
    config.write_text("mqtt_ulr = 'x'\n")
    with pytest.raises(SettingsError, match="mqtt_ulr"):
        load_settings(config)


def test_a_missing_config_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "none.toml")


def test_production_refuses_the_local_default_database(monkeypatch) -> None:
    monkeypatch.setenv("STOCKWARDEN_ENV", "production")
    with pytest.raises(SettingsError, match="explicit database"):
        load_settings()


def _commands(typer_app) -> list[list[str]]:
    import typer.main

    group = typer.main.get_command(typer_app)
    paths: list[list[str]] = []

    def walk(command, prefix: list[str]) -> None:
        paths.append(prefix)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*prefix, name])

    walk(group, [])
    return paths


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for path in _commands(app):
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage" in result.output


def test_the_hub_command_reports_bad_configuration_without_a_traceback(monkeypatch) -> None:
    monkeypatch.setenv("STOCKWARDEN_DATABASE_URL", "mysql://x")
    result = CliRunner().invoke(app, ["hub"])
    assert result.exit_code == 2
    assert "database_url" in result.output
    assert "Traceback" not in result.output


def test_an_unreachable_database_is_one_clear_line(monkeypatch) -> None:
    from tests.support.processes import free_port

    port = free_port()
    monkeypatch.setenv("STOCKWARDEN_DATABASE_URL",
                       f"postgresql+psycopg://nobody@127.0.0.1:{port}/none")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "cannot use the database" in result.output
    assert "Traceback" not in result.output


def test_the_demo_names_a_port_in_use_instead_of_failing_with_a_traceback() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["demo", "--mqtt-port", str(port)])
    assert result.exit_code == 2
    assert f"port {port} is in use" in result.output
    assert "--mqtt-port" in result.output


def test_https_needs_both_certificate_and_key(tmp_path: Path, monkeypatch) -> None:
    cert = tmp_path / "hub.crt"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("STOCKWARDEN_HTTP_TLS_CERT", str(cert))
    with pytest.raises(SettingsError, match="http_tls_cert and http_tls_key go together"):
        load_settings()
    monkeypatch.setenv("STOCKWARDEN_HTTP_TLS_KEY", str(tmp_path / "missing.key"))
    with pytest.raises(SettingsError, match=r"http_tls_key \(STOCKWARDEN_HTTP_TLS_KEY\): no file"):
        load_settings()
    (tmp_path / "missing.key").write_text("-----BEGIN PRIVATE KEY-----\n")
    settings = load_settings()
    assert (settings.http_tls_cert, settings.http_tls_key) == (cert, tmp_path / "missing.key")
