"""The scanner registry: which serial scanners of which gateway may book, as whom,
in which modes, and the bin a scan books at when it names none. Master data an
admin keeps (API `/api/v1/gateways/{gateway}/scanners`); the scan consumer reads
it for every scan, and the journal of what it did with them is read here too. The
answers are the Public models of inventory/scans/schemas.py; the SQL is
inventory/scans/repository.py and inventory/scans/queries.py."""

from __future__ import annotations

from sqlalchemy.orm import Session

from contract.wire import ID_PATTERN, reserved_gateway_problem
from inventory import repository as repo
from inventory.scans import queries
from inventory.scans import repository as scans
from inventory.scans.orm import Scanner
from inventory.scans.schemas import ScannerPublic, ScannerRegistration, ScanRecordPublic
from kernel import audit
from kernel.actors import Actor
from kernel.clock import Clock, utcnow
from kernel.errors import Invalid, NotFound
from kernel.uow import Done, consistent_read, unit_of_work


def check_ids(gateway: str, scanner: str | None = None) -> None:
    import re

    for what, value in (("gateway", gateway), ("scanner", scanner)):
        if value is not None and not re.match(ID_PATTERN, value):
            raise Invalid("%(what)s %(value)s is not a valid identifier (letters, digits, "
                          "'_.:-', up to 64)", code="invalid_identifier", what=what,
                          value=repr(value))
    problem = reserved_gateway_problem(gateway)
    if problem:
        raise Invalid("gateway %(problem)s", code="invalid_identifier", problem=problem)


@consistent_read
def list_scanners(session: Session, gateway: str | None = None) -> list[ScannerPublic]:
    """The registered scanners of one gateway, or of all."""
    return queries.scanners(session, gateway)


def put_scanner(
    session: Session, gateway: str, scanner: str, registration: ScannerRegistration,
    clock: Clock = utcnow, actor: Actor | None = None,
) -> Done[ScannerPublic]:
    """Register a scanner, or change its registration (created: it was new)."""
    check_ids(gateway, scanner)
    public, created = _register(session, gateway, scanner, registration, clock, actor).get()
    return Done(public, created=created)


@unit_of_work()
def _register(
    session: Session, gateway: str, scanner: str, registration: ScannerRegistration,
    clock: Clock, actor: Actor | None,
) -> tuple[ScannerPublic, bool]:
    """The registration's transaction: the scanner as shown, and whether it was new."""
    user = scans.user_named(session, registration.operator)
    if user is None:
        raise NotFound("no user %(operator)s", code="user_not_found",
            operator=registration.operator)
    if not user.active:
        raise Invalid("user %(user)s is deactivated; scans cannot book as them",
                      code="user_inactive", user=registration.operator)
    location = (repo.location_by_code(session, registration.location)
                if registration.location else None)
    row = session.get(Scanner, (gateway, scanner))
    now = clock()
    created = row is None
    before = None if row is None else {"operator_id": row.user_id, "modes": row.modes,
                                       "location_id": row.location_id}
    if row is None:
        row = Scanner(gateway=gateway, scanner=scanner, created_at=now)
        session.add(row)
    row.user_id = user.id
    row.modes = [mode.value for mode in registration.modes]
    row.location_id = location.id if location else None
    row.updated_at = now
    session.flush()
    audit.record(session, actor, "create" if created else "update", "scanner",
                 f"{gateway}/{scanner}", before, {"operator_id": row.user_id,
                                                  "modes": row.modes,
                                                  "location_id": row.location_id})
    return ScannerPublic(gateway=gateway, scanner=scanner, operator=user.username,
                         operator_active=user.active, modes=registration.modes,
                         location=registration.location, updated_at=now), created


@unit_of_work()
def delete_scanner(session: Session, gateway: str, scanner: str,
                   actor: Actor | None = None) -> None:
    """Unregister: from now on its scans are refused (and recorded)."""
    if not scans.remove_scanner(session, gateway, scanner):
        raise NotFound("gateway %(gateway)s has no registered scanner %(scanner)s",
                       code="scanner_not_found", gateway=gateway, scanner=scanner)
    audit.record(session, actor, "delete", "scanner", f"{gateway}/{scanner}",
                 {"registered": True}, None)


# --- the journal of MQTT scans


@consistent_read
def list_scan_records(
    session: Session, *, gateway: str | None = None, outcome: str | None = None,
    before_id: int | None = None, limit: int = 100,
) -> list[ScanRecordPublic]:
    """The newest scans first; `outcome=refused` lists the refusals with their reasons."""
    return queries.scan_records(session, gateway=gateway, outcome=outcome,
                                before_id=before_id, limit=limit)
