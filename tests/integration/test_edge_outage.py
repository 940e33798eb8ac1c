"""Store-and-forward: a broker outage loses nothing and duplicates nothing."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest

from edge.agent import Agent
from edge.config import load_config
from tests.edge_support import (
    Subscriber,
    gateway_config,
    merge_of_two_ordered_lanes,
    simulate,
    wait_until,
)
from tests.services import Mosquitto


@pytest.mark.slow
def test_a_60_second_broker_outage_loses_and_duplicates_nothing(
    tmp_path: Path, fresh_mosquitto: Mosquitto
) -> None:
    sim = simulate(
        {"lan": {"type": "tcp", "port": 0}},
        [
            {
                "server": "lan",
                "unit_id": u,
                "profile": "generic-th",
                "values": {"temperature_c": 4 + u, "humidity_pct": 50},
                "actions": [{"do": "steady"}],
            }
            for u in (1, 2)
        ],
    )
    config = gateway_config(
        tmp_path / "gateway.yaml",
        mqtt_port=fresh_mosquitto.port,
        buses={"lan": {"type": "modbus-tcp", "host": "127.0.0.1", "port": sim.tcp["lan"].port}},
        sensors=[
            {
                "id": f"cold-{u}",
                "bus": "lan",
                "unit_id": u,
                "profile": "generic-th",
                "poll_interval": 0.5,
            }
            for u in (1, 2)
        ],
    )
    subscriber = Subscriber(fresh_mosquitto.port)
    agent = Agent(*load_config(config))
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until(lambda: len(subscriber.seqs) >= 4, 10, "four messages before the outage")
        fresh_mosquitto.stop()
        time.sleep(60)
        depth_during_outage = agent.outbox.depth
        fresh_mosquitto.start()
        # The agent tries every 2 s: the replay starts within that.
        wait_until(lambda: agent.outbox.depth <= 2, 30, "the replay")
        time.sleep(2)  # live again for a while after the replay
        stop.set()
        thread.join(20)
        sent = agent.outbox.next_seq
        wait_until(lambda: len(subscriber.seqs) >= sent, 20, f"all {sent} messages")
    finally:
        stop.set()
        subscriber.close()
        sim.stop()
    # Two sensors at 0.5 s for 60 s: about 120 batches waited in the outbox.
    assert depth_during_outage >= 100
    seqs = subscriber.seqs
    assert sorted(seqs) == list(range(sent)), "every message exactly once"
    assert merge_of_two_ordered_lanes(seqs), str(seqs)
    # And every poll of every sensor is there once: no reading lost, none doubled.
    for sensor in ("cold-1", "cold-2"):
        stamps = [r.ts for r in subscriber.readings(sensor)]
        assert len(stamps) == len(set(stamps))
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(sorted(stamps))]
        assert max(gaps) < 1.5, "no poll cycle missing"
