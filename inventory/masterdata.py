"""Master data: items, zones, locations, storage classes and consignees. One service function
per change, each one unit of work (`@unit_of_work`), answering with the entity's
Public model (inventory/schemas.py, where the input models are too). Used by the
API and by the CSV import.

Each change leaves its audit row (kernel/audit.py) in its transaction: who, the
entity's fields before and after (its Public model), and why; a change of a storage
class's limits or a zone's storage class needs a reason when the site says so."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from inventory import repository as repo
from inventory.consignees import check_gln
from inventory.domain import AllocationPolicy
from inventory.orm import Consignee, Item, Location
from inventory.schemas import (
    ConsigneeCreate,
    ConsigneePublic,
    ConsigneeUpdate,
    ItemCreate,
    ItemPublic,
    ItemUpdate,
    LocationCreate,
    LocationPublic,
    LocationUpdate,
    StorageClassCreate,
    StorageClassPublic,
    StorageClassUpdate,
    ZoneCreate,
    ZonePublic,
    ZoneUpdate,
)
from kernel import audit, signatures
from kernel.actors import Actor
from kernel.audit_chain import LIMIT_FIELDS, LIMITS
from kernel.errors import Conflict, Invalid
from kernel.orm import Base, StorageClass, Zone
from kernel.signatures import Signer
from kernel.uow import Idempotency, unit_of_work

M = TypeVar("M", bound=Base)
# Which fields of which entity make a change a `limits` change (a reason required).
_LIMITS = {LIMITS: LIMIT_FIELDS}


def _audit(session: Session, actor: Actor | None, entity: str, key: str,
           before: BaseModel | None, after: BaseModel, reason: str | None,
           signer: Signer | None = None) -> None:
    """The change's audit row: a creation (no before) or an update, as the Public
    models show the entity; for a zone or storage class, `limits` when a limit field
    changed (an item's storage class says where it may go, not a limit). A change of
    limits is signed by `signer` where the site requires it (kernel/signatures.py)."""
    old = before.model_dump(mode="json") if before is not None else None
    new = after.model_dump(mode="json")
    limited = entity in ("zone", "storage_class") and old is not None
    kinds = audit.kinds_changed(old, new, _LIMITS) if limited else []
    signed = None
    if LIMITS in kinds:
        signatures.need(signatures.LIMITS, signer)
        if signer is not None:
            signed = signatures.sign(session, signer, entity, key,
                                     {"before": old, "after": new, "reason": reason})
    audit.record(session, actor, "create" if old is None else "update", entity, key, old,
                 new, reason, kinds=kinds, signature=signatures.ref(signed))


# --- lookups


def refuse_duplicate(session: Session, model: type[M], what: str, **unique: Any) -> None:
    for column, value in unique.items():
        if value is not None and repo.exists(session, model, column, value):
            raise Conflict("%(what)s with %(column)s %(value)s exists already",
                           code=f"{what.replace(' ', '_')}_exists", what=what, column=column,
                           value=value)


def _storage_class(session: Session, code: str | None) -> StorageClass | None:
    return repo.by_code(session, StorageClass, code, "storage class") if code else None


# --- items


def apply_item_fields(session: Session, item: Item, values: dict[str, Any]) -> None:
    if "storage_class" in values:
        item.storage_class = _storage_class(session, values.pop("storage_class"))
    for name, value in values.items():
        setattr(item, name, value.value if isinstance(value, AllocationPolicy) else value)


def add_item(session: Session, body: ItemCreate) -> Item:
    """A new item in the caller's unit of work (the CSV import adds many in one)."""
    for column, value in (("sku", body.sku), ("gtin", body.gtin)):
        if value and repo.exists(session, Item, column, value):
            raise Conflict("item with %(column)s %(value)s exists already", code="item_exists",
                column=column, value=value)
    item = Item(sku=body.sku, name=body.name)
    apply_item_fields(session, item, body.model_dump(exclude={"sku"}))
    session.add(item)
    session.flush()
    return item


@unit_of_work(creates=True)
def create_item(session: Session, body: ItemCreate, idem: Idempotency | None = None, *,
                actor: Actor | None = None, reason: str | None = None) -> ItemPublic:
    created = ItemPublic.model_validate(add_item(session, body))
    _audit(session, actor, "item", created.sku, None, created, reason)
    return created


@unit_of_work()
def update_item(session: Session, reference: str, body: ItemUpdate,
                idem: Idempotency | None = None, *, actor: Actor | None = None,
                reason: str | None = None) -> ItemPublic:
    item = repo.item_by_reference(session, reference)
    before = ItemPublic.model_validate(item)
    values = body.model_dump(exclude_unset=True)
    if values.get("gtin") and values["gtin"] != item.gtin:
        refuse_duplicate(session, Item, "item", gtin=values["gtin"])
    apply_item_fields(session, item, values)
    session.flush()
    after = ItemPublic.model_validate(item)
    _audit(session, actor, "item", item.sku, before, after, reason)
    return after


# --- zones


def _apply_zone(session: Session, zone: Zone, values: dict[str, Any]) -> None:
    if "storage_class" in values:
        zone.storage_class = _storage_class(session, values.pop("storage_class"))
    for name, value in values.items():
        setattr(zone, name, value)


@unit_of_work(creates=True)
def create_zone(session: Session, body: ZoneCreate, idem: Idempotency | None = None, *,
                actor: Actor | None = None, reason: str | None = None) -> ZonePublic:
    refuse_duplicate(session, Zone, "zone", code=body.code)
    zone = Zone(code=body.code, name=body.name, hazardous=body.hazardous,
                excursion_tolerance_s=body.excursion_tolerance_s)
    _apply_zone(session, zone, {"storage_class": body.storage_class})
    session.add(zone)
    session.flush()
    created = ZonePublic.model_validate(zone)
    _audit(session, actor, "zone", zone.code, None, created, reason)
    return created


@unit_of_work()
def update_zone(session: Session, code: str, body: ZoneUpdate,
                idem: Idempotency | None = None, *, actor: Actor | None = None,
                reason: str | None = None, signer: Signer | None = None) -> ZonePublic:
    zone = repo.by_code(session, Zone, code, "zone")
    before = ZonePublic.model_validate(zone)
    _apply_zone(session, zone, body.model_dump(exclude_unset=True))
    session.flush()
    after = ZonePublic.model_validate(zone)
    _audit(session, actor, "zone", zone.code, before, after, reason, signer)
    return after


# --- locations


@unit_of_work(creates=True)
def create_location(session: Session, body: LocationCreate,
                    idem: Idempotency | None = None, *, actor: Actor | None = None,
                    reason: str | None = None) -> LocationPublic:
    refuse_duplicate(session, Location, "location", code=body.code)
    location = Location(code=body.code, name=body.name,
                        zone=repo.by_code(session, Zone, body.zone, "zone"),
                        active=True if body.active is None else body.active)
    session.add(location)
    session.flush()
    created = LocationPublic.model_validate(location)
    _audit(session, actor, "location", location.code, None, created, reason)
    return created


@unit_of_work()
def update_location(session: Session, code: str, body: LocationUpdate,
                    idem: Idempotency | None = None, *, actor: Actor | None = None,
                    reason: str | None = None) -> LocationPublic:
    location = repo.by_code(session, Location, code, "location")
    before = LocationPublic.model_validate(location)
    values = body.model_dump(exclude_unset=True)
    if "zone" in values:
        location.zone = repo.by_code(session, Zone, values.pop("zone"), "zone")
    for name, value in values.items():
        setattr(location, name, value)
    session.flush()
    after = LocationPublic.model_validate(location)
    _audit(session, actor, "location", location.code, before, after, reason)
    return after


# --- storage classes


@unit_of_work(creates=True)
def create_storage_class(session: Session, body: StorageClassCreate,
                         idem: Idempotency | None = None, *, actor: Actor | None = None,
                         reason: str | None = None) -> StorageClassPublic:
    refuse_duplicate(session, StorageClass, "storage class", code=body.code)
    row = StorageClass(**body.model_dump())
    session.add(row)
    session.flush()
    created = StorageClassPublic.model_validate(row)
    _audit(session, actor, "storage_class", row.code, None, created, reason)
    return created


@unit_of_work()
def update_storage_class(session: Session, code: str, body: StorageClassUpdate,
                         idem: Idempotency | None = None, *, actor: Actor | None = None,
                         reason: str | None = None, signer: Signer | None = None
                         ) -> StorageClassPublic:
    row = repo.by_code(session, StorageClass, code, "storage class")
    before = StorageClassPublic.model_validate(row)
    changes = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        setattr(row, name, value)
    _check_bands(row)
    session.flush()
    after = StorageClassPublic.model_validate(row)
    _audit(session, actor, "storage_class", row.code, before, after, reason, signer)
    return after


def _check_bands(row: StorageClass) -> None:
    """The stored band after a partial change must still be ordered."""
    for low, high in (("temp_min_c", "temp_max_c"), ("humidity_min_pct", "humidity_max_pct")):
        lo, hi = getattr(row, low), getattr(row, high)
        if lo is not None and hi is not None and lo > hi:
            raise Invalid("%(low)s must not be above %(high)s", code="band_not_ordered",
                low=low, high=high)



# --- consignees (who receives dispatches: the recall's answer)


def _check_gln(session: Session, row: Consignee | None, gln: str | None) -> None:
    if gln is None or (row is not None and row.gln == gln):
        return
    check_gln(gln)
    refuse_duplicate(session, Consignee, "consignee", gln=gln)


@unit_of_work(creates=True)
def create_consignee(session: Session, body: ConsigneeCreate,
                     idem: Idempotency | None = None, *, actor: Actor | None = None,
                     reason: str | None = None) -> ConsigneePublic:
    refuse_duplicate(session, Consignee, "consignee", code=body.code)
    _check_gln(session, None, body.gln)
    values = body.model_dump()
    values["active"] = True if body.active is None else body.active
    row = Consignee(**values)
    session.add(row)
    session.flush()
    created = ConsigneePublic.model_validate(row)
    _audit(session, actor, "consignee", row.code, None, created, reason)
    return created


@unit_of_work()
def update_consignee(session: Session, code: str, body: ConsigneeUpdate,
                     idem: Idempotency | None = None, *, actor: Actor | None = None,
                     reason: str | None = None) -> ConsigneePublic:
    """A change, or a deactivation (`active` false): its past dispatches stay on record."""
    row = repo.by_code(session, Consignee, code, "consignee")
    before = ConsigneePublic.model_validate(row)
    values = body.model_dump(exclude_unset=True)
    _check_gln(session, row, values.get("gln"))
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    after = ConsigneePublic.model_validate(row)
    _audit(session, actor, "consignee", row.code, before, after, reason)
    return after
