"""Small helpers for tests that run programs: a free port, waiting until something
is ready, whether a port answers, and where a Debian program is installed. No
service is started here (that is tests/support/services.py), so unit tests may use it."""

from __future__ import annotations

import collections
import glob
import os
import random
import shutil
import socket
import time
from collections.abc import Callable

# Under pytest-xdist (`./run test` runs the suite in worker processes), a port is chosen
# between asking for it and a service binding it; a service stopped mid-test is started
# again on its port. So that another worker of the same run can never take such a port
# meanwhile, each worker draws from its own ports: those below the kernel's ephemeral
# range (32768 and up on Linux, where outgoing connections take their ports) whose
# number modulo the count of workers is the worker's number.
_LOW, _HIGH = 20000, 32000
# Its own generator (a test seeding `random` must not make draws repeat), and the ports
# handed out lately, not handed out again before their service had time to bind them.
_draw = random.Random()
_lately: collections.deque[int] = collections.deque(maxlen=500)


def _worker() -> tuple[int, int] | None:
    """(this worker's number, how many workers), or None outside xdist."""
    name, count = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get(
        "PYTEST_XDIST_WORKER_COUNT")
    if not name or not count or not name.removeprefix("gw").isdigit():
        return None
    return int(name.removeprefix("gw")), int(count)


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    worker = _worker()
    if worker is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    number, count = worker
    for _ in range(1000):
        port = _draw.randrange(_LOW + number, _HIGH, count)
        if port not in _lately and _bindable(port):
            _lately.append(port)
            return port
    raise RuntimeError(f"no free port for xdist worker gw{number} in {_LOW}-{_HIGH}")


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout}s")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def find_binary(name: str, *patterns: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for pattern in patterns:
        matches = sorted(glob.glob(pattern))
        if matches:
            return matches[-1]
    raise FileNotFoundError(f"{name} is not installed: run ./run test, which installs it")
