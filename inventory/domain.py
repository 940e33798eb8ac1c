"""The inventory's vocabulary and its placement rules, as plain Python.

No FastAPI and no SQLAlchemy here: these rules are tested in milliseconds and
shared by the services, the CSV import and the scan endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from kernel.errors import Invalid


class QcStatus(StrEnum):
    QUARANTINE = "quarantine"
    RELEASED = "released"
    ON_HOLD = "on_hold"
    REJECTED = "rejected"
    RECALLED = "recalled"


class MoveKind(StrEnum):
    RECEIVE = "receive"
    DISPATCH = "dispatch"
    TRANSFER = "transfer"
    ADJUST = "adjust"
    RETURN = "return"
    COUNT = "count"


class AllocationPolicy(StrEnum):
    FEFO = "fefo"  # first expired, first out; ties by earliest receipt
    FIFO = "fifo"  # first in, first out


# A return's hold (inventory/returns.py): pending until a supervisor inspects it.
class HoldStatus(StrEnum):
    PENDING = "pending"
    RELEASED = "released"
    REJECTED = "rejected"


# What an inspection of a returned hold decides.
class Decision(StrEnum):
    RELEASE = "release"
    REJECT = "reject"


# Quality transitions: a rejected or recalled lot never becomes usable again.
QC_TRANSITIONS: dict[QcStatus, frozenset[QcStatus]] = {
    QcStatus.QUARANTINE: frozenset(
        {QcStatus.RELEASED, QcStatus.ON_HOLD, QcStatus.REJECTED, QcStatus.RECALLED}),
    QcStatus.RELEASED: frozenset(
        {QcStatus.QUARANTINE, QcStatus.ON_HOLD, QcStatus.REJECTED, QcStatus.RECALLED}),
    QcStatus.ON_HOLD: frozenset(
        {QcStatus.RELEASED, QcStatus.QUARANTINE, QcStatus.REJECTED, QcStatus.RECALLED}),
    QcStatus.REJECTED: frozenset({QcStatus.RECALLED}),
    QcStatus.RECALLED: frozenset(),
}


def check_qc_transition(lot_number: str, current: QcStatus, wanted: QcStatus) -> None:
    if wanted not in QC_TRANSITIONS[current]:
        raise Invalid(
            "lot %(lot)s is %(current)s and cannot become %(wanted)s",
            code="qc_transition_refused", lot=lot_number, current=current.value,
            wanted=wanted.value,
        )


@dataclass(frozen=True, slots=True)
class StockOnHand:
    """One balance row as allocation sees it: a lot in one location."""

    balance_id: int
    lot_id: int
    lot_number: str
    location_id: int
    location_code: str
    expiry: date | None
    received_at: datetime
    qc_status: QcStatus
    quantity: int


@dataclass(frozen=True, slots=True)
class PickLine:
    """Take `quantity` of lot `lot_number` from `location_code`."""

    balance_id: int
    lot_id: int
    lot_number: str
    location_id: int
    location_code: str
    expiry: date | None
    quantity: int


@dataclass(frozen=True, slots=True)
class Placement:
    """What placement needs to know about an item and a zone."""

    item_label: str
    item_storage_class: str | None
    item_hazardous: bool
    zone_code: str
    zone_storage_class: str | None
    zone_hazardous: bool


def check_placement(p: Placement) -> None:
    """Refuse to put an item where it may not be stored, saying why."""
    if p.item_hazardous and not p.zone_hazardous:
        raise Invalid(
            "%(item)s is hazardous and zone %(zone)s is not a hazardous-goods zone",
            code="hazardous_zone_required", item=p.item_label, zone=p.zone_code,
        )
    if p.item_storage_class is not None and p.item_storage_class != p.zone_storage_class:
        if p.zone_storage_class:
            raise Invalid(
                "%(item)s must be stored at %(needed)s, but zone %(zone)s is %(zone_class)s",
                code="storage_class_mismatch", item=p.item_label,
                needed=p.item_storage_class, zone=p.zone_code, zone_class=p.zone_storage_class)
        raise Invalid(
            "%(item)s must be stored at %(needed)s, but zone %(zone)s is no storage class",
            code="storage_class_mismatch", item=p.item_label,
            needed=p.item_storage_class, zone=p.zone_code,
        )


def receipt_status(quarantine_on_receipt: bool) -> QcStatus:
    """Items that need inspection enter quarantine until quality releases them."""
    return QcStatus.QUARANTINE if quarantine_on_receipt else QcStatus.RELEASED


def is_expired(expiry: date | None, today: date) -> bool:
    """A lot is usable through its expiry day and expired from the day after."""
    return expiry is not None and expiry < today
