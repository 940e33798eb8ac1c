# ruff: noqa: RUF001 - Chinese punctuation (full-width) is what a reader sees
"""Alarm messages in each recipient group's language: the engine writes a line once
(a `Text`), the planner tells a zh-CN group in Chinese and an en group in English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alerts.challenge.plan import message as challenge_message
from alerts.challenge.plan import targets
from alerts.engine.evaluator import Evaluator
from alerts.engine.stock_findings import Finding
from alerts.model import AlarmKind, Event, Reading, SensorRef, Severity, ZoneRef
from alerts.notifications.plan import Message, PlanState, plan, plan_digest
from alerts.rules.book import RuleBook
from alerts.rules.document import AlarmRules, parse_rules
from contract.errors import ConfigError
from kernel.i18n_text import Text

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
MIN = timedelta(minutes=1)


def rules(**extra: Any) -> AlarmRules:
    data: dict[str, Any] = {
        "site_timezone": "Asia/Shanghai",
        "thresholds": [{"zone": "COLD-1", "quantity": "temperature_c", "high_critical": 8,
                        "delay": "5m"}],
        "recipients": {"wecom": {"language": "zh-CN", "urls": ["wecombot://KEY"]},
                       "mail": {"urls": ["mailto://duty@example.com"]}},
        "routes": [{"name": "cn", "groups": ["wecom"]}, {"name": "en", "groups": ["mail"]}],
        "grouping": {"window": "30s"},
    }
    data.update(extra)
    return parse_rules(data)


def raised(config: AlarmRules) -> list[Any]:
    book = RuleBook(config, zones=[ZoneRef("COLD-1", name="Cold room")],
                    sensors=[SensorRef("cold-1", "COLD-1")])
    engine = Evaluator(book, started=T0)
    out = engine.feed_all(Reading("cold-1", T0 + i * MIN, {"temperature_c": 9.4})
                          for i in range(7)).transitions
    return [t for t in out if t.event is Event.RAISED]


def sent(config: AlarmRules, language: str = "en") -> dict[str, Message]:
    found = raised(config)
    state, first = plan(config, PlanState(), found, found[0].at, language)
    assert first == []  # the grouping window is open
    _state, messages = plan(config, state, [], found[0].at + MIN, language)
    return {m.group: m for m in messages}


def test_the_engine_writes_its_line_once_as_english_text_that_can_be_rendered() -> None:
    [transition] = raised(rules())
    assert isinstance(transition.message, Text)
    assert transition.message == ("Cold room (COLD-1): temperature 9.4 °C above the critical "
                                  "limit 8.0 °C for 5 min (sensor cold-1)")
    assert transition.message.render("zh-CN") == (
        "Cold room (COLD-1)：温度 9.4 °C，高于严重限值 8.0 °C 已持续 5 分钟（传感器 cold-1）")


def test_a_zh_cn_group_reads_chinese_and_an_english_group_english_of_the_same_alarm() -> None:
    messages = sent(rules())
    chinese, english = messages["wecom"], messages["mail"]
    assert chinese.language == "zh-CN" and english.language == "en"
    assert chinese.title == "[严重] 阈值报警触发：cold-1"
    assert chinese.body.startswith("10:05 触发 严重：Cold room (COLD-1)：温度 9.4 °C，高于严重"
                                   "限值 8.0 °C 已持续 5 分钟（传感器 cold-1）")
    assert "(sensor" not in chinese.body
    assert english.title == "[CRITICAL] threshold alarm raised: cold-1"
    assert english.body.startswith("10:05 RAISED critical: Cold room (COLD-1): temperature "
                                   "9.4 °C above the critical limit 8.0 °C for 5 min "
                                   "(sensor cold-1)")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in english.title + english.body)


def test_a_group_without_a_language_reads_the_sites() -> None:
    messages = sent(rules(), language="zh-CN")
    assert messages["mail"].title == "[严重] 阈值报警触发：cold-1"
    assert messages["wecom"].language == "zh-CN"


def test_the_digest_and_the_test_alarm_are_in_the_groups_language() -> None:
    config = rules()
    finding = Finding(AlarmKind.EXPIRED, "L-1", Severity.CRITICAL,
                      Text("lot %(lot)s of %(item)s (%(qty)s on hand) expired on %(expiry)s, "
                           "%(days)s days ago", lot="L-1", item="疫苗", qty="5",
                           expiry="2026-01-01", days=4), None)
    digests = {m.group: m for m in plan_digest(config, [finding], T0)}
    assert digests["wecom"].title == "库存日报 2026-01-05：1 条已过期"
    assert "疫苗 的批次 L-1（现存 5）已于 2026-01-01 过期，已过 4 天" in digests["wecom"].body
    assert digests["mail"].title == "Stock digest 2026-01-05: 1 expired"
    [target] = targets(config, group="wecom")
    title, body = challenge_message(7, target, "http://hub/confirm/x", "alice", "zh-CN")
    assert title == "测试报警 - 请确认（无需对库存采取任何行动）"
    assert "测试 7，由 alice 发起。" in body and "http://hub/confirm/x" in body


def test_an_unknown_language_in_the_rules_is_refused_with_its_place() -> None:
    with pytest.raises(ConfigError, match=r"recipients\.wecom\.language.*unknown language"):
        rules(recipients={"wecom": {"language": "fr", "urls": ["json://x"]}})


def test_a_language_is_written_as_people_write_it() -> None:
    config = rules(recipients={"wecom": {"language": "zh_CN", "urls": ["json://x"]},
                               "mail": {"language": "EN", "urls": ["json://y"]}})
    assert config.recipients["wecom"].language == "zh-CN"
    assert config.recipients["mail"].language == "en"
