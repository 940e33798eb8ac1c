"""One way to build a paho MQTT client, for the edge agent and the hub alike.

The convention: the broker is a URL, ``mqtt://[user:password@]host[:1883]`` or
``mqtts://[user:password@]host[:8883]`` (TLS); user and password in the URL are
percent-encoded. Explicit `username`/`password` (the edge's `broker.username`,
`broker.password`) take precedence over the URL's. TLS is on for ``mqtts://`` or
when TLS files are given (the edge's `broker.tls`, the hub's CA file); without a
CA file the system's CAs verify the broker. Lives beside the wire module: the
edge may import nothing of the hub.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from contract import wire
from contract.mqtt_paho import PahoClient, Publish
from contract.mqtt_settings import HubMqttSettings, MqttSettings, Protocol, TlsFiles

__all__ = ["BrokerAddress", "Delivery", "MqttSubscriber", "SessionNotice", "TlsFiles",
           "build_client", "client_for", "subscriber"]


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts"):
            raise ValueError(f"broker URL {url!r} must start with mqtt:// or mqtts://")
        tls = parts.scheme == "mqtts"
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (8883 if tls else 1883),
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def __str__(self) -> str:  # never the password
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def build_client(
    url: str,
    *,
    client_id: str,
    protocol: Protocol = "3.1.1",
    username: str | None = None,
    password: str | None = None,
    tls: TlsFiles | None = None,
    persistent_session: bool = False,
    manual_ack: bool = False,
) -> tuple[PahoClient, BrokerAddress]:
    """A configured, unconnected client and the address to connect it to.

    `persistent_session`: MQTT 3.1.1 clean session off (for MQTT 5 the caller sets
    clean start and a session expiry on connect).
    """
    address = BrokerAddress.parse(url)
    v5 = protocol == "5"
    client = PahoClient(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
        clean_session=None if v5 else not persistent_session,
        manual_ack=manual_ack,
    )
    user = username if username is not None else address.username
    secret = password if username is not None else address.password
    if user is not None:
        client.username_pw_set(user, secret)
    if address.tls or tls is not None:
        tls = tls or TlsFiles()
        client.tls_set(
            ca_certs=str(tls.ca_file) if tls.ca_file else None,
            certfile=str(tls.cert_file) if tls.cert_file else None,
            keyfile=str(tls.key_file) if tls.key_file else None,
            cert_reqs=ssl.CERT_REQUIRED,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
        client.tls_insecure_set(tls.insecure)
    return client, address


def client_for(
    settings: MqttSettings,
    *,
    default_client_id: str = "",
    protocol: Protocol = "3.1.1",
    persistent_session: bool = False,
    manual_ack: bool = False,
) -> tuple[PahoClient, BrokerAddress]:
    """`build_client` from a client's settings; `default_client_id` when they have none."""
    return build_client(
        settings.url,
        client_id=settings.client_id or default_client_id,
        protocol=protocol,
        username=settings.username,
        password=settings.password,
        tls=settings.tls,
        persistent_session=persistent_session,
        manual_ack=manual_ack,
    )


# --- the hub's subscriber -----------------------------------------------------
#
# A QoS 1 message is acknowledged only after the hub committed what it means
# (ingest: the batch; inventory: the scan's booking), so a hub killed mid-way gets
# the unacknowledged messages again from the broker, and the (gateway, seq) record
# makes sure none counts twice. MQTT 5 where the broker has it (clean start off, a
# session expiry, a receive maximum, optional shared subscriptions across hub
# processes); MQTT 3.1.1 with clean session off otherwise.
#
# What a persistent session cannot survive is said to `session_listeners` (the hub
# raises its broker-session alarm): the broker handing the session to another
# connection with the same client id (MQTT 5 DISCONNECT reason 142), or a reconnect
# that finds no session (the broker kept none: expired, restarted without its
# persistence, or taken with a clean start). Messages published meanwhile went
# elsewhere or nowhere. When the subscriptions are granted again it says so.

log = logging.getLogger(__name__)

SESSION_TAKEN_OVER = 142  # MQTT 5 reason code "Session taken over"


def N_(text: str) -> str:
    """Marks a text for the catalogue (as kernel/i18n_text.N_; contract imports no
    kernel): the hub's broker-session alarm writes it in each reader's language."""
    return text


TAKEN_OVER = N_(
    "the broker gave the hub's session (client id %(client_id)s) to another "
    "connection (MQTT reason 142, session taken over): readings and scans "
    "published meanwhile did not reach this hub. No other client may use this "
    "client id: bind broker accounts to client ids (docs/deploy.md) and give each "
    "hub process its own STOCKWARDEN_MQTT_CLIENT_ID")
NO_SESSION = N_(
    "the broker had no session for the hub's client id %(client_id)s when it "
    "reconnected: readings and scans published while it was away were not kept "
    "for it (session expired, broker restarted without its persistence, or another "
    "client took the client id with a clean start)")


@dataclass(frozen=True, slots=True)
class SessionNotice:
    client_id: str
    # Why messages meant for this session may not have reached it; None: subscribed again.
    problem: str | None
    # The problem's English template (TAKEN_OVER, NO_SESSION; its value %(client_id)s).
    template: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    topic: str
    payload: bytes
    mid: int
    qos: int
    # Which connection brought it: a packet id is only meaningful on its own connection.
    generation: int
    # Which subscriber, when not the part's own: a session taken over from a dead
    # member (contract/share_slots.py); the part's `ack` passes it on.
    source: MqttSubscriber | None = field(default=None, compare=False)


class MqttSubscriber:
    def __init__(
        self,
        settings: HubMqttSettings,
        *,
        filters: Sequence[str],
        on_delivery: Callable[[Delivery], None],
        on_connection_change: Callable[[bool], None] | None = None,
        adopting: bool = False,
    ) -> None:
        """`adopting`: this client takes over the session of a dead member of the share
        group (contract/share_slots.py): it unsubscribes at once, receives what the
        session holds, and `leave()` ends the session."""
        self.settings = settings
        self.adopting = adopting
        share_group = settings.share_group
        self.topic_filters = list(filters)
        self.filters = [f"$share/{share_group}/{f}" if share_group else f for f in filters]
        self.on_delivery = on_delivery
        self.on_connection_change = on_connection_change
        self.v5 = settings.protocol == "5"
        self.session_expiry_s = settings.session_expiry_s
        self.receive_maximum = receive_maximum = settings.receive_maximum
        self.keepalive = settings.keepalive
        self.generation = 0
        self.connected = threading.Event()
        self.last_error: str | None = None
        self.client_id = settings.client_id
        self.session_listeners: list[Callable[[SessionNotice], None]] = []
        self._subscribe_mid: int | None = None
        # Share slots (contract/share_slots.py): `start()` only asks (`gate`), the keeper
        # connects once this process holds the client id's lock.
        self.gate: Callable[[], None] | None = None
        self.wanted = False
        self._running = False
        self._fresh_session_expected = False
        # Adopting: received and not yet acknowledged, when the last came, unsubscribed.
        self._outstanding: set[tuple[int, int]] = set()
        self._last_delivery = time.monotonic()
        self._unsubscribe_mid: int | None = None
        self.unsubscribed = threading.Event()
        self._lock = threading.Lock()
        self.client, self.address = client_for(
            settings,
            protocol=settings.protocol,
            persistent_session=True,
            manual_ack=True,
        )
        self.client.max_inflight_messages_set(receive_maximum)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_unsubscribe = self._on_unsubscribe
        self.client.on_message = self._on_message
        self.client.on_publishes = self._on_publishes

    # --- lifecycle

    def start(self) -> None:
        """Consume: at once, or (share slots) once the keeper holds this client id."""
        self.wanted = True
        if self.gate is None:
            self.connect()
        else:
            self.gate()

    def connect(self) -> None:
        if self._running:
            return
        self._running = True
        properties = None
        if self.v5:
            # paho's Properties.__init__ carries no annotations; it takes the packet type.
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = self.session_expiry_s
            properties.ReceiveMaximum = self.receive_maximum
        self.client.connect_async(
            self.address.host,
            self.address.port,
            keepalive=self.keepalive,
            clean_start=False if self.v5 else mqtt.MQTT_CLEAN_START_FIRST_ONLY,
            properties=properties,
        )
        self.client.loop_start()

    def stop(self) -> None:
        self.wanted = False
        self.suspend()

    def suspend(self) -> None:
        """Stop consuming (the session stays with the broker); `connect()` resumes."""
        self._running = False
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()

    def leave(self) -> None:
        """End the session: disconnect with a session expiry of 0 (MQTT 5), so that the
        broker drops it and with it this client id's place in the share group."""
        self._running = False
        properties = Properties(PacketTypes.DISCONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = 0
        self.client.disconnect(properties=properties)
        self.client.loop_stop()
        self.connected.clear()

    def expect_fresh_session(self) -> None:
        """The next connection may find no session, and that loses nothing: another
        process emptied it and ended it while this one was not consuming."""
        self._fresh_session_expected = True

    def drained(self, quiet_s: float) -> bool:
        """Adopting: unsubscribed, everything received acknowledged, nothing new for
        `quiet_s`: the session holds nothing more."""
        with self._lock:
            return (self.connected.is_set() and self.unsubscribed.is_set()
                    and not self._outstanding
                    and time.monotonic() - self._last_delivery >= quiet_s)

    def health(self) -> dict[str, object]:
        ok = self.connected.is_set()
        return {"ok": ok, **({} if ok else {"error": self.last_error or "not connected"})}

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> None:
        """Send on the same connection (paho queues it while the broker is away)."""
        self.client.publish(topic, payload, qos=qos)

    # --- acknowledgement

    def ack(self, deliveries: Iterable[Delivery]) -> None:
        """Acknowledge, in order, what was received on the current connection; older
        ones are redelivered by the broker on the new connection anyway."""
        current = self.generation
        mids = []
        others: dict[int, tuple[MqttSubscriber, list[Delivery]]] = {}
        for delivery in deliveries:
            source = delivery.source
            if source is not None and source is not self:
                others.setdefault(id(source), (source, []))[1].append(delivery)
                continue
            if self.adopting:
                with self._lock:
                    self._outstanding.discard((delivery.generation, delivery.mid))
            if delivery.generation != current:
                continue
            if delivery.qos == 1:
                mids.append(delivery.mid)
            elif delivery.qos == 2:
                self.client.ack(delivery.mid, delivery.qos)
        self.client.ack_many(mids)
        for source, theirs in others.values():
            source.ack(theirs)

    # --- paho callbacks (network thread)

    def _on_connect(self, client: mqtt.Client, _userdata: object, flags: mqtt.ConnectFlags,
                    reason: mqtt.ReasonCode, _properties: object) -> None:
        if reason.is_failure:
            self.last_error = f"broker refused the connection: {reason}"
            log.error("broker refused the connection", extra={"reason": str(reason)})
            return
        with self._lock:
            self.generation += 1
            reconnect = self.generation > 1
            self._outstanding.clear()  # unacknowledged ones come again on this connection
            self._last_delivery = time.monotonic()
        self.last_error = None
        fresh_expected, self._fresh_session_expected = self._fresh_session_expected, False
        if self.adopting:
            # Nothing new for this session; what it holds comes anyway.
            _, self._unsubscribe_mid = client.unsubscribe(self.filters)
            self.connected.set()
            log.info("took over a dead share-group member's session", extra={
                "client_id": self.client_id, "session_present": flags.session_present})
            return
        # On the first connection a missing session is normal (a new hub, or one away
        # longer than the session expiry); on a reconnect it means lost messages, unless
        # another process emptied and ended the session (share slots).
        if reconnect and not flags.session_present and not fresh_expected:
            self._tell(NO_SESSION)
        _, self._subscribe_mid = client.subscribe([(topic, 1) for topic in self.filters])
        self.connected.set()
        log.info("connected to the broker", extra={
            "broker": f"{self.address.host}:{self.address.port}", "filters": self.filters})
        if self.on_connection_change:
            self.on_connection_change(True)

    def _on_disconnect(self, _client: mqtt.Client, _userdata: object, _flags: object,
                       reason: mqtt.ReasonCode, _properties: object) -> None:
        self.connected.clear()
        if reason.is_failure:
            self.last_error = f"disconnected: {reason}"
            log.warning("lost the broker; reconnecting", extra={"reason": str(reason)})
        if reason.value == SESSION_TAKEN_OVER:
            self._tell(TAKEN_OVER)
        if self.on_connection_change:
            self.on_connection_change(False)

    def _on_subscribe(self, _client: mqtt.Client, _userdata: object, mid: int,
                      reasons: list[mqtt.ReasonCode], _properties: object) -> None:
        if mid != self._subscribe_mid:
            return
        refused = [str(r) for r in reasons if r.is_failure]
        if refused:
            self.last_error = f"broker refused the subscriptions: {', '.join(refused)}"
            log.error("broker refused the subscriptions", extra={"reasons": refused})
            return
        self._tell(None)

    def _on_unsubscribe(self, _client: mqtt.Client, _userdata: object, mid: int,
                        _reasons: object, _properties: object) -> None:
        if mid == self._unsubscribe_mid:
            self.unsubscribed.set()

    def _tell(self, template: str | None) -> None:
        problem = template % {"client_id": self.client_id} if template else None
        if problem is not None:
            log.error("broker session lost: %s", problem, extra={"client_id": self.client_id})
        notice = SessionNotice(self.client_id, problem, template)
        for listener in self.session_listeners:
            try:  # on paho's network thread: nothing may escape
                listener(notice)
            except Exception:
                log.exception("a broker session listener failed")

    def _on_message(self, _client: mqtt.Client, _userdata: object,
                    message: mqtt.MQTTMessage) -> None:
        # A PUBLISH that paho handled itself (the first of a read, a QoS 2 one).
        self._on_publishes([Publish(message._topic, cast(bytes, message.payload),
                                    message.mid, message.qos)])

    def _on_publishes(self, publishes: list[Publish]) -> None:
        # An exception here would end paho's network thread: nothing may escape.
        on_delivery = self.on_delivery
        generation = self.generation
        source = self if self.adopting else None
        for topic, payload, mid, qos in publishes:
            try:
                if source is not None:
                    with self._lock:
                        self._last_delivery = time.monotonic()
                        if qos:
                            self._outstanding.add((generation, mid))
                on_delivery(Delivery(topic.decode("utf-8", errors="replace"), payload, mid,
                                     qos, generation, source))
            except Exception:
                log.exception("could not queue an incoming message; the broker will redeliver it")


def subscriber(
    settings: HubMqttSettings,
    kinds: Sequence[wire.Kind],
    on_delivery: Callable[[Delivery], None],
    *,
    on_connection_change: Callable[[bool], None] | None = None,
) -> MqttSubscriber:
    """A hub part's subscriber to the gateways' `kinds` of message (telemetry, status,
    scan) of the settings' site, unstarted."""
    return MqttSubscriber(
        settings,
        filters=[wire.subscription(kind, settings.site) for kind in kinds],
        on_delivery=on_delivery,
        on_connection_change=on_connection_change,
    )
