"""The ingest benchmark's clock: a proxy in front of a real VictoriaMetrics counts the
readings the store accepted, the moment it answered, for writes as the hub sends them
and as Node-RED's InfluxDB client does (gzip, chunked)."""

from __future__ import annotations

import gzip
import http.client
import time
import urllib.parse
import uuid

from bench._tsdb_proxy import CountingProxy
from tests.support.processes import wait_for
from tests.support.services import VictoriaMetrics


def _post(url: str, path: str, body: bytes, headers: dict[str, str],
          chunked: bool = False) -> int:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port,
                                            timeout=30)
    try:
        if chunked:
            connection.request("POST", path, body=iter([body[:7], body[7:]]), headers=headers,
                               encode_chunked=True)
        else:
            connection.request("POST", path, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_proxy_counts_each_reading_once_stored_in_every_shape_of_write(
        fresh_victoria: VictoriaMetrics) -> None:
    victoria = fresh_victoria  # its own: these series have no zone, the dashboards expect one
    sensor = f"clock-{uuid.uuid4().hex[:8]}"
    now = int(time.time() * 1000)
    lines = [f"reading,site=s,gateway=g,sensor={sensor} quality=0i,temperature_c={i}.5 "
             f"{now + i}" for i in range(6)]
    limit = f"zone_limits,zone=Z,quantity=temperature_c,bound=max value=8.0 {now}"
    proxy = CountingProxy(victoria.url)
    try:
        before = proxy.moved_at
        # The hub: plain text to /write.
        assert _post(proxy.url, "/write", "\n".join([lines[0], limit, lines[1]]).encode(),
                     {"Content-Type": "text/plain"}) == 204
        assert proxy.readings == 2 and proxy.moved_at > before
        # Node-RED's client: gzip to the v2 API, and a chunked body.
        assert _post(proxy.url, "/api/v2/write?org=o&bucket=b&precision=ms",
                     gzip.compress("\n".join(lines[2:4]).encode()),
                     {"Content-Encoding": "gzip"}) == 204
        assert _post(proxy.url, "/api/v2/write?org=o&bucket=b&precision=ms",
                     "\n".join(lines[4:]).encode(), {}, chunked=True) == 204
        assert proxy.readings == 6
        # Refused by the store: passed back, not counted.
        assert _post(proxy.url, "/write", b"reading,sensor=x quality=1i 1",
                     {"Content-Encoding": "gzip"}) == 400
        assert proxy.readings == 6
    finally:
        proxy.close()
    # And the store holds what was counted.
    series = f'{{__name__="reading_temperature_c",sensor="{sensor}"}}'
    wait_for(lambda: victoria.sample_count(series) == 6, 30, "the six readings stored")
