"""Simulated transmitters: a profile, base values and scenario actions.

A device holds the registers its profile describes and computes them from its
base values at the moment of each read. Actions are named and composable, as in
a scenario file:

value actions (change what the device measures)
  steady               small noise around the base value (``noise``)
  daily_drift          a sine over the day (``amplitude``, ``period_s``)
  door_open            a spike of ``delta`` for ``duration_s`` every ``every_s``
  cooling_failure      from ``start_s`` on, climbs ``rate_per_min`` up to ``max``
  stuck                from ``after_s`` on, the values no longer change

fault actions (change whether and how it answers)
  intermittent_timeouts  no answer to a share ``probability`` of the requests
  no_response            never answers
  crc_errors             a share ``probability`` of the answers has a bad CRC (RTU)
  slow                   answers ``delay_ms`` late (a slow slave, or one past the timeout)
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from edge.profiles import Profile

Answer = Literal["answer", "silent", "crc"]
DEFAULT_QUANTITY = "temperature_c"

# Modbus exception codes the simulator uses.
ILLEGAL_FUNCTION = 1
ILLEGAL_DATA_ADDRESS = 2


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Steady(_Action):
    do: Literal["steady"]
    noise: float = 0.05


class DailyDrift(_Action):
    do: Literal["daily_drift"]
    amplitude: float = 1.0
    period_s: Annotated[float, Field(gt=0)] = 86_400.0
    quantity: str = DEFAULT_QUANTITY


class DoorOpen(_Action):
    do: Literal["door_open"]
    every_s: Annotated[float, Field(gt=0)] = 600.0
    duration_s: Annotated[float, Field(gt=0)] = 60.0
    delta: float = 4.0
    quantity: str = DEFAULT_QUANTITY


class CoolingFailure(_Action):
    do: Literal["cooling_failure"]
    start_s: Annotated[float, Field(ge=0)] = 0.0
    rate_per_min: float = 0.2
    max: float | None = None
    quantity: str = DEFAULT_QUANTITY


class Stuck(_Action):
    do: Literal["stuck"]
    after_s: Annotated[float, Field(ge=0)] = 0.0


class IntermittentTimeouts(_Action):
    do: Literal["intermittent_timeouts"]
    probability: Annotated[float, Field(ge=0, le=1)] = 0.2


class NoResponse(_Action):
    do: Literal["no_response"]


class CrcErrors(_Action):
    do: Literal["crc_errors"]
    probability: Annotated[float, Field(ge=0, le=1)] = 0.2


class Slow(_Action):
    do: Literal["slow"]
    delay_ms: Annotated[float, Field(ge=0)] = 500.0


Action = Annotated[
    Steady
    | DailyDrift
    | DoorOpen
    | CoolingFailure
    | Stuck
    | IntermittentTimeouts
    | NoResponse
    | CrcErrors
    | Slow,
    Field(discriminator="do"),
]
ACTION_NAMES = frozenset(
    {
        "steady",
        "daily_drift",
        "door_open",
        "cooling_failure",
        "stuck",
        "intermittent_timeouts",
        "no_response",
        "crc_errors",
        "slow",
    }
)


def _noise(seed: int, quantity: str, t: float) -> float:
    """Deterministic noise in [-1, 1] that changes every 100 ms: `stuck` can freeze it."""
    return random.Random(f"{seed}:{quantity}:{int(t * 10)}").uniform(-1.0, 1.0)


def value_at(base: float, quantity: str, t: float, actions: list[Any], seed: int = 0) -> float:
    """What the device measures for `quantity` at `t` seconds after it started."""
    for action in actions:
        if isinstance(action, Stuck):
            t = min(t, action.after_s)
    value = base
    for action in actions:
        if isinstance(action, Steady):
            value += action.noise * _noise(seed, quantity, t)
        elif getattr(action, "quantity", None) != quantity:
            continue
        elif isinstance(action, DailyDrift):
            value += action.amplitude * math.sin(2 * math.pi * t / action.period_s)
        elif isinstance(action, DoorOpen):
            if t % action.every_s >= action.every_s - action.duration_s:
                value += action.delta
        elif isinstance(action, CoolingFailure) and t > action.start_s:
            value += action.rate_per_min * (t - action.start_s) / 60.0
            if action.max is not None:
                value = min(value, action.max)
    return value


@dataclass
class SimDevice:
    unit_id: int
    profile: Profile
    values: dict[str, float]
    actions: list[Any] = field(default_factory=list)
    seed: int = 0
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)
    requests: int = 0

    def __post_init__(self) -> None:
        self.started = self.started or self.clock()
        self._rng = random.Random(self.seed or self.unit_id)
        self._map: dict[tuple[str, int], tuple[int, int]] = {}  # register → (point, word)
        for index, point in enumerate(self.profile.points):
            for word in range(point.span.count):
                self._map[(point.kind, point.address + word)] = (index, word)

    def answer(self) -> Answer:
        """Whether this request gets an answer (drawn per request)."""
        self.requests += 1
        for action in self.actions:
            if isinstance(action, NoResponse):
                return "silent"
            if isinstance(action, IntermittentTimeouts) and self._rng.random() < action.probability:
                return "silent"
            if isinstance(action, CrcErrors) and self._rng.random() < action.probability:
                return "crc"
        return "answer"

    def delay(self) -> float:
        """Seconds this device takes before it answers, on top of the line time."""
        return sum(a.delay_ms for a in self.actions if isinstance(a, Slow)) / 1000

    def measure(self, quantity: str) -> float:
        base = self.values.get(quantity, 0.0)
        return value_at(base, quantity, self.clock() - self.started, self.actions, self.seed)

    def read(self, kind: str, address: int, count: int) -> list[int] | int:
        """The registers, or a Modbus exception code when a register is not mapped."""
        cache: dict[int, list[int]] = {}
        registers = []
        for register in range(address, address + count):
            where = self._map.get((kind, register))
            if where is None:
                return ILLEGAL_DATA_ADDRESS
            index, word = where
            if index not in cache:
                point = self.profile.points[index]
                cache[index] = point.registers(self.measure(point.quantity))
            registers.append(cache[index][word])
        return registers
