"""The alarm rules and their routing on /settings/alarms, in real headless Chromium
against the hub over HTTP, at desktop and phone size: an admin changes a rule's delay
with a reason and her electronic signature (a wrong signature password changes
nothing), Enter saving and Escape cancelling; the audit trail has the change with its
reason. Recipients' passwords are never shown. Rules loaded from a file are shown
read-only with the file named; a supervisor and an operator are offered no change."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from hub.app import create_app
from hub.container import Hub, build_alarms
from hub.settings import load_settings
from kernel.actors import Role
from tests.e2e.settings_support import PASSWORD, SIZES, call, log_in, sign
from tests.support.auth import bearer_headers
from tests.support.browser import OfflinePage
from tests.support.http_server import serve_in_thread
from tests.support.hub_server import HubServer

RULES: dict[str, Any] = {
    "thresholds": [{"zone": "COLD", "quantity": "temperature_c", "high_warning": 7.5,
                    "high_critical": 8, "delay": "10m"}],
    "offline": [{"zone": "COLD", "intervals": 5}],
    "recipients": {"oncall": {"description": "the on-call phone",
                              "urls": ["mailtos://alarms:hunter2secret@mail.example.com"]}},
    "routes": [{"name": "everything", "groups": ["oncall"]}],
}
RULE = "zone:COLD:temperature_c"


def _serve(tmp_path: Path, rules_file: Path | None) -> Iterator[HubServer]:
    """A hub with its alarm service (rules from SQL, or from `rules_file`), no engine
    running (the page reads and edits the rules only), and three people."""
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'hub.db'}", tsdb_url=None,
                             alarm_rules=rules_file)
    hub = Hub.build(settings)
    hub.alarms = build_alarms(hub)
    try:
        with serve_in_thread(create_app(hub, manage_lifecycle=False)) as base_url:
            server = HubServer(hub, base_url, bearer_headers(hub, Role.ADMIN))
            for name, role, full in (("ada", "admin", "Ada Admin"),
                                     ("sue", "supervisor", "Sue Supervisor"),
                                     ("otto", "operator", "Otto Operator")):
                call(server, "POST", "/users", {"username": name, "role": role,
                                                 "password": PASSWORD, "full_name": full})
            yield server
    finally:
        hub.stop()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[HubServer]:
    for server in _serve(tmp_path, None):
        call(server, "PUT", "/alarms/rules", {
            **RULES, "signature": {"password": "sign-it-right-1", "meaning": "approved"}},
            reason="first rules")
        yield server


@pytest.fixture
def file_site(tmp_path: Path) -> Iterator[HubServer]:
    path = tmp_path / "alarms.yaml"
    path.write_text("thresholds:\n  - zone: COLD\n    quantity: temperature_c\n"
                    "    high_critical: 8\n    delay: 2m\n", encoding="utf-8")
    yield from _serve(tmp_path, path)


def _delay(server: HubServer) -> str:
    return call(server, "GET", "/alarms/rules")["rules"]["thresholds"][0]["delay"]


@pytest.mark.parametrize("size", list(SIZES))
def test_an_admin_changes_a_rules_delay_with_reason_and_signature(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path, size: str,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES[size])
    page, load_s = log_in(offline, "ada", "/settings/alarms")
    print(f"load /settings/alarms {load_s:.2f} s ({size})")
    rule = page.locator(f"#thresholds tr[data-key='{RULE}']")
    expect(rule).to_contain_text("critical above 8")
    expect(rule).to_contain_text("10m")
    expect(page.locator("#offline tr[data-key='offline:zone:COLD']")).to_contain_text(
        "no reading for 5 expected intervals")
    group = page.locator("#recipients tr[data-key=oncall]")
    expect(group).to_contain_text("mailtos://alarms:***@mail.example.com")
    assert "hunter2secret" not in page.content()
    expect(page.locator("#routes tr[data-key=everything]")).to_contain_text("oncall")
    expect(page.locator("#source")).to_contain_text("changed on this page")
    expect(page.locator("#test-link")).to_have_attribute("href", "/alarms#tests-head")
    offline.screenshot(shots / f"01-{size}-rules.png", full_page=True)

    # Escape cancels the form: nothing sent.
    rule.locator("button.edit").click()
    page.fill("#edit-delay", "1m")
    page.keyboard.press("Escape")
    expect(page.locator("dialog#edit")).not_to_be_visible()
    expect(rule).to_contain_text("10m")

    # A wrong signature password: refused in plain words, nothing changes.
    rule.locator("button.edit").click()
    page.fill("#edit-delay", "15m")
    page.keyboard.press("Enter")
    sign(page, "door alarms too early", password="not-her-password")
    status = page.locator("#rules-status")
    expect(status).to_contain_text(f"Rule {RULE} not saved: wrong password for ada")
    expect(status).to_have_attribute("data-tone", "error")
    expect(rule).to_contain_text("10m")
    assert _delay(site) == "10m"
    offline.screenshot(shots / f"02-{size}-wrong-password.png", full_page=True)

    # Signed with her password: saved, shown, on the trail with the reason.
    rule.locator("button.edit").click()
    page.fill("#edit-delay", "15m")
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog#sign[open]")
    offline.screenshot(shots / f"03-{size}-sign.png")
    sign(page, "door opened often: 15 min validated")
    expect(status).to_have_text(f"Saved rule {RULE}")
    expect(rule).to_contain_text("15m")
    assert _delay(site) == "15m"
    # The stored address stays (sent back masked, kept by the hub).
    stored = site.hub.alarms.declared_rules.recipients["oncall"].urls
    assert stored == ["mailtos://alarms:hunter2secret@mail.example.com"]
    changes = call(site, "GET", "/audit", entity="alarm_rules", action="update")
    # The fixture's first rules, then hers: the refused attempt left no row.
    assert [(c["actor"], c["reason"]) for c in changes][-1] == (
        "ada", "door opened often: 15 min validated")
    assert len(changes) == 2
    offline.screenshot(shots / f"04-{size}-saved.png", full_page=True)
    assert offline.foreign_requests() == []


def test_rules_from_a_file_are_read_only(
    file_site: HubServer, open_page: Callable[..., OfflinePage], shots: Path,
) -> None:
    offline = open_page(file_site.base_url, viewport=SIZES["phone"])
    page, load_s = log_in(offline, "ada", "/settings/alarms")
    print(f"load /settings/alarms {load_s:.2f} s (phone, rules from a file)")
    expect(page.locator("#source")).to_contain_text(
        "These rules come from the file alarms.yaml: they are shown here read-only.")
    expect(page.locator(f"#thresholds tr[data-key='{RULE}']")).to_contain_text("2m")
    assert page.locator("td.act button").count() == 0
    for button in ("#new-threshold", "#new-recipient", "#new-route", "#edit-defaults"):
        expect(page.locator(button)).to_be_hidden()
    offline.screenshot(shots / "rules-from-file.png", full_page=True)


@pytest.mark.parametrize("username", ["sue", "otto"])
def test_non_admins_read_the_rules_and_change_nothing(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path, username: str,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES["phone"])
    page, _ = log_in(offline, username, "/settings/alarms")
    expect(page.locator(f"#thresholds tr[data-key='{RULE}']")).to_contain_text("10m")
    expect(page.locator("#who-edits")).to_contain_text("an admin changes it")
    assert page.locator("td.act button").count() == 0
    expect(page.locator("#new-threshold")).to_be_hidden()
    expect(page.locator("nav.settings-nav a[href='/settings/alarms']")).to_have_count(
        0 if username == "otto" else 1)
    offline.screenshot(shots / f"read-only-{username}.png", full_page=True)


def test_an_admin_adds_a_rule_a_group_and_an_escalation_then_removes_the_rule(
    site: HubServer, open_page: Callable[..., OfflinePage], shots: Path,
) -> None:
    offline = open_page(site.base_url, viewport=SIZES["desktop"])
    page, _ = log_in(offline, "ada", "/settings/alarms")
    status = page.locator("#rules-status")

    # A rule the hub refuses (its warning above its critical): its words, nothing stored.
    page.click("#new-threshold")
    page.fill("#edit-target", "DRY")
    page.fill("#edit-quantity", "humidity_pct")
    page.fill("#edit-high_warning", "70")
    page.fill("#edit-high_critical", "60")
    page.keyboard.press("Enter")
    sign(page, "dry store humidity")
    expect(status).to_contain_text(
        "Rule zone:DRY:humidity_pct not saved: rules: thresholds[1].high_critical: must be "
        "at or above high_warning (70)")
    expect(page.locator("#thresholds tbody tr")).to_have_count(1)

    page.click("#new-threshold")
    page.fill("#edit-target", "DRY")
    page.fill("#edit-quantity", "humidity_pct")
    page.fill("#edit-high_critical", "70")
    page.fill("#edit-delay", "2m")
    page.keyboard.press("Enter")
    sign(page, "dry store humidity")
    expect(status).to_have_text("Saved rule zone:DRY:humidity_pct")
    dry = page.locator("#thresholds tr[data-key='zone:DRY:humidity_pct']")
    expect(dry).to_contain_text("critical above 70")

    # A second group, and the route escalating to it after 15 minutes.
    page.click("#new-recipient")
    page.fill("#edit-name", "managers")
    page.fill("#edit-urls", "mailto://qa@example.com")
    page.keyboard.press("Enter")
    sign(page, "managers hear of unacknowledged alarms")
    expect(status).to_have_text("Saved group managers")
    route = page.locator("#routes tr[data-key=everything]")
    route.locator("button.edit").click()
    page.fill("#edit-groups", "oncall, managers")
    page.fill("#edit-escalate_after", "15m")
    page.keyboard.press("Enter")
    sign(page, "escalate after 15 minutes")
    expect(status).to_have_text("Saved route everything")
    expect(route).to_contain_text("oncall → managers")
    expect(route).to_contain_text("15m")
    offline.screenshot(shots / "01-added.png", full_page=True)

    dry.locator("button.remove").click()
    sign(page, "the dry store has no humidity limit")
    expect(status).to_have_text("Saved rule zone:DRY:humidity_pct (removed)")
    expect(page.locator("#thresholds tbody tr")).to_have_count(1)
    rules = call(site, "GET", "/alarms/rules")["rules"]
    assert [r.get("zone") for r in rules["thresholds"]] == ["COLD"]
    assert rules["routes"] == [{"name": "everything", "groups": ["oncall", "managers"],
                                "escalate_after": "15m"}]
    assert site.hub.alarms.declared_rules.recipients["oncall"].urls == [
        "mailtos://alarms:hunter2secret@mail.example.com"]
    offline.screenshot(shots / "02-removed.png", full_page=True)
