"""Alarm changes on MQTT: `stockwarden/v1/{site}/alarms/{id}`, retained while the
alarm is open, cleared with an empty retained message once it is closed.

paho queues what is published while the connection is down and sends it after
reconnecting; a publish never blocks the alarm service.
"""

from __future__ import annotations

import logging

from alerts.schemas import AlarmPublic
from contract.mqtt_client import client_for
from contract.mqtt_settings import HubMqttSettings
from contract.wire import AlarmEvent, alarm_topic, encode

log = logging.getLogger(__name__)


def wire_event(alarm: AlarmPublic, event: str) -> AlarmEvent:
    return AlarmEvent(
        # Unchecked below: the stored state and severity are the Literals' values (written from
        # the enums); the view types them str.
        id=alarm.id, rule=alarm.rule, subject=alarm.subject, state=alarm.state,  # type: ignore[arg-type]
        severity=alarm.severity, ts=alarm.updated_at, message=alarm.message,  # type: ignore[arg-type]
        value=alarm.value, kind=alarm.kind, event=event, zone=alarm.zone, limit=alarm.limit,
        raised_at=alarm.raised_at, acknowledged_by=alarm.acked_by,
        acknowledged_at=alarm.acked_at, comment=alarm.ack_comment, shelved=alarm.shelved,
        shelved_until=alarm.shelved_until, shelved_by=alarm.shelved_by,
        shelve_reason=alarm.shelve_reason)


class AlarmPublisher:
    def __init__(self, settings: HubMqttSettings, site: str) -> None:
        """`site`: the alarm topics' site (not the subscribed one, which may be +)."""
        self.settings = settings
        self.site = site
        self._client, self._address = client_for(settings, protocol=settings.protocol)
        self._started = False

    def start(self) -> None:
        self._client.connect_async(self._address.host, self._address.port,
                                   keepalive=self.settings.keepalive)
        self._client.loop_start()
        self._started = True

    def stop(self) -> None:
        if self._started:
            self._client.disconnect()
            self._client.loop_stop()
            self._started = False

    def publish(self, alarm: AlarmPublic, event: str) -> None:
        topic = alarm_topic(self.site, alarm.id)
        payload = encode(wire_event(alarm, event))
        if alarm.state == "closed":
            self._client.publish(topic, payload, qos=1, retain=False)
            self._client.publish(topic, b"", qos=1, retain=True)  # removes the retained alarm
        else:
            self._client.publish(topic, payload, qos=1, retain=True)
