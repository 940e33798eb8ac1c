"""HTTP proxies between a drainer and VictoriaMetrics that see each write the moment
the store accepted it: the benchmarks' clock for "stored".

VictoriaMetrics' own counters on /metrics move once a second (its metrics are
refreshed on a timer), so a drain of two or three seconds timed by them came out in
whole seconds: 100,000 readings at "49,300/s" or "32,900/s" whatever the drainer did.
Both the hub and Node-RED write through the same proxy, so the clock is the same for
both; the proxy answers with the store's status, once the store has answered."""

from __future__ import annotations

import gzip
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ForwardingProxy:
    """Forwards each POST to `upstream` and, once stored (2xx), calls `stored(body,
    at)` with the uncompressed body and the time the store answered."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the store itself offers

            def do_POST(self) -> None:
                body = self._body()
                request = urllib.request.Request(
                    proxy.upstream + self.path, data=body, method="POST",
                    headers={k: v for k, v in self.headers.items()
                             if k.lower() in ("content-type", "content-encoding",
                                              "authorization")},
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        status, answer = response.status, response.read()
                except urllib.error.HTTPError as refused:
                    status, answer = refused.code, refused.read()
                at = time.perf_counter()
                if 200 <= status < 300:
                    if self.headers.get("Content-Encoding", "").lower() == "gzip":
                        body = gzip.decompress(body)
                    proxy.stored(body, at)
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def _body(self) -> bytes:
                length = self.headers.get("Content-Length")
                if length is not None:
                    return self.rfile.read(int(length))
                # Transfer-Encoding: chunked (what some InfluxDB clients send)
                chunks = []
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stored(self, body: bytes, at: float) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class CountingProxy(ForwardingProxy):
    """Counts the readings stored: lines of the measurement `reading` (the hub's and
    the Node-RED flow's alike, one a reading), and when the count last moved."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self._lock = threading.Lock()
        self.readings = 0
        self.moved_at = time.perf_counter()

    def stored(self, body: bytes, at: float) -> None:
        count = body.count(b"\nreading,") + body.startswith(b"reading,")
        if count:
            with self._lock:
                self.readings += count
                self.moved_at = max(self.moved_at, at)


class StampingProxy(ForwardingProxy):
    """Records each line's latency: from its timestamp (ms) to its store's answer."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.latencies: list[float] = []

    def stored(self, body: bytes, at: float) -> None:
        arrived = time.time()
        for line in body.decode().splitlines():
            self.latencies.append(arrived - int(line.rsplit(" ", 1)[1]) / 1000)
