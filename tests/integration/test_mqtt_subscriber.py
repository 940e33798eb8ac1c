"""The hub's subscriber against a real Mosquitto: acknowledged messages are gone from
the session, unacknowledged ones come again, and acknowledging in bulk keeps more
than a receive maximum's worth flowing (MQTT 5 and 3.1.1)."""

from __future__ import annotations

import itertools
import queue
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from contract.mqtt_client import Delivery, MqttSubscriber
from contract.mqtt_settings import HubMqttSettings, Protocol
from tests.support.edge import wait_until
from tests.support.services import Mosquitto

_ids = itertools.count()


def _publish(port: int, topic: str, count: int, start: int = 0) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{next(_ids)}")
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    infos = [client.publish(topic, str(n).encode(), qos=1) for n in range(start, start + count)]
    for info in infos:
        info.wait_for_publish(30)
    client.disconnect()
    client.loop_stop()


class Inbox:
    def __init__(self, mosquitto: Mosquitto, client_id: str, topic: str,
                 protocol: Protocol) -> None:
        self.deliveries: queue.SimpleQueue[Delivery] = queue.SimpleQueue()
        settings = HubMqttSettings(url=mosquitto.url, client_id=client_id,
                                   protocol=protocol, receive_maximum=100)
        self.subscriber = MqttSubscriber(
            settings, filters=[topic], on_delivery=self.deliveries.put,
        )
        self.subscriber.start()
        wait_until(self.subscriber.connected.is_set, 10, "subscriber connected")

    def take(self, count: int, timeout: float = 20) -> list[Delivery]:
        return [self.deliveries.get(timeout=timeout) for _ in range(count)]

    def nothing_within(self, seconds: float) -> bool:
        try:
            self.deliveries.get(timeout=seconds)
        except queue.Empty:
            return True
        return False

    def stop(self) -> None:
        self.subscriber.stop()


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_bulk_acks_keep_messages_flowing_and_leave_nothing_to_redeliver(
    mosquitto: Mosquitto, protocol: str
) -> None:
    topic = f"t/{next(_ids)}"
    client_id = f"sub-{next(_ids)}"
    inbox = Inbox(mosquitto, client_id, topic, protocol)
    try:
        _publish(mosquitto.port, topic, 1000)
        received: list[Delivery] = []
        while len(received) < 1000:  # ten times the receive maximum: acks must flow
            batch = inbox.take(min(50, 1000 - len(received)))
            inbox.subscriber.ack(batch)
            received.extend(batch)
        assert [d.payload for d in received] == [str(n).encode() for n in range(1000)]
        time.sleep(0.3)  # the last acknowledgements reach the broker
    finally:
        inbox.stop()
    again = Inbox(mosquitto, client_id, topic, protocol)
    try:
        assert again.nothing_within(1.5), "an acknowledged message came again"
        _publish(mosquitto.port, topic, 1, start=1000)
        assert [d.payload for d in again.take(1)] == [b"1000"]
    finally:
        again.stop()


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_what_was_not_acknowledged_comes_again(mosquitto: Mosquitto, protocol: str) -> None:
    topic = f"t/{next(_ids)}"
    client_id = f"sub-{next(_ids)}"
    inbox = Inbox(mosquitto, client_id, topic, protocol)
    try:
        _publish(mosquitto.port, topic, 10)
        first = inbox.take(10)
        inbox.subscriber.ack(first[:6])
        time.sleep(0.3)
    finally:
        inbox.stop()
    again = Inbox(mosquitto, client_id, topic, protocol)
    try:
        assert sorted(d.payload for d in again.take(4)) == [b"6", b"7", b"8", b"9"]
        assert again.nothing_within(1.0)
    finally:
        again.stop()
