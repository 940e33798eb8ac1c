"""SQL for the scan use cases: the scanner registry's rows (inventory/scans/registry.py)
and what the MQTT scan booker (inventory/scans/booking.py) reads and writes in the
scan journal. The registry and journal as listed are inventory/scans/queries.py."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from contract.wire import ScanMode
from inventory.orm import Location
from inventory.scans.orm import Scanner, ScanRecord
from kernel.actors import Actor, Role
from kernel.orm import User


@dataclass(frozen=True, slots=True)
class ScannerAccount:
    """What the consumer needs to book a scan of a registered scanner."""

    actor: Actor
    active: bool
    modes: frozenset[ScanMode]
    location: str | None


def user_named(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def remove_scanner(session: Session, gateway: str, scanner: str) -> bool:
    """Unregister; False when there was no such registration."""
    result = session.execute(
        delete(Scanner).where(Scanner.gateway == gateway, Scanner.scanner == scanner))
    return bool(result.rowcount)


def scanner_account(session: Session, gateway: str, scanner: str) -> ScannerAccount | None:
    """The registration of (gateway, scanner) with its operator, or None (caller's
    transaction)."""
    row = session.execute(
        select(Scanner.modes, User.id, User.username, User.role, User.active, Location.code)
        .join(User, User.id == Scanner.user_id)
        .outerjoin(Location, Location.id == Scanner.location_id)
        .where(Scanner.gateway == gateway, Scanner.scanner == scanner)
    ).first()
    if row is None:
        return None
    modes, user_id, username, role, active, location = row
    return ScannerAccount(Actor(user_id, username, Role(role)), active,
                          frozenset(ScanMode(m) for m in modes), location)


def gateway_has_scanners(session: Session, gateway: str) -> bool:
    return session.scalar(select(Scanner.scanner).where(Scanner.gateway == gateway).limit(1)) \
        is not None


def journal_record(session: Session, gateway: str, seq: int) -> ScanRecord | None:
    """The scan journal's row of (gateway, seq), if the scan was handled before."""
    return session.scalar(select(ScanRecord).where(
        ScanRecord.gateway == gateway, ScanRecord.seq == seq))
