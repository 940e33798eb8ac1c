"""What goes on a label, without a database: the data a scanner will read."""

from __future__ import annotations

from datetime import date

import pytest

from inventory.labels import render as labels
from inventory.labels.render import Symbology, command_label, location_label, lot_label, render_pdf
from kernel import fonts


def test_a_lot_label_carries_gtin_expiry_and_lot_last() -> None:
    label = lot_label("4006381333931", "VAC-1", "ABC123", date(2029, 12, 31))
    assert label.symbology is Symbology.GS1_DATAMATRIX
    assert label.gs1 == (("01", "04006381333931", True), ("17", "291231", True),
                         ("10", "ABC123", False))
    assert label.data == "(01)04006381333931(17)291231(10)ABC123"


def test_a_lot_without_expiry_has_no_ai_17() -> None:
    label = lot_label("04006381333931", "VAC-1", "L1", None)
    assert [ai for ai, _, _ in label.gs1] == ["01", "10"]


def test_bin_and_command_labels_use_the_scan_prefixes() -> None:
    assert location_label("F-01").data == "LOC:F-01"
    assert location_label("F-01", prefix="@").data == "@F-01"
    assert command_label(" count ").data == "CMD:COUNT"


def test_twenty_five_labels_take_two_pages() -> None:
    pdf = render_pdf([location_label(f"B-{n:02}") for n in range(25)], compress=False)
    assert pdf.startswith(b"%PDF")
    assert pdf.count(b"/Type /Page\n") == 2


def test_without_a_cjk_font_labels_print_latin1_and_question_marks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(labels, "cjk_font", lambda: None)
    pdf = render_pdf([location_label("B-01", name="冷库 é 😀")], compress=False)
    assert pdf.startswith(b"%PDF")
    assert b"/Helvetica" in pdf


def test_the_cjk_font_is_found_where_debian_installs_it() -> None:
    font = fonts.cjk_font()
    assert font is not None, f"no CJK font: {fonts.INSTALL_HINT} (./run installs it)"
    pdf = render_pdf([location_label("B-01", name="冷库")], compress=False)
    assert b"WenQuanYi" in pdf or font.name.encode() in pdf


def test_a_labels_own_words_are_printed_in_the_chosen_language(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    from kernel.i18n_text import render

    lot = labels.lot_label("4006381333931", "SKU-1", "L-7", date(2027, 3, 1))
    assert (lot.title, lot.subtitle) == ("LOT L-7", "SKU-1 · exp 2027-03-01")
    assert render(lot.title, "zh-CN") == "批次 L-7"
    assert render(lot.subtitle, "zh-CN") == "SKU-1 · 有效期 2027-03-01"
    assert render(location_label("B-01").subtitle, "zh-CN") == "库位"
    assert render(command_label("count").subtitle, "zh-CN") == "扫描枪命令"
    assert lot.data == "(01)04006381333931(17)270301(10)L-7"  # what a scanner reads: as ever
    # Through the PDF (the built-in font's text is readable in the uncompressed file).
    monkeypatch.setattr(labels, "cjk_font", lambda: None)
    english = render_pdf([location_label("B-01")], compress=False)
    chinese = render_pdf([location_label("B-01")], "zh-CN", compress=False)
    assert b"location" in english and b"location" not in chinese
