"""Several hub processes on one database split the load through an MQTT 5 shared
subscription, and every reading still counts once."""

from __future__ import annotations

import itertools

from contract import wire
from hub.container import assemble
from hub.settings import load_settings
from tests.e2e.test_reliability import stats_count
from tests.support.mqtt import publish_raw, series_ts, telemetry, wait_until
from tests.support.services import Mosquitto, VictoriaMetrics

_ids = itertools.count()


def test_two_hubs_in_a_share_group_split_the_messages_and_count_each_once(
    mosquitto: Mosquitto, victoria: VictoriaMetrics, pg_url: str
) -> None:
    hubs = [
        assemble(load_settings(
            database_url=pg_url, mqtt_url=mosquitto.url, tsdb_url=victoria.url,
            mqtt_client_id=f"hub-share-{next(_ids)}-{n}", mqtt_share_group="hubs",
            ingest_batch_ms=10,
        ))
        for n in range(2)
    ]
    for hub in hubs:
        hub.start()
    try:
        for hub in hubs:
            wait_until(hub.ingest.subscriber.connected.is_set, what="connected")
        gateway = f"gw-share-{next(_ids)}"
        sensor = f"{gateway}-s"
        payloads = [telemetry(gateway, seq, [sensor], series_ts(seq)) for seq in range(200)]
        publish_raw(mosquitto.port, wire.gateway_topic("site-s", gateway, "telemetry"), payloads)
        wait_until(lambda: stats_count(pg_url, sensor) >= 200, what="200 readings")
        per_hub = [hub.ingest.metrics.readings._value.get() for hub in hubs]
        assert sum(per_hub) == 200
        assert all(count > 0 for count in per_hub), per_hub  # both took a share
        assert stats_count(pg_url, sensor) == 200
    finally:
        for hub in hubs:
            hub.stop()
