"""The one `stockwarden` command. Subcommands import their parts lazily, so that
`stockwarden edge` and `stockwarden sim` run on a gateway with only `[edge]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub import __version__

app = typer.Typer(
    name="stockwarden",
    help="Warehouse monitoring and inventory for regulated goods.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file (TOML or YAML); env STOCKWARDEN_CONFIG."),
]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code)


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
) -> None:
    """Run everything in one process with simulated devices; no external service needed."""
    from hub.logs import configure_logging

    configure_logging("INFO", "text")
    from hub.demo import run_demo

    run_demo(http_port=http_port, mqtt_port=mqtt_port, data_dir=data_dir, duration=duration)


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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
