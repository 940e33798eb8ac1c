"""`stockwarden edge` killed with SIGKILL and started again: nothing lost, nothing doubled."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.edge import Subscriber, gateway_config, simulate, wait_until
from tests.support.services import Mosquitto


def start_agent(config: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "edge", "--config", str(config)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
def test_sigkill_and_restart_lose_and_double_nothing(tmp_path: Path, mosquitto: Mosquitto) -> None:
    sim = simulate(
        {"lan": {"type": "tcp", "port": 0}},
        [
            {
                "server": "lan",
                "unit_id": u,
                "profile": "xy-md02",
                "values": {"temperature_c": 3 + u, "humidity_pct": 50},
                "actions": [{"do": "steady"}],
            }
            for u in (1, 2, 3)
        ],
    )
    config = gateway_config(
        tmp_path / "gateway.yaml",
        mqtt_port=mosquitto.port,
        gateway="gw-kill",
        buses={"lan": {"type": "modbus-tcp", "host": "127.0.0.1", "port": sim.tcp["lan"].port}},
        sensors=[
            {"id": f"k-{u}", "bus": "lan", "unit_id": u, "profile": "xy-md02", "poll_interval": 0.2}
            for u in (1, 2, 3)
        ],
    )
    subscriber = Subscriber(mosquitto.port)
    log = tmp_path / "agent.log"
    agent = start_agent(config, log)
    try:
        wait_until(lambda: len(subscriber.seqs) >= 10, 20, "ten messages from the first run")
        agent.send_signal(signal.SIGKILL)
        agent.wait(5)
        before = max(subscriber.seqs)
        time.sleep(1)
        agent = start_agent(config, log)
        wait_until(lambda: max(subscriber.seqs) >= before + 10, 20, "ten messages after restart")
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(20) == 0, log.read_text()[-2000:]
        time.sleep(0.5)
    finally:
        if agent.poll() is None:
            agent.kill()
        subscriber.close()
        sim.stop()

    messages = {}
    for telemetry in subscriber.telemetry:
        # A message that was in flight at the kill may come twice; then it is the same message
        # under the same seq, which the hub de-duplicates by (gateway, seq).
        assert messages.setdefault(telemetry.seq, telemetry) == telemetry
    # No loss: every seq from 0 on, the second run going on where the first stopped.
    assert sorted(messages) == list(range(len(messages)))
    assert max(messages) > before
    # No reading twice under different seqs.
    polls = [(r.sensor, r.ts) for m in messages.values() for r in m.readings]
    assert len(polls) == len(set(polls))
    assert "Traceback" not in log.read_text()
