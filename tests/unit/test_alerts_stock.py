"""Expiry tiers, expired stock, low stock and overstock from plain inputs."""

from __future__ import annotations

from datetime import date

from alerts.engine.stock_findings import (
    ItemStock,
    LotStock,
    diff_findings,
    expiry_findings,
    stock_findings,
)
from alerts.model import AlarmKey, AlarmKind, Severity
from alerts.rules.document import ExpiryRules, StockRules

TODAY = date(2026, 1, 5)


def lot(name: str, expiry: date | None, on_hand: float = 10) -> LotStock:
    return LotStock(name, "SKU1", expiry, on_hand, "Saline 0.9%", "COLD-1")


def test_each_lot_falls_in_the_nearest_tier_that_contains_it() -> None:
    findings = expiry_findings(ExpiryRules(), [
        lot("far", date(2026, 6, 1)), lot("q", date(2026, 3, 1)), lot("m", date(2026, 1, 30)),
        lot("w", date(2026, 1, 10)), lot("today", TODAY), lot("none", None)], TODAY)
    got = [(f.subject, f.kind, f.tier_days, f.severity) for f in findings]
    assert got == [
        ("q", AlarmKind.EXPIRY, 90, Severity.INFO),
        ("m", AlarmKind.EXPIRY, 30, Severity.WARNING),
        ("w", AlarmKind.EXPIRY, 7, Severity.CRITICAL),
        ("today", AlarmKind.EXPIRY, 7, Severity.CRITICAL)]
    assert findings[2].message == (
        "lot w of Saline 0.9% (10 on hand) expires in 5 days (2026-01-10; within 7 days)")
    assert findings[2].key == AlarmKey("expiry:7", "w")


def test_expired_with_stock_on_hand_is_critical_and_without_stock_is_nothing() -> None:
    findings = expiry_findings(ExpiryRules(), [lot("gone", date(2026, 1, 1)),
                                               lot("empty", date(2026, 1, 1), on_hand=0)], TODAY)
    assert [(f.subject, f.kind, f.severity) for f in findings] == [
        ("gone", AlarmKind.EXPIRED, Severity.CRITICAL)]
    assert "expired on 2026-01-01, 4 days ago" in findings[0].message
    assert expiry_findings(ExpiryRules(enabled=False), [lot("gone", date(2026, 1, 1))],
                           TODAY) == []


def test_low_stock_and_overstock() -> None:
    findings = stock_findings(StockRules(), [
        ItemStock("A", 3, min_stock=5, name="Gloves"), ItemStock("B", 50, min_stock=5,
                                                                  max_stock=40),
        ItemStock("C", 5, min_stock=5, max_stock=5), ItemStock("D", 0, min_stock=0)])
    assert [(f.subject, f.kind) for f in findings] == [
        ("A", AlarmKind.LOW_STOCK), ("B", AlarmKind.OVERSTOCK)]
    assert findings[0].message == "Gloves (A): 3 on hand, below the minimum of 5"


def test_the_diff_says_what_is_new_and_what_has_gone() -> None:
    before = expiry_findings(ExpiryRules(), [lot("x", date(2026, 1, 30))], TODAY)
    after = expiry_findings(ExpiryRules(), [lot("x", date(2026, 1, 30))], date(2026, 1, 25))
    new, gone = diff_findings(before, after)
    assert [f.key.rule for f in new] == ["expiry:7"] and [f.key.rule for f in gone] == [
        "expiry:30"]
    assert diff_findings(after, after) == ([], [])
