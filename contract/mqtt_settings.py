"""How a client reaches the broker: one settings family for the gateway agent and the
hub's parts (ingest, the scan consumer, the alarm publisher).

`MqttSettings` is what every client needs, and exactly the keys of a gateway's
``broker:`` section (docs/edge.md). `HubMqttSettings` adds what a hub part's session
needs (protocol, subscribed site, share group, session expiry, receive maximum); the
composition root builds it from the hub's ``STOCKWARDEN_MQTT_*`` settings
(`hub.settings.HubSettings.mqtt`), each part only sets its own client id.

Pydantic only (no paho): the gateway's config loader validates these, and
`contract.mqtt_client` builds the clients from them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Protocol = Literal["5", "3.1.1"]


class _Settings(BaseModel):
    # A misspelt key is an error, not a silently ignored line.
    model_config = ConfigDict(extra="forbid", frozen=True)


class TlsFiles(_Settings):
    """The TLS files of a client; without a CA file the system's CAs verify the broker."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure: bool = Field(default=False, description="skip the host name check (testing only)")

    @model_validator(mode="after")
    def _pair(self) -> TlsFiles:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together")
        return self


class MqttSettings(_Settings):
    """One client's way to the broker. The URL is ``mqtt[s]://[user:password@]host[:port]``;
    explicit `username`/`password` take precedence over the URL's."""

    url: str = "mqtt://127.0.0.1:1883"
    username: str | None = None
    password: str | None = None
    # None: the client's default (a gateway: stockwarden-edge-{gateway}).
    client_id: str | None = None
    keepalive: Annotated[int, Field(ge=5, le=3600)] = 30
    tls: TlsFiles | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("must look like mqtt://host:1883 or mqtts://host:8883")
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise ValueError("the port is not a number") from None
        return url

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (8883 if parts.scheme == "mqtts" else 1883)


class HubMqttSettings(MqttSettings):
    """A hub part's session: persistent, MQTT 5 where the broker has it."""

    client_id: str = "stockwarden-hub"
    protocol: Protocol = "5"
    # The site subscribed to; + for all.
    site: str = "+"
    # MQTT 5 shared-subscription group: hub processes split the load.
    share_group: str | None = None
    # How long the broker keeps the session while the hub is away.
    session_expiry_s: int = 7 * 24 * 3600
    # QoS 1 messages in flight to the hub (MQTT 5).
    receive_maximum: int = 6000
