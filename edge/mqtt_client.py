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

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

Protocol = Literal["5", "3.1.1"]


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


@dataclass(frozen=True, slots=True)
class TlsFiles:
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    # Skip the host name check (testing only).
    insecure: bool = False


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
) -> tuple[mqtt.Client, BrokerAddress]:
    """A configured, unconnected client and the address to connect it to.

    `persistent_session`: MQTT 3.1.1 clean session off (for MQTT 5 the caller sets
    clean start and a session expiry on connect).
    """
    address = BrokerAddress.parse(url)
    v5 = protocol == "5"
    client = mqtt.Client(
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
