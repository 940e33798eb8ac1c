"""`stockwarden demo`: the whole flow in one process, no external service.

An in-process MQTT broker (amqtt), the hub on SQLite (no time-series store:
latest values and hourly statistics come from SQL) and the real edge agent
polling simulated Modbus sensors of a small warehouse (firmware_sim.demo).
A few minutes in, the cold room's compressor fails: the alarm engine raises an
alarm (in the log, the API, on MQTT) and, with `--notify URL`, sends it to any
apprise URL."""

from __future__ import annotations

import asyncio
import logging
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import uvicorn
import yaml

from hub.app import create_app
from hub.container import Hub, assemble
from hub.db import Session
from hub.server import StoppingServer
from hub.settings import load_settings
from kernel.uow import unit_of_work

log = logging.getLogger(__name__)

# zone code -> (name, storage class code, its name, temp range, humidity range, hazardous);
# the sensors in each zone are the simulator's (firmware_sim.demo.DEMO_ZONES).
DEMO_WAREHOUSE = {
    "cold-room": ("Cold room", "2-8C", "Refrigerated 2-8 °C", (2.0, 8.0), None, False),
    "crt": ("Controlled room temperature", "15-25C", "Controlled 15-25 °C", (15.0, 25.0),
            (35.0, 75.0), False),
    "haz": ("Hazardous goods store", "le30C", "At most 30 °C", (None, 30.0), None, True),
}


# amqtt, the embedded broker, refuses MQTT 5 connects: the demo's hub, its gateway and
# anyone publishing to it speak 3.1.1. A production broker (Mosquitto ...) speaks 5.
DEMO_MQTT_PROTOCOL = "3.1.1"


class EmbeddedBroker:
    """amqtt on its own event loop thread (MQTT 3.1.1; the demo's only broker)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mqtt-broker",
                                        daemon=True)
        self._broker = None

    def start(self) -> None:
        from amqtt.broker import Broker

        self._thread.start()

        async def _start() -> None:
            self._broker = Broker(
                {
                    "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
                    "plugins": {
                        "amqtt.plugins.authentication.AnonymousAuthPlugin": {
                            "allow_anonymous": True
                        },
                    },
                }
            )
            await self._broker.start()

        asyncio.run_coroutine_threadsafe(_start(), self._loop).result(timeout=15)

    def stop(self) -> None:
        if self._broker is not None:
            asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop).result(
                timeout=15)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


def seed_warehouse(hub: Hub) -> None:
    """Zones with their storage classes, and the demo's sensors assigned to them."""
    with hub.writes() as session:
        _seed_warehouse(session)


@unit_of_work()
def _seed_warehouse(session: Session) -> None:
    from firmware_sim.demo import DEMO_ZONES
    from ingest.orm import Sensor
    from kernel.orm import StorageClass, Zone

    if session.query(Zone).count():
        return
    for code, (name, sc_code, sc_name, temp, hum, hazardous) in DEMO_WAREHOUSE.items():
        storage = StorageClass(
            code=sc_code, name=sc_name, temp_min_c=temp[0], temp_max_c=temp[1],
            humidity_min_pct=hum[0] if hum else None, humidity_max_pct=hum[1] if hum else None,
        )
        zone = Zone(code=code, name=name, storage_class=storage, hazardous=hazardous)
        session.add(zone)
        session.flush()
        for sensor in DEMO_ZONES[code]:
            session.add(Sensor(id=sensor, name=f"{name} {sensor}", zone_id=zone.id))


def demo_rules(data_dir: Path, notify: list[str], alarm_delay_s: float) -> Path:
    """The demo's alarm rules, written where the newcomer can read them. The storage
    classes give every zone its defaults; the cold room gets a rule of its own whose
    delay absorbs the door opening (40 s above 8 °C every 5 minutes)."""
    rules: dict[str, object] = {
        "thresholds": [{"zone": "cold-room", "quantity": "temperature_c", "low_critical": 2,
                        "high_warning": 7.5, "high_critical": 8,
                        "delay": f"{alarm_delay_s:g}s", "deadband": 0.3}],
        "gateways": {"status_interval": "15s"},
        "grouping": {"window": "5s"},
    }
    if notify:
        rules["recipients"] = {"demo": {"description": "--notify", "urls": notify}}
        rules["routes"] = [{"name": "demo", "match": {
            "kind": ["threshold", "rate", "offline", "gateway_offline", "backlog"]},
            "groups": ["demo"]}]
    path = data_dir / "alarms.yaml"
    path.write_text("# The demo's alarm rules (docs/alerts.md explains every key).\n"
                    + yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    return path


def seed_scanning(hub: Hub) -> None:
    """The dock's serial scanner: its item (by GTIN), its receiving bin in the cold
    room, the operator account it books as, and its registration (receive, identify)."""
    from contract.wire import ScanMode
    from firmware_sim.demo import (
        DEMO_GATEWAY,
        DEMO_RECEIVING_BIN,
        DEMO_SCANNER,
        DEMO_SCANNER_OPERATOR,
    )
    from inventory.scans.registry import put_scanner
    from inventory.scans.schemas import ScannerRegistration

    with hub.writes() as session:
        _seed_scanning(session)
        put_scanner(session, DEMO_GATEWAY, DEMO_SCANNER, ScannerRegistration(
            operator=DEMO_SCANNER_OPERATOR, modes=[ScanMode.RECEIVE, ScanMode.IDENTIFY],
            location=DEMO_RECEIVING_BIN))


@unit_of_work()
def _seed_scanning(session: Session) -> None:
    from sqlalchemy import select

    from firmware_sim.demo import (
        DEMO_ITEM_GTIN,
        DEMO_ITEM_SKU,
        DEMO_RECEIVING_BIN,
        DEMO_SCANNER_OPERATOR,
    )
    from hub.accounts.service import create_user
    from inventory.orm import Item, Location
    from kernel.actors import Role
    from kernel.orm import User, Zone

    if session.scalar(select(Item).where(Item.sku == DEMO_ITEM_SKU)):
        return
    cold = session.scalar(select(Zone).where(Zone.code == "cold-room"))
    assert cold is not None and cold.storage_class_id is not None
    session.add(Item(sku=DEMO_ITEM_SKU, gtin=DEMO_ITEM_GTIN, name="Influenza vaccine",
                     storage_class_id=cold.storage_class_id))
    session.add(Location(code=DEMO_RECEIVING_BIN, zone_id=cold.id, name="Receiving dock"))
    if not session.scalar(select(User).where(User.username == DEMO_SCANNER_OPERATOR)):
        create_user(session, DEMO_SCANNER_OPERATOR, Role.OPERATOR)


def demo_token(hub: Hub) -> str:
    """An API token for the demo's admin (the API answers nothing without one)."""
    with hub.writes() as session:
        return _demo_token(session).get()


@unit_of_work()
def _demo_token(session: Session) -> str:
    from sqlalchemy import select

    from hub.accounts.service import create_user, issue_token
    from kernel.actors import Role
    from kernel.orm import User

    user = session.scalar(select(User).where(User.username == "demo"))
    user = user or create_user(session, "demo", Role.ADMIN, demo=True)
    return issue_token(session, user, label="demo").token


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    password: str


# Who logs in to the demo's pages: a supervisor (overview, alarms, reports, audit),
# an operator (the handheld) and an admin (the storage conditions, /settings/zones).
DEMO_PEOPLE = (("sue", "supervisor"), ("otto", "operator"), ("ada", "admin"))
# Their full names, which their electronic signatures show.
DEMO_NAMES = {"sue": "Sue Demo", "otto": "Otto Demo", "ada": "Ada Demo"}


def _demo_password(username: str) -> str:
    """16 random characters that the password policy accepts (a random one may, rarely,
    contain the user name)."""
    from hub.accounts.password_policy import PasswordPolicy, PasswordRefused, check_password

    while True:
        password = secrets.token_urlsafe(12)
        try:
            check_password(password, username, PasswordPolicy())
        except PasswordRefused:
            continue
        return password


def demo_logins(hub: Hub) -> list[DemoLogin]:
    """The demo's people with a fresh password each start (printed, never stored in
    clear): created on the first start, their password reset on a later start over the
    same --data-dir, so the printed one is always the one that works."""
    from hub.accounts.service import list_users, register_user, update_user
    from kernel.actors import Role

    with hub.sessions() as session:
        existing = {user.username for user in list_users(session)}
    logins = []
    for username, role in DEMO_PEOPLE:
        password = _demo_password(username)
        # Marked as the demo's (demo=True): a production hub refuses these accounts
        # until an admin gives them passwords of their own.
        with hub.writes() as session:
            if username in existing:
                update_user(session, username, password=password, active=True,
                            demo=True, full_name=DEMO_NAMES[username]).get()
            else:
                register_user(session, username, Role(role), password, demo=True,
                              full_name=DEMO_NAMES[username]).get()
        logins.append(DemoLogin(username, role, password))
    return logins


def run_demo(
    http_port: int = 8080,
    mqtt_port: int = 1883,
    data_dir: Path | None = None,
    duration: float | None = None,
    notify: list[str] | None = None,
    cooling_failure_s: float | None = 180.0,
    cooling_rate_per_min: float = 1.0,
    alarm_delay_s: float = 120.0,
    scan_every_s: float | None = None,
) -> None:
    from firmware_sim.demo import DemoTiming

    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="stockwarden-demo-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    rules = demo_rules(data_dir, notify or [], alarm_delay_s)
    timing = DemoTiming(cooling_failure_s, cooling_rate_per_min)
    broker = EmbeddedBroker(mqtt_port)
    broker.start()
    settings = load_settings(
        database_url=f"sqlite:///{data_dir / 'demo.db'}",
        mqtt_url=f"mqtt://127.0.0.1:{mqtt_port}",
        mqtt_protocol=DEMO_MQTT_PROTOCOL,
        mqtt_client_id="stockwarden-demo-hub",
        tsdb_url=None,
        http_port=http_port,
        alarm_rules=rules,
        site="demo",
        public_url=f"http://127.0.0.1:{http_port}",
        alarm_tick_s=1.0,
        alarm_reconcile_s=15.0,
    )
    hub = assemble(settings)
    seed_warehouse(hub)
    seed_scanning(hub)
    token = demo_token(hub)
    logins = demo_logins(hub)
    stop = threading.Event()
    from firmware_sim.demo import (
        DEMO_ITEM_SKU,
        DEMO_RECEIPT_QUANTITY,
        DEMO_RECEIVING_BIN,
        DEMO_SCAN_EVERY_S,
        run_demo_gateway,
    )

    scan_every_s = scan_every_s or DEMO_SCAN_EVERY_S

    # The real edge agent, polling simulated Modbus devices (RTU on a pty and TCP).
    gateway = threading.Thread(
        target=run_demo_gateway, args=("127.0.0.1", mqtt_port, data_dir, stop, "demo", timing),
        kwargs={"scan_every_s": scan_every_s}, name="demo-gateway", daemon=True,
    )
    server = StoppingServer(uvicorn.Config(create_app(hub), host="127.0.0.1", port=http_port,
                                           log_config=None, access_log=False))
    if duration is not None:
        timer = threading.Timer(duration, server.stop)
        timer.daemon = True  # Ctrl-C before the end must not wait for it
        timer.start()
    base = f"http://127.0.0.1:{http_port}"
    people = "".join(f"  log in as        {who.username} / {who.password}  ({who.role})\n"
                     for who in logins)
    print(
        f"\nStockwarden demo\n"
        f"  pages            {base}/login, then {base}/ (overview), {base}/alarms, "
        f"{base}/handheld, {base}/reports, {base}/audit, {base}/settings/zones\n"
        + people +
        f"  more users       stockwarden user create --data-dir {data_dir} "
        f"--username NAME --role supervisor --password --full-name \"First Last\"\n"
        f"  latest readings  {base}/api/v1/readings/latest\n"
        f"  sensors          {base}/api/v1/sensors\n"
        f"  hourly, a zone   {base}/api/v1/zones/cold-room/hourly\n"
        f"  alarms           {base}/api/v1/alarms  (rules: {rules})\n"
        f"  API docs         {base}/docs\n"
        f"  API token        {token}  (header Authorization: Bearer <token>)\n"
        f"  health, metrics  {base}/health  {base}/metrics\n"
        f"  serial scanner   the dock's scanner receives {DEMO_RECEIPT_QUANTITY} of "
        f"{DEMO_ITEM_SKU} into {DEMO_RECEIVING_BIN} every {scan_every_s:g} s: stock at "
        f"{base}/api/v1/stock?item={DEMO_ITEM_SKU}, each scan at {base}/api/v1/scans\n"
        f"  MQTT broker      mqtt://127.0.0.1:{mqtt_port} (MQTT {DEMO_MQTT_PROTOCOL}; the demo's "
        f"broker speaks 3.1.1 only, a production broker 5)\n"
        f"  data             {data_dir}\n"
        + (f"  cooling failure  the cold room's compressor fails {cooling_failure_s:g} s "
           f"after start: an alarm follows {alarm_delay_s:g} s after it passes 8 °C"
           + (f", sent to {len(notify or [])} --notify URL(s)" if notify else "") + "\n"
           if cooling_failure_s is not None else "")
        + "Ctrl-C stops.\n",
        flush=True,
    )
    gateway.start()
    try:
        server.run()  # returns after Ctrl-C; the app's shutdown stops ingest
    finally:
        stop.set()
        gateway.join(timeout=15)
        broker.stop()
        log.info("demo stopped")
