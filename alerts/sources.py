"""What the alarm service needs from the rest of the hub, as small callables.

`alerts` imports neither ingest nor the inventory: the composition root
(hub/alarm_wiring.py) builds an `AlarmSources` from their query functions and
services and hands it over. Each callable opens its own session.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from alerts.engine.calibration_findings import SensorCalibration
from alerts.engine.stock_findings import ItemStock, LotStock
from alerts.model import GatewayStatus, Reading, SensorRef, StorageClassLimits, ZoneRef


@dataclass(frozen=True, slots=True)
class World:
    """The zones, storage classes, sensors and gateways the rules apply to."""

    zones: Sequence[ZoneRef] = ()
    storage_classes: Sequence[StorageClassLimits] = ()
    sensors: Sequence[SensorRef] = ()
    gateways: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class StockPicture:
    lots: Sequence[LotStock] = ()
    items: Sequence[ItemStock] = ()


def _nothing() -> list[Any]:
    return []


@dataclass(frozen=True, slots=True)
class AlarmSources:
    world: Callable[[], World] = World
    # The newest good reading per sensor, from SQL: what the ingest hook may have dropped.
    latest_readings: Callable[[], Sequence[Reading]] = field(default=_nothing)
    # Each gateway's stored status (its last will included).
    gateway_statuses: Callable[[], Sequence[GatewayStatus]] = field(default=_nothing)
    stock: Callable[[], StockPicture] = StockPicture
    # Hold every released lot with stock in the zone, as the system user; returns the
    # lot numbers put on hold.
    hold_lots: Callable[[str, str], Sequence[str]] = lambda _zone, _reason: []
    # The audit trail's newest part checked: what does not match (None: it verifies).
    audit_chain: Callable[[], str | None] = lambda: None
    # Per sensor with a calibration record or an applied offset: due date and offsets.
    calibration: Callable[[], Sequence[SensorCalibration]] = field(default=_nothing)
