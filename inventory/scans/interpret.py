"""What a raw barcode scan means: a GS1 product code, a location label or a command label.

`interpret` turns the text a handheld scanner sends into a `ScanResult`, or
raises `ScanError` with a message for the operator; nothing else escapes it,
so the caller books nothing on any kind of bad scan. The GS1 reading itself
is biip's, through `inventory.gs1`.

Plain Python: no web, database or MQTT imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from biip import ParseError
from biip.gs1_element_strings import GS1ElementString
from biip.symbology import GS1Symbology, SymbologyIdentifier

from inventory.gs1 import (
    GS,
    GTIN_LENGTHS,
    ScanError,
    gtin14,
    parse_digital_link,
    parse_element_string,
    parse_hri,
)

__all__ = [
    "CommandLabel",
    "GS1Scan",
    "LocationLabel",
    "ScanError",
    "ScanResult",
    "ScanSettings",
    "check_receivable",
    "interpret",
]


@dataclass(frozen=True)
class GS1Scan:
    """A GS1 element string, GS1 Digital Link or plain EAN/UPC/GTIN."""

    gtin: str | None  # 14 digits; EAN-13/UPC-A/EAN-8 padded
    lot: str | None  # AI 10
    expiry: date | None  # AI 17; day 00 is the month's last day
    best_before: date | None  # AI 15
    production_date: date | None  # AI 11
    serial: str | None  # AI 21
    quantity: int | None  # AI 30, or AI 37 on a logistic label
    symbology: str | None  # None when the scanner sent no symbology identifier
    raw: str
    # Every element string as read, by AI ("01": "0950…"), for a label check.
    ais: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class LocationLabel:
    code: str  # as printed, without the prefix
    raw: str


@dataclass(frozen=True)
class CommandLabel:
    command: str  # upper case, so "cmd:receive" and "CMD:RECEIVE" are one command
    argument: str | None  # as printed: "CMD:QTY:12" -> "12"
    raw: str


ScanResult = GS1Scan | LocationLabel | CommandLabel


@dataclass(frozen=True)
class ScanSettings:
    # What scanners are configured to send instead of ASCII 29, which many
    # keyboard-wedge set-ups cannot type.
    separator_standins: tuple[str, ...] = ("|",)
    location_prefix: str = "LOC:"
    command_prefix: str = "CMD:"


_SYMBOLOGY_NAMES = {
    GS1Symbology.GS1_128: "GS1-128",
    GS1Symbology.GS1_DATAMATRIX: "GS1 DataMatrix",
    GS1Symbology.GS1_QR_CODE: "GS1 QR",
    GS1Symbology.GS1_DATABAR: "GS1 DataBar",
    GS1Symbology.GS1_DOTCODE: "GS1 DotCode",
    GS1Symbology.GS1_COMPOSITE_WITH_SEPARATOR_CHAR: "GS1 Composite",
    GS1Symbology.GS1_COMPOSITE_WITH_ESCAPE_CHAR: "GS1 Composite",
    GS1Symbology.EAN_13: "EAN-13",
    GS1Symbology.EAN_13_WITH_ADD_ON: "EAN-13",
    GS1Symbology.EAN_8: "EAN-8",
    GS1Symbology.ITF_14: "ITF-14",
    GS1Symbology.EAN_TWO_DIGIT_ADD_ON: "EAN add-on",
    GS1Symbology.EAN_FIVE_DIGIT_ADD_ON: "EAN add-on",
}
# Symbologies that carry a bare GTIN rather than AIs.
_GTIN_SYMBOLOGIES = frozenset(
    {
        GS1Symbology.EAN_13,
        GS1Symbology.EAN_13_WITH_ADD_ON,
        GS1Symbology.EAN_8,
        GS1Symbology.ITF_14,
        GS1Symbology.EAN_TWO_DIGIT_ADD_ON,
        GS1Symbology.EAN_FIVE_DIGIT_ADD_ON,
    }
)
# Without a symbology identifier, a bare number of a GTIN length is taken as a GTIN.
_NAMES_BY_LENGTH = {8: "EAN-8", 12: "UPC-A", 13: "EAN-13", 14: "GTIN-14"}
_BARE_GTIN = re.compile(rf"[0-9]{{{min(GTIN_LENGTHS)},{max(GTIN_LENGTHS)}}}")
_URI = re.compile(r"https?://", re.IGNORECASE)


def interpret(raw: str, settings: ScanSettings = ScanSettings()) -> ScanResult:
    """What the scan means; raises ScanError, and only ScanError, if it means nothing usable."""
    try:
        return _interpret(raw, settings)
    except ScanError:
        raise
    except Exception as exc:  # the caller relies on ScanError only: a crash must not book
        raise ScanError(f"The scan could not be read ({exc})", code="unreadable") from exc


def check_receivable(scan: GS1Scan, today: date) -> None:
    """Refuse a product scan that cannot be received: no GTIN, or already expired."""
    if scan.gtin is None:
        raise ScanError(
            "This barcode has no GTIN, so the product cannot be identified", code="no_gtin"
        )
    if scan.expiry is not None and scan.expiry < today:
        lot = f"Lot {scan.lot}" if scan.lot else "This product"
        raise ScanError(
            f"{lot} expired on {scan.expiry.isoformat()}; expired goods cannot be received",
            code="expired_at_receipt",
        )


def _interpret(raw: str, settings: ScanSettings) -> ScanResult:
    text = raw.strip()  # also drops a leading or trailing GS, which str.strip counts as space
    symbology: GS1Symbology | None = None
    if text.startswith("]"):
        try:
            identifier = SymbologyIdentifier.extract(text)
        except (ParseError, IndexError) as exc:
            raise ScanError(
                f"Unknown symbology identifier at the start of '{text[:8]}'", code="unreadable"
            ) from exc
        symbology = identifier.gs1_symbology
        text = text[len(identifier) :].strip()
    if not text:
        raise ScanError("The scan is empty; scan again", code="empty")

    label = _label(text, raw, settings)
    if label is not None:
        return label
    if _URI.match(text):
        return _gs1_scan(parse_digital_link(text), "GS1 Digital Link", raw)
    if text.startswith("("):
        return _gs1_scan(parse_hri(text), None, raw)

    name = _SYMBOLOGY_NAMES.get(symbology) if symbology else None
    if symbology in _GTIN_SYMBOLOGIES or (name is None and _BARE_GTIN.fullmatch(text)):
        # An EAN-13 with add-on sends the add-on's 2 or 5 digits after the 13.
        digits = text[:13] if symbology is GS1Symbology.EAN_13_WITH_ADD_ON else text
        gtin = gtin14(digits)
        return _gs1_scan([], name or _NAMES_BY_LENGTH[len(digits)], raw, gtin=gtin)
    # A non-GS1 symbology (plain Code 128, plain DataMatrix …) with AIs inside is
    # still read as an element string: the data is unambiguous, only the label is sloppy.
    return _gs1_scan(parse_element_string(_with_gs(text, settings)), name, raw)


def _label(text: str, raw: str, settings: ScanSettings) -> ScanResult | None:
    for prefix in (settings.command_prefix, settings.location_prefix):
        if prefix and text[: len(prefix)].casefold() == prefix.casefold():
            body = text[len(prefix) :].strip()
            if not body:
                raise ScanError(
                    f"The label '{text}' has nothing after '{prefix}'", code="bad_label"
                )
            if prefix == settings.location_prefix:
                return LocationLabel(code=body, raw=raw)
            command, _, argument = body.partition(":")
            return CommandLabel(
                command=command.strip().upper(), argument=argument.strip() or None, raw=raw
            )
    return None


def _with_gs(text: str, settings: ScanSettings) -> str:
    # Longest first, so a stand-in such as "<GS>" is not broken up by a shorter one.
    for standin in sorted(filter(None, settings.separator_standins), key=len, reverse=True):
        text = text.replace(standin, GS)
    return text


def _gs1_scan(
    elements: list[GS1ElementString], symbology: str | None, raw: str, *, gtin: str | None = None
) -> GS1Scan:
    by_ai = {element.ai.ai: element for element in elements}

    def value(ai: str) -> str | None:
        element = by_ai.get(ai)
        return element.value if element else None

    def day(ai: str) -> date | None:
        element = by_ai.get(ai)
        return element.date if element else None

    # A logistic label names its contents with AI 02 (and their count with AI 37) instead of 01.
    product = by_ai.get("01") or by_ai.get("02")
    if product is not None and product.gtin is not None:
        gtin = product.gtin.as_gtin_14()
    quantity = value("30") or value("37")
    return GS1Scan(
        gtin=gtin,
        lot=value("10"),
        expiry=day("17"),
        best_before=day("15"),
        production_date=day("11"),
        serial=value("21"),
        quantity=int(quantity) if quantity is not None else None,
        symbology=symbology,
        raw=raw,
        ais={element.ai.ai: element.value for element in elements},
    )
