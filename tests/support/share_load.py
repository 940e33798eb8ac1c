"""Load for the share-slot tests: a gateway's readings (50 per message) and a
scanner's receive scans, published at a steady pace while hub processes die; and
what the database then says: readings counted, when each message was counted, scans
booked, stock on hand."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, text

from contract import wire
from contract.wire import Scan, ScanMode
from tests.support.inventory_world import World
from tests.support.mqtt import ReliablePublisher, telemetry

SITE = "slots"
# VAC-1's GTIN (tests/support/inventory_world.py), expiry 2029-12-31, a lot per scan
# (one lot would make every booking wait for the one balance row), 12 each.
RECEIPT = "]d2010400638133393117291200\x1d10LOT-{seq}\x1d3012"


def register_scanner(world: World, gateway: str) -> None:
    from kernel.actors import Role

    answer = world.client.put(f"/api/v1/gateways/{gateway}/scanners/dock", headers=world.headers(
        Role.ADMIN), json={"operator": "operator1", "modes": ["receive"], "location": "F-01"})
    assert answer.status_code in (200, 201), answer.text


class Load:
    """`messages` telemetry messages of `per_message` readings and `scans` scans, spread
    evenly over `seconds`; `published[seq]` is the wall time each telemetry went out."""

    def __init__(self, mqtt_port: int, gateway: str, *, messages: int = 400,
                 per_message: int = 50, scans: int = 500, seconds: float = 12.0) -> None:
        self.gateway, self.messages, self.scans, self.seconds = gateway, messages, scans, seconds
        self.sensors = [f"{gateway}-s{n}" for n in range(per_message)]
        self.publisher = ReliablePublisher(mqtt_port, f"load-{gateway}")
        self.published: dict[int, datetime] = {}
        self.started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)

    @property
    def readings(self) -> int:
        return self.messages * len(self.sensors)

    def start(self) -> None:
        deadline = time.monotonic() + 10
        while not self.publisher.client.is_connected() and time.monotonic() < deadline:
            time.sleep(0.02)
        self._thread.start()

    def _run(self) -> None:
        telemetry_topic = wire.gateway_topic(SITE, self.gateway, "telemetry")
        scan_topic = wire.scan_topic(SITE, self.gateway)
        items = [("t", n) for n in range(self.messages)] + [("s", n) for n in range(self.scans)]
        items.sort(key=lambda item: item[1] / (self.messages if item[0] == "t" else self.scans))
        pause = self.seconds / len(items)
        began = time.monotonic()
        self.started.set()
        for index, (kind, seq) in enumerate(items):
            delay = began + index * pause - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if kind == "t":
                self.published[seq] = datetime.now(UTC)
                ts = self._base + timedelta(milliseconds=10 * seq)
                self.publisher.publish(telemetry_topic, telemetry(self.gateway, seq,
                                                                  self.sensors, ts))
            else:
                self.publisher.publish(scan_topic, wire.encode(Scan(
                    gateway=self.gateway, seq=seq, scanner="dock", ts=datetime.now(UTC),
                    raw=RECEIPT.format(seq=seq), mode=ScanMode.RECEIVE)))

    def join(self) -> None:
        self._thread.join(self.seconds + 30)
        self.publisher.wait_all_acked()
        self.publisher.close()

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()


def one(db_url: str, query: str, **params: Any) -> Any:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(query), params).scalar_one()
    finally:
        engine.dispose()


def counted(db_url: str, load: Load) -> int:
    """Readings of the load counted in the hourly statistics (a reading counted twice
    counts twice here)."""
    return int(one(db_url, "SELECT coalesce(sum(count), 0) FROM hourly_stats "
                           "WHERE quantity = 'temperature_c' AND sensor_id LIKE :prefix",
                   prefix=f"{load.gateway}-s%"))


def counted_at(db_url: str, gateway: str) -> dict[int, datetime]:
    """When the hub took each telemetry message (its seen record, committed with it)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT seq, received_at FROM seen_messages "
                                     "WHERE gateway = :g"), {"g": gateway}).all()
    finally:
        engine.dispose()
    return {int(seq): at if at.tzinfo else at.replace(tzinfo=UTC) for seq, at in rows}


def scans_booked(db_url: str, gateway: str) -> tuple[int, int]:
    """(scan records, of them booked) of `gateway`."""
    return (int(one(db_url, "SELECT count(*) FROM scan_records WHERE gateway = :g", g=gateway)),
            int(one(db_url, "SELECT count(*) FROM scan_records WHERE gateway = :g "
                            "AND outcome = 'booked'", g=gateway)))
