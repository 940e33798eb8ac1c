"""Bulk import of items and opening stock from CSV.

Each row goes through the same service as the API (one unit of work, one
transaction per row): a bad row is refused with its reason and the others go in.
Stock rows carry an idempotency key made of the file's content hash and the row
number, so running the same file again books nothing twice.

An import needs a reason when the site says so (setting `audit_reason_required`),
asked before the first row; one audit row at the end says who imported which file
(its SHA-256) with what outcome, beside the rows of each item or receipt."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from inventory import services
from inventory.commands import Receive
from inventory.masterdata import ItemCreate, create_item
from kernel import audit
from kernel.actors import Actor
from kernel.audit_chain import IMPORT
from kernel.errors import DomainError
from kernel.text import text_problem
from kernel.uow import Idempotency, unit_of_work

ITEM_COLUMNS = ["sku", "gtin", "name", "unit", "storage_class", "min_stock", "policy",
                "hazardous", "abc_class", "quarantine_on_receipt", "unit_cost"]
STOCK_COLUMNS = ["item", "lot_number", "expiry", "production_date", "location", "quantity",
                 "reference"]


@dataclass(frozen=True, slots=True)
class Refusal:
    line: int  # line in the file, the header being line 1
    reason: str


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    imported: int = 0
    already_imported: int = 0
    refused: list[Refusal] = field(default_factory=list)


def _rows(path: Path, required: set[str]) -> Iterator[tuple[int, dict[str, str]]]:
    # Bytes that are not UTF-8 become lone surrogates (surrogateescape), so the
    # row holding them is refused with its column named instead of ending the import.
    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        reader = csv.DictReader(handle)
        missing = required - set(reader.fieldnames or [])
        if missing:
            raise DomainError("%(file)s: missing columns %(columns)s", code="bad_csv",
                              file=path.name, columns=", ".join(sorted(missing)))
        for line, row in enumerate(reader, start=2):
            yield line, {k: (v or "").strip() for k, v in row.items() if k}


class UnstorableText(DomainError):
    code = "unstorable_text"


def _refuse_unstorable(row: dict[str, str]) -> None:
    """NUL characters and text that is not UTF-8: no database can store them."""
    problems = [f"{column}: {problem}" for column, value in row.items()
                if (problem := text_problem(value))]
    if problems:
        # Computed (each column's problem): stays English (docs/i18n.md, "Still English").
        said = "; ".join(problems).replace(
            "lone surrogates (U+D800-U+DFFF); send valid UTF-8", "bytes that are not UTF-8")
        raise UnstorableText(said)


def count_rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", errors="surrogateescape") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def _problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    if isinstance(exc, DomainError):
        return exc.message
    raise exc


def _without_blanks(row: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in row.items() if v != ""}


@unit_of_work()
def _record_import(session: Session, actor: Actor, what: str, path: Path, file_hash: str,
                   report: ImportReport, reason: str | None) -> None:
    audit.record(session, actor, "import", what, path.name, None, {
        "file": path.name, "sha256": file_hash, "rows": report.rows,
        "imported": report.imported, "already_imported": report.already_imported,
        "refused": len(report.refused)}, reason, kinds=[IMPORT])


def import_items(
    sessions: sessionmaker[Session], path: Path, progress: Callable[[], None] = lambda: None,
    *, actor: Actor | None = None, reason: str | None = None,
) -> ImportReport:
    audit.check_reason([IMPORT], reason)
    report = ImportReport()
    with sessions() as session:
        for line, row in _rows(path, {"sku", "name"}):
            report.rows += 1
            try:
                _refuse_unstorable(row)
                create_item(session, ItemCreate.model_validate(_without_blanks(row)))
                report.imported += 1
            except (ValidationError, DomainError) as exc:
                report.refused.append(Refusal(line, _problem(exc)))
            progress()
        _record_import(session, actor or audit.cli_actor(), "items", path,
                       hashlib.sha256(path.read_bytes()).hexdigest(), report, reason)
    return report


def import_stock(
    sessions: sessionmaker[Session], path: Path, actor: Actor,
    progress: Callable[[], None] = lambda: None, *, reason: str | None = None,
) -> ImportReport:
    """Opening stock as receipts (reference "opening stock" unless given)."""
    audit.check_reason([IMPORT], reason)
    report = ImportReport()
    file_hash = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
    with sessions() as session:
        for line, row in _rows(path, {"item", "lot_number", "location", "quantity"}):
            report.rows += 1
            try:
                _refuse_unstorable(row)
                command = Receive.model_validate(
                    {"reference": "opening stock", **_without_blanks(row)})
                key = Idempotency(actor.user_id, f"import:{file_hash}:{line}",
                                  hashlib.sha256(command.model_dump_json().encode()).hexdigest())
                done = services.receive(session, command, actor, key)
                if done.replayed:
                    report.already_imported += 1
                else:
                    report.imported += 1
            except (ValidationError, DomainError) as exc:
                report.refused.append(Refusal(line, _problem(exc)))
            progress()
        _record_import(session, actor, "stock", path,
                       hashlib.sha256(path.read_bytes()).hexdigest(), report, reason)
    return report
