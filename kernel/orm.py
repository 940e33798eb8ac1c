"""SQL tables every part of the hub refers to: the declarative base, a UTC datetime
type, storage classes and zones (master data that sensors, stock and alarms all
refer to), and users with their API tokens (who did what, for every part).

Each part keeps its own tables on this `Base` (inventory/orm.py, ingest/orm.py),
so one metadata (and one Alembic history) covers the hub.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names, so Alembic migrations work on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC; always returns timezone-aware UTC (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime()}


class StorageClass(Base):
    """A band of storage conditions, e.g. 2-8 °C or 15-25 °C / 35-75 %RH."""

    __tablename__ = "storage_classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    # Mean kinetic temperature: ΔH in J/mol (unset: 83,144) and the running window in
    # hours (unset: 24 for cold storage, at most 8 °C; 720 otherwise). docs/reports.md
    mkt_delta_h: Mapped[float | None] = mapped_column(Float)
    mkt_window_h: Mapped[int | None] = mapped_column(Integer)
    temp_min_c: Mapped[float | None] = mapped_column(Float)
    temp_max_c: Mapped[float | None] = mapped_column(Float)
    humidity_min_pct: Mapped[float | None] = mapped_column(Float)
    humidity_max_pct: Mapped[float | None] = mapped_column(Float)
    # How long a critical excursion may last before the lots go on hold; unset: the
    # alarm settings' default (30 min).
    excursion_tolerance_s: Mapped[int | None] = mapped_column(Integer)


class Zone(Base):
    """A room or area with one storage class; sensors and bins belong to zones."""

    __tablename__ = "zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    storage_class_id: Mapped[int | None] = mapped_column(ForeignKey("storage_classes.id"))
    hazardous: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())
    # Overrides the storage class's excursion tolerance for this zone.
    excursion_tolerance_s: Mapped[int | None] = mapped_column(Integer)

    storage_class: Mapped[StorageClass | None] = relationship(lazy="joined")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # The person's full name, printed on their electronic signatures (kernel/signatures.py);
    # required for people's accounts, machine accounts may go without (and cannot sign).
    full_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())
    # Lockout (hub/accounts/): wrong passwords in a row, and until when logins are
    # refused after too many; an admin unlocks.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    # Account policy (hub/accounts/password_policy.py): when the password was last set
    # (its expiry counts from then); `person` or `machine` (a gateway's or an
    # integration's account: tokens only, no password, no page login); and whether
    # the account is still as `stockwarden demo` set it up (refused in production).
    password_changed_at: Mapped[datetime | None]
    kind: Mapped[str] = mapped_column(String(16), default="person", server_default="person")
    demo_credentials: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The pages' language the person chose (kernel/i18n.py: en, zh-CN); None: the site's.
    language: Mapped[str | None] = mapped_column(String(16))


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored (tokens are 256 random bits)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(64), default="api")
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())
    expires_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # A page session's last user activity (web logins only): the idle timeout counts
    # from it (hub/accounts/sessions.py).
    last_active_at: Mapped[datetime | None]


class IdempotencyRecord(Base):
    """The first answer to a mutating request, replayed for retries with the same key."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class AuditRecord(Base):
    """One row of the audit trail (kernel/audit.py): who changed which GxP record,
    when, from what to what, and why; hash-chained to the row before
    (kernel/audit_chain.py). Append-only: a trigger refuses UPDATE and DELETE
    (hub/migrations/versions/0013_audit.py)."""

    __tablename__ = "audit_trail"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)  # 1, 2, ... no gaps
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    via: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text)  # canonical JSON
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_trail_entity_key", "entity", "entity_key"),)


class ShareMember(Base):
    """An MQTT client id of the hub's share group whose broker session may hold
    messages (contract/share_slots.py): registered by the process that consumes with
    it while it holds the id's lock, removed by the process that emptied and ended
    the session of a member that died."""

    __tablename__ = "share_members"

    client_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    # Which subscriber: "ingest" (telemetry and status) or "scans".
    kind: Mapped[str] = mapped_column(String(16))
    registered_at: Mapped[datetime]


class SignatureRecord(Base):
    """One electronic signature (kernel/signatures.py): who signed (full name and user
    name as they were then), when, with what meaning, for which action on which record,
    and the SHA-256 of the canonical JSON of what was signed. Written in the same
    transaction as the change it signs; its id and hash go into that change's audit row.
    A report sign-off keeps besides the SHA-256 of the PDF signed and a fingerprint of
    the period's data (a later change of that data marks the sign-off superseded)."""

    __tablename__ = "signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(64))
    full_name: Mapped[str] = mapped_column(String(200))
    meaning: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)  # the canonical JSON signed
    content_sha256: Mapped[str] = mapped_column(String(64))
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    data_fingerprint: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_signatures_entity_key", "entity", "entity_key"),)
