"""The pages' JavaScript modules, run in real headless Chromium: the handheld's own
reading of GS1 scans (for the pick-list check, also offline) and of bin and command
labels, and api.js's errors in words."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.browser import OfflinePage, type_as_a_scanner
from tests.support.hub_server import HubServer


@pytest.fixture
def run_module(hub_http: HubServer, open_page: Callable[..., OfflinePage]
               ) -> Callable[[str, str], Any]:
    page = open_page(hub_http.base_url)
    page.goto("/login")

    def run(module: str, body: str) -> Any:
        return page.page.evaluate(
            f"async () => {{ const m = await import('/static/web/{module}'); {body} }}")

    return run


def test_gs1_reading_of_lot_expiry_and_quantity(run_module: Callable[[str, str], Any]) -> None:
    read = run_module("gs1.js", """return [
        m.readProduct(']d2010400638133393117291200' + '10ABC123|21SN1'),
        m.readProduct('0104006381333931' + '17291130' + '10LOT-GS' + '\\u001d' + '3010'),
        m.readProduct('(01)04006381333931(17)280229(10)HRI'),
        m.readProduct('https://id.example.com/01/04006381333931/10/DL-1?17=290101'),
        m.readProduct('4006381333931'),
        m.readProduct('10AB#3', ['#']),
        m.readProduct('hello'),
    ];""")
    assert read[0] == {"gtin": "04006381333931", "lot": "ABC123", "expiry": "2029-12-31",
                       "quantity": None}
    assert read[1] == {"gtin": "04006381333931", "lot": "LOT-GS", "expiry": "2029-11-30",
                       "quantity": 10}
    assert read[2]["lot"] == "HRI" and read[2]["expiry"] == "2028-02-29"
    assert read[3] == {"gtin": "04006381333931", "lot": "DL-1", "expiry": "2029-01-01",
                       "quantity": None}
    assert read[4]["gtin"] == "04006381333931" and read[4]["lot"] is None
    assert read[5]["lot"] == "AB"
    assert read[6] is None


def test_bin_and_command_labels(run_module: Callable[[str, str], Any]) -> None:
    read = run_module("labels.js", """return [
        m.readLabel('LOC:F-01'), m.readLabel('loc: f-02 '), m.readLabel('CMD:QTY:12'),
        m.readLabel('CMD:'), m.readLabel(']C1CMD:DISPATCH'), m.readLabel('0104006381333931'),
        m.readLabel('BIN:A-1', {locationPrefix: 'BIN:', commandPrefix: 'CMD:'}),
        m.commandAction('DISPATCH'), m.commandAction('MODE', 'lookup'),
        m.commandAction('QTY', '12'), m.commandAction('QTY', 'x'), m.commandAction('DANCE'),
    ];""")
    assert read[0] == {"kind": "location", "code": "F-01"}
    assert read[1] == {"kind": "location", "code": "f-02"}
    assert read[2] == {"kind": "command", "command": "QTY", "argument": "12"}
    assert read[3]["kind"] == "error" and "nothing after" in read[3]["words"]
    assert read[4] == {"kind": "command", "command": "DISPATCH", "argument": None}
    assert read[5] == {"kind": "product"}
    assert read[6] == {"kind": "location", "code": "A-1"}
    assert read[7:10] == [{"mode": "dispatch"}, {"mode": "identify"}, {"quantity": 12}]
    assert "whole number" in read[10]["error"] and "Unknown command" in read[11]["error"]


def test_error_bodies_in_words(run_module: Callable[[str, str], Any]) -> None:
    words = run_module("api.js", """return [
        m.inWords({error: 'insufficient_stock', detail: 'only 3 of VAC-1 on hand'}, 409),
        m.inWords({error: 'invalid_request',
                   detail: [{field: 'body.quantity', problem: 'must be > 0'}]}, 422),
        m.inWords({error: 'busy_retry'}, 503),
        m.inWords({error: 'invalid_request',
                   detail: [{field: 'body.reason', problem: 'needs at least 3 characters'}]}, 422),
        m.inWords(null, 502),
    ];""")
    # Issue 18 (4.): a too-short reason in plain words, not "body.reason: String should ...".
    assert words == ["only 3 of VAC-1 on hand", "Quantity: must be > 0", "busy retry",
                     "Reason needs at least 3 characters", "the hub answered 502"]


def test_the_login_goes_back_only_to_a_path_on_this_hub(
    run_module: Callable[[str, str], Any]
) -> None:
    nexts = ["/alarms?zone=COLD#top", "/handheld", "/", "/%09/x",
             "/\t/evil.invalid/x", "/\n/evil.invalid/x", "/\r/evil.invalid/x",
             "//evil.invalid", "/\\evil.invalid", "https://evil.invalid", "alarms",
             "javascript:alert(1)", "\t//evil.invalid", ""]
    back = run_module("api.js", f"return {json.dumps(nexts)}.map((next) => "
                      "m.sameOriginPath(next, 'http://hub.example:8080'));")
    assert back == ["/alarms?zone=COLD#top", "/handheld", "/", "/%09/x",
                    "/", "/", "/", "/", "/", "/", "/", "/", "/", "/"]


def test_the_question_dialog_tells_a_scan_from_an_answer(
    hub_http: HubServer, open_page: Callable[..., OfflinePage]
) -> None:
    """dialog.js with a page's scanner (`scan`): text that arrives at a scanner's pace, or
    that the page calls a barcode, closes the dialog as cancelled and goes to `take`;
    words typed at a person's pace are the answer; Enter on an empty required answer
    keeps the dialog open and says what is missing."""
    offline_page = open_page(hub_http.base_url)
    offline_page.goto("/login")
    page = offline_page.page
    page.evaluate("""async () => {
        const m = await import('/static/web/dialog.js');
        window.heard = [];
        window.askWhy = () => { m.ask('Why?', {
            required: 'Say why.',
            scan: {looksLike: (text) => text.startsWith('LOC:'),
                   take: (raw) => window.heard.push(['scan', raw])},
        }).then((answer) => window.heard.push(['answer', answer])); };
    }""")

    def answer(typed: str, by: str) -> list[list[str | None]]:
        page.evaluate("() => { window.heard = []; window.askWhy(); }")
        page.wait_for_selector("dialog#ask[open]")
        if by == "scanner":
            type_as_a_scanner(page, typed)
        else:
            page.keyboard.type(typed, delay=80)
            page.keyboard.press("Enter")
        page.wait_for_selector("dialog#ask:not([open])", state="attached")
        page.wait_for_timeout(100)  # the scan is handed over a moment after the close
        return page.evaluate("() => window.heard")  # type: ignore[no-any-return]

    assert answer("4711-0815-X", "scanner") == [["answer", None], ["scan", "4711-0815-X"]]
    assert answer("seal broken", "person") == [["answer", "seal broken"]]
    assert answer("LOC:F-02", "person") == [["answer", None], ["scan", "LOC:F-02"]]

    page.evaluate("() => { window.heard = []; window.askWhy(); }")
    page.keyboard.press("Enter")
    assert page.locator("#ask-error").inner_text() == "Say why."
    assert page.evaluate("() => document.getElementById('ask').open") is True
    page.keyboard.press("Escape")
    page.wait_for_selector("dialog#ask:not([open])", state="attached")
    # The promise settles a moment after the close (as in `answer`): wait for it.
    page.wait_for_function("() => window.heard.length > 0")
    assert page.evaluate("() => window.heard") == [["answer", None]]


def test_a_label_read_again_within_100_ms_is_the_same_read(
    run_module: Callable[[str, str], Any],
) -> None:
    verdicts = run_module("reads.js", """
        const w = new m.ReadWatch();
        const type = (start, text) => {
          [...text].forEach((c, i) => w.key(start + i * 5, c, text.slice(0, i)));
          return start + text.length * 5;
        };
        const out = [];
        let end = type(0, 'ABC'); out.push(w.enter(end, 'ABC'));      // first read
        end = type(end + 5, 'ABC'); out.push(w.enter(end, 'ABC'));    // 5 ms later: twice
        end = type(end + 150, 'ABC'); out.push(w.enter(end, 'ABC'));  // 150 ms later: again
        end = type(end + 5, 'XYZ'); out.push(w.enter(end, 'XYZ'));    // another label
        out.push(w.enter(end + 40, 'XYZ'));   // inserted at once, 40 ms on
        out.push(w.enter(end + 400, 'XYZ'));  // 360 ms on
        out.push(w.enter(end + 405, ' '));    // blank is never twice
        out.push(w.enter(end + 500, 'XYZ'));
        out.push(w.enter(end - 3000, 'XYZ')); // stamped before the last: a clock stepped back
        return out;""")
    assert verdicts == [False, True, False, False, True, False, False, False, False]
