"""`stockwarden demo`: the hub, an embedded broker and simulated devices in one process.
It starts the simulator, which no other hub part may import (tests/unit/test_architecture.py
exempts the CLI); hub/demo.py does the work, imported only when the command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.cli.common import fail


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def demo(
    http_port: Annotated[int, typer.Option(help="HTTP port of the hub.")] = 8080,
    mqtt_port: Annotated[int, typer.Option(help="Port of the embedded MQTT broker.")] = 1883,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the demo keeps its database (default: a temp dir).")
    ] = None,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: until Ctrl-C).")
    ] = None,
    notify: Annotated[
        list[str] | None, typer.Option(
            help="Send the demo's alarms to this apprise URL (mailto://, tgram://, "
            "wecombot://, dingtalk://, json://...); repeatable.")
    ] = None,
    cooling_failure_after: Annotated[
        float, typer.Option(help="Seconds until the cold room's compressor fails; -1: never.")
    ] = 180.0,
    cooling_rate: Annotated[
        float, typer.Option(help="How fast the cold room then warms, °C per minute.")
    ] = 1.0,
    alarm_delay: Annotated[
        float, typer.Option(help="Seconds beyond a limit before an alarm is raised.")
    ] = 120.0,
    scan_every: Annotated[
        float | None, typer.Option(help="Seconds between the dock scanner's receipts "
                                        "(default: 20).", min=0.1)
    ] = None,
) -> None:
    """Run everything in one process with simulated devices; no external service needed."""
    from hub.logs import configure_logging

    configure_logging("INFO", "text")
    for port, option, what in ((http_port, "--http-port", "HTTP"), (mqtt_port, "--mqtt-port",
                                                                    "MQTT")):
        if not _port_free(port):
            raise fail(f"port {port} is in use (another {what} server?): "
                       f"choose another with {option}")
    from contract.errors import ConfigError
    from hub.demo import run_demo

    try:
        run_demo(http_port=http_port, mqtt_port=mqtt_port, data_dir=data_dir, duration=duration,
                 notify=notify or [], alarm_delay_s=alarm_delay, cooling_rate_per_min=cooling_rate,
                 cooling_failure_s=None if cooling_failure_after < 0 else cooling_failure_after,
                 scan_every_s=scan_every)
    except ConfigError as exc:  # a --notify URL apprise does not know
        raise fail(f"demo refused:\n{exc}") from None
