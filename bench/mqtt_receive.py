"""The hub's MQTT receive path alone: paho's per-packet handling against the PUBLISH
packets split off its read buffer together (contract/mqtt_paho.py).

    .venv/bin/python -m bench.mqtt_receive [--messages 50000] [--readings 1] [--rounds 3]

No broker: `--messages` QoS 1 PUBLISH packets, MQTT 5, as Mosquitto sends them to the
hub (a telemetry topic, a wire-contract payload of `--readings` readings), are served
to `PahoClient` by a socket stand-in, first with `on_message` only (paho decodes each
packet: the way before), then with `on_publishes` (the split). Prints µs of CPU per
message for each, in turns (A B A B), and their ratio. One thread, no GIL contention:
in the hub the difference is larger.
"""

from __future__ import annotations

import argparse
import struct
import time
from typing import Any

from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from bench._ingest_load import make_payloads
from contract import wire
from contract.mqtt_paho import BufferedSocket, PahoClient, Publish


def publish_packet(topic: bytes, payload: bytes, mid: int) -> bytes:
    body = struct.pack("!H", len(topic)) + topic + struct.pack("!H", mid) + b"\x00" + payload
    length, size = bytearray(), len(body)
    while True:
        size, byte = divmod(size, 128)
        length.append(byte | (128 if size else 0))
        if not size:
            break
    return b"\x32" + bytes(length) + body


class Stream:
    """A connected socket's `recv` over bytes already received."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def recv(self, size: int) -> bytes:
        if self.at >= len(self.data):
            raise BlockingIOError
        chunk = self.data[self.at : self.at + size]
        self.at += len(chunk)
        return chunk

    def close(self) -> None:
        pass


def receive(data: bytes, messages: int, together: bool) -> float:
    """CPU seconds per message to receive `data` (holding `messages` packets)."""
    client = PahoClient(CallbackAPIVersion.VERSION2, client_id="bench",
                        protocol=MQTTProtocolVersion.MQTTv5, manual_ack=True)
    got = [0]

    def on_message(_client: Any, _userdata: Any, _message: Any) -> None:
        got[0] += 1

    def on_publishes(publishes: list[Publish]) -> None:
        got[0] += len(publishes)

    client.on_message = on_message
    if together:
        client.on_publishes = on_publishes
    client._sock = BufferedSocket(Stream(data))
    started = time.process_time()
    while got[0] < messages:
        client.loop_read()
    spent = time.process_time() - started
    client._sock = None
    return spent / messages


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.mqtt_receive",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--readings", type=int, default=1, help="readings per message")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    topic = wire.gateway_topic("bench", "gw", "telemetry").encode()
    payloads = make_payloads(args.messages, args.readings, 1000, "gw")
    data = b"".join(publish_packet(topic, payload, n % 65535 + 1)
                    for n, payload in enumerate(payloads))
    print(f"{args.messages:,} PUBLISH packets of {args.readings} reading(s), "
          f"{len(data) / args.messages:.0f} bytes each")
    for round_ in range(1, args.rounds + 1):
        each = receive(data, args.messages, together=False)
        together = receive(data, args.messages, together=True)
        print(f"round {round_}: paho per packet {each * 1e6:.2f} µs/message, "
              f"split together {together * 1e6:.2f} µs/message: {each / together:.1f} x")


if __name__ == "__main__":
    main()
