"""The hub's uvicorn server (hub/server.py, StoppingServer): a stop tells the app at
once (the alarm feed's long polls answer instead of holding the shutdown up); a second
Ctrl-C soon after the first neither skips the app's shutdown nor is raised again at the
exit (which printed a CancelledError traceback); a late one still forces the exit."""

from __future__ import annotations

import signal
import threading
from types import SimpleNamespace

import uvicorn

from hub.server import StoppingServer


def server() -> tuple[StoppingServer, threading.Event]:
    stopping = threading.Event()
    app = SimpleNamespace(state=SimpleNamespace(stopping=stopping))
    return StoppingServer(uvicorn.Config(app)), stopping  # type: ignore[arg-type]


def test_ctrl_c_tells_the_app_and_a_second_one_soon_after_forces_nothing() -> None:
    hub_server, stopping = server()
    hub_server.handle_exit(signal.SIGINT, None)
    assert stopping.is_set() and hub_server.should_exit
    hub_server.handle_exit(signal.SIGINT, None)
    assert not hub_server.force_exit
    assert hub_server._captured_signals == [signal.SIGINT]  # raised once at the exit


def test_a_ctrl_c_long_after_the_first_still_forces_the_exit() -> None:
    hub_server, _ = server()
    hub_server.force_after_s = 0.0
    hub_server.handle_exit(signal.SIGINT, None)
    hub_server.handle_exit(signal.SIGINT, None)
    assert hub_server.force_exit
    assert hub_server._captured_signals == [signal.SIGINT]


def test_stop_from_another_thread_tells_the_app() -> None:
    hub_server, stopping = server()
    hub_server.stop()
    assert stopping.is_set() and hub_server.should_exit
