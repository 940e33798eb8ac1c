"""Fixtures of the end-to-end tests beyond the services of tests/conftest.py: browser
pages (real headless Chromium), a hub serving real HTTP on a free port, and the alarm
receivers. Imported here, not registered for the whole suite, so that unit tests
import neither Playwright nor the app."""

import os
import re
from pathlib import Path

import pytest

# Imported to register them as fixtures of this folder: pytest finds them by name.
from tests.support.browser import chromium, open_page  # noqa: F401
from tests.support.hub_server import hub_http, live_hub_http  # noqa: F401
from tests.support.receivers import smtp, webhook  # noqa: F401

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    """Where a page test keeps its screenshots as artefacts of the run: under
    $STOCKWARDEN_SCREENSHOTS (default build/screenshots/), a folder per test, emptied
    first so a folder holds one run's pictures."""
    root = Path(os.environ.get("STOCKWARDEN_SCREENSHOTS", REPO / "build" / "screenshots"))
    folder = root / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    if folder.exists():
        for old in folder.glob("*.png"):
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    return folder
