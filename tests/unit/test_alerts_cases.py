"""The evaluator, driven by the scenarios in tests/unit/alerts_cases/*.yaml.

Each scenario gives rules, the world (storage classes, zones, sensors), a timed
list of steps (readings, ticks, gateway statuses, acknowledgements, shelving) and
the transitions, excursions and hold decisions expected. Times are offsets from
`start` ("90s", "5m"). Expected entries list only the fields that matter; pending
and cancelled transitions are left out unless the case sets `show_pending: true`,
and `kinds` limits the comparison to some alarm kinds. See the folder's README.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerts.engine.evaluator import Evaluator, Outcome
from alerts.model import (
    Acknowledge,
    AlarmKey,
    Event,
    GatewayStatus,
    Observation,
    Reading,
    SensorRef,
    Shelve,
    StorageClassLimits,
    Tick,
    Unshelve,
    ZoneRef,
)
from alerts.rules.book import RuleBook
from alerts.rules.document import parse_duration, parse_rules

CASES = Path(__file__).parent / "alerts_cases"
START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def offset(text: object) -> timedelta:
    return parse_duration(text)


def _show(at: timedelta) -> str:
    return f"+{int(at.total_seconds() // 60)}m{int(at.total_seconds() % 60):02d}s"


def build(case: dict[str, Any]) -> Evaluator:
    world = case.get("world", {})
    classes = [StorageClassLimits(
        code=c["code"], temp_min_c=c.get("temp_min_c"), temp_max_c=c.get("temp_max_c"),
        humidity_min_pct=c.get("humidity_min_pct"), humidity_max_pct=c.get("humidity_max_pct"),
        excursion_tolerance=offset(c["excursion_tolerance"]) if "excursion_tolerance" in c
        else None) for c in world.get("storage_classes", [])]
    zones = [ZoneRef(z["code"], z.get("storage_class"), z.get("name", ""),
                     offset(z["excursion_tolerance"]) if "excursion_tolerance" in z else None)
             for z in world.get("zones", [])]
    sensors = [SensorRef(s["id"], s.get("zone"), s.get("storage_class"), s.get("gateway"))
               for s in world.get("sensors", [])]
    rules = parse_rules(case.get("rules", {}), "case.yaml")
    book = RuleBook(rules, sensors=sensors, zones=zones, storage_classes=classes)
    return Evaluator(book, started=START, gateways=world.get("gateways", []))


def observation(step: dict[str, Any]) -> Observation:
    at = START + offset(step["at"])
    if "read" in step:
        read = dict(step["read"])
        sensor = read.pop("sensor")
        good = read.pop("quality", "good") == "good"
        return Reading(sensor, at, {k: float(v) for k, v in read.items()}, good)
    if "tick" in step:
        return Tick(at)
    if "status" in step:
        status = step["status"]
        return GatewayStatus(status["gateway"], at, status.get("online", True),
                             status.get("outbox_depth", 0), status.get("intervals", {}))
    for verb in ("ack", "shelve", "unshelve"):
        if verb in step:
            body = step[verb]
            key = AlarmKey(body["rule"], body["subject"])
            if verb == "ack":
                return Acknowledge(key, at, body.get("by", "ann"), body.get("comment", ""))
            if verb == "shelve":
                return Shelve(key, at, at + offset(body["for"]), body.get("by", "sam"),
                              body.get("reason", ""))
            return Unshelve(key, at, body.get("by", "sam"))
    raise ValueError(f"unknown step {step}")


def expand(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`every`/`until` repeat a step: {at: 0s, every: 1m, until: 10m, read: {...}}."""
    out = []
    for step in steps:
        if "every" not in step:
            out.append(step)
            continue
        at, end, every = offset(step["at"]), offset(step["until"]), offset(step["every"])
        while at <= end:
            out.append({**{k: v for k, v in step.items() if k not in ("every", "until")},
                        "at": f"{at.total_seconds()}s"})
            at += every
    return sorted(out, key=lambda s: offset(s["at"]))


def run(case: dict[str, Any]) -> tuple[list[dict[str, Any]], Outcome]:
    evaluator = build(case)
    total = Outcome()
    for step in expand(case.get("steps", [])):
        one = evaluator.feed(observation(step))
        total.transitions.extend(one.transitions)
        total.excursions.extend(one.excursions)
        total.holds.extend(one.holds)
    hidden = set() if case.get("show_pending") else {Event.PENDING, Event.CANCELLED}
    kinds = set(case.get("kinds", []))
    seen = [
        {"at": t.at - START, "rule": t.key.rule, "subject": t.key.subject, "event": t.event.value,
         "from": t.from_phase.value, "to": t.to_phase.value, "severity": t.severity.value,
         "value": t.value, "limit": t.limit, "shelved": t.shelved, "message": t.message}
        for t in total.transitions
        if t.event not in hidden and (not kinds or t.kind.value in kinds)]
    return seen, total


def matches(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    for name, want in expected.items():
        if name == "at":
            if offset(want) != actual["at"]:
                return False
        elif name == "message_contains":
            if any(part not in actual["message"] for part in
                   ([want] if isinstance(want, str) else want)):
                return False
        elif name in ("value", "limit"):
            if actual[name] is None or abs(float(want) - actual[name]) > 1e-6:
                return False
        elif actual.get(name) != want:
            return False
    return True


def describe(seen: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"  {_show(t['at'])} {t['rule']}/{t['subject']} {t['event']}: {t['from']} -> {t['to']} "
        f"{t['severity']}{' (shelved)' if t['shelved'] else ''} | {t['message']}"
        for t in seen) or "  (none)"


def check_excursions(case: dict[str, Any], outcome: Outcome) -> list[str]:
    problems = []
    expected = case.get("expect_excursions")
    if expected is not None:
        ended = [e.excursion for e in outcome.excursions if e.event == "ended"]
        if len(ended) != len(expected):
            problems.append(f"expected {len(expected)} ended excursions, got {len(ended)}: "
                            f"{ended}")
        for want, got in zip(expected, ended, strict=False):
            facts = {"sensor": got.sensor, "peak": got.peak, "start": got.start - START,
                     "duration": got.duration, "above": timedelta(seconds=got.above_s),
                     "below": timedelta(seconds=got.below_s), "held": got.held,
                     "severity": got.severity.value}
            for name, value in want.items():
                actual = facts[name]
                value = offset(value) if isinstance(actual, timedelta) else value
                if actual != value:
                    problems.append(f"excursion {name}: expected {value}, got {actual}")
    holds = case.get("expect_holds")
    if holds is not None:
        got_holds = [(h.zone, h.at - START) for h in outcome.holds]
        want_holds = [(h["zone"], offset(h["at"])) for h in holds]
        if got_holds != want_holds:
            problems.append(f"holds: expected {want_holds}, got {got_holds}")
    return problems


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda p: p.stem)
def test_scenario(path: Path) -> None:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    seen, outcome = run(case)
    expected = case.get("expect", [])
    ok = len(seen) == len(expected) and all(
        matches(want, got) for want, got in zip(expected, seen, strict=True))
    problems = [] if ok else [
        f"{path.name}: {case.get('description', '')}",
        "expected:", *(f"  {want}" for want in expected), "got:", describe(seen)]
    problems += check_excursions(case, outcome)
    assert not problems, "\n".join(problems)


def test_there_are_cases() -> None:
    assert len(list(CASES.glob("*.yaml"))) >= 12
