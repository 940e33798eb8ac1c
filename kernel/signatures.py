"""Electronic signatures (21 CFR Part 11 §11.50, §11.70, §11.200; EU GMP Annex 11 §14):
a person signs a decision by entering their password again, in the same request as the
decision, and names what the signature means. The signature row (table `signatures`)
holds their full name and user name as they were then, the time (UTC), the meaning,
the action, the record signed and the SHA-256 of the canonical JSON of what was
signed; it is written in the same transaction as the change it signs (`sign`), and
its id and hash enter that change's audit row (`ref`), so neither can exist
without the other and the hash chain of the trail covers it.

Who the signer is, is proven before the change by the hub (hub/accounts/signing.py:
the password checked as login does, wrong ones counted toward the lockout); this
module receives the proven `Signer` and only records. Which actions need a signature
is the site's choice (setting `signature_required`, set once at start by the hub)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.audit_chain import canonical
from kernel.clock import Clock, utcnow
from kernel.errors import Invalid
from kernel.orm import SignatureRecord

Meaning = Literal["reviewed", "approved", "released", "rejected"]
MEANINGS: tuple[str, ...] = ("reviewed", "approved", "released", "rejected")

# The actions that can be signed, and the meanings each allows.
LOT_RELEASE = "lot_release"
LOT_REJECT = "lot_reject"
STOCKTAKE_APPROVAL = "stocktake_approval"
ALARM_RULES = "alarm_rules"
LIMITS = "limits"
ALARM_ACK = "alarm_ack"
REPORT_SIGNOFF = "report_signoff"
ALLOWED: dict[str, tuple[str, ...]] = {
    LOT_RELEASE: ("released", "approved"),
    LOT_REJECT: ("rejected",),
    STOCKTAKE_APPROVAL: ("approved", "reviewed"),
    ALARM_RULES: ("approved",),
    LIMITS: ("approved",),
    ALARM_ACK: ("reviewed",),
    REPORT_SIGNOFF: ("reviewed", "approved"),
}
ACTIONS: tuple[str, ...] = tuple(ALLOWED)

_required: frozenset[str] = frozenset(ACTIONS)
_ack_severities: frozenset[str] = frozenset({"critical"})


def configure(required: Iterable[str], ack_severities: Iterable[str] = ("critical",)) -> None:
    """The site's choice (settings `signature_required`, `signature_ack_severities`):
    which actions need a signature, and which alarm severities need one to be
    acknowledged. Set once by the hub at start."""
    global _required, _ack_severities
    _required, _ack_severities = frozenset(required), frozenset(ack_severities)


def required(action: str) -> bool:
    return action in _required


def ack_needs_signature(severity: str) -> bool:
    """Whether acknowledging an alarm of this severity needs a signature."""
    return required(ALARM_ACK) and severity in _ack_severities


class SignatureIn(BaseModel):
    """A signature as a request carries it: the signer's password, again, and what the
    signature means."""

    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=1, max_length=200, description="the signer's password")
    meaning: Meaning = Field(description="reviewed, approved, released or rejected; each "
                             "action allows some (docs/compliance.md)")


SIGNATURE_FIELD = Field(None, description="an electronic signature: the password again and "
                        "its meaning; required where the site's `signature_required` says")


@dataclass(frozen=True, slots=True)
class Signer:
    """A person whose password was just checked, signing `action` with `meaning`."""

    user_id: int
    username: str
    full_name: str
    meaning: str
    action: str
    via: str = ""  # how they came (`web`, `token 3 api`), for the audit trail


class SignatureRequired(Invalid):
    code = "signature_required"


class MeaningNotAllowed(Invalid):
    code = "signature_meaning_not_allowed"


def check_meaning(action: str, meaning: str) -> None:
    allowed = ALLOWED[action]
    if meaning not in allowed:
        raise MeaningNotAllowed(
            "a signature for %(action)s may mean %(allowed)s, not %(meaning)s",
            action=action.replace("_", " "), allowed=" or ".join(allowed), meaning=meaning)


def need(action: str, signer: Signer | None, *, when: bool = True) -> None:
    """Refuse (422 `signature_required`) a change that needs a signature and has none;
    `when` False: this change does not (e.g. a zone edit that leaves its limits)."""
    if signer is None and when and required(action):
        raise SignatureRequired(
            "%(action)s needs an electronic signature: send \"signature\": "
            "{\"password\": ..., \"meaning\": ...} with the request",
            action=action.replace("_", " "))
    if signer is not None and signer.action != action:
        raise Invalid("a signature for %(signed)s cannot sign %(action)s",
                      code="signature_wrong_action", signed=signer.action, action=action)


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content).encode()).hexdigest()


class SignaturePublic(BaseModel):
    """A signature as the API shows it; `text` is the line pages and PDFs print."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    username: str
    full_name: str
    meaning: str
    action: str
    entity: str
    key: str
    content_sha256: str
    document_sha256: str | None = None
    text: str


_VERBS = {"released": "Released", "rejected": "Rejected", "approved": "Approved",
          "reviewed": "Reviewed"}


def line(full_name: str, username: str, at: datetime, meaning: str) -> str:
    """'Released by Li Na (lina) on 2026-12-06 14:02 UTC — released'."""
    return (f"{_VERBS.get(meaning, meaning.title())} by {full_name} ({username}) on "
            f"{at.strftime('%Y-%m-%d %H:%M')} UTC — {meaning}")


def public(row: SignatureRecord) -> SignaturePublic:
    return SignaturePublic(
        id=row.id, at=row.at, username=row.username, full_name=row.full_name,
        meaning=row.meaning, action=row.action, entity=row.entity, key=row.entity_key,
        content_sha256=row.content_sha256, document_sha256=row.document_sha256,
        text=line(row.full_name, row.username, row.at, row.meaning))


def sign(session: Session, signer: Signer, entity: str, key: object,
         content: dict[str, Any], *, clock: Clock = utcnow, document_sha256: str | None = None,
         data_fingerprint: str | None = None) -> SignatureRecord:
    """Record `signer`'s signature of `content` (what the change sets, as JSON) on
    `entity` `key`, in the caller's transaction."""
    at = clock()
    signed = {"action": signer.action, "entity": entity, "key": str(key), "meaning":
              signer.meaning, "signer": {"username": signer.username,
                                         "full_name": signer.full_name},
              "at": at.isoformat(), "content": json.loads(canonical(content))}
    if document_sha256 is not None:
        signed["document_sha256"] = document_sha256
    row = SignatureRecord(
        at=at, user_id=signer.user_id, username=signer.username, full_name=signer.full_name,
        meaning=signer.meaning, action=signer.action, entity=entity,
        entity_key=str(key)[:200], content=canonical(signed),
        content_sha256=content_hash(signed), document_sha256=document_sha256,
        data_fingerprint=data_fingerprint)
    session.add(row)
    session.flush()
    return row


def ref(row: SignatureRecord | None) -> dict[str, Any] | None:
    """What the change's audit row keeps of its signature (`audit.record(...,
    signature=ref(row))`): its id, hash, meaning and signer."""
    if row is None:
        return None
    return {"id": row.id, "sha256": row.content_sha256, "meaning": row.meaning,
            "by": row.username}


def of(session: Session, entity: str, keys: Iterable[str], action: str | None = None
       ) -> list[SignaturePublic]:
    """The signatures on these records, oldest first."""
    query = select(SignatureRecord).where(SignatureRecord.entity == entity,
                                          SignatureRecord.entity_key.in_(list(keys)))
    if action is not None:
        query = query.where(SignatureRecord.action == action)
    return [public(r) for r in session.scalars(query.order_by(SignatureRecord.id))]


def rows_of(session: Session, entity: str, key: str) -> list[SignatureRecord]:
    return list(session.scalars(select(SignatureRecord).where(
        SignatureRecord.entity == entity, SignatureRecord.entity_key == key)
        .order_by(SignatureRecord.id)))
