"""A simulation as data: servers and the devices behind them (``stockwarden sim``).

```yaml
servers:
  lan: {type: tcp, port: 5020}
  rs485: {type: rtu, link: /tmp/stockwarden-rtu0, baud: 9600, line_timing: true}
devices:
  - server: rs485
    unit_id: 1
    profile: xy-md02
    values: {temperature_c: 5, humidity_pct: 50}
    actions: [{do: steady}, {do: door_open, every_s: 900}]
scanners:        # simulated serial barcode scanners, see firmware_sim.scanner
  dock: {link: /tmp/stockwarden-scanner0, steps: [{scan: "CMD:RECEIVE"}]}
```
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contract.errors import ConfigError, describe, read_yaml
from edge.profiles import Profile, load_profiles
from firmware_sim.devices import ACTION_NAMES, Action, SimDevice
from firmware_sim.scanner import ScannerSpec, SimScanner
from firmware_sim.servers import RtuServer, TcpServer

log = logging.getLogger(__name__)

DEFAULT_SCENARIO = Path(__file__).parent / "scenarios" / "warehouse.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TcpSpec(_Model):
    type: Literal["tcp"]
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 5020


class RtuSpec(_Model):
    type: Literal["rtu"]
    link: Path | None = Field(default=None, description="a symlink to the pty, for the gateway")
    baud: int = 9600
    line_timing: bool = False
    turnaround_ms: Annotated[float, Field(ge=0)] = 0.0


class DeviceSpec(_Model):
    server: str
    unit_id: Annotated[int, Field(ge=1, le=247)]
    profile: str
    values: dict[str, float] = Field(default_factory=dict)
    actions: list[Action] = Field(default_factory=list)
    seed: int = 0


class ScenarioSpec(_Model):
    servers: dict[str, Annotated[TcpSpec | RtuSpec, Field(discriminator="type")]] = Field(
        default_factory=dict
    )
    devices: list[DeviceSpec] = Field(default_factory=list)
    scanners: dict[str, ScannerSpec] = Field(default_factory=dict)
    profile_dirs: list[Path] = Field(default_factory=list)

    @model_validator(mode="after")
    def _servers_exist(self) -> ScenarioSpec:
        for index, device in enumerate(self.devices):
            if device.server not in self.servers:
                raise ValueError(f"devices[{index}].server: no server {device.server!r}")
        return self


def load_scenario(path: Path) -> ScenarioSpec:
    try:
        spec = ScenarioSpec.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise ConfigError(describe(path.name, exc, ACTION_NAMES | {"tcp", "rtu"})) from None
    # Relative profile folders are relative to the scenario file, as in the gateway config.
    dirs = [d if d.is_absolute() else path.resolve().parent / d for d in spec.profile_dirs]
    return spec.model_copy(update={"profile_dirs": dirs})


class Simulation:
    """Builds and runs the servers of a scenario; `start()` then `stop()`."""

    def __init__(self, spec: ScenarioSpec, profiles: Mapping[str, Profile] | None = None) -> None:
        self.spec = spec
        profiles = profiles or load_profiles((d.profile for d in spec.devices), spec.profile_dirs)
        self.devices: dict[str, dict[int, SimDevice]] = {name: {} for name in spec.servers}
        for device in spec.devices:
            self.devices[device.server][device.unit_id] = SimDevice(
                device.unit_id,
                profiles[device.profile],
                dict(device.values),
                list(device.actions),
                device.seed,
            )
        self.tcp: dict[str, TcpServer] = {}
        self.rtu: dict[str, RtuServer] = {}
        self.scanners: dict[str, SimScanner] = {}

    def start(self) -> Simulation:
        for name, server in self.spec.servers.items():
            devices = self.devices[name]
            if isinstance(server, TcpSpec):
                self.tcp[name] = TcpServer(devices, server.host, server.port).start()
                log.info(
                    "sim %s: Modbus TCP on %s:%d, units %s",
                    name,
                    server.host,
                    self.tcp[name].port,
                    sorted(devices),
                )
            else:
                self.rtu[name] = RtuServer(
                    devices,
                    server.baud,
                    server.line_timing,
                    server.turnaround_ms / 1000,
                    server.link,
                ).start()
                log.info(
                    "sim %s: Modbus RTU on %s (%d baud%s), units %s",
                    name,
                    self.rtu[name].port,
                    server.baud,
                    ", line timing" if server.line_timing else "",
                    sorted(devices),
                )
        for name, scanner_spec in self.spec.scanners.items():
            self.scanners[name] = SimScanner(scanner_spec).start()
            log.info(
                "sim %s: serial scanner on %s (%d baud, suffix %s, %d steps)",
                name,
                self.scanners[name].port,
                scanner_spec.baud,
                scanner_spec.suffix,
                len(scanner_spec.steps),
            )
        return self

    def stop(self) -> None:
        for scanner in self.scanners.values():
            scanner.stop()
        for tcp in self.tcp.values():
            tcp.stop()
        for rtu in self.rtu.values():
            rtu.stop()
