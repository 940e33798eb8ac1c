"""Fixtures of the integration tests beyond the services of tests/conftest.py: a hub
serving real HTTP on a free port, and the alarm receivers (a local webhook and a local
SMTP server). Imported here, not registered for the whole suite, so that unit tests
import neither the app nor its frameworks."""

# Imported to register them as fixtures of this folder: pytest finds them by name.
from tests.support.hub_server import hub_http, live_hub_http  # noqa: F401
from tests.support.receivers import smtp, webhook  # noqa: F401
