"""The hub's own Python per reading on one thread: decoding, a batch's rows, alarm evaluation.

    .venv/bin/python -m bench.ingest_python [--batches 40] [--repeat 15] [--sensors 1000]

What one hub process does under its interpreter lock for each reading of a
50-reading message, without broker, database or threads: `decode_telemetry`;
`ingest.prepared.prepare` (sensor rows, hourly roll-up, latest values, stored points
encoded for COPY, time-series lines), as the ingest service calls it; and the alarm
evaluator's `feed_readings` with one threshold rule per zone and the default offline
rule. Batches as the hub makes them (`ingest_batch_readings`, 10,000 readings: 200
messages), sensors s0… in turn with live timestamps (`bench.ingest`'s payloads).

This machine's times move twofold between runs, so each figure is a best: decoding and
building, the best of `--repeat` passes over one batch; the evaluator, the best of
`--batches` successive batches (a batch fed twice would be replays, which take the
long way). Before/after: run the same file in the other checkout (copy it there).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable

from bench._ingest_load import make_payloads
from bench.alerts_eval import build
from contract import wire
from ingest.batch_sql import PostgresBatchSQL
from ingest.fastwire import decode_telemetry
from ingest.lineproto import LineBuilder
from ingest.outcomes import Accepted
from ingest.prepared import prepare
from ingest.settings import IngestSettings


def line_maker() -> Callable[[list[Accepted]], list[str]]:
    """The ingest service's lines for fresh messages (its `_lines`), in whichever form
    this checkout's LineBuilder has."""
    builder = LineBuilder()
    if hasattr(builder, "lines"):
        def lines(fresh: list[Accepted]) -> list[str]:
            out: list[str] = []
            for item in fresh:
                builder.lines(item.message.readings, item.topic.site, item.message.gateway,
                              {}, "unassigned", out)
            return out
    else:  # pragma: no cover - a checkout from before LineBuilder.lines
        def lines(fresh: list[Accepted]) -> list[str]:
            return [builder.line(r, i.topic.site, i.message.gateway, "unassigned")
                    for i in fresh for r in i.message.readings]
    return lines


def best_of(repeat: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.ingest_python",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=40, help="batches for the evaluator")
    parser.add_argument("--repeat", type=int, default=15,
                        help="passes over one batch for decoding and building")
    parser.add_argument("--sensors", type=int, default=1000)
    args = parser.parse_args()
    per_batch = IngestSettings().ingest_batch_readings // 50
    payloads = make_payloads(per_batch * args.batches, 50, args.sensors, "gw")
    topic = wire.parse_topic(wire.gateway_topic("bench", "gw", "telemetry"))
    sql, lines = PostgresBatchSQL(), line_maker()
    evaluator = build(args.sensors, max(1, args.sensors // 10))
    gc.collect()
    gc.freeze()  # as the hub does once started (hub/server.py)

    def decoded(batch: list[bytes]) -> list[Accepted]:
        return [Accepted(topic, decode_telemetry(p), p) for p in batch]  # type: ignore[arg-type]

    first = payloads[:per_batch]
    items = decoded(first)
    readings = per_batch * 50
    decode_s = best_of(args.repeat, lambda: decoded(first))
    build_s = best_of(args.repeat, lambda: prepare(items, sql, {}, lines))
    alarms_s = float("inf")
    for start in range(0, len(payloads), per_batch):
        batch = [r for i in decoded(payloads[start:start + per_batch])
                 for r in i.message.readings]
        started = time.process_time()
        evaluator.feed_readings(batch)  # type: ignore[arg-type]
        alarms_s = min(alarms_s, time.process_time() - started)
    figures = {"decoding": decode_s, "building the rows": build_s, "alarm evaluation": alarms_s}
    for name, seconds in figures.items():
        print(f"{name}: {seconds / readings * 1e6:.2f} µs a reading")
    print(f"together: {sum(figures.values()) / readings * 1e6:.2f} µs a reading "
          f"({args.sensors:,} sensors, batches of {per_batch} messages of 50 readings)")


if __name__ == "__main__":
    main()
