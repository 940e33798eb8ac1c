"""The SQLite outbox: seq survives a restart, drop-oldest when full, acks remove."""

from __future__ import annotations

from pathlib import Path

from edge.outbox import Outbox


def put(outbox: Outbox, n: int) -> list[int]:
    return [outbox.put("t", lambda seq: f"m{seq}".encode()) for _ in range(n)]


def test_seq_goes_on_after_reopening_even_when_everything_was_sent(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db")
    assert put(outbox, 3) == [0, 1, 2]
    outbox.ack([0, 1, 2])
    assert outbox.depth == 0
    outbox.close()
    outbox = Outbox(tmp_path / "o.db")
    assert put(outbox, 1) == [3]


def test_messages_come_back_in_order_after_reopening(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db")
    put(outbox, 5)
    outbox.ack([1])
    outbox.close()
    outbox = Outbox(tmp_path / "o.db")
    assert [(e.seq, e.payload) for e in outbox.oldest(-1, 10)] == [
        (0, b"m0"),
        (2, b"m2"),
        (3, b"m3"),
        (4, b"m4"),
    ]
    assert outbox.depth == 4
    assert outbox.newest() is not None and outbox.newest().seq == 4  # type: ignore[union-attr]


def test_a_full_outbox_drops_the_oldest_and_counts_them(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_messages=10)
    put(outbox, 25)
    assert outbox.depth == 10
    assert outbox.dropped == 15
    assert [e.seq for e in outbox.oldest(-1, 100)] == list(range(15, 25))
    outbox.close()
    assert Outbox(tmp_path / "o.db", max_messages=10).dropped == 15


def test_acking_an_unknown_or_dropped_seq_is_harmless(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db")
    put(outbox, 2)
    outbox.ack([0, 0, 99])
    assert outbox.depth == 1
