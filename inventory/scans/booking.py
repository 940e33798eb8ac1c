"""One scan message from a gateway → one inventory action, exactly once per
(gateway, seq), and the answer for the gateway.

The steps, each refusal recorded in the scan journal (`scan_records`) with its
reason and never booked: the topic and payload must follow the wire contract; the
payload's gateway must be the topic's; the (gateway, scanner) must be registered
(inventory.scans.registry), its operator account active, the scan's mode one it may use.
Then the scan goes through `book_scan`, the service of the HTTP scan route, as the
registered operator, with the idempotency key ``scan:{gateway}:{seq}`` and the
payload's SHA-256 as fingerprint: the booking and its recorded answer commit
together, so a redelivered message replays that answer instead of booking again.
The journal row (one per (gateway, seq)) follows in its own transaction; a
redelivery that finds it answers `duplicate` (or the first refusal) at once.

Transient database errors propagate (the caller retries the whole message; the
idempotency record makes that safe); any other error of one scan refuses that
scan, so a poison message never wedges the consumer.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from contract import wire
from contract.wire import Scan, ScanLine, ScanMode, ScanOutcome, ScanResult, WireError, printable
from inventory.scans import repository as scans
from inventory.scans.actions import ScanRequest, book_scan
from inventory.scans.interpret import CommandLabel, GS1Scan, LocationLabel, ScanSettings, interpret
from inventory.scans.orm import ScanRecord
from inventory.scans.repository import ScannerAccount
from inventory.schemas import BookingPublic
from kernel.dberrors import database_reason, is_transient
from kernel.errors import Busy, DomainError
from kernel.uow import Idempotency, Recorded, consistent_read, unit_of_work

log = logging.getLogger(__name__)

MAX_KEPT_PAYLOAD = 4096
MAX_MESSAGE = 500


def is_retryable(exc: BaseException) -> bool:
    """Worth handling the same message again later: the database was away or busy."""
    return isinstance(exc, Busy) or is_transient(exc)


@dataclass(frozen=True, slots=True)
class Handled:
    """What became of one message: the answer for the gateway (None when the topic
    names no gateway we can answer) and the journal's outcome."""

    outcome: str
    result: ScanResult | None
    site: str | None = None
    gateway: str | None = None


@dataclass(slots=True)
class _Answer:
    ok: bool
    outcome: str
    message: str
    lines: list[ScanLine] = field(default_factory=list)
    code: str | None = None
    booking: str | None = None
    username: str | None = None
    # A replayed booking: what it said the first time (the journal keeps that).
    first_message: str | None = None


def _lines_json(lines: list[ScanLine]) -> list[dict[str, object]]:
    return [line.model_dump(mode="json", exclude_none=True) for line in lines]


def _booking_lines(booking: BookingPublic) -> list[ScanLine]:
    return [ScanLine(item=booking.item, quantity=line.quantity, lot=line.lot_number,
                     location=line.from_location, to_location=line.to_location)
            for line in booking.lines]


def describe_booking(kind: str, item: str, lines: list[ScanLine]) -> str:
    """Plain words for the gateway's display: 'Received 12 of VAC-1, lot L42, into A-01'."""
    parts = []
    for line in lines:
        lot = f", lot {line.lot}" if line.lot else ""
        if line.location and line.to_location:
            where = f", from {line.location} to {line.to_location}"
        elif line.to_location:
            where = f", into {line.to_location}"
        elif line.location:
            where = f", from {line.location}"
        else:
            where = ""
        parts.append(f"{line.quantity} of {item}{lot}{where}")
    verb = {"receive": "Received", "dispatch": "Dispatched", "transfer": "Moved",
            "count": "Counted; booked the difference:", "return": "Returned"}.get(kind, "Booked")
    if not parts:
        return f"{verb} nothing: the count equals the stock of {item}"
    return f"{verb} {'; '.join(parts)}"


class ScanBooker:
    """Turns scan messages into bookings; owns no thread (see scans/consumer.py)."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: ScanSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock

    def today(self) -> date:
        return self.clock().date()

    # --- the one entry point

    def handle(self, topic: str, payload: bytes) -> Handled:
        """Book or refuse one message. Raises only what `is_retryable` accepts."""
        received = self.clock()
        try:
            parts = wire.parse_topic(topic)
            if parts.kind != "scan":
                raise WireError(f"topic {topic!r} is not a scan topic")
        except WireError as exc:
            pieces = topic.split("/")
            site = printable(pieces[2] if len(pieces) > 2 else "?")[:64]
            gateway = printable(pieces[3] if len(pieces) > 3 else "?")[:64]
            return self._refuse_unread(received, site, gateway, payload, str(exc), None)
        try:
            scan = wire.decode(Scan, payload)
        except WireError as exc:
            return self._refuse_unread(received, parts.site, parts.gateway, payload, str(exc),
                                       _loose_address(payload))
        if scan.gateway != parts.gateway:
            reason = (f"the payload's gateway {scan.gateway} differs from the topic's "
                      f"{parts.gateway}")
            return self._refuse_unread(received, parts.site, parts.gateway, payload, reason,
                                       (scan.seq, scan.scanner))
        fingerprint = hashlib.sha256(payload).hexdigest()
        with self.sessions() as session:
            earlier, account, known = _look_up(session, scan)
            if earlier is not None:
                return self._again(received, parts.site, scan, payload, fingerprint, earlier)
            try:
                answer = self._answer(session, scan, account, known, fingerprint)
            except Exception as exc:
                if is_retryable(exc):
                    raise
                answer = self._failure(exc, scan)
            return self._record(session, received, parts.site, scan, answer, fingerprint,
                                payload)

    # --- deciding

    def _answer(self, session: Session, scan: Scan, account: ScannerAccount | None,
                known_gateway: bool, fingerprint: str) -> _Answer:
        if account is None:
            if known_gateway:
                return _refused(f"scanner {scan.scanner} of gateway {scan.gateway} is not "
                                f"registered; an admin registers it first", "unknown_scanner")
            return _refused(f"gateway {scan.gateway} has no registered scanners; an admin "
                            f"registers them first", "unknown_gateway")
        if not account.active:
            return _refused(f"the account {account.actor.username} of scanner {scan.scanner} "
                            f"is deactivated", "operator_inactive")
        mode = scan.mode or ScanMode.IDENTIFY
        meaning = interpret(scan.raw, self.settings)  # ScanError: refused by the caller
        if mode not in account.modes:
            allowed = ", ".join(sorted(m.value for m in account.modes))
            return _refused(f"scanner {scan.scanner} may not {mode.value} (allowed: {allowed})",
                            "mode_not_allowed")
        if isinstance(meaning, LocationLabel | CommandLabel):
            location = scan.location or account.location
            return _Answer(True, ScanOutcome.LABEL, f"Label understood: mode {mode.value}"
                           + (f", location {location}" if location else ""))
        answer = self._book(session, scan, mode, meaning, account, fingerprint)
        answer.username = account.actor.username
        return answer

    def _book(self, session: Session, scan: Scan, mode: ScanMode, meaning: GS1Scan,
              account: ScannerAccount, fingerprint: str) -> _Answer:
        request = ScanRequest(
            raw=scan.raw, mode=mode, location=scan.location or account.location,
            counted=meaning.quantity if mode is ScanMode.COUNT else None,
            reference=f"scan {scan.gateway}#{scan.seq}",
        )
        if mode is ScanMode.COUNT and request.counted is None:
            return _refused("a count scan needs the counted quantity on the label (AI 30)",
                            "scan_incomplete")

        def render(value: BookingPublic, _created: bool) -> Recorded:
            lines = _booking_lines(value)
            return Recorded(0, {"booking": value.booking, "lines": _lines_json(lines),
                                "message": describe_booking(value.kind.value, value.item,
                                                            lines)})

        idem = Idempotency(account.actor.user_id, f"scan:{scan.gateway}:{scan.seq}",
                           fingerprint, render)
        outcome = book_scan(session, request, account.actor, idem, self.settings, self.today)
        if outcome.booked is None:
            return _Answer(True, ScanOutcome.IDENTIFIED, _identified(outcome.item, meaning),
                           [ScanLine(item=outcome.item or "?", quantity=meaning.quantity,
                                     lot=meaning.lot)])
        if outcome.booked.replay is not None:
            body = outcome.booked.replay.body
            return _Answer(True, ScanOutcome.DUPLICATE, f"Already booked: {body['message']}",
                           [ScanLine.model_validate(line) for line in body["lines"]],
                           booking=body["booking"], first_message=body["message"])
        booking = outcome.booked.get()
        lines = _booking_lines(booking)
        return _Answer(True, ScanOutcome.BOOKED,
                       describe_booking(booking.kind.value, booking.item, lines), lines,
                       booking=booking.booking)

    @staticmethod
    def _failure(exc: Exception, scan: Scan) -> _Answer:
        if isinstance(exc, DomainError):
            return _refused(exc.message, exc.code)
        if hasattr(exc, "orig") or type(exc).__module__.startswith("sqlalchemy"):
            log.warning("the database refused scan %s of %s: %s", scan.seq, scan.gateway, exc)
            return _refused(database_reason(exc), "database_refused")
        log.exception("scan %s of %s could not be handled", scan.seq, scan.gateway)
        return _refused(f"the hub could not handle this scan ({type(exc).__name__}); "
                        f"see the hub's log", "internal")

    # --- recording and answering

    def _record(self, session: Session, received: datetime, site: str, scan: Scan,
                answer: _Answer, fingerprint: str, payload: bytes) -> Handled:
        message = printable(answer.message)[:MAX_MESSAGE]
        # A replay found by the idempotency record (the hub died between the booking's
        # commit and the journal's): the journal records the booking as it was.
        replayed = answer.outcome == ScanOutcome.DUPLICATE
        row = dict(
            received_at=received, site=site, gateway=scan.gateway, seq=scan.seq,
            scanner=scan.scanner, scanned_at=scan.ts, mode=(scan.mode or ScanMode.IDENTIFY).value,
            raw=scan.raw, outcome=ScanOutcome.BOOKED if replayed else str(answer.outcome),
            ok=answer.ok, code=answer.code,
            message=printable(answer.first_message)[:MAX_MESSAGE] if answer.first_message
            else message,
            lines=_lines_json(answer.lines), booking=answer.booking,
            username=answer.username, fingerprint=fingerprint,
            payload=None if answer.ok else payload[:MAX_KEPT_PAYLOAD],
        )
        earlier = _journal(session, row).value
        if earlier is not None:
            return self._again(received, site, scan, payload, fingerprint, earlier)
        result = ScanResult(gateway=scan.gateway, seq=scan.seq, scanner=scan.scanner,
                            ts=self.clock(), ok=answer.ok, outcome=str(answer.outcome),
                            message=message, lines=answer.lines)
        return Handled(str(answer.outcome), result, site, scan.gateway)

    def _again(self, received: datetime, site: str, scan: Scan, payload: bytes,
               fingerprint: str, earlier: ScanRecord) -> Handled:
        """A (gateway, seq) seen before: replay its answer, or refuse other content."""
        if earlier.fingerprint != fingerprint:
            reason = (f"seq {scan.seq} of gateway {scan.gateway} came before with other "
                      f"content (was the gateway's outbox reset?); not booked")
            return self._refuse_unread(received, site, scan.gateway, payload, reason,
                                       (scan.seq, scan.scanner))
        lines = [ScanLine.model_validate(line) for line in earlier.lines or []]
        booked = earlier.outcome in (ScanOutcome.BOOKED, ScanOutcome.DUPLICATE)
        outcome = ScanOutcome.DUPLICATE if booked else earlier.outcome
        message = f"Already booked: {earlier.message}" if earlier.outcome == "booked" \
            else earlier.message
        result = ScanResult(gateway=scan.gateway, seq=scan.seq, scanner=scan.scanner,
                            ts=self.clock(), ok=earlier.ok, outcome=str(outcome),
                            message=message[:MAX_MESSAGE], lines=lines)
        return Handled(ScanOutcome.DUPLICATE, result, site, scan.gateway)

    def _refuse_unread(self, received: datetime, site: str, gateway: str, payload: bytes,
                       reason: str, address: tuple[int, str] | None) -> Handled:
        """A message whose (gateway, seq) cannot be trusted: recorded without a seq,
        with its bytes; answered when it names enough to be answered."""
        reason = printable(reason)
        row = dict(received_at=received, site=site, gateway=gateway, seq=None,
                   scanner=address[1][:64] if address else None, outcome=ScanOutcome.REFUSED,
                   ok=False, code="invalid_message", message=reason[:MAX_MESSAGE], lines=[],
                   payload=payload[:MAX_KEPT_PAYLOAD])
        with self.sessions() as session:
            _journal_refusal(session, row)
        log.warning("scan message refused", extra={"gateway": gateway, "reason": reason})
        result = None
        if address is not None and wire.reserved_gateway_problem(gateway) is None:
            try:
                result = ScanResult(gateway=gateway, seq=address[0], scanner=address[1],
                                    ts=self.clock(), ok=False, outcome=ScanOutcome.REFUSED,
                                    message=reason[:MAX_MESSAGE])
            except ValueError:
                result = None
        return Handled(ScanOutcome.REFUSED, result, site, gateway)


@consistent_read
def _look_up(session: Session, scan: Scan) -> tuple[ScanRecord | None, ScannerAccount | None,
                                                   bool]:
    """In one read: the journal's record of this (gateway, seq), else the scanner's
    registration and whether its gateway has any."""
    earlier = scans.journal_record(session, scan.gateway, scan.seq)
    if earlier is not None:
        return earlier, None, True
    account = scans.scanner_account(session, scan.gateway, scan.scanner)
    known = account is not None or scans.gateway_has_scanners(session, scan.gateway)
    return None, account, known


@unit_of_work()
def _journal(session: Session, row: dict[str, Any]) -> ScanRecord | None:
    """Record a scan in the journal, unless another hub of the share group was first:
    then its record."""
    earlier = scans.journal_record(session, row["gateway"], row["seq"])
    if earlier is not None:
        return earlier
    session.add(ScanRecord(**row))
    return None


@unit_of_work()
def _journal_refusal(session: Session, row: dict[str, Any]) -> None:
    """Record a message refused unread (it has no (gateway, seq) to be unique on)."""
    session.add(ScanRecord(**row))


def _refused(message: str, code: str) -> _Answer:
    return _Answer(False, ScanOutcome.REFUSED, message, code=code)


def _identified(item: str | None, scan: GS1Scan) -> str:
    parts = [f"{item} (GTIN {scan.gtin})"]
    if scan.lot:
        parts.append(f"lot {scan.lot}")
    if scan.expiry:
        parts.append(f"expires {scan.expiry.isoformat()}")
    if scan.quantity:
        parts.append(f"quantity {scan.quantity}")
    return ", ".join(parts)


def _loose_address(payload: bytes) -> tuple[int, str] | None:
    """seq and scanner of a payload that broke the contract elsewhere, if it names them
    plainly: then the gateway still hears why its scan was refused."""
    try:
        data: Any = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    seq, scanner = data.get("seq"), data.get("scanner")
    if isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0 and isinstance(
            scanner, str) and scanner:
        return seq, scanner
    return None
