"""Words in the reader's language: Chinese (zh-CN) beside English (en).

GNU gettext's model through Babel: the English text is the key, and a message
catalogue per language (`kernel/locale/<ll_CC>/LC_MESSAGES/<domain>.po`) maps it to
the translation. Two domains: `web` (the pages' templates and scripts) and `messages`
(texts the hub's Python writes for people: API `detail`s, alarm messages, reports,
PDFs, labels). A text without a translation is shown in English, and a test fails
for it (tests/unit/test_i18n_catalogues.py).

Placeholders are named, Python %-style, the same as Jinja2's new-style gettext:
`gettext("zh-CN", "%(n)s lots on hold", n=3)`. Plain Python, no web framework: the
domain parts (alarm texts) use it as well as the hub.
"""

from __future__ import annotations

import functools
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
ENGLISH = "en"
CHINESE = "zh-CN"
LANGUAGES: tuple[str, ...] = (ENGLISH, CHINESE)
# What each language calls itself: the language switch shows these.
LANGUAGE_NAMES = {ENGLISH: "English", CHINESE: "中文"}
DOMAINS = ("web", "messages")


def normalise(tag: str | None) -> str | None:
    """A supported language for a tag as people and browsers write it ("zh", "zh_CN",
    "zh-Hans-CN", "en-GB" …), or None."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    if primary == "zh":
        return CHINESE
    if primary == "en":
        return ENGLISH
    return None


def from_accept_language(header: str | None) -> str | None:
    """The first supported language of an Accept-Language header, by its q order."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        ranked.append((-quality, position, tag))
    for quality, _position, tag in sorted(ranked):
        language = normalise(tag)
        if language and quality < 0:
            return language
    return None


def _folder(language: str) -> str:
    return language.replace("-", "_")


@functools.cache
def catalogue(language: str, domain: str = "messages") -> dict[str, str]:
    """English text → translation, for one language and domain (read once)."""
    if language == ENGLISH:
        return {}
    path = LOCALE_DIR / _folder(language) / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        parsed = read_po(handle, locale=_folder(language))
    return {
        str(message.id): str(message.string)
        for message in parsed
        if message.id and isinstance(message.id, str) and message.string
        and not message.fuzzy
    }


def gettext(language: str | None, text: str, domain: str = "messages", /,
            **params: object) -> str:
    """`text` in `language` (English when untranslated), its %(name)s filled."""
    translated = catalogue(normalise(language) or ENGLISH, domain).get(text, text)
    return translated % params if params else translated
