"""`stockwarden edge` and `stockwarden sim`: the gateway agent and the device simulator.
They run on a gateway with only the `[edge]` extra, so nothing of the hub is imported
here beyond logging, and the agent is imported only when its command runs (the one
place in hub/ allowed to: tests/unit/test_architecture.py exempts the CLI)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hub.cli.common import fail, stop_on_signals

if TYPE_CHECKING:
    from firmware_sim.scenario import Simulation


def edge(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Gateway config (YAML), see docs/edge.md.")
    ],
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    log_format: Annotated[str, typer.Option(help="text or json.")] = "text",
    check: Annotated[
        bool, typer.Option("--check", help="Validate the config and profiles, then exit.")
    ] = False,
) -> None:
    """Run the edge agent: poll Modbus sensors, read serial barcode scanners, publish to
    MQTT through an on-disk outbox.

    Example: stockwarden edge --config gateway.yaml
    """
    from hub.logs import configure_logging

    configure_logging(log_level.upper(), log_format)
    from contract.errors import ConfigError
    from edge.config import load_config

    try:
        gateway, profiles = load_config(config)
    except ConfigError as exc:
        raise fail(f"configuration error:\n{exc}") from None
    if check:
        typer.echo(f"{config}: ok ({len(gateway.sensors)} sensors, {len(gateway.buses)} buses, "
                   f"{len(gateway.scanners)} scanners)")
        return
    from edge.agent import Agent

    Agent(gateway, profiles).run(stop_on_signals())


def sim(
    scenario: Annotated[
        Path | None,
        typer.Argument(help="Scenario file (YAML); default: the shipped warehouse scenario."),
    ] = None,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: until Ctrl-C).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    scanner: Annotated[
        Path | None,
        typer.Option(help="Also run the simulated serial scanners of this scenario file, "
                     "e.g. firmware-sim/scenarios/receiving-scanner.yaml."),
    ] = None,
) -> None:
    """Run simulated Modbus sensors (TCP and RTU on a pseudo-terminal) from device profiles,
    and serial barcode scanners on pseudo-terminals.

    Scenario actions: steady, daily_drift, door_open, cooling_failure, stuck,
    intermittent_timeouts, no_response, crc_errors, slow. See docs/edge.md.
    """
    from hub.logs import configure_logging

    configure_logging(log_level.upper(), "text")
    from contract.errors import ConfigError
    from firmware_sim.scenario import DEFAULT_SCENARIO, Simulation, load_scenario

    simulations: list[Simulation] = []
    try:
        for path in [scenario or DEFAULT_SCENARIO, *([scanner] if scanner else [])]:
            simulations.append(Simulation(load_scenario(path)).start())
    except ConfigError as exc:
        for simulation in simulations:
            simulation.stop()
        raise fail(f"scenario error:\n{exc}") from None
    stop = stop_on_signals()
    try:
        stop.wait(duration)
    finally:
        for simulation in simulations:
            simulation.stop()
