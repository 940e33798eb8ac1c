"""A zone report's sign-off: a quality manager signs a zone's report for a period that
has ended (kernel/signatures.py, meaning `reviewed` or `approved`). The signature keeps
the SHA-256 of the PDF as it was signed (rendered at the signing) and a fingerprint of
the report's data: every number, excursion, gap, limit and calibration record the
report shows, without when and by whom it was generated.

Superseded is computed when the sign-off is read (the report is computed anyway to be
shown): the fingerprint of the report as it is now differs from the signed one, so
data of the period changed after the signing (readings imported or ingested late, a
calibration record, a limit change). Nothing has to remember to mark it."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from hub.reports.zone import ZoneReport
from kernel import audit, signatures
from kernel.actors import Actor
from kernel.audit_chain import canonical
from kernel.clock import utcnow
from kernel.errors import Invalid
from kernel.fields import IsoDateTime
from kernel.i18n_text import N_
from kernel.signatures import SignatureIn, SignaturePublic, Signer
from kernel.uow import Idempotency, jsonable, unit_of_work

ENTITY = "zone_report"
# What a report shows that is not its period's data: when, by whom, the gateways'
# current view of their sensors, the sign-offs themselves, the audit trail's rows.
_NOT_DATA = ("generated_at", "generated_by", "notes", "sign_offs", "changes")


class SignOffRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: IsoDateTime = Field(description="the period's start, UTC")
    end: IsoDateTime = Field(description="the period's end, UTC; the period must have ended")
    signature: SignatureIn | None = Field(
        None, description="the signer's password again and the meaning (`reviewed` or "
        "`approved`)")


class SignOffPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    zone: str
    start: datetime
    end: datetime
    pdf_sha256: str | None = Field(description="SHA-256 of the PDF as it was signed")
    superseded: bool = Field(description="the period's data changed after the signing")
    signature: SignaturePublic
    text: str = Field(description="the line the report prints")


def key(zone: str, start: datetime, end: datetime) -> str:
    return f"{zone}:{start.isoformat()}/{end.isoformat()}"


def fingerprint(report: ZoneReport) -> str:
    """SHA-256 of the report's data (canonical JSON), as the sign-off compares it."""
    data = jsonable(report)
    for name in _NOT_DATA:
        data.pop(name, None)
    for sensor in data.get("sensors", []):  # the gateway's current report, not the period's
        sensor.pop("profile", None)
        sensor.pop("calibration", None)
    return hashlib.sha256(canonical(data).encode()).hexdigest()


def check_period_ended(end: datetime, now: datetime) -> None:
    if end > now:
        raise Invalid("only a period that has ended can be signed off: its data may still "
                      "change", code="period_not_ended")


@unit_of_work(creates=True)
def sign_off(session: Session, report: ZoneReport, pdf_sha256: str, signer: Signer | None,
             actor: Actor, idem: Idempotency | None = None) -> SignOffPublic:
    """Record the signature of `report` (the PDF of `pdf_sha256`) and its audit row."""
    if signer is None:  # a sign-off is a signature, whatever `signature_required` says
        raise signatures.SignatureRequired(
            "a sign-off is an electronic signature: send \"signature\": {\"password\": ..., "
            "\"meaning\": \"reviewed\" or \"approved\"}")
    print_ = fingerprint(report)
    where = key(report.zone, report.start, report.end)
    row = signatures.sign(session, signer, ENTITY, where, {
        "zone": report.zone, "start": report.start.isoformat(),
        "end": report.end.isoformat(), "pdf_sha256": pdf_sha256, "data_sha256": print_},
        document_sha256=pdf_sha256, data_fingerprint=print_, clock=utcnow)
    audit.record(session, actor, "sign_off", ENTITY, where, None,
                 {"pdf_sha256": pdf_sha256, "data_sha256": print_},
                 signature=signatures.ref(row))
    return _public(report, signatures.public(row), superseded=False)


def _public(report: ZoneReport, signed: SignaturePublic, *, superseded: bool) -> SignOffPublic:
    text = signed.text + (" — SUPERSEDED: the period's data changed after signing"
                          if superseded else "")
    return SignOffPublic(zone=report.zone, start=report.start, end=report.end,
                         pdf_sha256=signed.document_sha256, superseded=superseded,
                         signature=signed, text=text)


def sign_offs(session: Session, report: ZoneReport) -> list[SignOffPublic]:
    """The report's sign-offs for exactly its period, each superseded or not."""
    now = fingerprint(report)
    return [_public(report, signatures.public(row), superseded=row.data_fingerprint != now)
            for row in signatures.rows_of(session, ENTITY,
                                          key(report.zone, report.start, report.end))]


def with_sign_offs(session: Session, report: ZoneReport) -> ZoneReport:
    return dataclasses.replace(report, sign_offs=sign_offs(session, report))


SIGN_OFF_HEAD = [N_("sign-off"), N_("at"), N_("user"), N_("full_name"), N_("meaning"),
                 N_("pdf_sha256"), N_("superseded")]


def sign_off_rows(report: ZoneReport) -> list[list[Any]]:
    return [[s.text, s.signature.at.isoformat(), s.signature.username,
             s.signature.full_name, s.signature.meaning, s.pdf_sha256 or "",
             "yes" if s.superseded else "no"] for s in report.sign_offs]
