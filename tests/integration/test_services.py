"""The harness itself: each real service starts, answers and restarts."""

from __future__ import annotations

import subprocess

from sqlalchemy import text

from hub.db import make_engine, migrate
from tests.support.processes import find_binary
from tests.support.services import Mosquitto, VictoriaMetrics


def test_mosquitto_passes_a_message_across_a_restart(fresh_mosquitto: Mosquitto) -> None:
    pub = find_binary("mosquitto_pub", "/usr/bin/mosquitto_pub")
    sub = find_binary("mosquitto_sub", "/usr/bin/mosquitto_sub")
    fresh_mosquitto.restart()
    listener = subprocess.Popen(
        [sub, "-p", str(fresh_mosquitto.port), "-t", "t/#", "-C", "1", "-W", "10"],
        stdout=subprocess.PIPE,
    )
    import time

    time.sleep(0.3)
    subprocess.run([pub, "-p", str(fresh_mosquitto.port), "-t", "t/1", "-m", "hi", "-q", "1"],
                   check=True)
    out, _ = listener.communicate(timeout=15)
    assert out.strip() == b"hi"


def test_victoria_stores_line_protocol(victoria: VictoriaMetrics) -> None:
    import urllib.request

    body = b"harness,sensor=s1 value=1.5 1700000000000\n"
    request = urllib.request.Request(
        f"{victoria.url}/api/v2/write?precision=ms", data=body, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204
    assert victoria.sample_count('{__name__="harness_value"}') == 1


def test_schema_migrates_on_both_databases(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sensors")).scalar_one() == 0
    engine.dispose()
