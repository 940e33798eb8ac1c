"""URLs in the log: passwords and secret query parameters masked, the rest kept."""

from __future__ import annotations

import pytest

from kernel.urls import masked_url


@pytest.mark.parametrize(("url", "shown"), [
    ("mqtt://hub:s3cr%40t@broker:1883", "mqtt://hub:***@broker:1883"),
    ("mqtts://hub@broker", "mqtts://hub@broker"),
    ("mqtt://127.0.0.1:1883", "mqtt://127.0.0.1:1883"),
    ("http://vm:p@store:8428/x?token=abc&db=main", "http://vm:***@store:8428/x?token=***&db=main"),
    ("https://store/?api_key=k&Password=p&org=o", "https://store/?api_key=***&Password=***&org=o"),
    ("http://store:port-not-a-number/", "***"),
])
def test_secrets_are_masked_and_the_address_stays(url: str, shown: str) -> None:
    assert masked_url(url) == shown
