"""Register decoding, encoding and read grouping: pure logic, no Modbus library.

A point is a value spread over one or two 16-bit registers. The byte order names
the order in which the value's bytes, most significant first called A B C D,
appear on the wire: ``ABCD`` is big-endian, ``DCBA`` little-endian, ``BADC``
swaps the bytes inside each register, ``CDAB`` swaps the registers (the
"least significant word first" of many transmitters). For 16-bit types only the
letters A and B count: ``ABCD``/``CDAB`` read AB, ``DCBA``/``BADC`` read BA.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

RegisterKind = Literal["input", "holding"]
DataType = Literal["int16", "uint16", "int32", "uint32", "float32"]
ByteOrder = Literal["ABCD", "DCBA", "BADC", "CDAB"]

# Register count and struct format (big-endian) of each data type.
TYPES: dict[str, tuple[int, str]] = {
    "int16": (1, ">h"),
    "uint16": (1, ">H"),
    "int32": (2, ">i"),
    "uint32": (2, ">I"),
    "float32": (2, ">f"),
}
BYTE_ORDERS: tuple[str, ...] = ("ABCD", "DCBA", "BADC", "CDAB")
# The Modbus specification limits a read of registers to 125 of them.
MAX_REGISTERS_PER_READ = 125


def register_count(data_type: str) -> int:
    return TYPES[data_type][0]


def _wire_order(byte_order: str, size: int) -> str:
    letters = "ABCD"[:size]
    return "".join(c for c in byte_order if c in letters)


def registers_to_bytes(registers: Sequence[int]) -> bytes:
    return b"".join(r.to_bytes(2, "big") for r in registers)


def bytes_to_registers(data: bytes) -> list[int]:
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def decode_raw(registers: Sequence[int], data_type: str, byte_order: str) -> float | int:
    """The number held by `registers` (as read from the device), before scale and offset."""
    count, fmt = TYPES[data_type]
    if len(registers) != count:
        raise ValueError(f"{data_type} needs {count} registers, got {len(registers)}")
    wire = registers_to_bytes(registers)
    order = _wire_order(byte_order, 2 * count)
    value = bytearray(2 * count)
    for position, letter in enumerate(order):
        value[ord(letter) - ord("A")] = wire[position]
    return struct.unpack(fmt, bytes(value))[0]


def encode_raw(number: float | int, data_type: str, byte_order: str) -> list[int]:
    """The registers a device holds for `number`: the inverse of `decode_raw`."""
    count, fmt = TYPES[data_type]
    if fmt[-1] != "f":
        number = round(number)
    value = struct.pack(fmt, number)
    order = _wire_order(byte_order, 2 * count)
    wire = bytes(value[ord(letter) - ord("A")] for letter in order)
    return bytes_to_registers(wire)


def raw_limits(data_type: str) -> tuple[float, float]:
    """The numbers an integer type can hold (float32: as good as unlimited)."""
    count, fmt = TYPES[data_type]
    bits = 16 * count
    if fmt[-1] == "f":
        return (-3.4e38, 3.4e38)
    if fmt[-1].islower():
        return (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    return (0, 2**bits - 1)


# --- grouping -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    """Where one point lives: `kind` registers `address` .. `address + count - 1`."""

    kind: str
    address: int
    count: int

    @property
    def end(self) -> int:
        return self.address + self.count


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """One Modbus read; `members` are indexes of the points it covers."""

    kind: str
    address: int
    count: int
    members: tuple[int, ...]

    def slice(self, registers: Sequence[int], span: Span) -> list[int]:
        start = span.address - self.address
        return list(registers[start : start + span.count])


def group_reads(
    spans: Iterable[Span], max_gap: int = 0, max_count: int = MAX_REGISTERS_PER_READ
) -> list[ReadRequest]:
    """As few reads as possible that cover every span.

    Spans of the same kind merge when the hole between them is at most `max_gap`
    registers (reading a few unused registers is cheaper than another round trip
    on a 9600-baud line, but some devices refuse reads of unmapped addresses, so
    the default is 0) and the merged read stays within `max_count` registers.
    Input registers come before holding registers; each kind in address order.
    """
    indexed = sorted(
        enumerate(spans), key=lambda item: (item[1].kind != "input", item[1].address, item[0])
    )
    requests: list[ReadRequest] = []
    current: tuple[str, int, int, list[int]] | None = None  # kind, start, end, members
    for index, span in indexed:
        if span.count > max_count:
            raise ValueError(f"a point of {span.count} registers exceeds reads of {max_count}")
        if (
            current is not None
            and current[0] == span.kind
            and span.address - current[2] <= max_gap
            and max(current[2], span.end) - current[1] <= max_count
        ):
            current = (current[0], current[1], max(current[2], span.end), [*current[3], index])
            continue
        if current is not None:
            requests.append(_request(current))
        current = (span.kind, span.address, span.end, [index])
    if current is not None:
        requests.append(_request(current))
    return requests


def _request(current: tuple[str, int, int, list[int]]) -> ReadRequest:
    kind, start, end, members = current
    return ReadRequest(kind, start, end - start, tuple(members))
