"""The hub's log handler writes to the stderr of the moment a record is emitted: a
command run in-process under a redirected stderr (a test runner's capture, closed
since) leaves no handler bound to a closed file for the threads that log later."""

from __future__ import annotations

import io
import logging
import sys

import pytest

from hub.logs import configure_logging


def test_a_record_goes_to_the_stderr_of_its_time_not_of_the_set_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        at_set_up = io.StringIO()
        monkeypatch.setattr(sys, "stderr", at_set_up)
        configure_logging("INFO", "text")
        at_set_up.close()
        later = io.StringIO()
        monkeypatch.setattr(sys, "stderr", later)
        logging.getLogger("stockwarden.test").info("connected to the broker")
        written = later.getvalue()
        assert written.rstrip().endswith("stockwarden.test: connected to the broker"), written
        assert "Logging error" not in written
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
