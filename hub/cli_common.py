"""Helpers every `stockwarden` subcommand module shares: the config option, a
one-line failure, settings and a built hub. Parts are imported lazily."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file (TOML or YAML); env STOCKWARDEN_CONFIG."),
]


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def database_failure(exc: Exception) -> typer.Exit:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return fail(f"cannot use the database: {reason}", code=1)


def hub_settings(config: Path | None, **overrides: object):  # -> HubSettings
    from hub.logs import configure_logging
    from hub.settings import SettingsError, load_settings

    try:
        settings = load_settings(config, **{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        raise fail(f"configuration error:\n{exc}") from None
    configure_logging(settings.log_level, settings.log_format)
    return settings


def stock_hub(config: Path | None):  # -> Hub, schema migrated
    settings = hub_settings(config)
    from hub.container import Hub

    return Hub.build(settings)
