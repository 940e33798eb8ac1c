"""`stockwarden edge` and `stockwarden sim` as a user meets them at the console."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hub.cli import app

EXAMPLE = Path(__file__).parents[2] / "examples" / "gateway.yaml"


def test_the_example_gateway_config_is_valid() -> None:
    result = CliRunner().invoke(app, ["edge", "--config", str(EXAMPLE), "--check"])
    assert result.exit_code == 0, result.output
    assert "ok (4 sensors, 2 buses, 1 scanners)" in result.output


def test_a_bad_config_is_refused_with_file_field_and_reason(tmp_path: Path) -> None:
    bad = tmp_path / "gateway.yaml"
    bad.write_text(
        EXAMPLE.read_text().replace(
            "unit_id: 2, profile: renke-th", "unit_id: 248, profile: renke-th"
        )
    )
    result = CliRunner().invoke(app, ["edge", "--config", str(bad)])
    assert result.exit_code == 2
    assert "gateway.yaml: sensors[1].unit_id: must be 1..247" in result.output


def test_a_bad_scenario_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "scenario.yaml"
    bad.write_text(
        "servers: {lan: {type: tcp, port: 0}}\n"
        "devices: [{server: lan, unit_id: 1, profile: xy-md02, actions: [{do: explode}]}]\n"
    )
    result = CliRunner().invoke(app, ["sim", str(bad)])
    assert result.exit_code == 2
    assert "scenario.yaml: devices[0].actions[0]: Input tag 'explode'" in result.output


def test_help_names_the_scenario_actions() -> None:
    result = CliRunner().invoke(app, ["sim", "--help"])
    assert "intermittent_timeouts" in result.output


def test_the_example_gateway_reads_exactly_what_the_default_scenario_serves() -> None:
    from edge.config import load_config
    from firmware_sim.scenario import DEFAULT_SCENARIO, load_scenario

    config, _ = load_config(EXAMPLE)
    scenario = load_scenario(DEFAULT_SCENARIO)
    served = {(d.server, d.unit_id): d.profile for d in scenario.devices}
    for sensor in config.sensors:
        bus = config.buses[sensor.bus]
        server = next(
            name
            for name, spec in scenario.servers.items()
            if (spec.type == "tcp" and getattr(bus, "port", None) == spec.port)
            or (spec.type == "rtu" and str(spec.link) == getattr(bus, "port", None))
        )
        assert served[(server, sensor.unit_id)] == sensor.profile, sensor.id


def test_a_bad_scanner_in_the_example_is_refused_with_file_field_and_reason(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "gateway.yaml"
    bad.write_text(EXAMPLE.read_text().replace("    baud: 115200\n", "    baud: 14400\n"))
    result = CliRunner().invoke(app, ["edge", "--config", str(bad)])
    assert result.exit_code == 2
    assert "gateway.yaml: scanners[0].baud: Input should be 1200, 2400" in result.output


def test_the_shipped_scanner_scenario_loads() -> None:
    from firmware_sim.scenario import load_scenario

    scenario = Path(__file__).parents[2] / "firmware-sim" / "scenarios" / "receiving-scanner.yaml"
    spec = load_scenario(scenario)
    assert spec.scanners["dock"].steps[0].scan == "CMD:RECEIVE"
