"""Serve an ASGI app with uvicorn on a free port in a background thread, for
tests (and the benchmark) that need real HTTP and real concurrency."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from tests.support.processes import free_port, port_open, wait_for


@contextmanager
def serve_in_thread(app: Any, **options: Any) -> Iterator[str]:
    """Yields the base URL; stops the server when the block ends. `options` go to
    uvicorn's Config (e.g. hub.server.server_options(settings))."""
    port = free_port()
    # A page's long poll (the alarm feed waits up to 25 s) must not hold the stop up.
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", timeout_graceful_shutdown=1,
                                           **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: port_open(port), 10, "uvicorn")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
