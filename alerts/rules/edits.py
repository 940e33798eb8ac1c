"""Edits of the rules document kept in SQL when no rules file is configured: add one
threshold or offline rule, remove one by its id. Pure; the result is validated
like a file (`parse_rules`) when the service stores it."""

from __future__ import annotations

import copy
from typing import Any, Literal

from alerts.rules.document import parse_rules
from kernel.errors import NotFound

Section = Literal["thresholds", "offline"]


def add_rule(document: dict[str, Any], section: Section, rule: dict[str, Any]
             ) -> dict[str, Any]:
    new = copy.deepcopy(document)
    new.setdefault(section, []).append(rule)
    return new


def remove_rule(document: dict[str, Any], rule_id: str) -> dict[str, Any]:
    """The document without the threshold or offline rule `rule_id`, or NotFound."""
    parsed = parse_rules(document, "rules")
    new = copy.deepcopy(document)
    removed = 0
    for section in ("thresholds", "offline"):
        raw = new.get(section) or []
        kept = [entry for entry, rule in zip(raw, getattr(parsed, section), strict=True)
                if rule.rule_id != rule_id]
        removed += len(raw) - len(kept)
        if section in new:
            new[section] = kept
    if not removed:
        raise NotFound("no rule %(rule_id)s", code="rule_not_found", rule_id=rule_id)
    return new
