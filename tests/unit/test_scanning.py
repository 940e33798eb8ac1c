"""Interpreting raw barcode scans: GS1 element strings, Digital Link, EAN/UPC, labels, errors."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.scans.interpret import (
    CommandLabel,
    GS1Scan,
    LocationLabel,
    ScanError,
    ScanResult,
    ScanSettings,
    check_receivable,
    interpret,
)

GS = "\x1d"
GTIN = "09506000134352"  # the GS1 example GTIN
FMD_GTIN = "04150123456782"


def gs1(raw: str, **fields: object) -> GS1Scan:
    """The expected GS1Scan: every field None unless given."""
    values: dict[str, object] = dict.fromkeys(
        ("gtin", "lot", "expiry", "best_before", "production_date", "serial", "quantity"),
        None,
    )
    values["symbology"] = None
    values.update(fields)
    return GS1Scan(raw=raw, **values)  # type: ignore[arg-type]


def case(name: str, raw: str, expected: ScanResult | str, settings: ScanSettings | None = None):
    """One row: a raw scan and the result, or the error code, it must give."""
    return pytest.param(raw, expected, settings or ScanSettings(), id=name)


FMD = f"]d201{FMD_GTIN}17270531" + f"10B2024-07A{GS}21PX7Q2W9K4M1Z"
CASES = [
    # Medicines as printed on EU FMD packs: GTIN, expiry, lot, serial in a DataMatrix.
    case(
        "an EU FMD DataMatrix gives GTIN, expiry, lot and serial",
        FMD,
        gs1(
            FMD,
            gtin=FMD_GTIN,
            expiry=date(2027, 5, 31),
            lot="B2024-07A",
            serial="PX7Q2W9K4M1Z",
            symbology="GS1 DataMatrix",
        ),
    ),
    case(
        "an FMD pack with the serial first and the expiry last reads the same",
        f"]d201{FMD_GTIN}21PX7Q2W9K4M1Z{GS}10B2024-07A{GS}17270531",
        gs1(
            f"]d201{FMD_GTIN}21PX7Q2W9K4M1Z{GS}10B2024-07A{GS}17270531",
            gtin=FMD_GTIN,
            expiry=date(2027, 5, 31),
            lot="B2024-07A",
            serial="PX7Q2W9K4M1Z",
            symbology="GS1 DataMatrix",
        ),
    ),
    # Day 00 means the last day of the month, leap years included.
    case(
        "expiry day 00 is the last day of February",
        f"01{GTIN}17270200",
        gs1(f"01{GTIN}17270200", gtin=GTIN, expiry=date(2027, 2, 28)),
    ),
    case(
        "expiry day 00 in a leap year is the 29th of February",
        f"01{GTIN}17280200",
        gs1(f"01{GTIN}17280200", gtin=GTIN, expiry=date(2028, 2, 29)),
    ),
    case(
        "expiry day 00 in December is the 31st",
        f"01{GTIN}17271200",
        gs1(f"01{GTIN}17271200", gtin=GTIN, expiry=date(2027, 12, 31)),
    ),
    case(
        "production, best-before and expiry dates are told apart",
        f"01{GTIN}11250115152706001727063010L1",
        gs1(
            f"01{GTIN}11250115152706001727063010L1",
            gtin=GTIN,
            production_date=date(2025, 1, 15),
            best_before=date(2027, 6, 30),
            expiry=date(2027, 6, 30),
            lot="L1",
        ),
    ),
    case(
        "a variable count (AI 30) is the quantity",
        f"]C101{GTIN}10LOT7{GS}3024",
        gs1(f"]C101{GTIN}10LOT7{GS}3024", gtin=GTIN, lot="LOT7", quantity=24, symbology="GS1-128"),
    ),
    case(
        "a pallet label's content GTIN (AI 02) and count (AI 37) are the product and quantity",
        f"]C100106141411234567891{GS}02{GTIN}3712{GS}10P9",
        gs1(
            f"]C100106141411234567891{GS}02{GTIN}3712{GS}10P9",
            gtin=GTIN,
            quantity=12,
            lot="P9",
            symbology="GS1-128",
        ),
    ),
    # Symbology identifiers.
    case(
        "the GS1-128 prefix ]C1 is recognised",
        f"]C101{GTIN}17271231",
        gs1(f"]C101{GTIN}17271231", gtin=GTIN, expiry=date(2027, 12, 31), symbology="GS1-128"),
    ),
    case(
        "the GS1 QR prefix ]Q3 is recognised",
        f"]Q301{GTIN}10Q1",
        gs1(f"]Q301{GTIN}10Q1", gtin=GTIN, lot="Q1", symbology="GS1 QR"),
    ),
    case(
        "the GS1 DataBar prefix ]e0 is recognised",
        f"]e001{GTIN}",
        gs1(f"]e001{GTIN}", gtin=GTIN, symbology="GS1 DataBar"),
    ),
    case(
        "the EAN-13 prefix ]E0 gives a GTIN-14",
        "]E05901234123457",
        gs1("]E05901234123457", gtin="05901234123457", symbology="EAN-13"),
    ),
    case(
        "the EAN-8 prefix ]E4 gives a GTIN-14",
        "]E495011011",
        gs1("]E495011011", gtin="00000095011011", symbology="EAN-8"),
    ),
    case(
        "an EAN-13 with add-on (]E3) ignores the add-on",
        "]E3590123412345712",
        gs1("]E3590123412345712", gtin="05901234123457", symbology="EAN-13"),
    ),
    case(
        "the ITF-14 prefix ]I1 gives the GTIN-14 of a case",
        "]I110614141123459",
        gs1("]I110614141123459", gtin="10614141123459", symbology="ITF-14"),
    ),
    case(
        "an element string in a plain Code 128 (]C0) is still read",
        f"]C001{GTIN}10X",
        gs1(f"]C001{GTIN}10X", gtin=GTIN, lot="X"),
    ),
    # Separators.
    case(
        "a pipe stands in for the group separator",
        f"01{GTIN}10ABC|17270200",
        gs1(f"01{GTIN}10ABC|17270200", gtin=GTIN, lot="ABC", expiry=date(2027, 2, 28)),
    ),
    case(
        "a configured multi-character stand-in such as <GS> works",
        f"01{GTIN}10ABC<GS>21S1",
        gs1(f"01{GTIN}10ABC<GS>21S1", gtin=GTIN, lot="ABC", serial="S1"),
        ScanSettings(separator_standins=("<GS>", "|")),
    ),
    case(
        "a leading and a trailing group separator are ignored",
        f"{GS}01{GTIN}10ABC{GS}",
        gs1(f"{GS}01{GTIN}10ABC{GS}", gtin=GTIN, lot="ABC"),
    ),
    case(
        "a separator after a fixed-length field is allowed",
        f"01{GTIN}{GS}17270200{GS}10ABC",
        gs1(f"01{GTIN}{GS}17270200{GS}10ABC", gtin=GTIN, lot="ABC", expiry=date(2027, 2, 28)),
    ),
    case(
        "a lot at the end needs no separator",
        f"01{GTIN}1727020010ABC123",
        gs1(f"01{GTIN}1727020010ABC123", gtin=GTIN, lot="ABC123", expiry=date(2027, 2, 28)),
    ),
    case(
        "a lot that contains an expiry-like tail is kept when the expiry is there too",
        f"01{GTIN}1727020010X17270200",
        gs1(f"01{GTIN}1727020010X17270200", gtin=GTIN, lot="X17270200", expiry=date(2027, 2, 28)),
    ),
    case(
        "a lot followed by an expiry without a separator is refused, not read as a long lot",
        f"01{GTIN}10ABC12317270200",
        "missing_separator",
    ),
    case(
        "a serial that swallowed expiry and lot without separators is refused",
        f"01{GTIN}21PX7Q17270531" + "10B7",
        "missing_separator",
    ),
    case(
        "a lot containing 21 is one lot when no serial is there: a lost separator cannot be told",
        f"01{GTIN}1727020010L2110",
        gs1(f"01{GTIN}1727020010L2110", gtin=GTIN, lot="L2110", expiry=date(2027, 2, 28)),
    ),
    case(
        "a lot longer than 20 characters runs into the next field and is refused",
        f"01{GTIN}10ABCDEFGHIJKLMNOPQRSTUV21X",
        "missing_separator",
    ),
    case(
        "a pipe is data, not a separator, when no stand-in is configured",
        f"01{GTIN}10ABC|17270200",
        "trailing_data",
        ScanSettings(separator_standins=()),
    ),
    # Human-typed element strings.
    case(
        "an element string typed with parentheses is read",
        f"(01){GTIN}(17)270200(10)AB-12",
        gs1(f"(01){GTIN}(17)270200(10)AB-12", gtin=GTIN, lot="AB-12", expiry=date(2027, 2, 28)),
    ),
    case(
        "spaces in a typed element string are ignored",
        f"(01) {GTIN} (10) AB12",
        gs1(f"(01) {GTIN} (10) AB12", gtin=GTIN, lot="AB12"),
    ),
    case(
        "a typo in a typed AI is refused, not skipped",
        f"(01){GTIN}(1O)AB12",
        "unreadable",
    ),
    case("an unknown AI in parentheses is refused", f"(01){GTIN}(23)AB", "unknown_ai"),
    # GS1 Digital Link.
    case(
        "a GS1 Digital Link on id.gs1.org is read",
        f"https://id.gs1.org/01/{GTIN}/10/ABC?17=271231",
        gs1(
            f"https://id.gs1.org/01/{GTIN}/10/ABC?17=271231",
            gtin=GTIN,
            lot="ABC",
            expiry=date(2027, 12, 31),
            symbology="GS1 Digital Link",
        ),
    ),
    case(
        "a Digital Link on a brand's own domain with a path prefix is read",
        f"]Q1https://pharma.example.com/p/01/{FMD_GTIN}/10/B7/21/S9?17=270200&utm=x",
        gs1(
            f"]Q1https://pharma.example.com/p/01/{FMD_GTIN}/10/B7/21/S9?17=270200&utm=x",
            gtin=FMD_GTIN,
            lot="B7",
            serial="S9",
            expiry=date(2027, 2, 28),
            symbology="GS1 Digital Link",
        ),
    ),
    case(
        "a Digital Link with a 12-digit GTIN is padded to 14",
        "https://id.gs1.org/01/614141123452",
        gs1(
            "https://id.gs1.org/01/614141123452",
            gtin="00614141123452",
            symbology="GS1 Digital Link",
        ),
    ),
    case(
        "a Digital Link with a bad expiry names the date",
        f"https://id.gs1.org/01/{GTIN}?17=271331",
        "bad_date",
    ),
    case(
        "a Digital Link with a bad GTIN check digit is refused",
        "https://id.gs1.org/01/09506000134353",
        "bad_check_digit",
    ),
    case("a web address that is no Digital Link is refused", "https://example.com/a", "unreadable"),
    # Plain EAN/UPC/GTIN.
    case(
        "a plain EAN-13 is read",
        "4006381333931",
        gs1("4006381333931", gtin="04006381333931", symbology="EAN-13"),
    ),
    case(
        "a plain UPC-A is read",
        "614141123452",
        gs1("614141123452", gtin="00614141123452", symbology="UPC-A"),
    ),
    case(
        "a plain EAN-8 is read",
        "95011011",
        gs1("95011011", gtin="00000095011011", symbology="EAN-8"),
    ),
    case(
        "a plain GTIN-14 is read",
        "10614141123459",
        gs1("10614141123459", gtin="10614141123459", symbology="GTIN-14"),
    ),
    case("an EAN-13 with a wrong check digit is refused", "4006381333932", "bad_check_digit"),
    case("a GTIN-14 with a wrong check digit is refused", "09506000134353", "bad_check_digit"),
    case(
        "an EAN-13 after ]E0 with a wrong check digit is refused",
        "]E04006381333932",
        "bad_check_digit",
    ),
    # The warehouse's own labels.
    case("a location label gives its code", "LOC:A-01-02", LocationLabel("A-01-02", "LOC:A-01-02")),
    case(
        "a location label prefix is case-insensitive and the code is kept as printed",
        " loc: Cold-b-03 \r\n",
        LocationLabel("Cold-b-03", " loc: Cold-b-03 \r\n"),
    ),
    case(
        "a location label scanned as Code 128 with ]C0 is still a location",
        "]C0LOC:A-01-02",
        LocationLabel("A-01-02", "]C0LOC:A-01-02"),
    ),
    case(
        "a command label gives its command",
        "CMD:RECEIVE",
        CommandLabel("RECEIVE", None, "CMD:RECEIVE"),
    ),
    case(
        "a command label gives its argument", "cmd:qty:12", CommandLabel("QTY", "12", "cmd:qty:12")
    ),
    case(
        "labels follow the configured prefixes",
        "BIN/7",
        LocationLabel("7", "BIN/7"),
        ScanSettings(location_prefix="BIN/"),
    ),
    case("a location label without a code is refused", "LOC:  ", "bad_label"),
    # Errors.
    case("an empty scan is refused", "", "empty"),
    case("a scan of only whitespace is refused", " \r\n", "empty"),
    case("a symbology identifier with no data is refused", "]d2", "empty"),
    case("an unknown symbology identifier is refused", "]W1abc", "unreadable"),
    case("text that is no barcode is refused", "hello world", "unreadable"),
    case(
        "a GTIN with a wrong check digit in an element string names the expected digit",
        "0109506000134353",
        "bad_check_digit",
    ),
    case("month 13 in an expiry is refused", f"01{GTIN}17271300", "bad_date"),
    case("the 30th of February is refused", f"01{GTIN}17270230", "bad_date"),
    case("a short expiry date is refused", f"01{GTIN}172702", "bad_date"),
    case("an unknown AI is refused", f"01{GTIN}2345", "unknown_ai"),
    case("an empty lot is refused", f"01{GTIN}10", "bad_ai_value"),
    case("a GTIN in an element string must have 14 digits", "010950600013435", "bad_ai_value"),
    case("garbage after the last field is refused", f"01{GTIN}17270200junk", "trailing_data"),
    case("a space inside an element string is refused", f"01{GTIN} 10ABC", "trailing_data"),
    case("two different lots in one scan are refused", f"01{GTIN}10A|10B", "duplicate_ai"),
]


@pytest.mark.parametrize(("raw", "expected", "settings"), CASES)
def test_interpret(raw: str, expected: ScanResult | str, settings: ScanSettings) -> None:
    if isinstance(expected, str):
        with pytest.raises(ScanError) as caught:
            interpret(raw, settings)
        assert caught.value.code == expected, str(caught.value)
        assert str(caught.value)  # a message for the operator
    else:
        assert interpret(raw, settings) == expected


def test_a_wrong_check_digit_message_names_the_gtin_and_the_expected_digit() -> None:
    with pytest.raises(
        ScanError, match=r"GTIN 09506000134353 has a wrong check digit \(expected 2\)"
    ):
        interpret("0109506000134353")


def test_a_swallowed_expiry_message_names_the_lot_and_the_date() -> None:
    with pytest.raises(ScanError, match=r"lot 'ABC12317270200'.*expiry date '270200'"):
        interpret(f"01{GTIN}10ABC12317270200")


def test_a_bad_digital_link_date_is_not_blamed_on_a_lot_that_looks_like_an_ai() -> None:
    with pytest.raises(ScanError, match="expiry date '271331'"):
        interpret(f"https://id.gs1.org/01/{GTIN}/10/17/21/S1?17=271331")


def test_a_scan_error_is_a_value_error_with_a_code() -> None:
    with pytest.raises(ValueError) as caught:
        interpret("")
    assert isinstance(caught.value, ScanError)
    assert caught.value.code == "empty"


@pytest.mark.parametrize("raw", [None, 42, b"0109506000134352"], ids=["None", "an int", "bytes"])
def test_nothing_but_scan_error_escapes_even_for_wrong_input_types(raw: object) -> None:
    with pytest.raises(ScanError):
        interpret(raw)  # type: ignore[arg-type]


def test_a_product_that_expires_today_can_be_received() -> None:
    scan = interpret(f"01{GTIN}17270200")
    assert isinstance(scan, GS1Scan)
    check_receivable(scan, today=date(2027, 2, 28))


def test_a_product_that_expired_yesterday_is_refused_at_receipt() -> None:
    scan = interpret(f"01{GTIN}1727020010L5")
    assert isinstance(scan, GS1Scan)
    with pytest.raises(ScanError, match="Lot L5 expired on 2027-02-28") as caught:
        check_receivable(scan, today=date(2027, 3, 1))
    assert caught.value.code == "expired_at_receipt"


def test_a_scan_without_gtin_is_refused_at_receipt() -> None:
    scan = interpret("00106141411234567891")  # an SSCC only
    assert isinstance(scan, GS1Scan)
    with pytest.raises(ScanError) as caught:
        check_receivable(scan, today=date(2027, 1, 1))
    assert caught.value.code == "no_gtin"


# --- property: what a label printer encodes, interpret reads back ------------------------

# CSET 82, the characters GS1 allows in a lot or serial.
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


def with_check_digit(payload: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return payload + str((10 - total % 10) % 10)


def no_telltale_tail(value: str) -> bool:
    # A last field ending in a complete date or GTIN element is refused as ambiguous
    # (see the missing-separator cases above), so the round trip leaves those out.
    return not re.search(r"(0[12]\d{14}|1[157]\d{6})", value)


@given(
    payload=st.text("0123456789", min_size=13, max_size=13),
    lot=st.text(CSET82, min_size=1, max_size=20),
    expiry=st.dates(date(2000, 1, 1), date(2070, 12, 31)),
    serial=st.text(CSET82, min_size=1, max_size=20).filter(no_telltale_tail),
    separator=st.sampled_from([GS, "|"]),
    prefix=st.sampled_from(["", "]d2", "]C1", "]Q3"]),
)
def test_an_encoded_element_string_reads_back_to_the_same_values(
    payload: str, lot: str, expiry: date, serial: str, separator: str, prefix: str
) -> None:
    gtin = with_check_digit(payload)
    raw = f"{prefix}01{gtin}17{expiry:%y%m%d}10{lot}{separator}21{serial}"
    scan = interpret(raw)
    assert isinstance(scan, GS1Scan)
    assert (scan.gtin, scan.lot, scan.expiry, scan.serial) == (gtin, lot, expiry, serial)
