"""`stockwarden report ...` and `stockwarden purge`: reports to files, and the one
explicit way to delete records older than the retention (docs/reports.md).
Imports its parts lazily, like every command module of hub/cli/."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from hub.cli.common import ConfigOption, built_hub, fail, hub_settings

report_app = typer.Typer(help="Compliance and stock reports as PDF, CSV or JSON files.",
                         no_args_is_help=True)

FromOption = Annotated[datetime | None, typer.Option(
    "--from", help="Start, UTC (e.g. 2026-10-01); default: 30 days before --to.")]
ToOption = Annotated[datetime | None, typer.Option(
    "--to", help="End (exclusive), UTC; default: now.")]
OutputOption = Annotated[Path | None, typer.Option(
    "--output", "-o", help="Write to this file; default: standard output (not for PDF).")]


def _period(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    def utc(value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    end = utc(end) if end else datetime.now(UTC)
    start = utc(start) if start else end - timedelta(days=30)
    if end <= start:
        raise fail("--to must be after --from")
    return start, end


def _run(config: Path | None, steps: list[tuple[str, Callable[[Any, Any], Any]]],
         output: Path | None) -> None:
    """Run `steps` (description, step(hub, previous result)) under a progress bar; the
    last step's text or bytes go to `output` or standard output."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from kernel.errors import DomainError

    hub = built_hub(hub_settings(config))
    result: Any = None
    try:
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(),
                      console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(steps[0][0], total=len(steps))
            for description, step in steps:
                bar.update(task, description=description)
                result = step(hub, result)
                bar.advance(task)
    except DomainError as exc:
        raise fail(exc.message) from None
    finally:
        hub.stop()
    if isinstance(result, bytes):
        if output is None:
            raise fail("a PDF needs --output FILE")
        output.write_bytes(result)
    elif output is None:
        typer.echo(result, nl=False)
    else:
        output.write_text(result, encoding="utf-8")
    if output is not None:
        typer.echo(f"wrote {output}", err=True)


def _json(value: object) -> str:
    import json

    from kernel.uow import jsonable

    return json.dumps(jsonable(value), indent=2) + "\n"


@report_app.command("zone")
def report_zone(
    code: Annotated[str, typer.Argument(help="Zone code.")],
    start: FromOption = None, end: ToOption = None,
    format: Annotated[str, typer.Option(help="pdf, csv or json.")] = "pdf",
    output: OutputOption = None, config: ConfigOption = None,
    by: Annotated[str, typer.Option(help="Name printed as generated-by.")] = "stockwarden cli",
) -> None:
    """A zone's compliance report: min/max/mean, time out of range, excursions, MKT, gaps.

    Example (October, for an inspector):
    stockwarden report zone COLD-1 --from 2026-10-01 --to 2026-11-01 --output cold-1.pdf
    """
    if format not in ("pdf", "csv", "json"):
        raise fail("--format must be pdf, csv or json")
    period = _period(start, end)

    def build(hub: Any, _: Any) -> Any:
        from hub.reports.zone import zone_report

        with hub.sessions() as session:
            return zone_report(
                session, code, *period, now=datetime.now(UTC), generated_by=by,
                time_zone=hub.settings.site_timezone,
                record_interval_s=hub.settings.report_record_interval_s,
                out_of_range_interval_s=hub.settings.report_out_of_range_interval_s)

    def render(hub: Any, report: Any) -> Any:
        from hub.reports import tables

        if format == "pdf":
            from hub.reports.pdf import zone_pdf

            return zone_pdf(report, hub.settings.language)  # the site's language
        if format == "csv":
            return tables.zone_csv(report, hub.settings.language)
        from hub.routes.reports import zone_json

        return _json(zone_json(report))

    _run(config, [("computing the report", build), (f"rendering {format}", render)], output)


def _table_report(config: Path | None, output: Path | None, format: str,
                  query: Callable[[Any], Any], csv: Callable[[Any], str]) -> None:
    if format not in ("csv", "json"):
        raise fail("--format must be csv or json")

    def build(hub: Any, _: Any) -> Any:
        with hub.sessions() as session:
            return query(session)

    def render(_hub: Any, value: Any) -> str:
        return csv(value) if format == "csv" else _json(value)

    _run(config, [("reading the ledger", build), (f"rendering {format}", render)], output)


TableFormat = Annotated[str, typer.Option(help="csv or json.")]


@report_app.command("expiry")
def report_expiry(
    within_days: Annotated[int, typer.Option(help="Lots expiring within this many days.")] = 90,
    format: TableFormat = "csv", output: OutputOption = None,
    config: ConfigOption = None,
) -> None:
    """Lots with stock expiring soon, and expired lots still in stock."""
    from hub.reports import tables
    from inventory.reports import expiry_report

    _table_report(config, output, format,
                  lambda s: expiry_report(s, datetime.now(UTC).date(), within_days),
                  tables.expiry_csv)


@report_app.command("ledger")
def report_ledger(
    start: FromOption = None, end: ToOption = None,
    item: Annotated[str | None, typer.Option(help="Only this SKU.")] = None,
    format: TableFormat = "csv", output: OutputOption = None,
    config: ConfigOption = None,
) -> None:
    """The stock ledger of a period: every move, opening and closing stock per item."""
    from hub.reports import tables
    from inventory.reports import period_ledger

    period = _period(start, end)
    _table_report(config, output, format, lambda s: period_ledger(s, *period, item=item),
                  tables.ledger_csv)


@report_app.command("turnover")
def report_turnover(
    start: FromOption = None, end: ToOption = None,
    basis: Annotated[str, typer.Option(help="ABC by value (needs unit costs) or volume.")
                     ] = "value",
    format: TableFormat = "csv", output: OutputOption = None,
    config: ConfigOption = None,
) -> None:
    """Turnover and days of cover per item, with its ABC class."""
    from hub.reports import tables
    from inventory.reports import turnover_report

    period = _period(start, end)
    _table_report(config, output, format, lambda s: turnover_report(s, *period, basis=basis),
                  tables.turnover_csv)


@report_app.command("trace")
def report_trace(
    lot_id: Annotated[int, typer.Argument(help="Lot id (see GET /api/v1/lots).")],
    format: TableFormat = "csv", output: OutputOption = None,
    config: ConfigOption = None,
) -> None:
    """A lot from receipt to dispatch: moves, holds, zones and their excursions."""
    from hub.reports import tables
    from hub.reports.trace import lot_trace

    def build(hub: Any, _: Any) -> Any:
        with hub.sessions() as session:
            return lot_trace(session, lot_id, now=datetime.now(UTC),
                             hold_s=hub.settings.report_record_interval_s)

    def render(_hub: Any, value: Any) -> str:
        return tables.trace_csv(value) if format == "csv" else _json(value)

    if format not in ("csv", "json"):
        raise fail("--format must be csv or json")
    _run(config, [("tracing the lot", build), (f"rendering {format}", render)], output)


def purge(
    before: Annotated[datetime, typer.Option(
        "--before", help="Delete records older than this date (UTC).")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask; delete.")] = False,
    reason: Annotated[str | None, typer.Option(
        "--reason", help="Why: kept in the audit trail (asked when needed).")] = None,
    config: ConfigOption = None,
) -> None:
    """Delete hourly statistics, readings, dead letters and seen messages older than --before.

    Nothing is ever purged on its own; this command is the one way. It refuses a date
    inside the retention (STOCKWARDEN_RETENTION_DAYS, at least 5 years), shows what
    it would delete and asks before deleting (unless --yes).
    """
    from ingest.repository import count_before, purge_before
    from kernel import audit
    from kernel.audit_chain import PURGE

    settings = hub_settings(config)
    cutoff = before.replace(tzinfo=UTC) if before.tzinfo is None else before.astimezone(UTC)
    keep_from = datetime.now(UTC) - timedelta(days=settings.retention_days)
    if cutoff > keep_from:
        raise fail(f"--before {cutoff:%Y-%m-%d} is inside the retention of "
                    f"{settings.retention_days} days: records from {keep_from:%Y-%m-%d} on "
                    f"are kept")
    hub = built_hub(settings)
    try:
        with hub.sessions() as session:
            counts = count_before(session, cutoff)
        listing = ", ".join(f"{n} {what}" for what, n in counts.items())
        if not any(counts.values()):
            typer.echo(f"nothing older than {cutoff:%Y-%m-%d}")
            return
        typer.echo(f"older than {cutoff:%Y-%m-%d}: {listing}")
        if not yes and not typer.confirm("delete them for good?"):
            raise typer.Exit(1)
        if PURGE in audit.reason_required() and not (reason or "").strip():
            if yes:
                raise fail("a purge needs a reason for the audit trail: add --reason")
            reason = typer.prompt("reason (kept in the audit trail)")
        with hub.writes() as session:
            deleted = purge_before(session, cutoff, audit.cli_actor(), reason).get()
        typer.echo("deleted " + ", ".join(f"{n} {what}" for what, n in deleted.items()))
    finally:
        hub.stop()


__all__ = ["purge", "report_app"]


@report_app.command("alarm-tests")
def report_alarm_tests(
    start: FromOption = None, end: ToOption = None,
    format: Annotated[str, typer.Option(help="json, csv or pdf.")] = "csv",
    output: OutputOption = None, config: ConfigOption = None,
    by: Annotated[str, typer.Option(help="Name printed as generated-by.")] = "stockwarden cli",
) -> None:
    """The alarm path tests of a period (default: the last 365 days): per recipient
    delivered or failed, confirmed by whom and when, and the last complete test
    (docs/alerts.md).

    Example: stockwarden report alarm-tests --from 2026-01-01 --to 2027-01-01 -o tests.csv
    """
    if format not in ("pdf", "csv", "json"):
        raise fail("--format must be json, csv or pdf")
    if start is None:  # a year by default, as the API: tests are monthly
        start = (end or datetime.now(UTC)) - timedelta(days=365)
    period = _period(start, end)

    def build(hub: Any, _: Any) -> Any:
        from alerts.challenge.queries import report

        with hub.sessions() as session:
            return report(session, *period)

    def render(_hub: Any, report: Any) -> Any:
        from hub.reports import alarm_tests

        if format == "pdf":
            return alarm_tests.pdf(report, by)
        if format == "csv":
            return alarm_tests.csv(report)
        return report.model_dump_json(indent=2) + "\n"

    _run(config, [("reading the tests", build), (f"rendering {format}", render)], output)
