"""The one `stockwarden` command. Subcommands import their parts lazily, so that
`stockwarden edge` and `stockwarden sim` run on a gateway with only `[edge]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub import __version__
from hub.cli_common import ConfigOption
from hub.cli_common import database_failure as _database_failure
from hub.cli_common import fail as _fail
from hub.cli_common import hub_settings as _hub_settings
from hub.cli_common import stock_hub as _stock_hub
from hub.cli_reports import purge, report_app
from hub.cli_users import user_app

app = typer.Typer(
    name="stockwarden",
    help="Warehouse monitoring and inventory for regulated goods.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
import_app = typer.Typer(help="Bulk import from CSV.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(report_app, name="report")
app.command()(purge)

def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        typer.echo(f"stockwarden {__version__}")
        raise typer.Exit()


@app.command()
def hub(
    config: ConfigOption = None,
    http_port: Annotated[
        int | None, typer.Option(help="HTTP port (STOCKWARDEN_HTTP_PORT).")
    ] = None,
    http_host: Annotated[str | None, typer.Option(help="HTTP bind address.")] = None,
) -> None:
    """Run the hub: MQTT ingest, time-series writer, alarms and the HTTP API."""
    settings = _hub_settings(config, http_port=http_port, http_host=http_host)
    from sqlalchemy.exc import OperationalError

    from contract.errors import ConfigError
    from hub.server import serve

    try:
        serve(settings)
    except OperationalError as exc:
        raise _database_failure(exc) from None
    except ConfigError as exc:
        raise _fail(f"alarm rules refused:\n{exc}") from None


@app.command()
def demo(
    http_port: Annotated[int, typer.Option(help="HTTP port of the hub.")] = 8080,
    mqtt_port: Annotated[int, typer.Option(help="Port of the embedded MQTT broker.")] = 1883,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the demo keeps its database (default: a temp dir).")
    ] = None,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: until Ctrl-C).")
    ] = None,
    notify: Annotated[
        list[str] | None, typer.Option(
            help="Send the demo's alarms to this apprise URL (mailto://, tgram://, "
            "wecombot://, dingtalk://, json://...); repeatable.")
    ] = None,
    cooling_failure_after: Annotated[
        float, typer.Option(help="Seconds until the cold room's compressor fails; -1: never.")
    ] = 180.0,
    cooling_rate: Annotated[
        float, typer.Option(help="How fast the cold room then warms, °C per minute.")
    ] = 1.0,
    alarm_delay: Annotated[
        float, typer.Option(help="Seconds beyond a limit before an alarm is raised.")
    ] = 120.0,
    scan_every: Annotated[
        float | None, typer.Option(help="Seconds between the dock scanner's receipts "
                                        "(default: 20).", min=0.1)
    ] = None,
) -> None:
    """Run everything in one process with simulated devices; no external service needed."""
    from hub.logs import configure_logging

    configure_logging("INFO", "text")
    for port, option, what in ((http_port, "--http-port", "HTTP"), (mqtt_port, "--mqtt-port",
                                                                    "MQTT")):
        if not _port_free(port):
            raise _fail(f"port {port} is in use (another {what} server?): "
                        f"choose another with {option}")
    from contract.errors import ConfigError
    from hub.demo import run_demo

    try:
        run_demo(http_port=http_port, mqtt_port=mqtt_port, data_dir=data_dir, duration=duration,
                 notify=notify or [], alarm_delay_s=alarm_delay, cooling_rate_per_min=cooling_rate,
                 cooling_failure_s=None if cooling_failure_after < 0 else cooling_failure_after,
                 scan_every_s=scan_every)
    except ConfigError as exc:  # a --notify URL apprise does not know
        raise _fail(f"demo refused:\n{exc}") from None


def _stop_on_signals():  # -> threading.Event
    """An event set by SIGTERM and SIGINT, so that services shut down cleanly."""
    import signal
    import threading

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


@app.command()
def edge(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Gateway config (YAML), see docs/edge.md.")
    ],
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    log_format: Annotated[str, typer.Option(help="text or json.")] = "text",
    check: Annotated[
        bool, typer.Option("--check", help="Validate the config and profiles, then exit.")
    ] = False,
) -> None:
    """Run the edge agent: poll Modbus sensors, read serial barcode scanners, publish to
    MQTT through an on-disk outbox.

    Example: stockwarden edge --config gateway.yaml
    """
    from hub.logs import configure_logging

    configure_logging(log_level.upper(), log_format)
    from contract.errors import ConfigError
    from edge.config import load_config

    try:
        gateway, profiles = load_config(config)
    except ConfigError as exc:
        raise _fail(f"configuration error:\n{exc}") from None
    if check:
        typer.echo(f"{config}: ok ({len(gateway.sensors)} sensors, {len(gateway.buses)} buses, "
                   f"{len(gateway.scanners)} scanners)")
        return
    from edge.agent import Agent

    Agent(gateway, profiles).run(_stop_on_signals())


@app.command()
def sim(
    scenario: Annotated[
        Path | None,
        typer.Argument(help="Scenario file (YAML); default: the shipped warehouse scenario."),
    ] = None,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: until Ctrl-C).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    scanner: Annotated[
        Path | None,
        typer.Option(help="Also run the simulated serial scanners of this scenario file, "
                     "e.g. firmware-sim/scenarios/receiving-scanner.yaml."),
    ] = None,
) -> None:
    """Run simulated Modbus sensors (TCP and RTU on a pseudo-terminal) from device profiles,
    and serial barcode scanners on pseudo-terminals.

    Scenario actions: steady, daily_drift, door_open, cooling_failure, stuck,
    intermittent_timeouts, no_response, crc_errors, slow. See docs/edge.md.
    """
    from hub.logs import configure_logging

    configure_logging(log_level.upper(), "text")
    from contract.errors import ConfigError
    from firmware_sim.scenario import DEFAULT_SCENARIO, Simulation, load_scenario

    simulations = []
    try:
        for path in [scenario or DEFAULT_SCENARIO, *([scanner] if scanner else [])]:
            simulations.append(Simulation(load_scenario(path)).start())
    except ConfigError as exc:
        for simulation in simulations:
            simulation.stop()
        raise _fail(f"scenario error:\n{exc}") from None
    stop = _stop_on_signals()
    try:
        stop.wait(duration)
    finally:
        for simulation in simulations:
            simulation.stop()


@app.command("broker-acl")
def broker_acl(
    accounts: Annotated[Path, typer.Argument(
        help="Accounts file (YAML or TOML): site, hub, gateways, readers; "
             "see deploy/broker-accounts.yaml and docs/deploy.md.")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Folder for the files `passwd` (gateways and readers), "
                            "`hub-passwd` (the hub's listener) and `acl` (mosquitto's "
                            "password_file and acl_file).")] = Path("."),
    check: Annotated[bool, typer.Option(
        "--check", help="Validate the accounts file, print the ACL, write nothing.")] = False,
    rotate: Annotated[list[str] | None, typer.Option(
        "--rotate", help="Generate a new password for this account although the password "
                         "file has one (repeatable).")] = None,
    hasher: Annotated[str, typer.Option(
        help="auto: mosquitto_passwd -U when installed (Debian's mosquitto package), else "
             "the same PBKDF2-SHA512 $7$ hash written here; or mosquitto_passwd, python.")
    ] = "auto",
    chown: Annotated[str | None, typer.Option(
        "--chown", help="Owner of the written files, USER[:GROUP] or UID[:GID], e.g. "
                        "mosquitto (Debian) or 1883:1883 (the eclipse-mosquitto image).")
    ] = None,
) -> None:
    """Write Mosquitto's password file and ACL from the list of gateways.

    A gateway may publish only under stockwarden/v1/SITE/GATEWAY/telemetry,
    .../scan and .../status, and read only its own .../scan-result.
    The hub reads stockwarden/v1/# and writes alarms and scan results.
    Readers (e.g. a dashboard) read the site and write nothing.
    Gateways and readers log in where their client id is their user name
    (use_username_as_clientid); the hub on its own listener (hub-passwd).

    A 'generate' password is made and printed once; running the command
    again keeps it (--rotate NAME makes a new one). Then reload the broker:
    systemctl reload mosquitto, or send it SIGHUP.

    Example: stockwarden broker-acl accounts.yaml --out /etc/mosquitto/stockwarden
    """
    from contract.errors import ConfigError
    from hub import broker_acl as acl

    if hasher not in ("auto", "mosquitto_passwd", "python"):
        raise _fail("--hasher must be auto, mosquitto_passwd or python")
    try:
        parsed = acl.load_accounts(accounts)
        if check:
            typer.echo(acl.render_acl(parsed, str(accounts)))
            return
        written = acl.write_broker_files(
            parsed, out / "passwd", out / "acl", source=str(accounts), hasher=hasher,  # type: ignore[arg-type]
            rotate=frozenset(rotate or ()), owner=acl.parse_owner(chown) if chown else None,
        )
    except ConfigError as exc:
        raise _fail(f"configuration error:\n{exc}") from None
    typer.echo(f"wrote {written.password_file} ({len(acl.grants(parsed)) - 1} gateway and reader "
               f"accounts), {written.hub_password_file} (the hub's), hashed by "
               f"{written.hasher}, and {written.acl_file}")
    if written.kept:
        typer.echo(f"kept the existing password of: {', '.join(written.kept)} "
                   f"(--rotate NAME for a new one)")
    if written.generated:
        typer.echo("generated passwords, shown only now (a gateway's goes into its "
                   "broker.password, the hub's into STOCKWARDEN_MQTT_URL):")
        for user, password in written.generated.items():
            typer.echo(f"  {user}: {password}")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Create or migrate the database schema to the newest version."""
    settings = _hub_settings(config)
    from sqlalchemy.exc import OperationalError

    from hub.db import make_engine, migrate

    try:
        migrate(make_engine(settings.database_url))
    except OperationalError as exc:
        raise _database_failure(exc) from None
    typer.echo("database is up to date")


def _run_import(path: Path, what: str, run: object, report_file: Path | None) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
    from rich.table import Table

    from inventory.bulk_import import count_rows
    from kernel.errors import DomainError

    console = Console(stderr=True)
    if not path.is_file():
        raise _fail(f"{path}: no such file")
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task(f"importing {what}", total=count_rows(path))
        try:
            report = run(lambda: bar.advance(task))  # type: ignore[operator]
        except DomainError as exc:
            raise _fail(exc.message) from None
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


ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Write the refused rows to this CSV file.")
]


@import_app.command("items")
def import_items(
    file: Annotated[Path, typer.Argument(help="CSV with columns sku,name[,gtin,unit,"
                                              "storage_class,min_stock,policy,hazardous,"
                                              "abc_class,quarantine_on_receipt].")],
    report: ReportOption = None,
    config: ConfigOption = None,
) -> None:
    """Import items; rows that cannot be imported are listed with the reason."""
    from inventory import bulk_import

    hub = _stock_hub(config)
    try:
        _run_import(file, "items",
                    lambda tick: bulk_import.import_items(hub.writes, file, tick), report)
    finally:
        hub.stop()


@import_app.command("stock")
def import_stock(
    file: Annotated[Path, typer.Argument(help="CSV with columns item,lot_number,location,"
                                              "quantity[,expiry,production_date,reference].")],
    as_user: Annotated[str, typer.Option("--as-user", help="Who books the opening stock.")],
    report: ReportOption = None,
    config: ConfigOption = None,
) -> None:
    """Import opening stock as receipts; running the same file again books nothing twice."""
    from hub.accounts import actor_for_username
    from inventory import bulk_import
    from kernel.errors import DomainError

    hub = _stock_hub(config)
    try:
        try:
            with hub.sessions() as session:
                actor = actor_for_username(session, as_user)
        except DomainError as exc:
            raise _fail(exc.message) from None
        _run_import(file, "stock",
                    lambda tick: bulk_import.import_stock(hub.writes, file, actor, tick), report)
    finally:
        hub.stop()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
