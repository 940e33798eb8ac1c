"""`stockwarden hub --workers N`: N hub processes on one machine, every one serving.

The parent migrates the schema once, binds the HTTP socket and starts N children
(spawned, as uvicorn's own workers are) that share it: the kernel hands each new
connection to one of them. Child k is a whole hub (`hub.server.serve`) with its own
MQTT client ids, `<mqtt_client_id>-<k>` (and its scan consumer's
`<...>-<k>-scans`), all in one share group (STOCKWARDEN_MQTT_SHARE_GROUP, default
`stockwarden`): each consumes its share of the readings and scans, the database
picks which one runs the alarm engine (kernel/leader.py), and the share slots
(contract/share_slots.py) hand a dead child's session to the others. The parent
starts a child again when it dies, and passes SIGTERM and SIGINT on to them.

Only on PostgreSQL: on SQLite the hub is one process.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import threading
from multiprocessing.process import BaseProcess

from hub.settings import HubSettings

log = logging.getLogger(__name__)

DEFAULT_SHARE_GROUP = "stockwarden"
RESTART_AFTER_S = 1.0


class WorkersRefused(ValueError):
    """N processes cannot run on this configuration."""


def worker_settings(settings: HubSettings, k: int) -> HubSettings:
    scan_id = settings.scan_mqtt_client_id
    return settings.model_copy(update={
        "mqtt_client_id": f"{settings.mqtt_client_id}-{k}",
        "scan_mqtt_client_id": f"{scan_id}-{k}" if scan_id else None,
        "mqtt_share_group": settings.mqtt_share_group or DEFAULT_SHARE_GROUP})


def check(settings: HubSettings, workers: int) -> None:
    if workers < 1:
        raise WorkersRefused("--workers must be at least 1")
    if workers > 1 and not settings.database_url.startswith("postgresql"):
        raise WorkersRefused(
            f"--workers {workers} needs PostgreSQL: on SQLite the hub is one process (the "
            "alarm engine's leadership and the share slots are PostgreSQL advisory locks); "
            "run `stockwarden hub` without --workers, or move to PostgreSQL (docs/deploy.md)")
    if workers > 1 and settings.mqtt_protocol != "5":
        raise WorkersRefused(f"--workers {workers} needs MQTT 5 (a shared subscription); "
                             "set STOCKWARDEN_MQTT_PROTOCOL=5")


def _bind(settings: HubSettings) -> socket.socket:
    family = socket.AF_INET6 if ":" in settings.http_host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.http_host, settings.http_port))
    sock.set_inheritable(True)
    return sock


def _child(settings: HubSettings, k: int, sock: socket.socket) -> None:
    from hub.logs import configure_logging
    from hub.server import serve

    configure_logging(settings.log_level, settings.log_format)
    serve(worker_settings(settings, k), sockets=[sock])


def serve_workers(settings: HubSettings, workers: int) -> None:
    """Run `workers` hub processes on one HTTP socket until SIGTERM or SIGINT."""
    check(settings, workers)
    from hub.db import make_engine, migrate

    engine = make_engine(settings.database_url)
    migrate(engine)  # once, before the children start together
    engine.dispose()
    sock = _bind(settings)
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    def start(k: int) -> BaseProcess:
        child = context.Process(target=_child, args=(settings, k, sock), name=f"hub-{k}")
        child.start()
        log.info("hub worker started", extra={"worker": k, "pid": child.pid})
        return child

    children = {k: start(k) for k in range(1, workers + 1)}
    while not stop.wait(RESTART_AFTER_S):
        for k, child in children.items():
            if not child.is_alive():
                log.error("hub worker ended; starting it again", extra={
                    "worker": k, "exit_code": child.exitcode})
                children[k] = start(k)
    for child in children.values():
        if child.is_alive() and child.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGTERM)
    for child in children.values():
        child.join(30)
        if child.is_alive():
            child.kill()
            child.join(5)
    sock.close()

