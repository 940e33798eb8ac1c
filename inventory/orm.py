"""The inventory's SQL tables: items, locations, lots, quality events, balances,
the ledger, stocktakes and held returns. They sit on the kernel's `Base`, next to
zones, storage classes and users (kernel/orm.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.orm import Base, StorageClass, Zone


class Item(Base):
    """A product kept in stock, by SKU and (usually) GTIN."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(16), default="each")
    storage_class_id: Mapped[int | None] = mapped_column(ForeignKey("storage_classes.id"))
    min_stock: Mapped[int] = mapped_column(Integer, default=0)
    max_stock: Mapped[int | None] = mapped_column(Integer)  # above it: overstock
    policy: Mapped[str] = mapped_column(String(8), default="fefo")
    hazardous: Mapped[bool] = mapped_column(Boolean, default=False)
    abc_class: Mapped[str | None] = mapped_column(String(1))
    quarantine_on_receipt: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())

    storage_class: Mapped[StorageClass | None] = relationship(lazy="joined")


class Location(Base):
    """A bin or shelf place inside a zone."""

    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    zone: Mapped[Zone] = relationship(lazy="joined")


class Consignee(Base):
    """Who receives a dispatch: a customer or one of our receiving sites (master data).
    Kept when deactivated: the ledger's dispatches name it for a recall."""

    __tablename__ = "consignees"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="customer")  # customer or site
    address: Mapped[str | None] = mapped_column(String(500))
    contact: Mapped[str | None] = mapped_column(String(200))
    gln: Mapped[str | None] = mapped_column(String(13), unique=True)  # GS1 Global Location Number
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Lot(Base):
    """A batch of one item, with its expiry and quality status."""

    __tablename__ = "lots"
    __table_args__ = (
        UniqueConstraint("item_id", "lot_number"),
        # FEFO pick order (inventory.repository._item_stock_query): a dispatch reads
        # the first usable lots of its item in this order and stops, at any lot count.
        Index("ix_lots_item_pick", "item_id", "expiry", "received_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_number: Mapped[str] = mapped_column(String(64))
    expiry: Mapped[date | None] = mapped_column(Date)
    production_date: Mapped[date | None] = mapped_column(Date)
    received_at: Mapped[datetime]
    qc_status: Mapped[str] = mapped_column(String(16))
    qc_reason: Mapped[str | None] = mapped_column(String(500))
    qc_changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    qc_changed_at: Mapped[datetime | None]

    item: Mapped[Item] = relationship(lazy="joined")


class QcEvent(Base):
    """Every change of a lot's quality status: who, when, why (the audit trail)."""

    __tablename__ = "qc_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]


class Balance(Base):
    """Quantity of one lot in one location; follows from the ledger, never negative.
    `held` of it are returned units awaiting inspection: on the shelf and in the
    ledger, but never allocated nor moved until released (inventory/returns.py)."""

    __tablename__ = "balances"
    __table_args__ = (
        UniqueConstraint("lot_id", "location_id"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("held >= 0 AND held <= quantity", name="held_within_quantity"),
        Index("ix_balances_item_id_quantity", "item_id", "quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Move(Base):
    """One line of the append-only stock ledger: `quantity` of a lot leaves
    `from_location` and/or enters `to_location`. Never updated, never deleted."""

    __tablename__ = "moves"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "from_location_id IS NOT NULL OR to_location_id IS NOT NULL", name="has_location"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(index=True)
    reference: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(String(500))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    # A dispatch's receiver (who got the lot: the recall question); null otherwise.
    consignee_id: Mapped[int | None] = mapped_column(ForeignKey("consignees.id"), index=True)


class Stocktake(Base):
    """A count of a zone or a list of bins; the rules are inventory/stocktakes/domain.py."""

    __tablename__ = "stocktakes"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"))
    blind: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(String(500))
    opened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime]
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(500))


class StocktakeBin(Base):
    """A bin counted by a stocktake."""

    __tablename__ = "stocktake_bins"
    __table_args__ = (UniqueConstraint("stocktake_id", "location_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)


class StocktakeLine(Base):
    """One (lot, bin) to count: its latest count and the book quantity read in the
    same transaction as that count (the history is in StocktakeCount)."""

    __tablename__ = "stocktake_lines"
    __table_args__ = (UniqueConstraint("stocktake_id", "lot_id", "location_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    status: Mapped[str] = mapped_column(String(16))
    book_at_open: Mapped[int] = mapped_column(Integer)
    counted: Mapped[int | None] = mapped_column(Integer)
    book_at_count: Mapped[int | None] = mapped_column(Integer)
    counted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    counted_at: Mapped[datetime | None]


class StocktakeCount(Base):
    """Every count of a line, also those a recount replaced: who, when, how many."""

    __tablename__ = "stocktake_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("stocktake_lines.id"), index=True)
    counted: Mapped[int] = mapped_column(Integer)
    book_at_count: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    recount_asked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recount_asked_at: Mapped[datetime | None]


class ReturnHold(Base):
    """Returned units of one lot in one bin, held (Balance.held) until inspected."""

    __tablename__ = "return_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending, released, rejected
    booking: Mapped[str] = mapped_column(String(36))
    reason: Mapped[str] = mapped_column(String(500))
    reference: Mapped[str | None] = mapped_column(String(128))
    returned_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    returned_at: Mapped[datetime]
    inspected_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    inspected_at: Mapped[datetime | None]
    inspection_reason: Mapped[str | None] = mapped_column(String(500))
    reject_booking: Mapped[str | None] = mapped_column(String(36))
