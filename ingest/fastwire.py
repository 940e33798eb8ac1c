"""Telemetry decoding on ingest's hot path: msgspec first, the wire contract's
pydantic models for everything else.

`contract.wire.decode(Telemetry, ...)` builds a pydantic model per reading and runs
two Python validators per reading; at 50 readings a message that was the largest
share of ingest's CPU. Here msgspec parses and checks the common shape in C into
lean structs (the same attribute names, so ingest, the roll-up, the line
protocol and the alarm hook read them alike), and the few checks it cannot
express run in one Python loop.

The contract stays `contract.wire`: the fast path only *accepts* payloads that the
pydantic models accept with the same values (a stricter subset: canonical
timestamps, exact types). Anything else, valid or not, goes through
`wire.decode`, so a payload the fast path does not take is either accepted by
the pydantic models (lax forms: a numeric string for seq, a timestamp in another
ISO form) or refused with exactly their reason. tests/unit/test_fastwire.py
checks both.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

import msgspec

from contract import wire
from contract.wire import (
    MAX_PAYLOAD_BYTES,
    MAX_READINGS_PER_MESSAGE,
    QUANTITY_LIMITS,
    Quality,
    Telemetry,
    WireError,
    reserved_gateway_problem,
    text_problem,
)

# The wire patterns, anchored at the very end (`$` would also match before a final
# newline in Python's re; pydantic's regex does not).
_ID = wire.ID_PATTERN.removesuffix("$") + r"\Z"
_QUANTITY = wire.QUANTITY_PATTERN.removesuffix("$") + r"\Z"
# The wire's own timestamp shape (ASCII digits, T, 1-6 fraction digits, Z or an
# offset): both parsers read it alike. Other ISO forms go the pydantic way.
_STAMP = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
          r"(Z|[+-][0-9]{2}:[0-9]{2})\Z")

Ident = Annotated[str, msgspec.Meta(pattern=_ID)]
# Checked in `_finish`, not by msgspec: its pattern check calls Python's re for every
# reading, two thirds of what decoding a reading cost.
Stamp = str
_stamp_ok = re.compile(_STAMP).match
_id_ok = re.compile(_ID).match
_quantity_ok = re.compile(_QUANTITY).match
# Sensor ids and quantity names already found valid: a site has a few thousand and
# repeats them in every message, so each is matched against its pattern once.
_KNOWN_LIMIT = 1_000_000


class LeanReading(msgspec.Struct, gc=False):
    """A reading as `contract.wire.Reading` reads: sensor, ts (UTC, milliseconds),
    quantities, quality, error. Not frozen only so that decoding can put the parsed
    timestamp in place; nothing changes it afterwards."""

    sensor: str  # an Ident: checked in `_finish`
    ts: Stamp  # a datetime once decoded
    quantities: Annotated[dict[str, float], msgspec.Meta(max_length=32)] = {}
    quality: Quality = Quality.GOOD
    error: Annotated[str, msgspec.Meta(max_length=200)] | None = None

    @property
    def good(self) -> bool:
        """As `alerts.model.Reading.good`: the alarm engine reads these readings as
        they are, without a copy each."""
        return self.quality is Quality.GOOD


class LeanTelemetry(msgspec.Struct, gc=False):
    gateway: Ident
    seq: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
    readings: Annotated[list[LeanReading],
                        msgspec.Meta(min_length=1, max_length=MAX_READINGS_PER_MESSAGE)]


_decoder = msgspec.json.Decoder(LeanTelemetry)
_fromiso = datetime.fromisoformat


class _Slow(Exception):
    """The fast path does not take this payload: ask the pydantic models."""


_known_ids: set[str] = set()
_known_names: set[str] = set()


def _learn(known: set[str], name: str, valid: Callable[[str], object]) -> None:
    if not valid(name):
        raise _Slow
    if len(known) >= _KNOWN_LIMIT:
        known.clear()
    known.add(name)


def _finish(message: LeanTelemetry) -> LeanTelemetry:
    """What msgspec cannot say: the reserved gateway ids, timestamps, plausible and
    finite values, storable error text."""
    if reserved_gateway_problem(message.gateway):
        raise _Slow
    limits_of = QUANTITY_LIMITS.get
    utc = UTC
    ids, names = _known_ids, _known_names
    for reading in message.readings:
        if reading.sensor not in ids:
            _learn(ids, reading.sensor, _id_ok)
        text = reading.ts
        # The shape every gateway of ours sends (2026-01-31T12:00:00.123Z), by position;
        # any other goes by the pattern. Positions fixed, fromisoformat takes only ASCII
        # digits between them.
        if not (len(text) == 24 and text[23] == "Z" and text[19] == "." and text[10] == "T"
                and text[4] == "-" and text[7] == "-" and text[13] == ":"
                and text[16] == ":" and text.isascii()) and not _stamp_ok(text):
            raise _Slow
        try:
            ts = _fromiso(text)
        except ValueError:
            raise _Slow from None
        if ts.utcoffset():
            ts = ts.astimezone(utc)
        sub_millis = ts.microsecond % 1000
        if sub_millis:
            ts = ts.replace(microsecond=ts.microsecond - sub_millis)
        # Unchecked below: the lean struct's ts is decoded as text and replaced in place by the
        # parsed datetime (no copy).
        reading.ts = ts  # type: ignore[assignment]
        for name, value in reading.quantities.items():
            if name not in names:
                _learn(names, name, _quantity_ok)
            limits = limits_of(name)
            if limits is None:
                if value - value != 0:  # inf or nan
                    raise _Slow
            elif not limits[0] <= value <= limits[1]:
                raise _Slow
        if reading.error is not None and text_problem(reading.error):
            raise _Slow
    return message


def decode_telemetry(payload: bytes | str) -> LeanTelemetry | Telemetry:
    """A telemetry payload, decoded and validated as `wire.decode(Telemetry, payload)`
    would, or WireError with its very reason."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise WireError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        return _finish(_decoder.decode(payload))
    except (msgspec.DecodeError, _Slow):
        return wire.decode(Telemetry, payload)
