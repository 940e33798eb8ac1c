"""`stockwarden import items|stock|readings`: bulk import from CSV under a progress bar;
refused rows are listed with the reason (the work is in inventory/bulk_import.py and,
for a data logger's readings, ingest/history.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hub.cli.common import ConfigOption, fail, stock_hub

if TYPE_CHECKING:
    from inventory.bulk_import import ImportReport

import_app = typer.Typer(help="Bulk import from CSV.", no_args_is_help=True)

ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Write the refused rows to this CSV file.")
]
ReasonOption = Annotated[
    str | None, typer.Option("--reason", help="Why: kept in the audit trail (required "
                                              "unless the site's audit_reason_required "
                                              "leaves out import).")
]


def _run_import(path: Path, what: str,
                run: Callable[[Callable[[], None]], ImportReport],
                report_file: Path | None) -> None:
    """`run(tick)` imports the file, calling `tick` per row; a summary is printed and the
    refused rows listed (and written to `report_file`), exiting 1 when any was refused."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
    from rich.table import Table

    from inventory.bulk_import import count_rows
    from kernel.errors import DomainError

    console = Console(stderr=True)
    if not path.is_file():
        raise fail(f"{path}: no such file")
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task(f"importing {what}", total=count_rows(path))
        try:
            report = run(lambda: bar.advance(task))
        except DomainError as exc:
            raise fail(exc.message) from None
    console.print(f"{report.rows} rows: {report.imported} imported, "
                  f"{report.already_imported} imported before, {len(report.refused)} refused")
    if report.refused:
        table = Table("line", "why it was refused", title="refused rows")
        for refusal in report.refused:
            table.add_row(str(refusal.line), refusal.reason)
        console.print(table)
        if report_file is not None:
            from kernel import csv_cells

            with report_file.open("w", newline="") as handle:
                writer = csv_cells.writer(handle)
                writer.writerow(["line", "reason"])
                writer.writerows((r.line, r.reason) for r in report.refused)
        raise typer.Exit(1)


@import_app.command("items")
def import_items(
    file: Annotated[Path, typer.Argument(help="CSV with columns sku,name[,gtin,unit,"
                                              "storage_class,min_stock,policy,hazardous,"
                                              "abc_class,quarantine_on_receipt].")],
    report: ReportOption = None,
    reason: ReasonOption = None,
    config: ConfigOption = None,
) -> None:
    """Import items; rows that cannot be imported are listed with the reason."""
    from inventory import bulk_import

    hub = stock_hub(config)
    try:
        _run_import(file, "items",
                    lambda tick: bulk_import.import_items(hub.writes, file, tick,
                                                          reason=reason), report)
    finally:
        hub.stop()


@import_app.command("stock")
def import_stock(
    file: Annotated[Path, typer.Argument(help="CSV with columns item,lot_number,location,"
                                              "quantity[,expiry,production_date,reference].")],
    as_user: Annotated[str, typer.Option("--as-user", help="Who books the opening stock.")],
    report: ReportOption = None,
    reason: ReasonOption = None,
    config: ConfigOption = None,
) -> None:
    """Import opening stock as receipts; running the same file again books nothing twice."""
    from hub.accounts.service import actor_for_username
    from inventory import bulk_import
    from kernel.errors import DomainError

    hub = stock_hub(config)
    try:
        try:
            with hub.sessions() as session:
                actor = actor_for_username(session, as_user)
        except DomainError as exc:
            raise fail(exc.message) from None
        _run_import(file, "stock",
                    lambda tick: bulk_import.import_stock(hub.writes, file, actor, tick,
                                                          reason=reason), report)
    finally:
        hub.stop()


@import_app.command("readings")
def import_readings(
    file: Annotated[Path, typer.Argument(help="CSV with columns sensor,timestamp and one per "
                                              "quantity (temperature_c, humidity_pct ...); "
                                              "docs/reports.md, \"Historical import\".")],
    timezone: Annotated[str | None, typer.Option(
        "--timezone", help="IANA time zone of timestamps written without an offset, e.g. "
                           "Asia/Shanghai (required for such timestamps: never guessed).")
    ] = None,
    report: ReportOption = None,
    reason: ReasonOption = None,
    config: ConfigOption = None,
) -> None:
    """Import a data logger's history into the records (readings, hourly statistics,
    MKT, completeness, the time-series store); running the same file again stores
    nothing twice. Raises no live alarm; the reports mark the readings as imported."""
    from datetime import timedelta

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TimeRemainingColumn
    from rich.table import Table

    from ingest import history
    from ingest.queries import reading_import_refusals
    from ingest.store import IngestStore
    from kernel import audit
    from kernel.errors import DomainError

    console = Console(stderr=True)
    if not file.is_file():
        raise fail(f"{file}: no such file")
    hub = stock_hub(config)
    try:
        settings = hub.settings
        options = history.ImportOptions(
            retention=timedelta(days=settings.retention_days),
            max_future=timedelta(seconds=settings.ingest_max_future_s),
            tsdb=settings.tsdb_url is not None)
        size = file.stat().st_size
        with Progress("[progress.description]{task.description}", BarColumn(),
                      "{task.fields[rows]} rows", TimeRemainingColumn(), console=console) as bar:
            task = bar.add_task(f"importing {file.name}", total=size, rows=0)
            with file.open("rb") as handle:
                try:
                    done = history.import_readings(
                        IngestStore(hub.writes), handle, file.name, audit.cli_actor(),
                        options, time_zone=timezone, reason=reason,
                        progress=lambda rows: bar.update(task, completed=_position(handle),
                                                         rows=rows))
                except DomainError as exc:
                    raise fail(exc.message) from None
                bar.update(task, completed=size)
        console.print(f"import {done.id}: {done.rows} rows; {done.stored} values stored, "
                      f"{done.already_stored} stored before, {done.refused} rows refused")
        if done.refused:
            with hub.sessions() as session:
                refused = reading_import_refusals(session, done.id)
            table = Table("line", "why it was refused", title="refused rows")
            for refusal in refused[:50]:
                table.add_row(str(refusal.line), refusal.reason)
            console.print(table)
            if len(refused) > 50:
                console.print(f"... and {len(refused) - 50} more (--report FILE lists all)")
            if report is not None:
                from kernel import csv_cells

                with report.open("w", newline="") as out:
                    writer = csv_cells.writer(out)
                    writer.writerow(["line", "reason"])
                    writer.writerows((r.line, r.reason) for r in refused)
            raise typer.Exit(1)
    finally:
        hub.stop()


def _position(handle: object) -> int:
    """How far into the file the reader is (its buffer read ahead: close enough)."""
    try:
        return int(handle.tell())  # type: ignore[attr-defined]
    except (OSError, ValueError):
        return 0
