"""The audit trail's rows in a report (docs/reports.md, "Changes in the period"): a
zone report prints who changed the zone, its storage class (its limits), its sensors,
their calibration and the alarm rules that apply to them in the period; a lot's trace
prints the lot's rows (QC status changes, holds, releases, with their reasons).

The choice of rows and their layout (one line per changed field, the value before
beside the value after) are plain functions, tested without a database; the reads are
kernel/audit.py's. The /audit page's PDF prints its rows with the same layout."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kernel import audit
from kernel.audit import AuditRowPublic
from kernel.audit_chain import canonical
from kernel.i18n_text import N_

Row = list[str]

CHANGE_HEAD = [N_("seq"), N_("at (UTC)"), N_("actor"), N_("via"), N_("action"), N_("entity"),
               N_("key"), N_("field"), N_("from"), N_("to"), N_("reason")]
# The entities a zone report looks at (the alarm rules' rows are sifted further).
ZONE_ENTITIES = ("zone", "storage_class", "sensor", "calibration", "alarm_rules")
# Rule lists of the rules document whose entries are scoped to a sensor, zone or class.
SCOPED_RULES = ("thresholds", "offline")


def text(value: Any) -> str:
    """A value as the tables print it: nothing for none, JSON for lists and objects."""
    if value is None:
        return ""
    return value if isinstance(value, str) else canonical(value)


def _narrowed(old: Any, new: Any) -> tuple[Any, Any]:
    """For two lists: only the entries one side has and the other has not (a rules
    list of fifty rules where one limit changed prints that one rule on each side)."""
    if not isinstance(old, list) or not isinstance(new, list):
        return old, new
    kept_old = {canonical(v) for v in old}
    kept_new = {canonical(v) for v in new}
    return ([v for v in old if canonical(v) not in kept_new],
            [v for v in new if canonical(v) not in kept_old])


def field_changes(row: AuditRowPublic) -> list[tuple[str, str, str]]:
    """(field, from, to) per field of the row, in the row's order; a list field shows
    only its entries that differ."""
    before, after = row.before or {}, row.after or {}
    fields = list(dict.fromkeys([*before, *after]))
    out = []
    for name in fields:
        old, new = _narrowed(before.get(name), after.get(name))
        out.append((name, text(old) if name in before else "",
                    text(new) if name in after else ""))
    return out


def change_rows(rows: Iterable[AuditRowPublic]) -> list[Row]:
    """The rows as table lines (CSV, PDF): one line per changed field."""
    lines: list[Row] = []
    for row in rows:
        head = [str(row.seq), row.at.strftime("%Y-%m-%d %H:%M:%S"), row.actor, row.via,
                row.action, row.entity, row.key]
        fields = field_changes(row) or [("", "", "")]
        for name, old, new in fields:
            lines.append([*head, name, old, new, row.reason or ""])
    return lines


# --- which rows belong to a zone


def _scope_applies(rule: Any, zone: str, classes: set[str], sensors: set[str]) -> bool:
    if not isinstance(rule, Mapping):
        return False
    sensor, zone_code, klass = rule.get("sensor"), rule.get("zone"), rule.get("storage_class")
    if sensor is None and zone_code is None and klass is None:
        return True  # a site-wide rule judges every sensor
    return sensor in sensors or zone_code == zone or klass in classes


def _route_applies(route: Any, zone: str) -> bool:
    if not isinstance(route, Mapping):
        return False
    match = route.get("match") or {}
    zones = match.get("zone") if isinstance(match, Mapping) else None
    return not zones or zone in zones


def rules_apply(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
                zone: str, classes: set[str], sensors: set[str]) -> bool:
    """Whether a change of the alarm rules touches this zone: a changed threshold or
    offline rule scoped to the zone, one of its sensors or storage classes, or to the
    whole site; changed defaults (the storage classes' own alarms use them); a changed
    route that carries this zone's alarms."""
    old, new = before or {}, after or {}
    for name in SCOPED_RULES:
        gone, came = _narrowed(old.get(name) or [], new.get(name) or [])
        if any(_scope_applies(r, zone, classes, sensors) for r in [*gone, *came]):
            return True
    if "defaults" in old or "defaults" in new:
        return True
    gone, came = _narrowed(old.get("routes") or [], new.get("routes") or [])
    return any(_route_applies(r, zone) for r in [*gone, *came])


def _mentions(row: AuditRowPublic, field: str, value: str) -> bool:
    return any(isinstance(side, Mapping) and side.get(field) == value
               for side in (row.before, row.after))


def pick_zone_rows(rows: Sequence[AuditRowPublic], zone: str, storage_class: str | None,
                   sensors: Iterable[str]) -> list[AuditRowPublic]:
    """From the period's rows, the zone's: the zone itself; its storage class (and any
    class it had in the period); its sensors (and any sensor moved in or out of it);
    their calibration records; the rule changes that apply (`rules_apply`)."""
    ids = set(sensors)
    classes = {storage_class} if storage_class else set()
    for row in rows:
        if row.entity == "zone" and row.key == zone:
            for side in (row.before, row.after):
                if isinstance(side, Mapping) and side.get("storage_class"):
                    classes.add(str(side["storage_class"]))
    picked = []
    for row in rows:
        if row.entity == "zone":
            keep = row.key == zone
        elif row.entity == "storage_class":
            keep = row.key in classes
        elif row.entity == "sensor":
            keep = row.key in ids or _mentions(row, "zone", zone)
        elif row.entity == "calibration":
            keep = row.key.split("/", 1)[0] in ids
        elif row.entity == "alarm_rules":
            keep = rules_apply(row.before, row.after, zone, classes, ids)
        else:
            keep = False
        if keep:
            picked.append(row)
    return picked


def zone_changes(session: Session, zone: str, storage_class: str | None,
                 sensors: Iterable[str], start: datetime, end: datetime
                 ) -> list[AuditRowPublic]:
    """The trail's rows of the period for a zone report, oldest first."""
    rows = list(audit.in_period(session, start, end, ZONE_ENTITIES))
    return pick_zone_rows(rows, zone, storage_class, sensors)


def lot_changes(session: Session, sku: str, lot_number: str) -> list[AuditRowPublic]:
    """A lot's rows (its key on the trail is `SKU/lot number`), oldest first."""
    return audit.of_key(session, "lot", f"{sku}/{lot_number}")
