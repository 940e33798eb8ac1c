"""MQTT side of the agent: drains the outbox to the broker, QoS 1.

Order and fairness: the sender keeps at most `window` messages in flight. Each
round it first sends the newest message if it has not gone yet (the live lane),
then fills the window with the oldest unsent ones (the replay lane). Each lane is
in seq order; after an outage the backlog replays oldest first while the current
readings keep arriving on time. The hub de-duplicates by (gateway, seq), so the
rare duplicate (agent killed between the broker's PUBACK and our delete) is
harmless.

Within one process paho keeps unacknowledged messages and sends them again after
a reconnect, so the sender hands each message to paho once; after a restart
everything still in the outbox is unsent by definition.

paho calls `on_publish` holding its own lock: the callback only queues the mid,
and the sender thread does the bookkeeping, which avoids a lock-order deadlock.

Incoming messages (the hub's scan results) are acknowledged by hand, when their
handler says it is done with them, not when paho hands them over: an agent killed
in between gets them again from its persistent session after the restart, instead
of the broker forgetting an answer the operator never saw.

Reconnecting: one attempt every `RECONNECT_EVERY` seconds for as long as the broker is
away, however long that is, so the agent is back at most that long after the broker
returns, and a broker that is down (or refuses our login) sees one attempt per 2 s, not a
storm. The log says it once when the broker goes away, once when it is back, and at most
once per `AWAY_LOG_EVERY` in between.
"""

from __future__ import annotations

import collections
import logging
import sys
import threading
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from contract.mqtt_client import BrokerAddress, client_for
from contract.mqtt_settings import MqttSettings
from contract.wire import Status, encode, utc_now
from contract.worker import Worker
from edge.outbox import Entry, Outbox

# Acknowledges one incoming message to the broker; see `Publisher.subscribe`.
Done = Callable[[], None]

log = logging.getLogger(__name__)

# paho waits this long after a lost connection or a failed attempt before the next attempt.
RECONNECT_EVERY = 2.0
# While the broker stays away (or refuses us), at most one log line per this many seconds.
AWAY_LOG_EVERY = 60.0


class Publisher:
    def __init__(
        self,
        broker: MqttSettings,
        client_id: str,
        outbox: Outbox,
        status_topic: str,
        status: Callable[[], Status],
        window: int = 64,
        persistent_session: bool = False,
    ) -> None:
        self.broker = broker
        # For the log: scheme, host and port, never a password written into the URL.
        self.broker_name = str(BrokerAddress.parse(broker.url))
        # With a persistent session (clean session off) the broker keeps what we
        # subscribed to while we are away: scan results wait for a restarted gateway.
        self.persistent_session = persistent_session
        self.outbox = outbox
        self.status_topic = status_topic
        self.status = status
        self.window = window
        self.connected = threading.Event()
        # The sender: a round when woken (a message in the outbox, an acknowledgement, a
        # connect) and at least once a second.
        self._sender = Worker("outbox-sender", self._send_round)
        self._wake = self._sender.wakeup
        self._acked: collections.deque[int] = collections.deque()
        self._mid_seq: dict[int, int] = {}  # messages handed to paho, not yet acknowledged
        self._handed: set[int] = set()
        self._cursor = -1  # highest seq handed in the replay lane
        self._live = -1  # highest seq handed in the live lane
        self._refused = False
        self._away_since: float | None = None  # monotonic; None while connected
        self._last_away_log = -AWAY_LOG_EVERY
        self._subscriptions: dict[str, Callable[[bytes, Done], None]] = {}
        self._generation = 0  # counts connections: a packet id is only valid on its own
        self.client = self._make_client(client_id)

    def _make_client(self, client_id: str) -> mqtt.Client:
        # MQTT 3.1.1: every broker a site may run has it. Answers are acknowledged by
        # hand, once shown (see subscribe).
        client, _address = client_for(
            self.broker, default_client_id=client_id, persistent_session=self.persistent_session,
            manual_ack=True)
        offline = Status(state="offline", ts=utc_now(), version=self.status().version)
        client.will_set(self.status_topic, encode(offline), qos=1, retain=True)
        # Room above our window for status messages: were paho to queue one of ours
        # behind a status, it would send it later, out of its lane's order.
        client.max_inflight_messages_set(self.window + 16)
        # The same pause every time, not a backoff: a backoff would leave the agent away for
        # up to its cap after the broker is back.
        client.reconnect_delay_set(RECONNECT_EVERY, RECONNECT_EVERY)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        # A message on no subscribed topic: nothing to do with it, acknowledged at once.
        client.on_message = lambda _client, _userdata, message: self._acknowledger(message)()
        return client

    # --- paho callbacks (network thread) ---------------------------------------

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            first = not self._refused
            self._refused = True
            if first or self._away_log_due():
                # With the broker's words: the integrator has to act.
                log.error(
                    "broker %s refused the connection: %s (check broker.username, "
                    "broker.password and TLS settings); trying again every %g s, "
                    "%d messages wait in the outbox",
                    self.broker_name,
                    reason_code,
                    RECONNECT_EVERY,
                    self.outbox.depth,
                )
                self._last_away_log = time.monotonic()
            return
        away = time.monotonic() - self._away_since if self._away_since is not None else None
        if self._refused:
            log.info("broker %s accepts the connection now", self.broker_name)
        elif away is not None:
            log.info(
                "back on the broker %s after %.1f s away; %d messages to send",
                self.broker_name,
                away,
                self.outbox.depth,
            )
        else:
            log.info("connected to %s", self.broker_name)
        self._refused = False
        self._away_since = None
        self._last_away_log = -AWAY_LOG_EVERY
        self._generation += 1
        for topic in self._subscriptions:
            client.subscribe(topic, qos=1)
        self.connected.set()
        self._publish_status()
        self._wake.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if self.connected.is_set() and not self._sender.stopping.is_set():
            log.warning(
                "lost the broker %s: %s; trying again every %g s, the outbox keeps everything",
                self.broker_name,
                reason_code,
                RECONNECT_EVERY,
            )
            self._away_since = time.monotonic()
            self._last_away_log = self._away_since
        elif not self._refused:
            # An attempt that got in but was dropped before the broker's answer.
            self._still_away(str(reason_code))
        self.connected.clear()

    def _on_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        # paho calls this from inside its `except OSError`: the exception is the reason.
        error = sys.exc_info()[1]
        self._still_away(str(error) if error else "connection failed")

    def _still_away(self, reason: str) -> None:
        if self._sender.stopping.is_set():
            return
        now = time.monotonic()
        if self._away_since is None:  # never connected yet
            self._away_since = now
        elif not self._away_log_due():
            return
        log.warning(
            "broker %s unreachable for %.0f s (%s); trying again every %g s, "
            "%d messages wait in the outbox",
            self.broker_name,
            now - self._away_since,
            reason,
            RECONNECT_EVERY,
            self.outbox.depth,
        )
        self._last_away_log = now

    def _away_log_due(self) -> bool:
        return time.monotonic() - self._last_away_log >= AWAY_LOG_EVERY

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._acked.append(mid)
        self._wake.set()

    def subscribe(self, topic: str, handler: Callable[[bytes, Done], None]) -> None:
        """Call `handler(payload, done)` on paho's thread for each message on `topic` (QoS 1),
        subscribed again on every connect. Call before `start()`.

        The broker keeps the message until the handler calls `done()` (from any thread),
        once it has acted on it; killed before that, the agent gets it again after the
        restart (at least once, so an answer is never lost, rarely shown twice)."""
        self._subscriptions[topic] = handler

        def deliver(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
            done = self._acknowledger(message)
            try:
                handler(message.payload, done)
            except Exception:
                log.exception("handling a message on %s failed", message.topic)
                done()

        self.client.message_callback_add(topic, deliver)

    def _acknowledger(self, message: mqtt.MQTTMessage) -> Done:
        generation = self._generation
        sent = threading.Event()

        def done() -> None:
            # A packet id names a message only on the connection it came on; after a
            # reconnect the broker has sent the message again, to be acknowledged anew.
            if message.qos > 0 and generation == self._generation and not sent.is_set():
                sent.set()
                self.client.ack(message.mid, message.qos)

        return done

    # --- sender thread -----------------------------------------------------------

    def start(self) -> None:
        self.client.connect_async(self.broker.host, self.broker.port, self.broker.keepalive)
        self.client.loop_start()
        self._sender.start()

    def wake(self) -> None:
        """A new message is in the outbox."""
        self._wake.set()

    def _send_round(self) -> None:
        self._settle_acks()
        if self.connected.is_set():
            self._send()

    def _settle_acks(self) -> None:
        done = []
        while self._acked:
            seq = self._mid_seq.pop(self._acked.popleft(), None)
            if seq is not None:
                self._handed.discard(seq)
                done.append(seq)
        self.outbox.ack(done)

    def _send(self) -> None:
        room = self.window - len(self._mid_seq)
        if room <= 0:
            return
        last = self.outbox.next_seq - 1
        if last <= self._cursor and last <= self._live:
            return  # everything has been handed (the common wake-up: an acknowledgement)
        newest = self.outbox.newest() if last > self._live else None
        # Only a message newer than any sent so far is live: once the newest is acknowledged
        # and gone, the next-newest is backlog and waits for its turn in the replay lane.
        if newest is not None and newest.seq > self._live and newest.seq not in self._handed:
            if not self._hand(newest):
                return
            self._live = newest.seq
            room -= 1
        # The replay lane; `_cursor` is the seq up to which everything has been handed.
        for entry in self.outbox.oldest(self._cursor, room + len(self._handed)):
            if entry.seq not in self._handed:
                if room <= 0:
                    self._wake.set()  # more is waiting: come back when acks free the window
                    return
                if not self._hand(entry):
                    return
                room -= 1
            self._cursor = entry.seq

    def _hand(self, entry: Entry) -> bool:
        info = self.client.publish(entry.topic, entry.payload, qos=1)
        # NO_CONN: paho keeps the message and sends it after the reconnect.
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            log.warning("publish of seq %s failed: %s", entry.seq, mqtt.error_string(info.rc))
            return False
        self._mid_seq[info.mid] = entry.seq
        self._handed.add(entry.seq)
        return True

    def _publish_status(self) -> None:
        self.client.publish(self.status_topic, encode(self.status()), qos=1, retain=True)

    def publish_status(self) -> None:
        if self.connected.is_set():
            self._publish_status()

    def stop(self, timeout: float = 5.0) -> None:
        """Send what is waiting (for at most `timeout`), say offline, and disconnect.

        Whatever is not acknowledged by then stays in the outbox for the next start.
        """
        self._sender.stop(timeout, drain_s=timeout,
                          pending=lambda: self.connected.is_set() and self.outbox.depth > 0)
        if self.connected.is_set():
            offline = self.status().model_copy(update={"state": "offline", "ts": utc_now()})
            info = self.client.publish(self.status_topic, encode(offline), qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError) as exc:
                log.debug("offline status not confirmed: %s", exc)
            self._settle_acks()
        self.client.disconnect()
        self.client.loop_stop()
