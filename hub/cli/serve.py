"""`stockwarden hub` and `stockwarden db upgrade`: run the hub, migrate its schema."""

from __future__ import annotations

from typing import Annotated

import typer

from hub.cli.common import ConfigOption, database_failure, fail, hub_settings

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


def hub(
    config: ConfigOption = None,
    http_port: Annotated[
        int | None, typer.Option(help="HTTP port (STOCKWARDEN_HTTP_PORT).")
    ] = None,
    http_host: Annotated[str | None, typer.Option(help="HTTP bind address.")] = None,
    workers: Annotated[int, typer.Option(
        help="Run N hub processes on this machine (PostgreSQL only): one HTTP port, each "
             "its own MQTT client ids (<client id>-<k>) in the share group, the alarm "
             "engine in whichever the database picks; a dead one's readings are taken "
             "by the others (docs/deploy.md).")] = 1,
) -> None:
    """Run the hub: MQTT ingest, time-series writer, alarms and the HTTP API."""
    settings = hub_settings(config, http_port=http_port, http_host=http_host)
    from sqlalchemy.exc import OperationalError

    from contract.errors import ConfigError
    from hub.server import serve
    from hub.workers import WorkersRefused, check, serve_workers

    try:
        check(settings, workers)
    except WorkersRefused as exc:
        raise fail(str(exc)) from None
    try:
        serve_workers(settings, workers) if workers > 1 else serve(settings)
    except OperationalError as exc:
        raise database_failure(exc) from None
    except ConfigError as exc:
        raise fail(f"alarm rules refused:\n{exc}") from None


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Create or migrate the database schema to the newest version."""
    settings = hub_settings(config)
    from sqlalchemy.exc import OperationalError

    from hub.db import make_engine, migrate

    try:
        migrate(make_engine(settings.database_url))
    except OperationalError as exc:
        raise database_failure(exc) from None
    typer.echo("database is up to date")
