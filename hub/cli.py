"""The one `stockwarden` command. Subcommands import their parts lazily, so that
`stockwarden edge` and `stockwarden sim` run on a gateway with only `[edge]`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hub import __version__

if TYPE_CHECKING:
    from inventory.users import IssuedToken

app = typer.Typer(
    name="stockwarden",
    help="Warehouse monitoring and inventory for regulated goods.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
user_app = typer.Typer(help="Users and API tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")
import_app = typer.Typer(help="Bulk import from CSV.", no_args_is_help=True)
app.add_typer(import_app, name="import")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file (TOML or YAML); env STOCKWARDEN_CONFIG."),
]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _database_failure(exc: Exception) -> typer.Exit:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return _fail(f"cannot use the database: {reason}", code=1)


def _hub_settings(config: Path | None, **overrides: object):  # -> HubSettings
    from hub.logs import configure_logging
    from hub.settings import SettingsError, load_settings

    try:
        settings = load_settings(config, **{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        raise _fail(f"configuration error:\n{exc}") from None
    configure_logging(settings.log_level, settings.log_format)
    return settings


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

    from hub.server import serve

    try:
        serve(settings)
    except OperationalError as exc:
        raise _database_failure(exc) from None


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
    from hub.demo import run_demo

    run_demo(http_port=http_port, mqtt_port=mqtt_port, data_dir=data_dir, duration=duration,
             scan_every_s=scan_every)


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
    from edge.config import load_config
    from edge.errors import ConfigError

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
    from edge.errors import ConfigError
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


def _stock_hub(config: Path | None):  # -> Hub, schema migrated
    settings = _hub_settings(config)
    from hub.container import Hub

    return Hub.build(settings)


def _print_token(issued: IssuedToken) -> None:
    typer.echo(f"user {issued.username} ({issued.role.value}); API token, shown only now:")
    typer.echo(issued.token)


@user_app.command("create-admin")
def user_create_admin(
    username: Annotated[str, typer.Option(help="Login name of the first administrator.")],
    password: Annotated[
        bool, typer.Option("--password", help="Also set a password for the web login (asked).")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Create an administrator and print their API token (once)."""
    user_create(username=username, role="admin", password=password, config=config)


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option(help="Login name.")],
    role: Annotated[str, typer.Option(help="operator, supervisor or admin.")] = "operator",
    password: Annotated[
        bool, typer.Option("--password", help="Also set a password for the web login (asked).")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Create a user and print their API token (once)."""
    from inventory.users import create_user_with_token
    from kernel.actors import Role
    from kernel.errors import DomainError

    try:
        wanted = Role(role)
    except ValueError:
        raise _fail(f"role must be one of {', '.join(r.value for r in Role)}") from None
    secret = None
    if password:
        secret = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    if secret is not None and len(secret) < 10:
        raise _fail("the password needs at least 10 characters")
    hub = _stock_hub(config)
    try:
        with hub.writes() as session:
            _print_token(create_user_with_token(session, username, wanted, secret))
    except DomainError as exc:
        raise _fail(exc.message) from None
    finally:
        hub.stop()


@user_app.command("token")
def user_token(
    username: Annotated[str, typer.Option(help="Whose token.")], config: ConfigOption = None
) -> None:
    """Issue another API token for a user (printed once)."""
    from inventory.users import new_token
    from kernel.errors import DomainError

    hub = _stock_hub(config)
    try:
        with hub.writes() as session:
            _print_token(new_token(session, username, label="cli").get())
    except DomainError as exc:
        raise _fail(exc.message) from None
    finally:
        hub.stop()


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
            import csv

            with report_file.open("w", newline="") as handle:
                writer = csv.writer(handle)
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
    from inventory import bulk_import
    from inventory.users import actor_for_username
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
