"""Consignees' rules, pure: a GLN (GS1 Global Location Number, 13 digits with a check
digit) checked, the ship-to (AI 410) or ship-for (AI 413) GLN read from a scanned
barcode, and what a dispatch names as its consignee (a code, a GLN or such a scan).

Whether a dispatch must name a consignee is the site's setting
(`STOCKWARDEN_DISPATCH_CONSIGNEE_REQUIRED`, default off), set once at start by the
composition root as `kernel/audit.py`'s required reasons are."""

from __future__ import annotations

import re

from biip.checksums import gs1_standard_check_digit

from inventory.gs1 import GS, ScanError, parse_element_string, parse_hri
from kernel.errors import Invalid

GLN_LENGTH = 13
# The GS1 AIs that carry the GLN of who receives: ship to / deliver to, ship for.
CONSIGNEE_AIS = ("410", "413")
_GLN = re.compile(r"[0-9]{13}")
_SYMBOLOGY = re.compile(r"^\][A-Za-z][0-9A-Za-z]")

_required = False


def require(required: bool) -> None:
    """The site's choice: every dispatch names its consignee (else 422)."""
    global _required
    _required = bool(required)


def required() -> bool:
    return _required


def check_gln(digits: str) -> str:
    """The GLN as given, its 13 digits and check digit verified; Invalid (422 `bad_gln`)
    naming the problem otherwise."""
    if not _GLN.fullmatch(digits):
        raise Invalid("'%(text)s' is not a GLN: a GLN has 13 digits", code="bad_gln",
                      text=digits)
    expected = gs1_standard_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise Invalid("GLN %(gln)s has a wrong check digit (expected %(digit)s)",
                      code="bad_gln", gln=digits, digit=expected)
    return digits


def gln_of_scan(text: str) -> str | None:
    """The ship-to (410) or ship-for (413) GLN of a scanned GS1 barcode: an element
    string (`410…`, after a symbology identifier such as `]C1`, separators as GS or
    `|`) or its printed form `(410)…`; None when the text is not such a barcode."""
    body = _SYMBOLOGY.sub("", text.strip(), count=1).replace("|", GS).strip(GS)
    if not body.startswith(("(41", "41")):
        return None
    try:
        elements = parse_hri(body) if body.startswith("(") else parse_element_string(body)
    except ScanError:
        return None
    found = {element.ai.ai: element.value for element in elements}
    for ai in CONSIGNEE_AIS:
        if ai in found:
            return check_gln(found[ai])
    return None


def gln_named(text: str) -> str | None:
    """The GLN a dispatch's `consignee` names when it is not a code on file: 13 digits
    (check digit verified: a wrong one is 422 `bad_gln`) or a scanned GS1 barcode with
    AI 410 or 413; None when it is neither (then it was meant as a code)."""
    text = text.strip()
    scanned = gln_of_scan(text)
    if scanned is not None:
        return scanned
    return check_gln(text) if _GLN.fullmatch(text) else None
