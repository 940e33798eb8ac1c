"""Signatures on quality decisions about lots: a release (to `released`) and a reject
(to `rejected`) are signed (kernel/signatures.py); holds and recalls are not (they
protect, they do not decide). One signature may cover several lots decided together
(a bulk release of an excursion's held lots): the signer enters their password once,
and each lot gets a signature row with the same signed content (the whole list), so
each lot's page shows it and every row proves the same decision.

A route proves the signer once (hub/accounts/signing.py `signer_for`, with the action
`qc_action` names) and hands the `Signer` to the use case, which calls `sign_lots` in
its transaction before `audit.record`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from inventory.domain import QcStatus
from inventory.orm import Lot
from kernel import signatures
from kernel.orm import SignatureRecord
from kernel.signatures import Signer

ENTITY = "lot"


def qc_action(status: QcStatus) -> str | None:
    """The signed action a change to `status` is, or None when it is not signed."""
    if status is QcStatus.RELEASED:
        return signatures.LOT_RELEASE
    if status is QcStatus.REJECTED:
        return signatures.LOT_REJECT
    return None


def lot_key(lot: Lot) -> str:
    return f"{lot.item.sku}/{lot.lot_number}"


def sign_lots(session: Session, lots: Sequence[Lot], status: QcStatus, reason: str,
              signer: Signer | None, now: datetime) -> dict[int, SignatureRecord]:
    """Check that the change is signed where the site requires it (422
    `signature_required`) and record one signature row per lot, all over the same
    content: the lots with their status before and after, and the reason. Call it
    before the lots' status is changed. Returns the rows by lot id (empty: unsigned)."""
    action = qc_action(status)
    if action is None:
        return {}
    signatures.need(action, signer)
    if signer is None:
        return {}
    content = {"to_status": status.value, "reason": reason,
               "lots": [{"lot": lot_key(lot), "from_status": lot.qc_status}
                        for lot in lots]}
    clock: Callable[[], datetime] = lambda: now  # noqa: E731 - one time for the rows
    return {lot.id: signatures.sign(session, signer, ENTITY, lot_key(lot), content,
                                    clock=clock) for lot in lots}
