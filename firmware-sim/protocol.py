"""Modbus framing for the simulator: PDUs, RTU frames (CRC) and TCP (MBAP) frames.

The simulator frames bytes itself rather than using pymodbus's server, because
its faults live at the byte level: silence, a wrong CRC, the time a frame takes
on a 9600-baud line.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

from pymodbus.framer.rtu import FramerRTU

from firmware_sim.devices import ILLEGAL_FUNCTION, SimDevice

READ_HOLDING = 3
READ_INPUT = 4
KINDS = {READ_HOLDING: "holding", READ_INPUT: "input"}
# Requests of these function codes are 8 bytes long on RTU: unit, fc, address, count, CRC.
FIXED_RTU_REQUEST = 8


def crc(data: bytes) -> bytes:
    return FramerRTU.compute_CRC(data).to_bytes(2, "big")


def exception_pdu(function: int, code: int) -> bytes:
    return bytes([function | 0x80, code])


def handle_pdu(device: SimDevice, pdu: bytes) -> bytes:
    """The response PDU to a request PDU."""
    function = pdu[0]
    if function not in KINDS or len(pdu) != 5:
        return exception_pdu(function, ILLEGAL_FUNCTION)
    address, count = struct.unpack(">HH", pdu[1:5])
    if not 1 <= count <= 125:
        return exception_pdu(function, 3)
    result = device.read(KINDS[function], address, count)
    if isinstance(result, int):
        return exception_pdu(function, result)
    return bytes([function, 2 * count]) + b"".join(r.to_bytes(2, "big") for r in result)


def rtu_frame(unit: int, pdu: bytes, corrupt: bool = False) -> bytes:
    body = bytes([unit]) + pdu
    check = crc(body)
    if corrupt:
        check = bytes([check[0] ^ 0xFF, check[1]])
    return body + check


def split_rtu_request(buffer: bytes) -> tuple[bytes | None, int]:
    """A complete, valid request at the start of `buffer` and the bytes it used.

    (None, 0) means wait for more bytes; (None, n) means drop n bytes of garbage.
    """
    if len(buffer) < 2:
        return None, 0
    if buffer[1] in KINDS:
        if len(buffer) < FIXED_RTU_REQUEST:
            return None, 0
        frame = buffer[:FIXED_RTU_REQUEST]
        if crc(frame[:-2]) == frame[-2:]:
            return frame, FIXED_RTU_REQUEST
        return None, 1
    return None, 0  # another function: the caller waits for the line to go silent


def respond_rtu(devices: Mapping[int, SimDevice], frame: bytes) -> bytes | None:
    """The response frame to a whole request frame, or None for silence."""
    if len(frame) < 4 or crc(frame[:-2]) != frame[-2:]:
        return None  # a real slave ignores a frame with a bad CRC
    device = devices.get(frame[0])
    if device is None:
        return None  # addressed to another slave
    answer = device.answer()
    if answer == "silent":
        return None
    return rtu_frame(frame[0], handle_pdu(device, frame[1:-2]), corrupt=answer == "crc")


def respond_tcp(devices: Mapping[int, SimDevice], header: bytes, pdu: bytes) -> bytes | None:
    """The MBAP response to one request, or None for silence."""
    tid, _, _, unit = struct.unpack(">HHHB", header)
    device = devices.get(unit)
    if device is None:
        # What a Modbus TCP gateway says when nothing answers behind it.
        response = exception_pdu(pdu[0], 0x0B)
    else:
        if device.answer() != "answer":
            return None
        response = handle_pdu(device, pdu)
    return struct.pack(">HHHB", tid, 0, len(response) + 1, unit) + response
