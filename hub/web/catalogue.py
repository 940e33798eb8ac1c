"""The pages' catalogue (domain `web`): every text marked in the templates (`_("…")`),
the scripts (`t("…")`) and hub/web/*.py (`_("…")`: NAV labels, titles), extracted with
Babel by the mapping in babel.cfg; merged into each language's web.po; and what each
language still lacks. `stockwarden i18n extract` and `check` (hub/cli/i18n.py), and
tests/unit/test_i18n_web_catalogue.py, use it. docs/i18n.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from kernel import i18n

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "babel.cfg"
DOMAIN = "web"
KEYWORDS = {"_": None, "gettext": None, "t": None}
# A placeholder: Python/Jinja2 `%(name)s` in templates and Python, `{name}` in scripts.
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


@dataclass(frozen=True)
class Missing:
    """A text a language lacks: untranslated, or its translation still fuzzy."""

    text: str
    where: tuple[str, ...]
    fuzzy: bool


def extract() -> Catalog:
    """Every marked text of the pages, with where it is (file:line)."""
    with MAPPING.open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    template = Catalog(domain=DOMAIN, project="stockwarden")
    for filename, line, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        if isinstance(message, str) and message.strip():
            template.add(message, None, [(filename, line)], auto_comments=comments,
                         context=context)
    return template


def po_path(language: str) -> Path:
    return i18n.LOCALE_DIR / language.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language.replace("-", "_"), domain=DOMAIN)


def missing(language: str, template: Catalog | None = None) -> list[Missing]:
    """The marked texts `language`'s web.po has no (or only a fuzzy) translation for."""
    template = template or extract()
    have = read(language)
    lacking = []
    for message in template:
        if not message.id:
            continue
        found = have.get(message.id)
        if found is None or not found.string or found.fuzzy:
            lacking.append(Missing(str(message.id),
                                   tuple(f"{f}:{n}" for f, n in message.locations),
                                   fuzzy=bool(found is not None and found.fuzzy)))
    return lacking


def wrong_placeholders(language: str) -> list[tuple[str, str]]:
    """(text, translation) pairs whose placeholders differ: a translation must keep
    every `%(name)s` / `{name}` of its text, and add none."""
    return [
        (str(m.id), str(m.string)) for m in read(language)
        if m.id and m.string and isinstance(m.id, str)
        and sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(str(m.string)))
    ]


def update(language: str) -> list[Missing]:
    """web.po brought up to the marked texts: new ones added (empty), the sources'
    places refreshed, texts no longer marked dropped; translations kept. Returns what
    is still missing."""
    template = extract()
    catalogue = read(language)
    template.creation_date = catalogue.creation_date  # no header change without a text's
    catalogue.update(template, no_fuzzy_matching=True)
    catalogue.obsolete.clear()
    with po_path(language).open("wb") as handle:
        write_po(handle, catalogue, width=100, sort_output=False, omit_header=False,
                 include_previous=False)
    return missing(language, template)


def report(lacking: list[Missing]) -> str:
    """The missing texts, one a line, for the person translating."""
    lines = [f"{len(lacking)} text(s) to translate:"] if lacking else []
    for entry in lacking:
        state = "fuzzy" if entry.fuzzy else "missing"
        lines.append(f"  [{state}] {entry.text!r}  ({', '.join(entry.where[:3])})")
    return "\n".join(lines)
