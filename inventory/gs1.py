"""GS1 data read with biip, checked the way a warehouse of regulated goods needs.

biip does the GS1 work (AI table, patterns, dates with day 00, GTIN check
digits, Digital Link URIs). This module adds what biip leaves to its caller:
errors an operator can act on (each with a stable `code`), and refusal of
element strings whose fields run into each other, which biip parses greedily
and silently into a wrong lot or serial.

Plain Python: no web or database imports.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

from biip import ParseConfig, ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementString
from biip.gtin import Gtin

from kernel.errors import Invalid

GS = "\x1d"  # ASCII 29, what scanners send for FNC1 between variable-length fields
_CONFIG = ParseConfig(separator_chars=(GS,))

GTIN_LENGTHS = (8, 12, 13, 14)
_DIGITS = re.compile(r"[0-9]+")  # not str.isdigit(): that also accepts "²" and other digits

# Names the operator knows, for messages.
_FIELD_NAMES = {
    "01": "GTIN",
    "02": "GTIN of the contents",
    "10": "lot",
    "11": "production date",
    "15": "best-before date",
    "17": "expiry date",
    "21": "serial number",
    "30": "quantity",
    "37": "count",
}
_DATE_AIS = frozenset({"11", "12", "13", "15", "16", "17"})

# Fixed-length AIs whose data is tightly structured (a check-digited GTIN, a
# valid YYMMDD date). Finding one, complete and valid, at the end of a lot or
# serial almost surely means the separator before it was lost, so we refuse
# the scan rather than book a wrong lot. Variable-length AIs (10, 21, 30, 37)
# are not in this set: lots such as "L2110" contain "21"/"10" all the time,
# and refusing them would make such products unscannable.
_TELLTALE_AIS = frozenset({"01", "02", "11", "15", "17"})


class ScanError(Invalid, ValueError):
    """A scan that cannot be read or used; the message is for the operator.

    `code` is a short slug for clients (e.g. "bad_check_digit"). It is an
    `Invalid` so the hub answers it as any other domain error (422)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, code=code)


def _name(ai: GS1ApplicationIdentifier) -> str:
    return _FIELD_NAMES.get(ai.ai, f"field ({ai.ai}) {ai.data_title}")


def gtin14(digits: str) -> str:
    """A plain GTIN-8/12/13/14 as GTIN-14, its check digit verified."""
    if not _DIGITS.fullmatch(digits) or len(digits) not in GTIN_LENGTHS:
        raise ScanError(
            f"'{digits}' is not a GTIN (8, 12, 13 or 14 digits expected)", code="unreadable"
        )
    expected = gs1_standard_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise ScanError(
            f"GTIN {digits} has a wrong check digit (expected {expected})",
            code="bad_check_digit",
        )
    try:
        return Gtin.parse(digits, config=_CONFIG).as_gtin_14()
    except ParseError as exc:
        raise ScanError(f"GTIN {digits} is not valid: {exc}", code="unreadable") from exc


def _validated(element: GS1ElementString) -> GS1ElementString:
    # biip does not raise on a bad GTIN inside an element string; it only sets gtin_error.
    if element.gtin_error is not None:
        gtin14(element.value)  # raises the operator's message
        raise ScanError(f"GTIN {element.value} is not valid", code="unreadable")
    return element


def _element(text: str, *, whole: bool, first: bool) -> GS1ElementString:
    """The element string at the start of `text` (all of `text` if `whole`)."""
    try:
        ai = GS1ApplicationIdentifier.extract(text)
    except ParseError as exc:
        if _DIGITS.fullmatch(text[:2]):
            raise ScanError(
                f"Unknown GS1 application identifier at '{text[:12]}'", code="unknown_ai"
            ) from exc
        if first:
            raise ScanError(
                "This barcode is neither a GS1 product code nor a location or command label",
                code="unreadable",
            ) from exc
        raise ScanError(
            f"Unexpected data '{text[:20]}' after the GS1 fields", code="trailing_data"
        ) from exc
    try:
        if whole:
            element = GS1ElementString.parse(text, config=_CONFIG)
        else:
            element = GS1ElementString.extract(text, config=_CONFIG)
    except ParseError as exc:
        data = text[len(ai.ai) :].split(GS, 1)[0]
        if ai.ai in _DATE_AIS:
            raise ScanError(
                f"The {_name(ai)} '{data[:6]}' is not a valid date (YYMMDD)", code="bad_date"
            ) from exc
        raise ScanError(
            f"The {_name(ai)} '{data}' does not fit its GS1 format {ai.format}",
            code="bad_ai_value",
        ) from exc
    return _validated(element)


def _unique(elements: list[GS1ElementString]) -> list[GS1ElementString]:
    # The GS1 rules forbid one AI twice with different data; taking either would be a guess.
    seen: dict[str, str] = {}
    for element in elements:
        other = seen.setdefault(element.ai.ai, element.value)
        if other != element.value:
            raise ScanError(
                f"The barcode has two different {_name(element.ai)} values: "
                f"'{other}' and '{element.value}'",
                code="duplicate_ai",
            )
    return elements


def parse_element_string(data: str) -> list[GS1ElementString]:
    """A GS1-128/DataMatrix/QR element string; separators already turned into GS."""
    elements: list[GS1ElementString] = []
    rest = data.strip(GS)  # some scanners also send the leading FNC1 as GS
    while rest:
        element = _element(rest, whole=False, first=not elements)
        elements.append(element)
        rest = rest[len(element) :]
        if rest and element.ai.separator_required and _fits_field(element.ai, rest[0]):
            # biip stopped the field before a character that fits it, so only at the
            # field's maximum length: data was run together, where it ends is a guess.
            raise ScanError(
                f"The {_name(element.ai)} '{element.value}' runs straight into "
                f"'{rest[:12]}' without a group separator; check that the scanner "
                "sends the group separator (ASCII 29) or its stand-in",
                code="missing_separator",
            )
        rest = rest.lstrip(GS)
    _refuse_swallowed_field(elements)
    return _unique(elements)


def _fits_field(ai: GS1ApplicationIdentifier, char: str) -> bool:
    return re.fullmatch(ai.pattern, ai.ai + char) is not None


def _refuse_swallowed_field(elements: list[GS1ElementString]) -> None:
    """Refuse a last variable-length field that ends in a complete telltale element.

    Without separators, "10ABC12317270200" reads as lot "ABC12317270200";
    biip cannot know that "17270200" was meant as an expiry date."""
    last = elements[-1]
    if not last.ai.separator_required:
        return
    present = {element.ai.ai for element in elements}
    for start in range(1, len(last.value)):
        tail = last.value[start:]
        if tail[:2] not in _TELLTALE_AIS or tail[:2] in present:
            continue
        try:
            swallowed = parse_element_string(tail)
        except ScanError:
            continue
        first = swallowed[0]
        raise ScanError(
            f"The {_name(last.ai)} '{last.value}' ends in what looks like the "
            f"{_name(first.ai)} '{first.value}': the group separator after "
            f"'{last.value[:start]}' seems lost. Check that the scanner sends the group "
            "separator (ASCII 29) or its stand-in, or enter the data by hand",
            code="missing_separator",
        )


_HRI_FIELD = re.compile(r"\((\d{2,4})\)([^()]+)")
_HRI = re.compile(rf"(?:{_HRI_FIELD.pattern})+")


def parse_hri(text: str) -> list[GS1ElementString]:
    """Element strings typed as printed under the barcode: "(01)…(17)…(10)…"."""
    compact = "".join(text.split())
    # biip's parse_hri skips pieces it cannot match, e.g. "(1O)ABC"; we refuse them.
    if not _HRI.fullmatch(compact):
        raise ScanError(
            f"'{text}' is not in the form (AI)data(AI)data, e.g. (01)09506000134352(10)ABC",
            code="unreadable",
        )
    elements = []
    for ai, data in _HRI_FIELD.findall(compact):
        element = _element(ai + data, whole=True, first=False)
        if element.ai.ai != ai:  # e.g. "(019)…" would otherwise read as AI 01
            raise ScanError(f"Unknown GS1 application identifier ({ai})", code="unknown_ai")
        elements.append(element)
    return _unique(elements)


def parse_digital_link(uri: str) -> list[GS1ElementString]:
    """A GS1 Digital Link URI on id.gs1.org or the brand's own domain."""
    try:
        link = GS1DigitalLinkURI.parse(uri, config=_CONFIG)
    except ParseError as exc:
        _diagnose_digital_link(uri)
        raise ScanError(
            f"The link is not a GS1 Digital Link with product data ({exc})", code="unreadable"
        ) from exc
    return _unique([_validated(element) for element in link.element_strings])


def _diagnose_digital_link(uri: str) -> None:
    """Raise the precise error (bad date, bad check digit …) biip folded into one message."""
    parts = urlsplit(uri)
    segments = [unquote(segment) for segment in parts.path.split("/") if segment]
    # Pair from the end: the path ends in a value, while the prefix before the
    # primary key ("/p/" on a brand's domain) has any length.
    pairs = [(segments[i], segments[i + 1]) for i in range(len(segments) - 2, -1, -2)]
    pairs += parse_qsl(parts.query)
    for key, value in pairs:
        if _DIGITS.fullmatch(key) and value:
            try:
                ai = GS1ApplicationIdentifier.extract(key)
            except ParseError:
                continue
            if ai.ai == key:
                _element(key + value, whole=True, first=False)
