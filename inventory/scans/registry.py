"""The scanner registry: which serial scanners of which gateway may book, as whom,
in which modes, and the bin a scan books at when it names none. Master data an
admin keeps (API `/api/v1/gateways/{gateway}/scanners`); the scan consumer reads
it for every scan, and the journal of what it did with them is read here too. The
answers are the Public models of inventory/scans/schemas.py."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from contract.wire import ID_PATTERN, ScanMode, reserved_gateway_problem
from inventory import repository as repo
from inventory.orm import Location
from inventory.scans.orm import Scanner, ScanRecord
from inventory.scans.schemas import ScannerPublic, ScannerRegistration, ScanRecordPublic
from kernel.actors import Actor, Role
from kernel.clock import Clock, utcnow
from kernel.errors import Invalid, NotFound
from kernel.orm import User
from kernel.uow import Done, run_read, run_write


@dataclass(frozen=True, slots=True)
class ScannerAccount:
    """What the consumer needs to book a scan of a registered scanner."""

    actor: Actor
    active: bool
    modes: frozenset[ScanMode]
    location: str | None


def check_ids(gateway: str, scanner: str | None = None) -> None:
    import re

    for what, value in (("gateway", gateway), ("scanner", scanner)):
        if value is not None and not re.match(ID_PATTERN, value):
            raise Invalid(f"{what} {value!r} is not a valid identifier (letters, digits, "
                          f"'_.:-', up to 64)", code="invalid_identifier")
    problem = reserved_gateway_problem(gateway)
    if problem:
        raise Invalid(f"gateway {problem}", code="invalid_identifier")


def _views(session: Session, gateway: str | None = None) -> list[ScannerPublic]:
    query = (
        select(Scanner, User.username, User.active, Location.code)
        .join(User, User.id == Scanner.user_id)
        .outerjoin(Location, Location.id == Scanner.location_id)
        .order_by(Scanner.gateway, Scanner.scanner)
    )
    if gateway is not None:
        query = query.where(Scanner.gateway == gateway)
    return [
        ScannerPublic(gateway=row.gateway, scanner=row.scanner, operator=username,
                      operator_active=active, modes=[ScanMode(m) for m in row.modes],
                      location=code, updated_at=row.updated_at)
        for row, username, active, code in session.execute(query)
    ]


def list_scanners(session: Session, gateway: str | None = None) -> list[ScannerPublic]:
    """The registered scanners of one gateway, or of all."""
    return run_read(session, lambda: _views(session, gateway))


def put_scanner(
    session: Session, gateway: str, scanner: str, registration: ScannerRegistration,
    clock: Clock = utcnow,
) -> Done[ScannerPublic]:
    """Register a scanner, or change its registration (created: it was new)."""
    check_ids(gateway, scanner)
    created = False

    def work() -> ScannerPublic:
        nonlocal created
        user = session.scalar(select(User).where(User.username == registration.operator))
        if user is None:
            raise NotFound(f"no user {registration.operator}", code="user_not_found")
        if not user.active:
            raise Invalid(f"user {registration.operator} is deactivated; scans cannot book "
                          f"as them", code="user_inactive")
        location = (repo.location_by_code(session, registration.location)
                    if registration.location else None)
        row = session.get(Scanner, (gateway, scanner))
        now = clock()
        if row is None:
            created = True
            row = Scanner(gateway=gateway, scanner=scanner, created_at=now)
            session.add(row)
        row.user_id = user.id
        row.modes = [mode.value for mode in registration.modes]
        row.location_id = location.id if location else None
        row.updated_at = now
        session.flush()
        return ScannerPublic(gateway=gateway, scanner=scanner, operator=user.username,
                             operator_active=user.active, modes=registration.modes,
                             location=registration.location, updated_at=now)

    done = run_write(session, work)
    return Done(done.value, created=created)


def delete_scanner(session: Session, gateway: str, scanner: str) -> None:
    """Unregister: from now on its scans are refused (and recorded)."""

    def work() -> None:
        result = session.execute(
            delete(Scanner).where(Scanner.gateway == gateway, Scanner.scanner == scanner))
        if not result.rowcount:
            raise NotFound(f"gateway {gateway} has no registered scanner {scanner}",
                           code="scanner_not_found")

    run_write(session, work)


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


# --- the journal of MQTT scans


def list_scan_records(
    session: Session, *, gateway: str | None = None, outcome: str | None = None,
    before_id: int | None = None, limit: int = 100,
) -> list[ScanRecordPublic]:
    """The newest scans first; `outcome=refused` lists the refusals with their reasons."""

    def work() -> list[ScanRecordPublic]:
        query = select(ScanRecord).order_by(ScanRecord.id.desc()).limit(limit)
        if gateway is not None:
            query = query.where(ScanRecord.gateway == gateway)
        if outcome is not None:
            query = query.where(ScanRecord.outcome == outcome)
        if before_id is not None:
            query = query.where(ScanRecord.id < before_id)
        return [ScanRecordPublic.model_validate(row) for row in session.scalars(query)]

    return run_read(session, work)
