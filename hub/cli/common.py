"""What every `stockwarden` command module shares: the config option, a one-line
failure, the hub's settings, a built hub and a stop event. The command modules
import only this one (and their parts, lazily), never each other, so the package
has no import circle."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import threading

    from hub.container import Hub
    from hub.settings import HubSettings

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file (TOML or YAML); env STOCKWARDEN_CONFIG."),
]


DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Use the SQLite database in this directory: demo.db "
                 "(what `stockwarden demo --data-dir` keeps) or else stockwarden.db."),
]
DatabaseUrlOption = Annotated[
    str | None,
    typer.Option("--database-url", help="Use this database (overrides the config file and "
                 "STOCKWARDEN_DATABASE_URL), e.g. sqlite:////tmp/demo/demo.db."),
]
DEMO_DATABASE = "demo.db"


def fail(message: str, code: int = 2) -> typer.Exit:
    """The message in red on standard error; the caller raises the returned exit."""
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def database_failure(exc: Exception) -> typer.Exit:
    """An unreachable or refused database as one line, without a traceback."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return fail(f"cannot use the database: {reason}", code=1)


def hub_settings(config: Path | None, **overrides: object) -> HubSettings:
    """The hub's settings (file, environment, then the options given), logging set up."""
    from hub.logs import configure_logging
    from hub.settings import SettingsError, load_settings

    try:
        settings = load_settings(config, **{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        raise fail(f"configuration error:\n{exc}") from None
    configure_logging(settings.log_level, settings.log_format)
    return settings


def stock_hub(config: Path | None) -> Hub:
    """A built hub (schema migrated) for commands that read or book stock."""
    settings = hub_settings(config)
    from hub.container import Hub

    return Hub.build(settings)


def database_of(data_dir: Path | None, database_url: str | None) -> str | None:
    """The database `--data-dir` or `--database-url` names (None: the configured one)."""
    if data_dir is not None and database_url is not None:
        raise fail("give --data-dir or --database-url, not both")
    if data_dir is None:
        return database_url
    if not data_dir.is_dir():
        raise fail(f"no directory {data_dir}")
    found = data_dir / DEMO_DATABASE
    return f"sqlite:///{(found if found.exists() else data_dir / 'stockwarden.db').resolve()}"


def account_hub(config: Path | None, data_dir: Path | None, database_url: str | None) -> Hub:
    """A built hub on the database the options name, after saying on standard error
    which database that is (a user written to another hub's database cannot log in)."""
    from kernel.urls import masked_url

    settings = hub_settings(config, database_url=database_of(data_dir, database_url))
    url = settings.database_url
    typer.echo(f"database: {url if url.startswith('sqlite') else masked_url(url)}", err=True)
    return built_hub(settings)


def built_hub(settings: HubSettings) -> Hub:
    """A built hub, or a one-line exit when the database cannot be used."""
    from hub.container import Hub

    try:
        return Hub.build(settings)
    except Exception as exc:  # an unreachable database: one line, no traceback
        raise database_failure(exc) from None


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM and SIGINT, so that services shut down cleanly."""
    import signal
    import threading

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop
