"""The compose stack's simulated gateway without Docker: its start script, its config
template and its broker account, run for real against Mosquitto started from the
shipped config with the accounts `stockwarden broker-acl` writes from
deploy/broker-accounts.yaml. Only the container's folders and the broker's address are
moved; the hub's account must receive good readings from gw-demo-1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.broker_acl import load_accounts, write_broker_files
from tests.support.deployed_broker import DeployedMosquitto
from tests.support.processes import find_binary, port_open

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ENV = {"HUB_MQTT_PASSWORD": "hub-pw-123", "GATEWAY_MQTT_PASSWORD": "gw-pw-456"}


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[DeployedMosquitto]:
    accounts = tmp_path / "accounts"
    write_broker_files(load_accounts(DEPLOY / "broker-accounts.yaml"), accounts / "passwd",
                       accounts / "acl", environ=ENV, hasher="python")
    (tmp_path / "data").mkdir()
    service = DeployedMosquitto(tmp_path / "broker", DEPLOY / "mosquitto/mosquitto.conf", {
        "/mosquitto/data/": tmp_path / "data",
        "/mosquitto/accounts/": accounts,
        "/mosquitto/config/": DEPLOY / "mosquitto",
    })
    service.start()
    yield service
    service.stop()


@pytest.mark.slow
def test_the_simulated_gateway_publishes_good_readings_through_its_own_account(
    tmp_path: Path, broker: DeployedMosquitto
) -> None:
    # The script starts the default simulator, whose ports are fixed.
    if port_open(5020) or Path("/tmp/stockwarden-rtu0").exists():
        pytest.skip(reason="a simulator already runs on this machine "
                           "(port 5020 or /tmp/stockwarden-rtu0)")
    etc, var = tmp_path / "etc", tmp_path / "var"
    etc.mkdir()
    var.mkdir()
    template = (DEPLOY / "gateway/gateway.yaml.in").read_text()
    (etc / "gateway.yaml.in").write_text(
        template.replace("mqtt://mosquitto:1883", f"mqtt://127.0.0.1:{broker.port}")
                .replace("/var/lib/stockwarden", str(var)))
    script = (DEPLOY / "gateway/start-simulated-gateway.sh").read_text()
    (tmp_path / "start.sh").write_text(
        script.replace("/etc/stockwarden", str(etc)).replace("/var/lib/stockwarden", str(var)))
    subscriber = subprocess.Popen(
        [find_binary("mosquitto_sub", "/usr/bin/mosquitto_sub"), "-h", "127.0.0.1",
         "-p", str(broker.hub_port), "-u", "hub", "-P", ENV["HUB_MQTT_PASSWORD"],
         "-t", "stockwarden/v1/#", "-v", "-C", "3", "-W", "45"],
        stdout=subprocess.PIPE, text=True,
    )
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    log = (tmp_path / "gateway.log").open("w")
    gateway = subprocess.Popen(["sh", str(tmp_path / "start.sh")],
                               env={**os.environ, **ENV, "PATH": path},
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = subscriber.communicate(timeout=60)
    finally:
        os.killpg(gateway.pid, signal.SIGTERM)
        gateway.wait(30)
        log.close()
    messages = [line.split(" ", 1) for line in output.splitlines()]
    assert len(messages) == 3, (tmp_path / "gateway.log").read_text()
    assert {topic for topic, _ in messages} <= {
        "stockwarden/v1/demo/gw-demo-1/telemetry", "stockwarden/v1/demo/gw-demo-1/status"}
    readings = [r for topic, body in messages if topic.endswith("/telemetry")
                for r in json.loads(body)["readings"]]
    assert any(r["quality"] == "good" and "temperature_c" in r["quantities"] for r in readings)
    # The rendered config holds the password: only the gateway's user may read it.
    assert (var / "gateway.yaml").stat().st_mode & 0o077 == 0
