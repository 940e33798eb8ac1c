"""Real receivers for alarm messages: a local webhook (what apprise's json:// posts
to) and a local SMTP server (aiosmtpd), each on a free port, recording what
arrived and when."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.support.processes import free_port


@dataclass
class Received:
    path: str
    body: dict[str, Any]
    at: float  # time.time() on arrival


@dataclass
class Webhook:
    port: int
    received: list[Received] = field(default_factory=list)
    status: int = 200  # what it answers; 500 makes a failing route

    def url(self, path: str = "alarms") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == f"/{path}"]


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    with serve_webhook() as hook:
        yield hook


@contextmanager
def serve_webhook() -> Iterator[Webhook]:
    hook = Webhook(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"raw": raw.decode(errors="replace")}
            hook.received.append(Received(self.path, body, time.time()))
            self.send_response(hook.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", hook.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Smtp:
    port: int
    messages: list[Message] = field(default_factory=list)

    def url(self, to: str = "duty@example.com") -> str:
        # Plain SMTP on a local port, no login.
        return f"mailto://127.0.0.1:{self.port}?to={to}&from=alarms@example.com"


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    from aiosmtpd.controller import Controller

    box = Smtp(free_port())

    class Handler:
        async def handle_DATA(self, _server: object, _session: object,
                              envelope: Any) -> str:
            box.messages.append(message_from_bytes(envelope.content))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()
