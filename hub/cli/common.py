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
