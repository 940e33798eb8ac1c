"""The audit trail's rules, in plain Python: what a row says, how its hash chains
it to the row before, how a walk over the rows finds the first one that does not
match, and which changes need a reason.

Each row's hash is the SHA-256 of its content and the previous row's hash, as
canonical JSON (sorted keys, no spaces, UTF-8). `seq` counts the rows from 1 without
gaps, so a deleted row shows as a gap and a broken link; an edited row no longer
matches its own hash. What the chain alone cannot show is the newest rows removed
together: `stockwarden audit verify` prints the head (seq and hash) for the site to
keep outside the database (docs/compliance.md)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

GENESIS = "0" * 64

# Kinds of change a site may mark as needing a reason. The default marks limits and
# tolerances, alarm rules and routes, QC status, a sensor's zone, purges and imports.
LIMITS = "limits"
ALARM_RULES = "alarm_rules"
QC_STATUS = "qc_status"
SENSOR_ZONE = "sensor_zone"
PURGE = "purge"
IMPORT = "import"
KINDS = frozenset({LIMITS, ALARM_RULES, QC_STATUS, SENSOR_ZONE, PURGE, IMPORT})
DEFAULT_REASON_REQUIRED = KINDS

# The fields whose change makes a change of master data a `limits` change: a storage
# class's bands and tolerance, a zone's storage class and tolerance.
LIMIT_FIELDS = ("temp_min_c", "temp_max_c", "humidity_min_pct", "humidity_max_pct",
                "excursion_tolerance_s", "mkt_delta_h", "mkt_window_h", "storage_class")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=canonical) if isinstance(value, set | frozenset) else items
    return value


def canonical(value: Any) -> str:
    """One text per value: sorted keys, no spaces, dates as ISO 8601 (UTC)."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False)


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None
            ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Only the fields that differ, on both sides (a creation or deletion keeps all)."""
    if before is None or after is None:
        return before, after
    keys = [k for k in dict.fromkeys([*before, *after])
            if canonical(before.get(k)) != canonical(after.get(k))]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of the trail as stored; `before` and `after` are canonical JSON texts
    (or None), so the hash is taken over exactly what is stored."""

    seq: int
    at: datetime
    user_id: int | None
    actor: str
    via: str
    action: str
    entity: str
    key: str
    before: str | None
    after: str | None
    reason: str | None
    prev_hash: str
    hash: str = ""


def row_hash(entry: Entry) -> str:
    content = {
        "seq": entry.seq, "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "user_id": entry.user_id, "actor": entry.actor, "via": entry.via,
        "action": entry.action, "entity": entry.entity, "key": entry.key,
        "before": entry.before, "after": entry.after, "reason": entry.reason,
        "prev": entry.prev_hash,
    }
    return hashlib.sha256(canonical(content).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Break:
    """The first row that does not match, and how."""

    seq: int
    problem: str

    def __str__(self) -> str:
        return f"audit trail row {self.seq}: {self.problem}"


class ChainWalk:
    """Checks rows in `seq` order, one at a time. Started after a row (`after_seq`,
    `after_hash`) it checks the rest of the chain from there; started at the
    beginning, the first row must be seq 1 after the genesis hash."""

    def __init__(self, after_seq: int = 0, after_hash: str = GENESIS) -> None:
        self.seq, self.hash = after_seq, after_hash
        self.checked = 0

    def check(self, entry: Entry) -> Break | None:
        if entry.seq != self.seq + 1:
            return Break(self.seq + 1, f"missing: the next row found is {entry.seq}")
        if entry.prev_hash != self.hash:
            return Break(entry.seq, "does not follow the row before (its link differs: a row "
                                    "before it was changed or removed)")
        if row_hash(entry) != entry.hash:
            return Break(entry.seq, "its content does not match its hash (changed after "
                                    "it was written)")
        self.seq, self.hash = entry.seq, entry.hash
        self.checked += 1
        return None

    def check_all(self, entries: Iterable[Entry]) -> Break | None:
        for entry in entries:
            broken = self.check(entry)
            if broken is not None:
                return broken
        return None


def kinds_changed(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
                  watched: Mapping[str, Iterable[str]]) -> list[str]:
    """The kinds whose watched fields differ between before and after, e.g.
    `{LIMITS: LIMIT_FIELDS, SENSOR_ZONE: ["zone"]}`."""
    old, new = before or {}, after or {}
    return [kind for kind, fields in watched.items()
            if any(canonical(old.get(f)) != canonical(new.get(f)) for f in fields)]


def missing_reason(kinds: Iterable[str], reason: str | None,
                   required: frozenset[str]) -> list[str]:
    """The kinds of this change that the site marks as needing a reason, when none
    was given (empty when a reason was given or none is needed)."""
    if reason is not None and reason.strip():
        return []
    return sorted(set(kinds) & required)
