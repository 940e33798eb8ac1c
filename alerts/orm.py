"""The alarm engine's tables: alarms with their ISA-18.2 state, the append-only audit
trail of every transition, excursions (compliance records), notifications sent or
failed, and the rules edited over the API when no rules file is configured.

One open alarm per (rule, subject): `open_key` is "rule/subject" while the alarm
is open and NULL once it is closed, and it is unique (NULLs never collide, on
SQLite and PostgreSQL alike), so the database itself refuses a second open alarm.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.orm import Base

# The states an alarm row can be in; pending conditions live in the evaluator only.
OPEN_STATES = ("active", "acknowledged", "cleared")
STATES = (*OPEN_STATES, "closed")


class Alarm(Base):
    __tablename__ = "alarms"
    __table_args__ = (Index("ix_alarms_state_zone", "state", "zone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(160))
    subject: Mapped[str] = mapped_column(String(160))
    open_key: Mapped[str | None] = mapped_column(String(330), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    zone: Mapped[str | None] = mapped_column(String(64), index=True)
    gateway: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    limit: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text, default="")
    raised_at: Mapped[datetime]
    # When the condition of the alarm's latest episode began (a threshold: the first value
    # out), for its clear message after a restart. NULL on alarms stored before 0010.
    episode_since: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    acked_by: Mapped[str | None] = mapped_column(String(64))
    acked_at: Mapped[datetime | None]
    ack_comment: Mapped[str | None] = mapped_column(Text)
    shelved: Mapped[bool] = mapped_column(Boolean, default=False)
    shelved_until: Mapped[datetime | None]
    shelved_by: Mapped[str | None] = mapped_column(String(64))
    shelve_reason: Mapped[str | None] = mapped_column(Text)


class AlarmEvent(Base):
    """Append-only: one row per transition, never updated. Its id is the live feed's
    cursor (`GET /api/v1/alarms/changes?since=`)."""

    __tablename__ = "alarm_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id"), index=True)
    event: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    by: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    value: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text, default="")


class Excursion(Base):
    """A period one sensor's quantity spent out of range: a compliance record."""

    __tablename__ = "excursions"
    __table_args__ = (Index("ix_excursions_zone_start", "zone", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sensor: Mapped[str] = mapped_column(String(64), index=True)
    quantity: Mapped[str] = mapped_column(String(32))
    zone: Mapped[str | None] = mapped_column(String(64))
    start: Mapped[datetime]
    end: Mapped[datetime | None]
    peak: Mapped[float] = mapped_column(Float)
    side: Mapped[str] = mapped_column(String(8))  # above | below
    severity: Mapped[str] = mapped_column(String(16))
    above_s: Mapped[float] = mapped_column(Float, default=0.0)
    below_s: Mapped[float] = mapped_column(Float, default=0.0)
    critical_s: Mapped[float] = mapped_column(Float, default=0.0)
    tolerance_passed: Mapped[bool] = mapped_column(Boolean, default=False)
    held_at: Mapped[datetime | None]
    held_lots: Mapped[list[str]] = mapped_column(JSON, default=list)
    hold_reason: Mapped[str | None] = mapped_column(Text)


class Notification(Base):
    """One attempt to send one message to one recipient group's URL."""

    __tablename__ = "alarm_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    route: Mapped[str] = mapped_column(String(64))
    group: Mapped[str] = mapped_column(String(64))
    # The URL's scheme and position only: URLs carry tokens and passwords.
    target: Mapped[str] = mapped_column(String(96))
    title: Mapped[str] = mapped_column(Text)
    alarm_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(8), index=True)  # sent | failed
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(index=True)


class AlarmNotice(Base):
    """One line of a message, claimed before it is sent: one row per (alarm, route,
    group level, what, when). The unique `key` is what makes a notice go out once
    whichever process leads: a second claim of the same key is refused, unless the
    first was never sent and came from an earlier leader (`term`), which died."""

    __tablename__ = "alarm_notices"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id"), index=True)
    route: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    what: Mapped[str] = mapped_column(String(16))  # raised, escalated, cleared
    at: Mapped[datetime]
    term: Mapped[str] = mapped_column(String(40))  # the leader's election that claimed it
    claimed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class AlarmRequest(Base):
    """An operator's action taken by a hub process that does not lead the alarm
    engine, for the leader to carry out (it polls several times a second) and answer."""

    __tablename__ = "alarm_requests"
    __table_args__ = (Index("ix_alarm_requests_state_id", "state", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    action: Mapped[str] = mapped_column(String(16))  # acknowledge, shelve, unshelve, rules
    alarm_id: Mapped[int | None]
    by: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    until: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(8))  # waiting, done, failed
    error: Mapped[str | None] = mapped_column(String(32))  # the domain error's code
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class AlarmSetting(Base):
    """Small named values: the rules edited over the API, the last digest day."""

    __tablename__ = "alarm_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, object]] = mapped_column(JSON)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(String(64))



class AlarmTest(Base):
    """A challenge of the alarm paths (alerts/challenge/): a test message through every
    route (or one route or recipient group), asked by a supervisor. `complete`: it
    covered every route, so it counts for the schedule's reminder."""

    __tablename__ = "alarm_tests"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(index=True)
    route: Mapped[str | None] = mapped_column(String(64))  # NULL: every route
    group: Mapped[str | None] = mapped_column(String(64))  # NULL: every group of the route
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]  # every recipient delivered or failed


class AlarmTestRecipient(Base):
    """One recipient (one URL of a group, on one route) of a test: queued, sending
    (claimed by the leader of `term`), delivered or failed; confirmed through its link.
    The link's token is kept as its SHA-256 only: the table never holds the proof."""

    __tablename__ = "alarm_test_recipients"
    __table_args__ = (Index("ix_alarm_test_recipients_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("alarm_tests.id"), index=True)
    route: Mapped[str] = mapped_column(String(64))
    group: Mapped[str] = mapped_column(String(64))
    index: Mapped[int] = mapped_column(Integer)  # the URL's place in the group
    target: Mapped[str] = mapped_column(String(96))  # scheme#index, as alarm_notifications
    recipient: Mapped[str] = mapped_column(Text)  # the URL masked (alerts/rules/url_secrets.py)
    status: Mapped[str] = mapped_column(String(12))  # queued|sending|delivered|failed
    term: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]  # when the send was decided (delivered or failed)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    confirmed_at: Mapped[datetime | None]
    confirmed_by: Mapped[str | None] = mapped_column(String(100))
