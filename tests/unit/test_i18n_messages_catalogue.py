"""Every text the hub's Python writes for people (domain `messages`) has its Chinese.

Babel's Python extractor reads the marked texts, as `pybabel extract` does (docs/i18n.md,
"Texts from the hub"): `Text(...)`, `N_(...)`, `tr(...)`, `say(...)`, the second argument
of `gettext(language, ...)`, and the literal message of a domain error (`Invalid("...")`,
`NotFound("...")` …). A text missing from kernel/locale/zh_CN/LC_MESSAGES/messages.po
fails the test, named with its file and line; so does a translation whose placeholders
differ from its English (it would raise at render time)."""

from __future__ import annotations

import ast
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
    # The parts' own error classes (test_every_error_class_is_extracted keeps this whole).
    "CannotSign": None, "InsufficientStock": None, "MeaningNotAllowed": None,
    "PasswordRefused": (2,), "ReasonRequired": None, "SignaturePasswordWrong": None,
    "SignatureRequired": None, "UnstorableText": None,
}
# Error classes whose messages are still f-strings, left for later (docs/i18n.md,
# "Still English"): the scan errors (inventory/gs1.py, inventory/scans/interpret.py) and
# a transfer's stock that changed (inventory/ledger.py). Remove a name once its texts are
# templates; nothing may be added.
NOT_YET = {"ScanError", "StockChanged"}
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


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8")))
            for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]


def _error_classes(modules: list[tuple[Path, ast.Module]]) -> set[str]:
    """kernel/errors.py's classes and every class of the hub's derived from one."""
    names = {"DomainError", "Invalid", "NotFound", "Conflict", "Forbidden", "Unauthorized",
             "Busy", "TooManyAttempts"}
    classes = [node for _path, tree in modules for node in ast.walk(tree)
               if isinstance(node, ast.ClassDef)]
    while True:
        more = {c.name for c in classes
                if any(isinstance(b, ast.Name) and b.id in names for b in c.bases)} - names
        if not more:
            return names - NOT_YET
        names |= more


def _error_name(call: ast.Call, errors: set[str]) -> str | None:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else \
        func.attr if isinstance(func, ast.Attribute) else None
    return name if name in errors else None


def test_no_domain_error_is_raised_with_an_f_string() -> None:
    """An f-string message is filled before the catalogue can see it: its `detail` stays
    English in every language. Write a template with named values instead
    (`Invalid("no lot %(lot)s", lot=x)`, kernel/errors.py)."""
    modules = _modules()
    errors = _error_classes(modules)
    found = [f"{path.relative_to(ROOT)}:{node.lineno}" for path, tree in modules
             for node in ast.walk(tree)
             if isinstance(node, ast.Call) and _error_name(node, errors)
             and any(isinstance(arg, ast.JoinedStr) for arg in node.args)]
    assert not found, "domain errors raised with an f-string (not translatable):\n" + \
        "\n".join(found)


def test_every_error_class_is_extracted() -> None:
    """A new error class of a part is a keyword of the extraction, or its texts would
    never be asked for in messages.po."""
    assert _error_classes(_modules()) <= set(KEYWORDS)


def test_the_f_string_scan_finds_one() -> None:
    call = ast.parse('raise Conflict(f"bin {code} is busy", code="busy")').body[0]
    assert isinstance(call, ast.Raise) and isinstance(call.exc, ast.Call)
    assert _error_name(call.exc, {"Conflict"}) == "Conflict"
    assert isinstance(call.exc.args[0], ast.JoinedStr)


def test_a_former_f_string_detail_is_written_in_chinese() -> None:
    from hub.errors import error_body
    from hub.login_throttle import _in_words
    from kernel.errors import Conflict, TooManyAttempts

    error = Conflict("stocktake %(id)s has %(n)s line(s) still to count",
                     code="stocktake_not_counted", id=7, n=3)
    assert str(error) == "stocktake 7 has 3 line(s) still to count"
    assert error_body(error, "zh-CN") == {"error": "stocktake_not_counted",
                                          "detail": "盘点 7 还有 3 行待清点"}
    # A value that is a Text (a duration) is written in the reader's language too.
    locked = TooManyAttempts("too many failed logins for this user; try again in %(wait)s",
                             retry_after_s=300, wait=_in_words(300))
    assert str(locked) == "too many failed logins for this user; try again in 5 minutes"
    assert error_body(locked, "zh-CN")["detail"] == "该用户登录失败次数过多；请在 5 分钟后重试"  # noqa: RUF001


def test_the_hubs_system_alarms_are_written_in_the_readers_language() -> None:
    from datetime import UTC, datetime

    from alerts.challenge.plan import reminder_text
    from contract.mqtt_client import TAKEN_OVER

    due = reminder_text(datetime(2026, 11, 1, 8, tzinfo=UTC), 30)
    assert "the last complete test was on 2026-11-01 08:00 UTC; schedule every 30 days" in due
    assert isinstance(due, Text)
    assert due.render("zh-CN").startswith(
        "报警通路测试已到期（上次完整测试于 2026-11-01 08:00 UTC；计划每 30 天一次）")  # noqa: RUF001
    taken = Text(TAKEN_OVER, client_id="hub-1")
    assert "session (client id hub-1) to another connection" in taken
    assert "客户端 ID hub-1" in taken.render("zh-CN")


def test_the_zone_reports_calibration_and_notes_and_the_audit_period_in_chinese() -> None:
    from datetime import date

    from hub.reports.calibration import status_text
    from hub.reports.zone import SensorInfo
    from hub.routes.audit import _filter_words
    from kernel.audit import AuditFilter
    from kernel.i18n_text import written

    info = SensorInfo("t1", "Cold 1", "gw", None, "temperature_c -0.20",
                      last_calibrated=date(2026, 1, 5), certificate="C-9", laboratory="Lab",
                      recorded_offset="temperature_c -0.30", next_due=date(2026, 7, 5),
                      overdue=True, mismatch=True)
    english = ("calibrated 2026-01-05, certificate C-9 (Lab), offset temperature_c -0.30, "
               "due 2026-07-05 - OVERDUE - the gateway applies temperature_c -0.20, not the "
               "recorded offset")
    assert status_text(info) == english  # the English as before
    assert status_text(info, translator("zh-CN")) == (
        "校准于 2026-01-05，证书 C-9（Lab），偏移 temperature_c -0.30，到期 2026-07-05"  # noqa: RUF001
        " - 已逾期 - 网关采用的是 temperature_c -0.20，而非记录的偏移")  # noqa: RUF001
    note = Text("%(n)s reading(s) of sensor %(sensor)s were taken while its calibration was "
                "overdue; see the section 'readings while calibration overdue'.",
                n=3, sensor="t1")
    assert written(translator("zh-CN"), note).startswith("传感器 t1 有 3 个读数")
    plain = "Sensors are those assigned to the zone when the report was made."
    assert written(translator("zh-CN"), plain) == "传感器为生成报告时分配到该区域的传感器。"
    assert dict(_filter_words(AuditFilter()))["period"] == "the beginning to now"
    assert dict(_filter_words(AuditFilter(), "zh-CN"))["period"] == "最早记录 至 现在"
