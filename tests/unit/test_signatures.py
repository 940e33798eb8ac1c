"""The rules of electronic signatures (kernel/signatures.py) without a database: the
line pages and PDFs print, the meanings each action allows, when a signature is
required, and that a signature signs only the action it was given for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from kernel import signatures
from kernel.errors import Invalid
from kernel.signatures import MeaningNotAllowed, SignatureRequired, Signer


@pytest.fixture(autouse=True)
def default_policy() -> Iterator[None]:
    yield
    signatures.configure(signatures.ACTIONS)


def test_the_printed_line_names_the_person_the_time_in_utc_and_the_meaning() -> None:
    at = datetime(2026, 12, 6, 14, 2, 31, tzinfo=UTC)
    assert signatures.line("Li Na", "lina", at, "released") == (
        "Released by Li Na (lina) on 2026-12-06 14:02 UTC — released")
    assert signatures.line("Li Na", "lina", at, "approved").startswith("Approved by Li Na")


@pytest.mark.parametrize(("action", "meaning"), [
    ("lot_release", "rejected"), ("lot_reject", "released"), ("alarm_ack", "approved"),
    ("limits", "reviewed"), ("report_signoff", "released")])
def test_a_meaning_the_action_does_not_allow_is_refused(action: str, meaning: str) -> None:
    with pytest.raises(MeaningNotAllowed, match="may mean"):
        signatures.check_meaning(action, meaning)


def test_every_action_allows_at_least_one_of_the_four_meanings() -> None:
    for allowed in signatures.ALLOWED.values():
        assert allowed and set(allowed) <= set(signatures.MEANINGS)


def test_the_site_decides_which_actions_need_a_signature() -> None:
    with pytest.raises(SignatureRequired, match="needs an electronic signature"):
        signatures.need("lot_release", None)
    signatures.need("limits", None, when=False)  # the change touched no limit
    signatures.configure(["lot_release"], ack_severities=["critical", "warning"])
    signatures.need("stocktake_approval", None)
    assert not signatures.ack_needs_signature("critical")  # alarm_ack not required
    signatures.configure(["alarm_ack"], ack_severities=["critical", "warning"])
    assert signatures.ack_needs_signature("warning")
    assert not signatures.ack_needs_signature("info")


def test_a_signature_signs_only_its_own_action() -> None:
    signer = Signer(1, "lina", "Li Na", "released", "lot_release")
    signatures.need("lot_release", signer)
    with pytest.raises(Invalid, match="cannot sign lot_reject"):
        signatures.need("lot_reject", signer)


def test_the_content_hash_does_not_depend_on_key_order() -> None:
    assert signatures.content_hash({"a": 1, "b": [1, 2]}) == signatures.content_hash(
        {"b": [1, 2], "a": 1})
