"""The pages' words in Chinese: every text marked in the templates (`_("…")`), the
scripts (`t("…")`) and hub/web/*.py is translated in kernel/locale/zh_CN/.../web.po,
translations keep their placeholders, every `t("…")` is one the extraction finds, and
no template shows words that do not pass through `_`. The failures name each text and
where it is; `stockwarden i18n extract` adds new texts to the catalogue (docs/i18n.md)."""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hub.web import catalogue
from hub.web.language import CatalogueTranslations, environment, script_catalogue
from hub.web.layout import NAV, STATIC_DIR
from kernel import i18n

TEMPLATES = Path(catalogue.ROOT) / "hub" / "web" / "templates"
LANGUAGES = [language for language in i18n.LANGUAGES if language != i18n.ENGLISH]
# Attributes a person reads (or hears, with a screen reader).
READ_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt", "label"}
# Words that are the same in every language: names and units.
SAME_EVERYWHERE = {"Stockwarden", "UTC", "PDF", "CSV", "GTIN", "SKU", "MKT", "SHA", "RH"}
# Blocks that hold no words: the body's CSS classes.
NO_WORDS_BLOCK = re.compile(r"\{% block body_class %\}.*?\{% endblock %\}", re.DOTALL)
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
WORDS = re.compile(r"[A-Za-z]{2,}")


@pytest.fixture(scope="module")
def marked() -> catalogue.Catalog:
    return catalogue.extract()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_text_is_translated(language: str, marked: catalogue.Catalog) -> None:
    lacking = catalogue.missing(language, marked)
    assert not lacking, (
        f"web.po ({language}) lacks these texts; run `stockwarden i18n extract` and "
        f"translate them:\n{catalogue.report(lacking)}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders(language: str) -> None:
    wrong = catalogue.wrong_placeholders(language)
    assert not wrong, "placeholders differ:\n" + "\n".join(
        f"  {text!r} -> {translation!r}" for text, translation in wrong)


def test_the_extraction_finds_every_text_a_script_marks(marked: catalogue.Catalog) -> None:
    # Babel's JavaScript reader misses a t("…") inside a template literal or inside
    # another t()'s arguments: such a text would never reach the catalogue.
    found = {message.id for message in marked if message.id}
    missed = []
    for script in sorted(STATIC_DIR.glob("*.js")):
        source = script.read_text(encoding="utf-8")
        for match in re.finditer(r'\bt\("((?:[^"\\]|\\.)*)"', source):
            text = ast.literal_eval(f'"{match.group(1)}"')
            if text not in found:
                line = source.count("\n", 0, match.start()) + 1
                missed.append(f"  {script.name}:{line}: {text!r}")
    assert not missed, ("marked but not extracted (move the t() call out of the template "
                        "literal or the other call's arguments):\n" + "\n".join(missed))


def test_the_navigation_labels_are_in_the_catalogue() -> None:
    # A NavLink added without `_("…")` around its label is not extracted; it would stay
    # English in the header of every page.
    table = i18n.catalogue(i18n.CHINESE, "web")
    lacking = [link.label for link in NAV if link.label not in table]
    assert not lacking, f"NAV labels without a translation (mark them _(\"…\")): {lacking}"


def test_page_titles_are_marked() -> None:
    # render(..., title="Stocktakes") would never be extracted: titles are _("…").
    unmarked = [f"  {module.name}:{n}: {line.strip()}"
                for module in sorted((TEMPLATES.parent).glob("*.py"))
                for n, line in enumerate(module.read_text(encoding="utf-8").splitlines(), 1)
                if re.search(r"\btitle=f?[\"']", line)]
    assert not unmarked, "page titles without _(\"…\"):\n" + "\n".join(unmarked)


class _TextScan(HTMLParser):
    """Words in a template's text nodes and read attributes, with their line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self._check(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._check(data)

    def _check(self, text: str) -> None:
        words = [w for w in WORDS.findall(text) if w not in SAME_EVERYWHERE]
        if words:
            self.found.append((self.getpos()[0], " ".join(text.split())))


def test_templates_show_no_unmarked_words() -> None:
    unmarked = []
    for template in sorted(TEMPLATES.glob("*.html")):
        source = NO_WORDS_BLOCK.sub("", template.read_text(encoding="utf-8"))
        # What Jinja2 evaluates ({{ _("…") }}, {% … %}) goes; newlines stay for the lines.
        scan = _TextScan()
        scan.feed(JINJA.sub(lambda m: "\n" * m.group(0).count("\n"), source))
        scan.close()
        unmarked += [f"  {template.name}:{line}: {text!r}" for line, text in scan.found]
    assert not unmarked, ("words shown without _(\"…\") (they stay English in every "
                          "language):\n" + "\n".join(unmarked))


def test_a_page_renders_in_chinese_and_its_scripts_get_their_words() -> None:
    env = environment(i18n.CHINESE)
    html = env.from_string('{{ _("Log in") }} · {{ _("Lots expiring within %(days)s days", '
                           'days=30) }} · {{ _("Humidity %%") }}').render()
    assert html == "登录 · 30 天内到期的批号 · 湿度 %"
    words = script_catalogue(i18n.CHINESE)
    assert words["Not booked"] == "未记账"  # the handheld's refusal
    assert "Log in" not in words  # a template's text stays out of the scripts' catalogue
    assert script_catalogue(i18n.ENGLISH) == {}
    assert CatalogueTranslations({}).gettext("Overview") == "Overview"
