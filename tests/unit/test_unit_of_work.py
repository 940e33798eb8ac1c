"""The one unit of work (kernel/uow.py) on an in-memory SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from kernel import uow
from kernel.errors import Busy, Invalid
from kernel.orm import Base, User
from kernel.uow import ATTEMPTS, Idempotency, Recorded, Retry, run_write


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    monkeypatch.setattr(uow.time, "sleep", lambda _s: None)
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(User(id=1, username="u", role="admin"))
        session.commit()
        yield session


def test_conflicts_that_persist_end_in_busy_after_every_attempt(session: Session) -> None:
    calls = []

    def work() -> None:
        calls.append(1)
        raise Retry("changed under us")

    with pytest.raises(Busy) as raised:
        run_write(session, work)
    assert raised.value.code == "busy_retry"
    assert len(calls) == ATTEMPTS


def test_a_conflict_that_clears_is_retried_and_succeeds(session: Session) -> None:
    calls = []

    def work() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise Retry("changed under us")
        return "done"

    assert run_write(session, work, creates=True).value == "done"
    assert run_write(session, lambda: "x").created is False
    assert len(calls) == 3


def test_the_first_answer_is_recorded_as_rendered_and_replayed_without_work(
    session: Session,
) -> None:
    rendered: list[tuple[Any, bool]] = []

    def render(value: Any, created: bool) -> Recorded:
        rendered.append((value, created))
        return Recorded(201 if created else 200, {"value": value})

    key = Idempotency(1, "key-1", "fingerprint", render)
    first = run_write(session, lambda: 7, idempotency=key, creates=True)
    assert (first.value, first.created, first.replayed) == (7, True, False)
    again = run_write(session, lambda: pytest.fail("a replay runs no work"), idempotency=key)
    assert again.replay == Recorded(201, {"value": 7})
    assert rendered == [(7, True)]


def test_a_key_reused_for_another_request_is_refused(session: Session) -> None:
    run_write(session, lambda: 1, idempotency=Idempotency(1, "key-2", "one"))
    with pytest.raises(Invalid) as raised:
        run_write(session, lambda: 2, idempotency=Idempotency(1, "key-2", "two"))
    assert raised.value.code == "idempotency_key_reused"


def test_an_error_in_the_work_records_nothing(session: Session) -> None:
    def work() -> None:
        raise Invalid("no")

    key = Idempotency(1, "key-3", "f")
    with pytest.raises(Invalid):
        run_write(session, work, idempotency=key)
    assert run_write(session, lambda: "now", idempotency=key).value == "now"
