"""Expiry and stock-limit findings from plain inputs, as pure functions.

The hub gives lots (expiry, quantity on hand) and items (on hand, min and max
stock) from inventory's service; these say which are worth telling someone:

- a lot with stock on hand expiring within a tier (default 90/30/7 days) is in
  the smallest tier that contains it, with that tier's severity;
- a lot past its expiry with stock on hand is "expired" (critical by default);
- an item below its `min_stock` is low stock, above its `max_stock` overstock.

A finding's (kind, subject) names its alarm; `diff_findings` tells which are new
and which have gone since the last run, for the alarm lifecycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from alerts.model import AlarmKey, AlarmKind, Severity
from alerts.rules.document import ExpiryRules, StockRules
from kernel.i18n_text import Text


@dataclass(frozen=True, slots=True)
class Finding:
    kind: AlarmKind
    subject: str
    severity: Severity
    message: str
    zone: str | None = None
    tier_days: int | None = None

    @property
    def key(self) -> AlarmKey:
        rule = self.kind.value if self.tier_days is None else f"{self.kind.value}:{self.tier_days}"
        return AlarmKey(rule, self.subject)


@dataclass(frozen=True, slots=True)
class LotStock:
    lot: str  # the lot's id or number as staff know it
    sku: str
    expiry: date | None
    on_hand: float
    item_name: str = ""
    zone: str | None = None


@dataclass(frozen=True, slots=True)
class ItemStock:
    sku: str
    on_hand: float
    min_stock: float | None = None
    max_stock: float | None = None
    name: str = ""


def _qty(value: float) -> str:
    return f"{value:g}"


def expiry_findings(rules: ExpiryRules, lots: Iterable[LotStock], today: date) -> list[Finding]:
    if not rules.enabled:
        return []
    tiers = sorted(rules.tiers, key=lambda tier: tier.days)
    findings = []
    for lot in lots:
        if lot.expiry is None or lot.on_hand <= 0:
            continue
        what = {"lot": lot.lot, "item": lot.item_name or lot.sku, "qty": _qty(lot.on_hand),
                "expiry": f"{lot.expiry:%Y-%m-%d}"}
        days = (lot.expiry - today).days
        if days < 0:
            findings.append(Finding(
                AlarmKind.EXPIRED, lot.lot, rules.expired_severity,
                Text("lot %(lot)s of %(item)s (%(qty)s on hand) expired on %(expiry)s, "
                     "%(days)s days ago", days=-days, **what), lot.zone))
            continue
        tier = next((t for t in tiers if days <= t.days), None)
        if tier is None:
            continue
        findings.append(Finding(
            AlarmKind.EXPIRY, lot.lot, tier.severity,
            Text("lot %(lot)s of %(item)s (%(qty)s on hand) expires today (%(expiry)s; "
                 "within %(tier)s days)", tier=tier.days, **what) if days == 0 else
            Text("lot %(lot)s of %(item)s (%(qty)s on hand) expires in %(days)s days "
                 "(%(expiry)s; within %(tier)s days)", days=days, tier=tier.days, **what),
            lot.zone, tier.days))
    return findings


def stock_findings(rules: StockRules, items: Iterable[ItemStock]) -> list[Finding]:
    findings = []
    for item in items:
        label = f"{item.name} ({item.sku})" if item.name else item.sku
        if rules.low_stock and item.min_stock and item.on_hand < item.min_stock:
            findings.append(Finding(
                AlarmKind.LOW_STOCK, item.sku, rules.low_severity,
                Text("%(item)s: %(qty)s on hand, below the minimum of %(limit)s", item=label,
                     qty=_qty(item.on_hand), limit=_qty(item.min_stock))))
        if rules.overstock and item.max_stock is not None and item.on_hand > item.max_stock:
            findings.append(Finding(
                AlarmKind.OVERSTOCK, item.sku, rules.over_severity,
                Text("%(item)s: %(qty)s on hand, above the maximum of %(limit)s", item=label,
                     qty=_qty(item.on_hand), limit=_qty(item.max_stock))))
    return findings


def diff_findings(previous: Sequence[Finding], current: Sequence[Finding]
                  ) -> tuple[list[Finding], list[Finding]]:
    """(new, gone): a lot moving to a nearer tier is a new finding and the old one gone."""
    before = {f.key: f for f in previous}
    now = {f.key: f for f in current}
    return ([f for k, f in now.items() if k not in before],
            [f for k, f in before.items() if k not in now])
