"""Texts the hub writes for people, kept translatable until they are read.

A `Text` is a `str` (its English, so that every place that stores, logs or compares
it keeps working unchanged) that also remembers its English template and named
values; `render(language)` writes it again in another language (kernel/i18n.py,
domain `messages`). Values that are themselves `Text` (a quantity's name, a
duration) are rendered in the same language. This lets the alarm engine (plain
Python) write a message once and the notifications tell each recipient group in
its own language.

`N_` marks a text for the catalogue where it is written, without translating it
(tables' headings, label words); the place that knows the reader's language calls
`gettext` on it. `Translate` is that place's one function: `tr("text", n=3)`.

The catalogue test (tests/unit/test_i18n_messages_catalogue.py) extracts the
literal first argument of `Text`, `N_`, `tr`, `gettext` (its second) and the domain
errors (`Invalid("...")`, `NotFound("...")` …) and fails on any missing from
kernel/locale/zh_CN/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kernel.i18n import ENGLISH, gettext, normalise


def N_(text: str) -> str:
    """Mark `text` for translation; translated later, where the reader is known."""
    return text


def _rendered(params: Mapping[str, object], language: str) -> dict[str, object]:
    return {name: value.render(language) if isinstance(value, Text) else value
            for name, value in params.items()}


class Text(str):
    """English text that can be written again in the reader's language."""

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, /, **params: object) -> Text:
        english = template % _rendered(params, ENGLISH) if params else template
        self = super().__new__(cls, english)
        self.template = template
        self.params = params
        return self

    def render(self, language: str | None) -> str:
        values = _rendered(self.params, language or ENGLISH)
        return gettext(language, self.template, "messages", **values)

    def __reduce__(self) -> tuple[Any, ...]:  # pickled and copied as the Text it is
        return (_rebuild, (self.template, self.params))


def _rebuild(template: str, params: dict[str, object]) -> Text:
    return Text(template, **params)


def render(text: str, language: str | None) -> str:
    """`text` in `language`: a `Text` rendered, a plain string as it is."""
    return text.render(language) if isinstance(text, Text) else text


Translate = Callable[..., str]


def written(tr: Translate, text: str) -> str:
    """`text` through `tr`: a `Text` by its template and values, a plain string as the
    key (a report's notes: Texts when made, plain English when read back)."""
    return tr(text.template, **text.params) if isinstance(text, Text) else tr(text)


def translator(language: str | None) -> Translate:
    """`tr(text, **values)`: text (its English the key) in `language`, values filled."""
    chosen = normalise(language) or ENGLISH

    def tr(text: str, /, **params: object) -> str:  # a value may be called `text`
        return gettext(chosen, text, "messages", **_rendered(params, chosen))

    return tr
