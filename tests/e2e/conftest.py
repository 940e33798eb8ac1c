"""Fixtures of the end-to-end tests beyond the services of tests/conftest.py: browser
pages (real headless Chromium), a hub serving real HTTP on a free port, and the alarm
receivers. Imported here, not registered for the whole suite, so that unit tests
import neither Playwright nor the app."""

# Imported to register them as fixtures of this folder: pytest finds them by name.
from tests.support.browser import chromium, open_page  # noqa: F401
from tests.support.hub_server import hub_http, live_hub_http  # noqa: F401
from tests.support.receivers import smtp, webhook  # noqa: F401
