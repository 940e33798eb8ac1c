"""A broker that refuses the credentials: logged clearly, retried; polling and the outbox go on."""

from __future__ import annotations

import logging
import subprocess
import threading
from pathlib import Path

import pytest

from edge.agent import Agent
from edge.config import load_config
from tests.support.edge import Subscriber, gateway_config, simulate, wait_until
from tests.support.services import Mosquitto


class LockedMosquitto(Mosquitto):
    """Mosquitto that only lets in user `edge` with password `right`."""

    def command(self) -> list[str]:
        command = super().command()
        passwords = self.workdir / "passwords"
        subprocess.run(
            ["mosquitto_passwd", "-b", "-c", str(passwords), "edge", "right"],
            check=True,
            capture_output=True,
        )
        passwords.chmod(0o600)
        conf = Path(command[-1])
        text = conf.read_text().replace("allow_anonymous true", "allow_anonymous false")
        conf.write_text(text + f"password_file {passwords}\n")
        return command


@pytest.fixture
def locked_mosquitto(tmp_path: Path):
    service = LockedMosquitto(tmp_path / "locked")
    service.start()
    yield service
    service.stop()


def test_refused_credentials_are_logged_and_readings_wait_in_the_outbox(
    tmp_path: Path, locked_mosquitto: LockedMosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    sim = simulate(
        {"lan": {"type": "tcp", "port": 0}},
        [
            {
                "server": "lan",
                "unit_id": 1,
                "profile": "generic-th",
                "values": {"temperature_c": 5, "humidity_pct": 50},
            },
        ],
    )
    config = gateway_config(
        tmp_path / "gateway.yaml",
        mqtt_port=locked_mosquitto.port,
        broker={
            "url": f"mqtt://127.0.0.1:{locked_mosquitto.port}",
            "username": "edge",
            "password": "wrong",
        },
        buses={"lan": {"type": "modbus-tcp", "host": "127.0.0.1", "port": sim.tcp["lan"].port}},
        sensors=[
            {"id": "c1", "bus": "lan", "unit_id": 1, "profile": "generic-th", "poll_interval": 0.2}
        ],
    )
    caplog.set_level(logging.INFO, logger="edge")
    agent = Agent(*load_config(config))
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    try:
        # Generous waits: a busy machine (the suite runs in parallel) once needed more than 10 s.
        wait_until(lambda: "refused the connection" in caplog.text, 30, "the refusal in the log")
        wait_until(lambda: agent.outbox.depth >= 5, 30, "readings waiting in the outbox")
        assert not agent.publisher.connected.is_set()
        assert agent.pollers[0].health()["c1"].ok_count >= 5
    finally:
        stop.set()
        thread.join(15)
        sim.stop()
    line = next(
        r.getMessage() for r in caplog.records if "refused the connection" in r.getMessage()
    )
    assert "Not authorized" in line or "Bad user name or password" in line
    assert "broker.username" in line
    # Credentials fixed: everything that waited is delivered.
    text = config.read_text().replace("password: wrong", "password: right")
    config.write_text(text)
    sim = simulate({"lan": {"type": "tcp", "port": 0}}, [])
    subscriber = Subscriber(locked_mosquitto.port, username="edge", password="right")
    agent = Agent(*load_config(config))
    sent = agent.outbox.next_seq
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until(lambda: set(range(sent)) <= set(subscriber.seqs), 15, f"{sent} messages")
    finally:
        stop.set()
        thread.join(15)
        subscriber.close()
        sim.stop()


def test_a_password_written_into_the_broker_url_is_never_logged(
    tmp_path: Path, locked_mosquitto: LockedMosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "in-url-S3cret"  # refused by the broker; must not be logged
    sim = simulate({"lan": {"type": "tcp", "port": 0}}, [
        {"server": "lan", "unit_id": 1, "profile": "generic-th",
         "values": {"temperature_c": 5, "humidity_pct": 50}}])
    config = gateway_config(
        tmp_path / "gateway.yaml",
        mqtt_port=locked_mosquitto.port,
        broker={"url": f"mqtt://edge:{secret}@127.0.0.1:{locked_mosquitto.port}"},
        buses={"lan": {"type": "modbus-tcp", "host": "127.0.0.1", "port": sim.tcp["lan"].port}},
        sensors=[{"id": "c1", "bus": "lan", "unit_id": 1, "profile": "generic-th"}],
    )
    caplog.set_level(logging.INFO, logger="edge")
    agent = Agent(*load_config(config))
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until(lambda: "refused the connection" in caplog.text, 10, "the refusal in the log")
    finally:
        stop.set()
        thread.join(15)
        sim.stop()
    assert f"broker mqtt://127.0.0.1:{locked_mosquitto.port} refused" in caplog.text
    assert secret not in caplog.text
