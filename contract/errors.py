"""Config and profile errors that name the file, the field and the reason.

An integrator reads these on a gateway console: one line per problem, in the
form ``gateway.yaml: sensors[2].unit_id: must be 1..247``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError


class ConfigError(ValueError):
    """A config or profile file that cannot be used; the message says why."""


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _reason(error: Any) -> str:
    message = str(error["msg"])
    # pydantic prefixes messages from our own validators; the user does not need it.
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def describe(name: str, exc: ValidationError, tags: frozenset[str] = frozenset()) -> str:
    """One line per error: ``file: field.path: reason``.

    `tags` are the discriminator values of tagged unions: pydantic puts them in the
    location, we drop them so the path reads like the YAML the user wrote.
    """
    lines = []
    for error in exc.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p in tags))
        where = f"{_location(loc)}: " if loc else ""
        lines.append(f"{name}: {where}{_reason(error)}")
    return "\n".join(lines)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file or raise ConfigError naming the file (and the line, if known)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path.name}: not valid YAML{where}: {problem}") from None
