"""Modbus links: the only module of the agent that talks to pymodbus.

A `Link` reads registers from one bus, one transaction at a time, and turns every
way a read can fail into a `ReadFailure` with a short reason that ends up in the
reading's `error` field: ``timeout``, ``crc error``, ``exception 2``,
``short response``, ``no connection: ...``. pymodbus's own retries are off: the
poller decides when to try again, so a dead device costs one timeout per poll.
"""

from __future__ import annotations

import logging
import time
from typing import Literal, Protocol

from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException
from pymodbus.framer import FramerType

from edge.config import RtuBus, TcpBus

log = logging.getLogger(__name__)

FailureKind = Literal["timeout", "error", "connection"]


class ReadFailure(Exception):
    """A read that gave no usable registers. `kind` feeds the health counters."""

    def __init__(self, kind: FailureKind, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        # The wire allows 200 characters of error; driver messages can be longer.
        self.reason = reason if len(reason) <= 200 else reason[:197] + "..."


class Link(Protocol):
    def read(self, kind: str, address: int, count: int, unit: int) -> list[int]: ...

    def close(self) -> None: ...


def quiet_pymodbus() -> None:
    """pymodbus logs every timeout as an ERROR; we report them ourselves, per sensor."""
    logger = logging.getLogger("pymodbus")
    if not logger.isEnabledFor(logging.DEBUG):
        logger.setLevel(logging.CRITICAL)


class PymodbusLink:
    """A Modbus TCP connection or RTU serial port, reconnected on the next read after a loss."""

    def __init__(self, bus: TcpBus | RtuBus) -> None:
        quiet_pymodbus()
        self.bus = bus
        self._received = 0  # bytes seen during the current transaction
        self._settle_until = 0.0  # serial: no request before this (a late answer may come)
        self.client: ModbusTcpClient | ModbusSerialClient
        if isinstance(bus, TcpBus):
            self.client = ModbusTcpClient(
                bus.host,
                port=bus.port,
                timeout=bus.timeout,
                retries=0,
                trace_packet=self._trace,
            )
        else:
            self.client = ModbusSerialClient(
                bus.port,
                framer=FramerType.RTU,
                baudrate=bus.baud,
                parity=bus.parity,
                stopbits=bus.stop_bits,
                bytesize=8,
                timeout=bus.timeout,
                retries=0,
                trace_packet=self._trace,
            )

    def _trace(self, sending: bool, data: bytes) -> bytes:
        if not sending:
            self._received += len(data)
        return data

    def read(self, kind: str, address: int, count: int, unit: int) -> list[int]:
        if not self.client.connected and not self.client.connect():
            raise ReadFailure("connection", f"no connection: {self._where()}")
        self._settle()
        self._received = 0
        call = (
            self.client.read_input_registers
            if kind == "input"
            else self.client.read_holding_registers
        )
        try:
            response = call(address, count=count, device_id=unit)
        except ConnectionException as exc:
            self.close()
            raise ReadFailure("connection", f"connection lost: {exc}") from None
        except ModbusException:
            if isinstance(self.bus, RtuBus):
                self._settle_until = time.monotonic() + self.bus.settle_time
            # pymodbus drops a frame with a bad CRC and waits for a good one until
            # the timeout: bytes that came in and made no frame mean a CRC error.
            if self._received:
                raise ReadFailure("error", "crc error or garbled frame") from None
            raise ReadFailure("timeout", "timeout") from None
        except OSError as exc:
            self.close()
            raise ReadFailure("connection", f"connection lost: {exc}") from None
        if response.isError():
            code = getattr(response, "exception_code", "?")
            raise ReadFailure("error", f"exception {code}")
        registers = list(getattr(response, "registers", []))
        if len(registers) < count:
            raise ReadFailure("error", f"short response: {len(registers)} of {count} registers")
        return registers[:count]

    def _settle(self) -> None:
        """After a serial timeout: let a late answer finish, then throw it away."""
        if not self._settle_until:
            return
        wait = self._settle_until - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._settle_until = 0.0
        port = getattr(self.client, "socket", None)
        if port is not None and hasattr(port, "reset_input_buffer"):
            try:
                port.reset_input_buffer()
            except OSError as exc:
                log.debug("flushing %s failed: %s", self._where(), exc)

    def _where(self) -> str:
        if isinstance(self.bus, TcpBus):
            return f"{self.bus.host}:{self.bus.port}"
        return self.bus.port

    def close(self) -> None:
        try:
            self.client.close()
        except OSError as exc:  # closing a port that vanished (USB adapter pulled)
            log.debug("close failed: %s", exc)
