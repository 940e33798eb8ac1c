"""Device profiles as data: one YAML file per transmitter model.

A profile names the registers that hold each quantity, how to turn them into a
number (type, byte order, scale, offset) and the physical range outside which a
value is a fault, not a reading. Profiles are validated once, at start, and
compiled into grouped read requests. The simulator builds its devices from the
same files, so a profile that the edge agent reads is one the simulator serves.

Shipped profiles live in ``edge/profiles/``; a gateway may add its own folder.
A profile's name is its file name without ``.yaml``; a user's file of the same
name replaces the shipped one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contract.errors import ConfigError, describe, read_yaml
from contract.wire import QUANTITY_LIMITS, QUANTITY_PATTERN
from edge import codec

SHIPPED_DIR = Path(__file__).parent / "profiles"


class PointSpec(BaseModel):
    """One quantity of a device."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quantity: Annotated[str, Field(pattern=QUANTITY_PATTERN)]
    kind: codec.RegisterKind
    address: Annotated[int, Field(ge=0, le=0xFFFF)]
    type: codec.DataType = "int16"
    byte_order: codec.ByteOrder = "ABCD"
    scale: float = 1.0
    offset: float = 0.0
    unit: str = ""
    range: tuple[float, float]

    @model_validator(mode="after")
    def _check(self) -> PointSpec:
        low, high = self.range
        if not low < high:
            raise ValueError(f"range must be [low, high] with low < high, got [{low}, {high}]")
        if self.scale == 0 or not math.isfinite(self.scale):
            raise ValueError("scale must be a finite number other than 0")
        if self.address + codec.register_count(self.type) > 0x10000:
            raise ValueError(f"a {self.type} at {self.address} runs past register 65535")
        limits = QUANTITY_LIMITS.get(self.quantity)
        if limits and (low < limits[0] or high > limits[1]):
            raise ValueError(
                f"range [{low}, {high}] of {self.quantity} is outside what is physically "
                f"possible ({limits[0]}..{limits[1]})"
            )
        return self

    @property
    def span(self) -> codec.Span:
        return codec.Span(self.kind, self.address, codec.register_count(self.type))

    def value(self, registers: Sequence[int]) -> float:
        return codec.decode_raw(registers, self.type, self.byte_order) * self.scale + self.offset

    def registers(self, value: float) -> list[int]:
        """What the device holds for `value` (used by the simulator)."""
        raw = (value - self.offset) / self.scale
        low, high = codec.raw_limits(self.type)
        return codec.encode_raw(min(max(raw, low), high), self.type, self.byte_order)


class ProfileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    manufacturer: str = ""
    model: str = ""
    description: str = ""
    source: str = Field(default="", description="where the register map comes from")
    # Largest hole of unused registers a grouped read may span (see codec.group_reads).
    max_gap: Annotated[int, Field(ge=0, le=124)] = 0
    max_registers_per_read: Annotated[int, Field(ge=1, le=125)] = 125
    points: Annotated[list[PointSpec], Field(min_length=1)]

    @model_validator(mode="after")
    def _no_overlap(self) -> ProfileSpec:
        seen: dict[str, int] = {}
        for index, point in enumerate(self.points):
            if point.quantity in seen:
                raise ValueError(
                    f"points[{index}]: quantity {point.quantity} is already in "
                    f"points[{seen[point.quantity]}]"
                )
            seen[point.quantity] = index
            for other_index, other in enumerate(self.points[:index]):
                a, b = point.span, other.span
                if a.kind == b.kind and a.address < b.end and b.address < a.end:
                    raise ValueError(
                        f"points[{index}] ({point.quantity}) overlaps points[{other_index}] "
                        f"({other.quantity}) in the {a.kind} registers"
                    )
        return self


@dataclass(frozen=True)
class Profile:
    """A validated profile with its reads planned."""

    name: str
    spec: ProfileSpec
    requests: tuple[codec.ReadRequest, ...]

    @property
    def points(self) -> list[PointSpec]:
        return self.spec.points

    def decode(
        self, blocks: Sequence[Sequence[int]], calibration: Mapping[str, float] | None = None
    ) -> tuple[dict[str, float], list[str]]:
        """Values from the registers of each request (in `requests` order).

        Returns the quantities within their physical range and one message per
        quantity outside it; such a value is never returned as a reading. The
        range applies to what the device measured; a calibration offset is added
        after, and clamped to what is physically possible (99.9 %RH + 0.5 is 100).
        """
        calibration = calibration or {}
        values: dict[str, float] = {}
        problems: list[str] = []
        for request, block in zip(self.requests, blocks, strict=True):
            for index in request.members:
                point = self.points[index]
                value = point.value(request.slice(block, point.span))
                low, high = point.range
                if not math.isfinite(value) or not low <= value <= high:
                    problems.append(f"{point.quantity}={value:g} outside {low:g}..{high:g}")
                else:
                    value += calibration.get(point.quantity, 0.0)
                    limits = QUANTITY_LIMITS.get(point.quantity)
                    if limits:
                        value = min(max(value, limits[0]), limits[1])
                    values[point.quantity] = round(value, 6)
        return values, problems


def compile_profile(name: str, data: object, source: str | None = None) -> Profile:
    """Validate `data` (parsed YAML) and plan its reads, or raise ConfigError."""
    label = source or f"{name}.yaml"
    if not isinstance(data, Mapping):
        raise ConfigError(f"{label}: a profile is a mapping with at least 'points'")
    try:
        spec = ProfileSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe(label, exc)) from None
    requests = codec.group_reads(
        (p.span for p in spec.points), spec.max_gap, spec.max_registers_per_read
    )
    return Profile(name, spec, tuple(requests))


def load_profile(path: Path) -> Profile:
    return compile_profile(path.stem, read_yaml(path), path.name)


def profile_files(folders: Iterable[Path] = ()) -> dict[str, Path]:
    """Profile name → file, shipped ones first, then each folder in turn (later wins)."""
    files: dict[str, Path] = {}
    for folder in (SHIPPED_DIR, *folders):
        if not folder.is_dir():
            raise ConfigError(f"{folder}: profile folder does not exist")
        for path in sorted(folder.glob("*.yaml")):
            files[path.stem] = path
    return files


def load_profiles(names: Iterable[str], folders: Iterable[Path] = ()) -> dict[str, Profile]:
    """Load and compile the named profiles, or raise ConfigError saying which is missing."""
    files = profile_files(folders)
    profiles: dict[str, Profile] = {}
    for name in names:
        if name in profiles:
            continue
        if name not in files:
            known = ", ".join(sorted(files)) or "none"
            raise ConfigError(f"profile {name!r} not found (known: {known})")
        profiles[name] = load_profile(files[name])
    return profiles
