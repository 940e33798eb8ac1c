"""The tables of MQTT scanning: the scanners an admin registered per gateway, and
the journal of every scan the consumer handled (booked, identified, refused ...).

On the kernel's `Base` like inventory/orm.py; Alembic revision 0009."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.orm import Base


class Scanner(Base):
    """A serial scanner of a gateway, registered by an admin: the account its scans
    book as, the modes it may book in, and the bin used when a scan names none."""

    __tablename__ = "scanners"

    gateway: Mapped[str] = mapped_column(String(64), primary_key=True)
    scanner: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    modes: Mapped[list[str]] = mapped_column(JSON)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ScanRecord(Base):
    """One scan that came over MQTT and what became of it; (gateway, seq) once.

    A payload that could not be read has no seq: it is kept with the reason and
    the bytes (up to 4 KiB), and never booked."""

    __tablename__ = "scan_records"
    __table_args__ = (
        UniqueConstraint("gateway", "seq"),
        Index("ix_scan_records_outcome_id", "outcome", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    received_at: Mapped[datetime]
    site: Mapped[str] = mapped_column(String(64))
    gateway: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int | None] = mapped_column(BigInteger)
    scanner: Mapped[str | None] = mapped_column(String(64))
    scanned_at: Mapped[datetime | None]
    mode: Mapped[str | None] = mapped_column(String(16))
    raw: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(32))
    ok: Mapped[bool] = mapped_column(Boolean)
    code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    lines: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    booking: Mapped[str | None] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(64))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)
