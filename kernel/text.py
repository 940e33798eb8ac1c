"""Text no database can store: NUL characters (PostgreSQL refuses them in text
columns) and lone surrogates (not encodable as UTF-8, refused by both drivers).
Refused where text enters the hub (API bodies, query strings and paths, CSV
rows), with the field named, so a bad string never reaches SQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Loc = tuple[str | int, ...]


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored, or None."""
    if "\x00" in value:
        return "must not contain NUL characters (U+0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must not contain lone surrogates (U+D800-U+DFFF); send valid UTF-8"
    return None


def bad_text(value: Any, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    """Every string in a JSON-like value (keys too) that cannot be stored, with
    where it is and why."""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            yield loc, problem
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (problem := text_problem(key)):
                yield (*loc, key.encode("utf-8", "backslashreplace").decode()), \
                    f"field name {problem}"
            yield from bad_text(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from bad_text(item, (*loc, index))
