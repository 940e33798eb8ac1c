"""Alarm rule files: the example loads; bad files are refused with file, field and reason."""

from __future__ import annotations

import tomllib
from datetime import time, timedelta
from pathlib import Path

import pytest
import yaml

from alerts.model import SensorRef, StorageClassLimits, ZoneRef
from alerts.rules.book import RuleBook, storage_class_rules
from alerts.rules.document import (
    Defaults,
    check_references,
    format_duration,
    load_rules,
    parse_duration,
    parse_rules,
)
from alerts.rules.url_secrets import UnknownMaskedUrl, mask_url, restore_urls
from contract.errors import ConfigError

EXAMPLE = Path(__file__).parents[2] / "examples" / "alarms.yaml"


def refused(data: dict, **kwargs: object) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_rules(data, "alarms.yaml", **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


def test_the_example_file_loads_with_every_section() -> None:
    rules = load_rules(EXAMPLE, known_schemes={"mailto", "json"})
    assert rules.site_timezone == "Asia/Shanghai"
    assert rules.thresholds[0].rule_id == "zone:COLD-1:temperature_c"
    assert rules.thresholds[0].delay == timedelta(minutes=5)
    assert rules.routes[0].escalate_after == timedelta(minutes=15)
    assert rules.quiet_hours is not None and rules.quiet_hours.start == time(22, 0)
    assert [t.days for t in rules.expiry.tiers] == [90, 30, 7]


def test_the_same_rules_load_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "alarms.toml"
    path.write_text('site_timezone = "Asia/Shanghai"\n[[thresholds]]\nzone = "COLD-1"\n'
                    'quantity = "temperature_c"\nhigh_critical = 8\ndelay = "5m"\n')
    rules = load_rules(path)
    assert rules.thresholds[0].high_critical == 8 and rules.thresholds[0].delay.seconds == 300
    with pytest.raises(ConfigError, match=r"^alarms.toml: not valid TOML"):
        (tmp_path / "alarms.toml").write_text("thresholds = [")
        load_rules(path)
    assert tomllib  # the loader needs no extra package


def test_an_inverted_band_names_the_rule_and_the_field() -> None:
    message = refused({"thresholds": [
        {"zone": "A", "quantity": "temperature_c", "high_critical": 8},
        {"zone": "B", "quantity": "temperature_c", "high_critical": 8},
        {"zone": "C", "quantity": "temperature_c", "high_warning": 9, "high_critical": 8}]})
    assert message == ("alarms.yaml: thresholds[2].high_critical: must be at or above "
                       "high_warning (9)")


def test_low_warning_must_be_below_high_warning() -> None:
    message = refused({"thresholds": [{"zone": "A", "quantity": "temperature_c",
                                       "low_warning": 8, "high_warning": 8}]})
    assert message == "alarms.yaml: thresholds[0].high_warning: must be above low_warning (8)"


@pytest.mark.parametrize(("change", "expected"), [
    ({"thresholds": [{"zone": "A", "quantity": "temperature_c", "high_critcal": 8}]},
     "alarms.yaml: thresholds.0.high_critcal: Extra inputs are not permitted"),
    ({"thresholds": [{"zone": "A", "quantity": "temperature_c", "high_critical": 8,
                      "delay": "-5m"}]},
     "alarms.yaml: thresholds[0].delay: must not be negative"),
    ({"thresholds": [{"zone": "A", "quantity": "temperature_c", "high_critical": "hot"}]},
     "alarms.yaml: thresholds[0].high_critical: Input should be a valid number"),
    ({"thresholds": [{"zone": "A", "quantity": "temperature_c"}]},
     "alarms.yaml: thresholds[0]: needs at least one of low_critical"),
    ({"thresholds": [{"quantity": "temperature_c", "high_critical": 8}]},
     "alarms.yaml: thresholds[0]: needs one of sensor, zone or storage_class"),
    ({"site_timezone": "Asia/Shangai"},
     "alarms.yaml: site_timezone: unknown time zone 'Asia/Shangai'"),
    ({"recipients": {"duty": {"urls": ["not a url"]}}},
     "alarms.yaml: recipients.duty.urls: each URL must look like scheme://..."),
    ({"recipients": {"duty": {"urls": ["json://x"]}}, "routes": [{"name": "r", "groups": ["qa"]}]},
     "alarms.yaml: routes[0].groups[0]: no recipient group 'qa' (recipients: duty)"),
    ({"recipients": {"duty": {"urls": ["json://x"]}},
      "routes": [{"name": "r", "groups": ["duty"], "escalate_after": "15m"}]},
     "alarms.yaml: routes[0].escalate_after: needs a second group to escalate to"),
    ({"thresholds": [{"zone": "A", "quantity": "temperature_c", "high_critical": 8},
                     {"zone": "A", "quantity": "temperature_c", "high_critical": 9}]},
     "alarms.yaml: thresholds[1]: rule zone:A:temperature_c is also thresholds[0]"),
    ({"routes": [{"name": "r", "groups": []}]},
     "alarms.yaml: routes[0].groups: List should have at least 1 item"),
])
def test_bad_rules_stop_the_start(change: dict, expected: str) -> None:
    assert refused(change).startswith(expected.replace("thresholds.0.", "thresholds[0]."))


def test_an_unknown_notification_scheme_is_refused_without_echoing_the_url() -> None:
    message = refused({"recipients": {"duty": {"urls": ["wecomm://secret-token@x"]}}},
                      known_schemes={"mailto", "wecombot"})
    assert message == "alarms.yaml: recipients.duty.urls[0]: unknown notification scheme 'wecomm'"
    assert "secret" not in message


def test_every_problem_is_reported_at_once() -> None:
    message = refused({"thresholds": [
        {"zone": "A", "quantity": "temperature_c", "low_critical": 5, "low_warning": 4},
        {"zone": "B", "quantity": "temperature_c", "high_warning": 9, "high_critical": 8}]})
    assert len(message.splitlines()) == 2


def test_a_rule_for_a_zone_that_does_not_exist_yet_is_a_warning_and_inactive() -> None:
    rules = parse_rules(yaml.safe_load(EXAMPLE.read_text()))
    check = check_references(rules, zones=["COLD-1"], sensors=["cold-1"], storage_classes=[])
    assert [str(w) for w in check.warnings] == [
        "alarms.yaml: thresholds[2].storage_class: no storage class '15-25C' yet: the rule "
        "stays inactive until it exists"]
    assert check.inactive == {"storage_class:15-25C:temperature_c"}
    book = RuleBook(rules, sensors=[SensorRef("crt-1", "CRT")], zones=[ZoneRef("CRT")])
    assert book.thresholds("crt-1") == ()  # nothing matches it: inactive in effect


def test_durations() -> None:
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration(45) == timedelta(seconds=45)
    assert parse_duration("2d") == timedelta(days=2)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("5 minutes")


def test_an_unquoted_yaml_time_is_understood() -> None:
    rules = parse_rules(yaml.safe_load("quiet_hours: {start: 22:00, end: 07:00}"))
    assert rules.quiet_hours is not None and rules.quiet_hours.end == time(7, 0)


def test_storage_classes_give_default_rules_to_every_zone() -> None:
    thresholds, offline = storage_class_rules(
        [StorageClassLimits("2-8C", 2, 8), StorageClassLimits("le30", None, 30, None, 75),
         StorageClassLimits("narrow", 5, 5.5)], Defaults())
    by_class = {(t.storage_class, t.quantity): t for t in thresholds}
    cold = by_class[("2-8C", "temperature_c")]
    assert (cold.low_critical, cold.low_warning, cold.high_warning, cold.high_critical) == (
        2, 2.5, 7.5, 8)
    assert by_class[("le30", "humidity_pct")].high_warning == 72
    assert by_class[("narrow", "temperature_c")].high_warning is None  # band too narrow
    assert [o.storage_class for o in offline] == ["2-8C", "le30", "narrow"]


@pytest.mark.parametrize(("text", "seconds", "shown"), [
    ("90s", 90, "1m30s"), ("5m", 300, "5m"), ("1h30m", 5400, "1h30m"), ("2d", 172_800, "2d"),
    ("0.5s", 0.5, "0.5s"), (0, 0, "0s"), ("PT1S", 1, "1s"), ("P1DT2H", 93_600, "1d2h"),
])
def test_durations_are_shown_in_the_files_notation_and_iso_8601_is_read_too(
    text: object, seconds: float, shown: str,
) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)
    assert format_duration(timedelta(seconds=seconds)) == shown
    assert parse_duration(shown) == timedelta(seconds=seconds)


def test_a_negative_or_unreadable_iso_duration_is_refused() -> None:
    assert "thresholds[0].delay: must not be negative" in refused(
        {"thresholds": [{"zone": "COLD", "quantity": "temperature_c", "high_critical": 8,
                         "delay": "-PT5M"}]})
    assert "'PXYZ' is not a duration" in refused(
        {"thresholds": [{"zone": "COLD", "quantity": "temperature_c", "high_critical": 8,
                         "delay": "PXYZ"}]})


@pytest.mark.parametrize(("url", "shown"), [
    ("mailtos://alarms:pw123@smtp.example.com?to=duty@example.com",
     "mailtos://alarms:***@smtp.example.com?to=duty@example.com"),
    ("wecombot://BOTKEY", "wecombot://***"),
    ("tgram://123456789:AAbb/-100123456", "tgram://***/-100123456"),
    ("slack://tokenA/tokenB/tokenC/#ops", "slack://***/***/***/#ops"),
    ("dingtalk://SECRET@TOKEN/13800138000", "dingtalk://***@***/13800138000"),
    ("json://127.0.0.1:8080/hook/abc?+X-Api-Key=k3y&pass=p4ss",
     "json://127.0.0.1:8080/***/***?+X-Api-Key=***&pass=***"),
    ("ntfys://tk_abc@ntfy.sh/alarms", "ntfys://***@ntfy.sh/***"),
    ("json://localhost/", "json://localhost/"),
])
def test_recipient_urls_are_shown_without_their_secrets(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_masked_urls_sent_back_keep_the_stored_ones_and_new_ones_replace_them() -> None:
    stored = [("duty", 0, "wecombot://KEY1"), ("duty", 1, "wecombot://KEY2"),
              ("qa", 0, "tgram://BOT/42")]
    document = {"recipients": {"duty": {"urls": ["wecombot://***", "wecombot://***"]},
                               "qa": {"urls": ["tgram://***/42", "mailto://a:new@x.example"]}}}
    restored = restore_urls(document, stored)
    assert restored["recipients"]["duty"]["urls"] == ["wecombot://KEY1", "wecombot://KEY2"]
    assert restored["recipients"]["qa"]["urls"] == ["tgram://BOT/42", "mailto://a:new@x.example"]
    moved = {"recipients": {"night": {"urls": ["tgram://***/42"]}}}
    assert restore_urls(moved, stored)["recipients"]["night"]["urls"] == ["tgram://BOT/42"]
    for unknown in ("tgram://***/43", "wecombot://***/x"):
        with pytest.raises(UnknownMaskedUrl, match=r"recipients\.night\.urls\[0\]"):
            restore_urls({"recipients": {"night": {"urls": [unknown]}}}, stored)
    with pytest.raises(UnknownMaskedUrl, match="several"):  # KEY1 or KEY2?
        restore_urls({"recipients": {"night": {"urls": ["wecombot://***"]}}}, stored)
