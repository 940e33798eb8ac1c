"""Load generators for bench.inventory_http: closed-loop clients (each sends its next
request when the previous answer is in) and an open-loop schedule (requests due at
fixed times, latency counted from the time each was due, so a slow answer that
delays the ones behind it is counted against them too).

Minimal HTTP/1.1 over keep-alive asyncio connections: it costs little CPU next to
the server and the database on the same machine."""

from __future__ import annotations

import asyncio
import json
import random
import re
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

# (path, JSON body, whether it needs an Idempotency-Key)
Request = tuple[str, dict[str, object], bool]
_LENGTH = re.compile(rb"(?i)content-length: (\d+)")


def percentile(values: list[float], pct: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(sorted(values), n=100, method="inclusive")[pct - 1]


@dataclass
class Phase:
    name: str
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[int, int] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return sum(1 for s in self.statuses if s < 300)

    def add(self, kind: str, status: int, latency_ms: float) -> None:
        self.latencies_ms.append(latency_ms)
        self.statuses.append(status)
        self.by_kind.setdefault(kind, []).append(latency_ms)
        if status >= 300:
            self.errors[status] = self.errors.get(status, 0) + 1

    def report(self) -> dict[str, object]:
        lat = self.latencies_ms
        out: dict[str, object] = {
            "requests_per_s": round(self.ok / self.seconds, 1), "ok": self.ok,
            "refused": len(self.statuses) - self.ok, "p50_ms": round(percentile(lat, 50), 1),
            "p99_ms": round(percentile(lat, 99), 1),
            "max_ms": round(max(lat), 1) if lat else 0.0}
        if self.errors:
            out["refused_by_status"] = dict(sorted(self.errors.items()))
        if len(self.by_kind) > 1:
            out["by_kind"] = {k: {"n": len(v), "p50_ms": round(percentile(v, 50), 1),
                                  "p99_ms": round(percentile(v, 99), 1)}
                              for k, v in sorted(self.by_kind.items())}
        return out


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, token: str,
                    request: Request) -> int:
    path, body, keyed = request
    payload = json.dumps(body).encode()
    key = f"Idempotency-Key: {uuid.uuid4()}\r\n" if keyed else ""
    writer.write((
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n{key}"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload)
    head = await reader.readuntil(b"\r\n\r\n")
    found = _LENGTH.search(head)
    await reader.readexactly(int(found.group(1)) if found else 0)
    return int(head[9:12])


def closed_loop(name: str, port: int, token: str, clients: int, seconds: float,
                request_for: Callable[[int, int], Request]) -> Phase:
    """`clients` connections, each sending request_for(client, n) back to back."""
    phase = Phase(name, seconds)

    async def client(c: int, stop_at: float) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        n = 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            status = await _exchange(reader, writer, token, request_for(c, n))
            phase.add(name, status, (time.perf_counter() - started) * 1000)
            n += 1
        writer.close()

    async def main() -> None:
        stop_at = time.monotonic() + seconds
        await asyncio.gather(*(client(c, stop_at) for c in range(clients)))

    started = time.monotonic()
    asyncio.run(main())
    phase.seconds = time.monotonic() - started
    return phase


def open_loop(name: str, port: int, token: str, connections: int, seconds: float, rate: float,
              mix: list[tuple[str, float, Callable[[int], Request]]], seed: int = 10) -> Phase:
    """Requests due at Poisson arrival times (mean `rate` per second), each of a kind
    drawn from `mix` (kind, weight, request for the n-th); whichever of `connections`
    keep-alive connections is free sends the next due request. Latency is counted
    from the time the request was due, not from when a connection was free to send it."""
    rng = random.Random(seed)
    kinds, weights = [m[0] for m in mix], [m[1] for m in mix]
    makers = {m[0]: m[2] for m in mix}
    schedule: list[tuple[float, str, int]] = []
    at = 0.0
    counts: dict[str, int] = {}
    while at < seconds:
        kind = rng.choices(kinds, weights)[0]
        counts[kind] = counts.get(kind, 0) + 1
        schedule.append((at, kind, counts[kind]))
        at += rng.expovariate(rate)
    phase = Phase(name, seconds)

    async def main() -> None:
        queue: asyncio.Queue[tuple[float, str, int] | None] = asyncio.Queue()
        links = [await asyncio.open_connection("127.0.0.1", port) for _ in range(connections)]
        start = time.monotonic() + 0.2

        async def sender(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while (item := await queue.get()) is not None:
                due, kind, n = item
                status = await _exchange(reader, writer, token, makers[kind](n))
                phase.add(kind, status, (time.monotonic() - due) * 1000)
            writer.close()

        workers = [asyncio.create_task(sender(r, w)) for r, w in links]
        for offset, kind, n in schedule:
            due = start + offset
            pause = due - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            queue.put_nowait((due, kind, n))
        for _ in workers:
            queue.put_nowait(None)
        await asyncio.gather(*workers)

    asyncio.run(main())
    return phase
