"""`stockwarden hub`: the HTTP API with ingest running behind it, under uvicorn."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from hub.app import create_app
from hub.container import Hub, assemble
from hub.settings import HubSettings
from kernel.fonts import cjk_font
from kernel.urls import masked_url

log = logging.getLogger(__name__)


def freeze_startup_objects() -> None:
    """Put what start-up made (modules, the app, settings: ~170,000 objects) out of
    the cyclic garbage collector's way. A full collection walked them all, a pause
    of 60 to 140 ms in whichever request or batch it fell on; now it walks only what
    came after. Call once, in the serving process, after the app is built."""
    gc.collect()
    gc.freeze()


class StoppingServer(uvicorn.Server):
    """uvicorn's server that tells the app the moment it is asked to stop (Ctrl-C,
    SIGTERM, `stop()`), through `app.state.stopping`. uvicorn waits for every open
    request before it shuts down; the alarm feed's long poll (up to 25 s) watches the
    event and answers at once, so one Ctrl-C stops the hub even with /alarms open."""

    def _tell_the_app(self) -> None:
        stopping = getattr(getattr(self.config.app, "state", None), "stopping", None)
        if stopping is not None:
            stopping.set()

    # A second Ctrl-C makes uvicorn stop at once ("force exit"): without waiting for open
    # requests, and without the app's shutdown, so ingest would not commit what it holds,
    # and the cancelled shutdown printed a CancelledError traceback. With the long polls
    # answering at once a stop takes a second or two; a second Ctrl-C within this many
    # seconds of the first is only told to wait, a later one still forces the exit.
    force_after_s = 10.0
    _stop_asked: float | None = None

    def handle_exit(self, sig: int, frame: Any) -> None:
        self._tell_the_app()
        asked = self._stop_asked
        if asked is not None and time.monotonic() - asked < self.force_after_s:
            log.info("stopping already; Ctrl-C again after %g s forces it", self.force_after_s)
            return
        self._stop_asked = self._stop_asked or time.monotonic()
        super().handle_exit(sig, frame)
        # uvicorn raises each caught signal again once it has stopped, so that the process
        # ends as the signal says; raised twice, asyncio's runner took the second as a
        # KeyboardInterrupt in the middle of its clean-up. Once per signal is enough.
        captured: list[int] = getattr(self, "_captured_signals", [])
        captured[:] = list(dict.fromkeys(captured))

    def stop(self) -> None:
        """Stop from another thread (the demo's --duration), as a signal would."""
        self._tell_the_app()
        self._stop_asked = self._stop_asked or time.monotonic()
        self.should_exit = True


class HeadTimedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, with a deadline for the request head: a connection
    that has not sent a whole request line and headers `head_timeout_s` after it opened,
    or after the previous answer, is closed. uvicorn's own keep-alive timer starts again
    on every byte, so a client sending a byte now and then held a connection for ever.
    (The body's deadline is hub/body_limits.py's.)"""

    head_timeout_s = 10.0
    _head_timer: asyncio.TimerHandle | None = None

    # Unchecked below: uvicorn hands a socket Transport; asyncio types the parameter
    # BaseTransport.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def handle_events(self) -> None:
        super().handle_events()
        if self._head_timer is not None and self.cycle is not self._head_waits_after:
            self._head_timer.cancel()  # a new request has begun
            self._head_timer = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and (self.cycle is None
                                                or self.cycle.response_complete):
            self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_waits_after = self.cycle  # the head of the request after this one
        self._head_timer = self.loop.call_later(
            self.head_timeout_s, self._head_too_slow)

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.cycle is self._head_waits_after and not self.transport.is_closing():
            self.transport.close()


def server_options(settings: HubSettings) -> dict[str, Any]:
    """How uvicorn serves the hub's HTTP (also in tests that serve it for real)."""
    protocol = type("HeadTimedH11Protocol", (HeadTimedH11Protocol,),
                    {"head_timeout_s": settings.http_header_timeout_s})
    return {"http": protocol}


def warn_of_demo_accounts(hub: Hub) -> list[str]:
    """On a production hub, the demo's accounts still as the demo set them up: refused
    (their logins and tokens, docs/compliance.md), and said in the log at start."""
    from hub.accounts.passwords import demo_accounts

    if hub.settings.env != "production":
        return []
    with hub.sessions() as session:
        names = demo_accounts(session)
    if names:
        log.warning(
            "accounts of stockwarden demo in this database are refused on a production hub "
            "(their logins and tokens): %s; an admin gives each a new password "
            "(stockwarden user update NAME --password) or deactivates it", ", ".join(names))
    return names


def serve(settings: HubSettings) -> None:
    hub = assemble(settings)
    app = create_app(hub)
    freeze_startup_objects()
    scheme = "https" if settings.http_tls_cert else "http"
    log.info("hub starting", extra={
        "http": f"{scheme}://{settings.http_host}:{settings.http_port}",
        "database": hub.engine.url.render_as_string(hide_password=True),
        # Passwords and tokens in these URLs are masked like the database's.
        "broker": masked_url(settings.mqtt_url),
        "timeseries": masked_url(settings.tsdb_url) if settings.tsdb_url else "none (SQL only)",
    })
    cjk_font()  # says in the log which font labels and reports print with, or that none
    warn_of_demo_accounts(hub)
    # uvicorn turns SIGINT/SIGTERM into the app's shutdown, which stops ingest
    # after committing and acknowledging what it received.
    StoppingServer(uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port, log_config=None,
        access_log=False, **server_options(settings),
        ssl_certfile=str(settings.http_tls_cert) if settings.http_tls_cert else None,
        ssl_keyfile=str(settings.http_tls_key) if settings.http_tls_key else None)).run()
