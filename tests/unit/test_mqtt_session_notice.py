"""The hub's subscriber tells when its broker session is lost and when it is back
(the broker-session alarm; the real broker: tests/integration/test_broker_acl.py).
Here the broker's answers are handed to paho's callbacks directly: brokers that say
"session taken over" (MQTT 5 reason 142: EMQX, Mosquitto 2.1) are not installed."""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from contract.mqtt_client import MqttSubscriber, SessionNotice
from contract.mqtt_settings import HubMqttSettings


def subscriber() -> tuple[MqttSubscriber, list[SessionNotice]]:
    made = MqttSubscriber(HubMqttSettings(url="mqtt://127.0.0.1:1", client_id="stockwarden-hub"),
                          filters=["stockwarden/v1/+/+/telemetry"], on_delivery=lambda _d: None)
    told: list[SessionNotice] = []
    made.session_listeners.append(told.append)
    return made, told


def connected(made: MqttSubscriber, session_present: bool) -> None:
    made._on_connect(made.client, None, mqtt.ConnectFlags(session_present),
                     ReasonCode(PacketTypes.CONNACK, identifier=0), None)


def test_a_session_taken_over_is_told_and_so_is_its_return() -> None:
    made, told = subscriber()
    connected(made, session_present=False)  # the first connection: nothing to say
    made._on_disconnect(made.client, None, mqtt.DisconnectFlags(True),
                        ReasonCode(PacketTypes.DISCONNECT, identifier=142), None)
    assert len(told) == 1 and told[0].client_id == "stockwarden-hub"
    assert told[0].problem is not None and "session taken over" in told[0].problem
    connected(made, session_present=True)
    made._subscribe_mid = 7  # unconnected here, paho gave no message id
    made._on_subscribe(made.client, None, 6, [ReasonCode(PacketTypes.SUBACK, identifier=1)],
                       None)  # another subscription's answer
    assert len(told) == 1
    made._on_subscribe(made.client, None, 7, [ReasonCode(PacketTypes.SUBACK, identifier=1)],
                       None)
    assert told[1] == SessionNotice("stockwarden-hub", None)


def test_a_reconnect_without_a_session_is_told_and_a_plain_disconnect_is_not() -> None:
    made, told = subscriber()
    connected(made, session_present=False)
    made._on_disconnect(made.client, None, mqtt.DisconnectFlags(False),
                        ReasonCode(PacketTypes.DISCONNECT, identifier=128), None)
    assert told == []
    connected(made, session_present=True)  # the broker kept it: nothing was lost
    assert told == []
    connected(made, session_present=False)
    assert len(told) == 1 and "had no session" in (told[0].problem or "")


def test_a_failing_listener_does_not_escape_into_paho() -> None:
    made, told = subscriber()
    made.session_listeners.insert(0, lambda _n: 1 / 0)
    made._on_disconnect(made.client, None, mqtt.DisconnectFlags(True),
                        ReasonCode(PacketTypes.DISCONNECT, identifier=142), None)
    assert len(told) == 1


def test_a_session_another_hub_process_ended_is_expected_once() -> None:
    """Share slots (contract/share_slots.py): while this process was fenced, another
    emptied its session and ended it; the reconnect that finds none loses nothing.
    The next reconnect without a session is told again."""
    made, told = subscriber()
    connected(made, session_present=False)
    made.expect_fresh_session()
    connected(made, session_present=False)
    assert told == []
    connected(made, session_present=False)
    assert len(told) == 1 and "had no session" in (told[0].problem or "")


def test_a_dead_members_session_taken_over_is_unsubscribed_and_acknowledged_by_its_own() -> None:
    """The adopting subscriber unsubscribes at once (the group sends that session
    nothing new), counts what it received until acknowledged, and the part's own
    subscriber passes the acknowledgements to it."""
    settings = HubMqttSettings(url="mqtt://127.0.0.1:1", client_id="dead", share_group="hubs")
    adopted = MqttSubscriber(settings, filters=["stockwarden/v1/+/+/telemetry"],
                             on_delivery=lambda _d: None, adopting=True)
    own, _told = subscriber()
    got = []
    adopted.on_delivery = got.append
    connected(adopted, session_present=True)
    assert not adopted.drained(0.0)  # unsubscribe not yet answered
    adopted._unsubscribe_mid = 9  # unconnected here, paho gave no message id
    adopted._on_unsubscribe(adopted.client, None, 9, [], None)
    message = mqtt.MQTTMessage(mid=5, topic=b"stockwarden/v1/s/gw/telemetry")
    message.qos = 1
    adopted._on_message(adopted.client, None, message)
    assert got[0].source is adopted and not adopted.drained(0.0)
    own.ack(got)  # ingest acknowledges through its own subscriber
    assert adopted.drained(0.0)
    assert not adopted.drained(60.0)  # and waits for quiet
