"""The scan consumer books on several threads but acknowledges in arrival order."""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from sqlalchemy.orm import sessionmaker

from contract.mqtt_client import Delivery
from inventory.scans.consumer import ScanConsumer
from inventory.scans.settings import ScanConsumerSettings


def test_a_scan_booked_early_waits_for_the_ones_that_came_before_it_to_be_acknowledged() -> None:
    consumer = ScanConsumer(ScanConsumerSettings(), sessionmaker(), CollectorRegistry())
    acked: list[int] = []
    consumer.subscriber.ack = lambda deliveries: acked.extend(d.mid for d in deliveries)  # type: ignore[method-assign]
    for mid in (1, 2, 3):
        consumer._receive(Delivery("stockwarden/v1/s/gw/scan", b"", mid, 1, 0))
    first, second, third = (consumer.queue.get() for _ in range(3))
    assert first is not None and second is not None and third is not None
    consumer._acknowledge(third)
    consumer._acknowledge(second)
    assert acked == []  # 1 is still being booked
    consumer._acknowledge(first)
    assert acked == [1, 2, 3]
    assert consumer.handled == 3


def test_a_message_outside_the_scan_topics_is_acknowledged_in_its_turn_and_not_booked() -> None:
    """The demo's broker also hands the consumer's session the gateways' retained
    status: it is neither booked nor recorded as a refused scan."""
    consumer = ScanConsumer(ScanConsumerSettings(), sessionmaker(), CollectorRegistry())
    acked: list[int] = []
    consumer.subscriber.ack = lambda deliveries: acked.extend(d.mid for d in deliveries)  # type: ignore[method-assign]
    consumer._receive(Delivery("stockwarden/v1/s/gw/scan", b"{}", 1, 1, 0))
    consumer._receive(Delivery("stockwarden/v1/s/gw/status", b"{}", 2, 1, 0))
    assert acked == []  # the status waits for the scan before it
    first = consumer.queue.get()
    assert first is not None and consumer.queue.empty()  # the status was never queued
    consumer._acknowledge(first)
    assert acked == [1, 2] and consumer.handled == 1
