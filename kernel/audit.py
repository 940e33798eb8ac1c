"""The one audit trail: every change of GxP data leaves a row, written in the same
transaction as the change (a use case under `@unit_of_work` calls `record`), so a
change without its row cannot commit and a row without its change cannot exist.

Appends are serialised so that concurrent writers still make one chain: on
PostgreSQL a transaction-scoped advisory lock, taken when the first row of a
transaction is appended and held to its commit; SQLite serialises writers already
(BEGIN IMMEDIATE, hub/db.py). `seq` is unique besides: a fork cannot commit, and the
loser is run again by the unit of work.

Call `record` after the change's own locks (rows before the trail's head), so that
every transaction takes its locks in one order. The rules (hash, walk, reason
policy) are in kernel/audit_chain.py; the trigger refusing UPDATE and DELETE is in
the migration hub/migrations/versions/0013_audit.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

from kernel.actors import Actor, Role
from kernel.audit_chain import (
    DEFAULT_REASON_REQUIRED,
    GENESIS,
    Break,
    ChainWalk,
    Entry,
    canonical,
    changes,
    missing_reason,
    row_hash,
)
from kernel.audit_chain import kinds_changed as kinds_changed  # for the use cases
from kernel.clock import Clock, utcnow
from kernel.errors import Invalid
from kernel.orm import AuditRecord

# Any fixed number: the advisory lock every appender of the trail takes on PostgreSQL.
_APPEND_LOCK = 0x5357_4155  # "SWAU"
SYSTEM = "system"

_reason_required: frozenset[str] = DEFAULT_REASON_REQUIRED


def require_reasons_for(kinds: Iterable[str]) -> None:
    """The site's choice (setting `audit_reason_required`) of the kinds of change that
    need a reason; set once by the hub at start."""
    global _reason_required
    _reason_required = frozenset(kinds)


def reason_required() -> frozenset[str]:
    return _reason_required


class ReasonRequired(Invalid):
    code = "reason_required"


def check_reason(kinds: Iterable[str], reason: str | None) -> None:
    """Invalid (422 `reason_required`) when the change is of a kind the site marks as
    needing a reason and none was given. Call it before changing anything."""
    missing = missing_reason(kinds, reason, _reason_required)
    if missing:
        raise ReasonRequired(
            "this change (%(kinds)s) needs a reason: send `reason` saying why",
            kinds=", ".join(missing))


def cli_actor() -> Actor:
    """Who runs a command on the hub's machine: the operating system's user."""
    import getpass

    try:
        name = getpass.getuser()
    except Exception:  # no name for this uid (a container): still recorded as the CLI
        name = "unknown"
    return Actor(0, f"os:{name}"[:64], Role.ADMIN, via="cli")


def lock_chain(session: Session) -> None:
    """Hold the trail's append lock to the end of this transaction (PostgreSQL; a
    SQLite write session holds the database's already): for a use case that reads the
    trail to decide what to append (kernel/audit_start.py)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _APPEND_LOCK})


def _head(session: Session) -> tuple[int, str]:
    lock_chain(session)
    row = session.execute(select(AuditRecord.seq, AuditRecord.hash)
                          .order_by(AuditRecord.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row is not None else (0, GENESIS)


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else canonical(value)


def record(
    session: Session, actor: Actor | None, action: str, entity: str, key: object,
    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
    reason: str | None = None, *, kinds: Iterable[str] = (), clock: Clock = utcnow,
    signature: dict[str, Any] | None = None,
) -> bool:
    """Append one row: `actor` did `action` (e.g. `update`) to `entity` `key`, the
    fields that changed from `before` to `after`. Nothing is written when an update
    changed nothing (False). `kinds`: which kinds of change this is, for the reason
    policy (a missing reason raises and rolls the whole change back). `actor` None
    is the system itself. `signature`: the electronic signature of the change
    (kernel/signatures.py `ref`), added to `after`."""
    check_reason(kinds, reason)
    before, after = changes(before, after)
    if before == {} and after == {}:
        return False
    if signature is not None:
        after = {**(after or {}), "signature": signature}
    seq, prev = _head(session)
    entry = Entry(
        seq=seq + 1, at=clock(), user_id=(actor.user_id or None) if actor else None,
        actor=actor.username if actor else SYSTEM, via=(actor.via if actor else "") or "",
        action=action, entity=entity, key=str(key)[:200], before=_json(before),
        after=_json(after), reason=(reason or "").strip() or None, prev_hash=prev)
    session.add(AuditRecord(
        seq=entry.seq, at=entry.at, user_id=entry.user_id, actor=entry.actor[:64],
        via=entry.via[:64], action=entry.action, entity=entry.entity, entity_key=entry.key,
        before=entry.before, after=entry.after, reason=entry.reason,
        prev_hash=entry.prev_hash, hash=row_hash(entry)))
    session.flush()  # the next record in this transaction reads this one as the head
    return True


def _entry(row: Any) -> Entry:
    return Entry(seq=row.seq, at=row.at, user_id=row.user_id, actor=row.actor, via=row.via,
                 action=row.action, entity=row.entity, key=row.entity_key, before=row.before,
                 after=row.after, reason=row.reason, prev_hash=row.prev_hash, hash=row.hash)


@dataclass(frozen=True, slots=True)
class Verified:
    checked: int
    head_seq: int
    head_hash: str
    broken: Break | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def head(session: Session) -> tuple[int, int]:
    """The newest row's seq and the number of rows (differ when rows were removed)."""
    row = session.execute(select(func.max(AuditRecord.seq), func.count())
                          .select_from(AuditRecord)).one()
    return int(row[0] or 0), int(row[1] or 0)


def verify(session: Session, *, last: int | None = None, batch: int = 2000,
           progress: Callable[[int], None] | None = None) -> Verified:
    """Walk the chain (the whole of it, or its newest `last` rows) and name the first
    row that does not match. `progress` is told how many rows each batch checked."""
    newest = int(session.scalar(select(func.max(AuditRecord.seq))) or 0)
    walk = ChainWalk()
    start = 0
    if last is not None and newest > last:
        start = newest - last
        anchor = session.execute(select(AuditRecord).where(AuditRecord.seq <= start)
                                 .order_by(AuditRecord.seq.desc()).limit(1)).scalar()
        if anchor is not None:
            # The anchor itself must match its content; its own link is checked by the
            # full walk.
            first = _entry(anchor)
            if row_hash(first) != first.hash:
                return Verified(0, newest, "", Break(first.seq, "its content does not match "
                                                     "its hash (changed after it was written)"))
            walk = ChainWalk(first.seq, first.hash)
            start = first.seq
    while True:
        rows = session.execute(select(AuditRecord).where(AuditRecord.seq > start)
                               .order_by(AuditRecord.seq).limit(batch)).scalars().all()
        if not rows:
            break
        broken = walk.check_all(_entry(r) for r in rows)
        if broken is not None:
            return Verified(walk.checked, newest, walk.hash, broken)
        if progress is not None:
            progress(len(rows))
        start = rows[-1].seq
    return Verified(walk.checked, walk.seq, walk.hash, None)


# --- review ------------------------------------------------------------------------


class AuditRowPublic(BaseModel):
    """One row of the trail as the API shows it; `before` and `after` as JSON objects."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor: str
    via: str
    action: str
    entity: str
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    hash: str


CSV_COLUMNS = ("seq", "at", "actor", "via", "action", "entity", "key", "before", "after",
               "reason", "hash")


@dataclass(frozen=True, slots=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    user: str | None = None
    entity: str | None = None
    key: str | None = None
    action: str | None = None


def _filtered(f: AuditFilter) -> Select[AuditRecord]:
    query = select(AuditRecord)
    if f.since is not None:
        query = query.where(AuditRecord.at >= f.since)
    if f.until is not None:
        query = query.where(AuditRecord.at < f.until)
    if f.user:
        query = query.where(AuditRecord.actor == f.user)
    if f.entity:
        query = query.where(AuditRecord.entity == f.entity)
    if f.key:
        query = query.where(AuditRecord.entity_key == f.key)
    if f.action:
        query = query.where(AuditRecord.action == f.action)
    return query


def _public(row: AuditRecord) -> AuditRowPublic:
    from json import loads

    return AuditRowPublic(
        seq=row.seq, at=row.at, actor=row.actor, via=row.via, action=row.action,
        entity=row.entity, key=row.entity_key,
        before=loads(row.before) if row.before else None,
        after=loads(row.after) if row.after else None, reason=row.reason, hash=row.hash)


def rows(session: Session, f: AuditFilter, *, after_seq: int = 0, limit: int = 100
         ) -> list[AuditRowPublic]:
    """A page of the trail, oldest first, after `after_seq`."""
    query = _filtered(f).where(AuditRecord.seq > after_seq).order_by(AuditRecord.seq)
    return [_public(r) for r in session.execute(query.limit(limit)).scalars()]


def all_rows(session: Session, f: AuditFilter, batch: int = 1000) -> Iterator[AuditRowPublic]:
    """Every matching row, oldest first, read in pages (for the CSV export)."""
    after = 0
    while True:
        page = rows(session, f, after_seq=after, limit=batch)
        yield from page
        if len(page) < batch:
            return
        after = page[-1].seq


def csv_row(row: AuditRowPublic) -> list[object]:
    return [row.seq, row.at.isoformat(), row.actor, row.via, row.action, row.entity, row.key,
            canonical(row.before) if row.before is not None else "",
            canonical(row.after) if row.after is not None else "", row.reason or "", row.hash]


def in_period(session: Session, since: datetime, until: datetime, entities: Iterable[str],
              *, batch: int = 2000) -> Iterator[AuditRowPublic]:
    """Every row of these entities in [since, until), oldest first, read in pages, for a
    report to pick its own from (a zone's, its sensors', the rules' that apply to it)."""
    names, after = list(entities), 0
    while True:
        query = (select(AuditRecord).where(AuditRecord.at >= since, AuditRecord.at < until,
                                           AuditRecord.entity.in_(names),
                                           AuditRecord.seq > after)
                 .order_by(AuditRecord.seq).limit(batch))
        page = [_public(r) for r in session.execute(query).scalars()]
        yield from page
        if len(page) < batch:
            return
        after = page[-1].seq


def of_key(session: Session, entity: str, key: str) -> list[AuditRowPublic]:
    """Every row of one entity's key (a lot's QC status changes), oldest first."""
    return list(all_rows(session, AuditFilter(entity=entity, key=key)))


class ChainPublic(BaseModel):
    """The chain's state for the review page: verified up to its head, or broken at a
    row (`verify`'s answer); `whole` says whether every row was walked or the newest."""

    ok: bool
    whole: bool
    checked: int
    rows: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    problem: str | None = None


def chain_state(session: Session, *, last: int | None) -> ChainPublic:
    newest, count = head(session)
    found = verify(session, last=last)
    return ChainPublic(
        ok=found.ok, whole=last is None or newest <= last, checked=found.checked, rows=count,
        head_seq=found.head_seq, head_hash=found.head_hash,
        broken_seq=found.broken.seq if found.broken else None,
        problem=found.broken.problem if found.broken else None)


def chain_words(state: ChainPublic) -> str:
    """The state in one line, as the page and the PDF print it."""
    scope = "the whole trail" if state.whole else f"its newest {state.checked} rows"
    if state.ok:
        return (f"verified ({scope}): head seq {state.head_seq}, hash {state.head_hash}; "
                f"{state.rows} rows")
    return f"BROKEN at row {state.broken_seq}: {state.problem} (checked {scope})"
