"""The consignee rules, pure: a GLN's check digit, the ship-to/ship-for GLN read from a
scanned barcode, and the recall's totals per consignee (inventory/recall.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inventory.consignees import check_gln, gln_named, gln_of_scan
from inventory.recall import received_by
from kernel.errors import Invalid


@pytest.mark.parametrize("gln", ["4012345000009", "9506000134352", "0000000000000"])
def test_a_gln_with_the_right_check_digit_passes(gln: str) -> None:
    assert check_gln(gln) == gln


@pytest.mark.parametrize(("text", "words"), [
    ("4012345000008", "wrong check digit (expected 9)"),
    ("401234500000", "13 digits"),
    ("40123450000090", "13 digits"),
    ("40123450000O9", "13 digits"),
    ("\uff14" * 13, "13 digits"),  # full-width digits are not digits here
])
def test_a_bad_gln_is_refused_with_the_problem_named(text: str, words: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_gln(text)
    assert refused.value.code == "bad_gln"
    assert words in str(refused.value)


@pytest.mark.parametrize(("scan", "gln"), [
    ("4104012345000009", "4012345000009"),  # ship to / deliver to
    ("4139506000134352", "9506000134352"),  # ship for
    ("]C14104012345000009", "4012345000009"),  # GS1-128 with its symbology identifier
    ("(410)4012345000009", "4012345000009"),  # as printed under the barcode
    ("4104012345000009|4139506000134352", "4012345000009"),  # both: ship-to first
])
def test_the_ship_to_or_ship_for_gln_is_read_from_a_scan(scan: str, gln: str) -> None:
    assert gln_of_scan(scan) == gln


@pytest.mark.parametrize("text", ["ACME", "0104006381333931", "(01)04006381333931",
                                  "41", "410401234500000", ""])
def test_other_text_is_no_gln_scan(text: str) -> None:
    assert gln_of_scan(text) is None


def test_a_scanned_gln_with_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(Invalid, match="wrong check digit"):
        gln_of_scan("4104012345000008")


def test_a_dispatch_names_a_gln_typed_or_scanned_else_a_code() -> None:
    assert gln_named(" 4012345000009 ") == "4012345000009"
    assert gln_named("(413)9506000134352") == "9506000134352"
    assert gln_named("ACME-1") is None


def _at(hour: int) -> datetime:
    return datetime(2026, 12, 7, hour, tzinfo=UTC)


def test_the_recall_sums_each_consignee_and_lists_dispatches_with_no_consignee() -> None:
    rows = [
        ("b1", "L1", _at(8), "dispatch", "ACME", "Acme", "4012345000009", "SO-1", 3),
        ("b1", "L1", _at(8), "dispatch", "ACME", "Acme", "4012345000009", "SO-1", 2),  # 2nd bin
        ("b2", "L1", _at(9), "dispatch", "NORTH", "North", None, "SO-2", 4),
        ("b3", "L1", _at(10), "dispatch", None, None, None, None, 1),
        ("b4", "L1", _at(11), "dispatch", "ACME", "Acme", "4012345000009", "SO-3", 1),
    ]
    found = received_by(rows)
    assert [(r.consignee, r.quantity) for r in found.receipts] == [
        ("ACME", 5), ("NORTH", 4), (None, 1), ("ACME", 1)]
    assert [(t.consignee, t.quantity, t.dispatches, t.orders, t.first.hour, t.last.hour)
            for t in found.totals] == [
        ("ACME", 6, 2, ["SO-1", "SO-3"], 8, 11), ("NORTH", 4, 1, ["SO-2"], 9, 9),
        (None, 1, 1, [], 10, 10)]
    assert found.quantity == 11


def test_a_lot_never_dispatched_has_no_receivers() -> None:
    found = received_by([])
    assert (found.receipts, found.totals, found.quantity) == ([], [], 0)
