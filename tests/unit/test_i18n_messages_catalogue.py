"""Every text the hub's Python writes for people (domain `messages`) has its Chinese.

Babel's Python extractor reads the marked texts, as `pybabel extract` does (docs/i18n.md,
"Texts from the hub"): `Text(...)`, `N_(...)`, `tr(...)`, `say(...)`, the second argument
of `gettext(language, ...)`, and the literal message of a domain error (`Invalid("...")`,
`NotFound("...")` …). A text missing from kernel/locale/zh_CN/LC_MESSAGES/messages.po
fails the test, named with its file and line; so does a translation whose placeholders
differ from its English (it would raise at render time)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from kernel.i18n import CHINESE, LOCALE_DIR, catalogue, gettext
from kernel.i18n_text import Text, translator

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("alerts", "hub", "inventory", "ingest", "kernel", "contract")
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "Text": None, "N_": None, "tr": None, "say": None, "gettext": (2,),
    "DomainError": None, "Invalid": None, "NotFound": None, "Conflict": None,
    "Forbidden": None, "Unauthorized": None, "Busy": None, "TooManyAttempts": None,
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@functools.cache  # one extraction (a few seconds) for the tests of this module
def marked() -> dict[str, str]:
    """Each marked text → where it is first marked (file:line)."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for filename, line, message, _comments, _context in extract_from_dir(
                ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS,
                comment_tags=(), strip_comment_tags=True):
            text = message[0] if isinstance(message, tuple) else message
            if text:
                found.setdefault(text, f"{package}/{filename}:{line}")
    return found


def test_the_extractor_finds_the_hubs_texts() -> None:
    texts = marked()
    # One of each kind of mark: the extraction itself is not silently empty.
    assert "unacknowledged for %(waited)s: %(line)s" in texts  # Text
    assert "hours above" in texts  # N_
    assert "Summary over the period" in texts  # tr
    assert "Alarm %(id)s: %(link)s" in texts  # gettext, second argument
    assert "end must be after start" in texts  # a domain error


def test_every_marked_text_has_its_chinese() -> None:
    chinese = catalogue(CHINESE, "messages")
    missing = [f"{where}: {text!r}" for text, where in marked().items() if text not in chinese]
    assert not missing, (
        f"{len(missing)} text(s) without Chinese in "
        f"{(LOCALE_DIR / 'zh_CN/LC_MESSAGES/messages.po').relative_to(ROOT)} "
        "(add msgid/msgstr; docs/i18n.md):\n" + "\n".join(missing))


def test_translations_keep_the_placeholders() -> None:
    wrong = [english for english, chinese in catalogue(CHINESE, "messages").items()
             if sorted(set(PLACEHOLDER.findall(english)))
             != sorted(set(PLACEHOLDER.findall(chinese)))]
    assert not wrong, "placeholders differ from the English:\n" + "\n".join(wrong)


def test_a_text_renders_in_chinese_and_keeps_its_english() -> None:
    text = Text("unacknowledged for %(waited)s: %(line)s", waited=Text("%(n)s min", n=12),
                line="COLD-1: too warm")
    assert text == "unacknowledged for 12 min: COLD-1: too warm"  # a str: stored as English
    assert text.render("zh-CN") == "已 12 分钟 未确认：COLD-1: too warm"  # noqa: RUF001
    assert text.render("en") == text


def test_an_unknown_text_falls_back_to_english_with_its_values() -> None:
    assert gettext("zh-CN", "no such sentence for %(n)s bins", n=3) == \
        "no such sentence for 3 bins"
    assert translator("zh-CN")("not in the catalogue") == "not in the catalogue"
    assert Text("not marked %(x)s", x=1).render("zh-CN") == "not marked 1"
