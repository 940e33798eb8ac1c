"""The gateway's YAML config, validated at start.

Every problem is reported as ``file: field: reason``, all at once, so an
integrator fixes the file in one go. See docs/edge.md for the reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from contract.errors import ConfigError, describe, read_yaml
from contract.mqtt_settings import MqttSettings
from contract.wire import ID_PATTERN, MAX_SCAN_RAW, QUANTITY_PATTERN, GatewayId, ScanMode
from edge.profiles import Profile, load_profiles

Ident = Annotated[str, Field(pattern=ID_PATTERN)]
Seconds = Annotated[float, Field(gt=0, le=86_400)]


class _Model(BaseModel):
    # A misspelt key is an error, not a silently ignored line.
    model_config = ConfigDict(extra="forbid", frozen=True)


class TcpBus(_Model):
    type: Literal["modbus-tcp"]
    host: str
    port: Annotated[int, Field(ge=1, le=65535)] = 502
    timeout: Annotated[float, Field(gt=0, le=30)] = 1.0


class RtuBus(_Model):
    type: Literal["modbus-rtu"]
    port: str = Field(description="serial device, e.g. /dev/ttyUSB0")
    baud: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] = 9600
    parity: Literal["N", "E", "O"] = "N"
    stop_bits: Literal[1, 2] = 1
    timeout: Annotated[float, Field(gt=0, le=30)] = 0.5
    # After a timeout, wait this long and discard what arrives before the next request:
    # a slow slave's late answer must not collide with (or be taken for) the next one's.
    settle_time: Annotated[float, Field(ge=0, le=5)] = 0.1


Bus = Annotated[TcpBus | RtuBus, Field(discriminator="type")]
BUS_TYPES = frozenset({"modbus-tcp", "modbus-rtu"})


class SensorConfig(_Model):
    id: Ident
    bus: str
    unit_id: int
    profile: str
    poll_interval: Seconds = 10.0
    # Added to the decoded value, per quantity, e.g. {temperature_c: -0.3} from a calibration.
    calibration: dict[Annotated[str, Field(pattern=QUANTITY_PATTERN)], float] = Field(
        default_factory=dict
    )

    @field_validator("unit_id")
    @classmethod
    def _unit(cls, unit_id: int) -> int:
        if not 1 <= unit_id <= 247:
            raise ValueError("must be 1..247")
        return unit_id


Terminator = Literal["CR", "LF", "CRLF", "none"]
TERMINATOR_BYTES: dict[str, bytes] = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "none": b""}


class ScannerConfig(_Model):
    """A fixed serial barcode scanner (RS-232, or USB in its serial/CDC mode)."""

    id: Ident
    port: str = Field(description="serial device, e.g. /dev/ttyACM0")
    baud: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] = 9600
    parity: Literal["N", "E", "O"] = "N"
    bytesize: Literal[7, 8] = 8
    stop_bits: Literal[1, 2] = 1
    # What ends a scan. With `none`, a pause of `inter_char_timeout` ends it; otherwise a
    # pause that long inside a scan cuts it, and the piece is rejected as partial.
    terminator: Terminator = "CR"
    inter_char_timeout: Annotated[float, Field(gt=0, le=5)] = 0.2
    # A character the scanner sends instead of the GS1 group separator (ASCII 29). Set, the
    # edge puts ASCII 29 back before publishing; unset, `raw` is exactly what was sent
    # (the hub also knows stand-ins: STOCKWARDEN_SCAN_SEPARATOR_STANDINS).
    group_separator: str | None = Field(default=None, min_length=1, max_length=1)
    max_length: Annotated[int, Field(ge=8, le=MAX_SCAN_RAW)] = MAX_SCAN_RAW
    mode: ScanMode = ScanMode.IDENTIFY
    location: str | None = Field(default=None, min_length=1, max_length=64)
    operator: str | None = Field(default=None, min_length=1, max_length=64)
    # The hub's defaults (STOCKWARDEN_SCAN_LOCATION_PREFIX, _COMMAND_PREFIX).
    location_prefix: str = Field(default="LOC:", min_length=1, max_length=16)
    command_prefix: str = Field(default="CMD:", min_length=1, max_length=16)
    # Run (through /bin/sh) for each result the hub sends back, e.g. to beep or show it;
    # the outcome is in STOCKWARDEN_SCAN_* environment variables (docs/edge.md).
    result_command: str | None = Field(default=None, min_length=1)
    result_timeout: Annotated[float, Field(gt=0, le=60)] = 5.0
    # Longest pause between attempts to open a port that is absent or busy.
    reconnect_max: Annotated[float, Field(ge=0.1, le=300)] = 10.0

    @field_validator("group_separator")
    @classmethod
    def _standin(cls, value: str | None) -> str | None:
        if value is not None and (value.isalnum() or not value.isprintable() or value == " "):
            raise ValueError("must be one printable character that is not a letter or digit")
        return value


# Short beside a poll interval, so a reading reaches the broker a fraction of a second
# after its poll; long enough that 200 sensors polled every second make 4 messages a
# second, not 200 (bench.edge_tcp: 0.1 s cost about a point more of CPU, within the noise
# of 1 s batching at 0.25 s).
DEFAULT_BATCH_WINDOW = 0.25


class OutboxConfig(_Model):
    path: Path = Path("outbox.db")
    max_messages: Annotated[int, Field(ge=10)] = 100_000


class GatewayConfig(_Model):
    # Not a word of the hub's topic tree (contract.wire.RESERVED_GATEWAY_IDS).
    gateway: GatewayId
    site: Ident
    # The broker section: url, username, password, client_id, keepalive, tls.
    broker: MqttSettings = MqttSettings()
    buses: dict[str, Bus] = Field(default_factory=dict)
    sensors: list[SensorConfig] = Field(default_factory=list)
    scanners: list[ScannerConfig] = Field(default_factory=list)
    outbox: OutboxConfig = OutboxConfig()
    profile_dirs: list[Path] = Field(default_factory=list)
    # At most one telemetry message per this many seconds: the longest a reading waits in
    # the agent for the others of its batch. None: DEFAULT_BATCH_WINDOW.
    publish_interval: Seconds | None = None
    status_interval: Seconds = 30.0
    # Longest pause between polls of a sensor that keeps failing.
    max_backoff: Seconds = 300.0

    @model_validator(mode="after")
    def _references(self) -> GatewayConfig:
        if not self.sensors and not self.scanners:
            raise ValueError("sensors: a gateway needs at least one sensor or scanner")
        for kind, key in (("id", "id"), ("port", "port")):
            taken: dict[str, int] = {}
            for index, scanner in enumerate(self.scanners):
                value = getattr(scanner, key)
                if value in taken:
                    raise ValueError(
                        f"scanners[{index}].{kind}: {value} is also scanners[{taken[value]}]"
                    )
                taken[value] = index
        seen: dict[str, int] = {}
        addresses: dict[tuple[str, int], int] = {}
        for index, sensor in enumerate(self.sensors):
            if sensor.bus not in self.buses:
                known = ", ".join(self.buses) or "none"
                raise ValueError(f"sensors[{index}].bus: no bus {sensor.bus!r} (buses: {known})")
            if sensor.id in seen:
                raise ValueError(
                    f"sensors[{index}].id: {sensor.id} is also sensors[{seen[sensor.id]}]"
                )
            seen[sensor.id] = index
            key = (sensor.bus, sensor.unit_id)
            if key in addresses:
                raise ValueError(
                    f"sensors[{index}].unit_id: {sensor.unit_id} on bus {sensor.bus} is also "
                    f"sensors[{addresses[key]}]"
                )
            addresses[key] = index
        return self

    @property
    def batch_window(self) -> float:
        return self.publish_interval or DEFAULT_BATCH_WINDOW


def _resolve(config: GatewayConfig, base: Path) -> GatewayConfig:
    """Relative paths in the file are relative to the file, not to the working directory."""

    def absolute(path: Path | None) -> Path | None:
        return None if path is None or path.is_absolute() else base / path

    outbox = config.outbox.model_copy(
        update={"path": absolute(config.outbox.path) or config.outbox.path}
    )
    dirs = [absolute(d) or d for d in config.profile_dirs]
    return config.model_copy(update={"outbox": outbox, "profile_dirs": dirs})


def parse_config(
    data: object, name: str = "gateway.yaml", base: Path | None = None
) -> GatewayConfig:
    if not isinstance(data, dict):
        raise ConfigError(
            f"{name}: expected a mapping with gateway, site, and buses and sensors or scanners"
        )
    try:
        config = GatewayConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe(name, exc, BUS_TYPES)) from None
    return _resolve(config, base) if base else config


def load_config(path: Path) -> tuple[GatewayConfig, dict[str, Profile]]:
    """The config and the profiles its sensors use, or ConfigError naming file, field, reason."""
    config = parse_config(read_yaml(path), path.name, path.resolve().parent)
    profiles = load_profiles((s.profile for s in config.sensors), config.profile_dirs)
    for index, sensor in enumerate(config.sensors):
        quantities = {p.quantity for p in profiles[sensor.profile].points}
        for quantity in sensor.calibration:
            if quantity not in quantities:
                raise ConfigError(
                    f"{path.name}: sensors[{index}].calibration.{quantity}: profile "
                    f"{sensor.profile} has no such quantity ({', '.join(sorted(quantities))})"
                )
    return config, profiles
