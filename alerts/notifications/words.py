"""The words of an alarm message, marked for the catalogue (domain messages), and
which language a recipient group reads. Pure."""

from __future__ import annotations

from alerts.rules.document import AlarmRules
from kernel.i18n import ENGLISH
from kernel.i18n_text import N_, Text

# The words of a message, marked for the catalogue (domain messages).
SEVERITY_WORDS = {"info": N_("INFO"), "warning": N_("WARNING"), "critical": N_("CRITICAL")}
SEVERITY_NAMES = {"info": N_("info"), "warning": N_("warning"), "critical": N_("critical")}
WHAT_WORDS = {"raised": N_("raised"), "cleared": N_("cleared"), "escalated": N_("escalated")}
WHAT_CAPS = {"raised": N_("RAISED"), "cleared": N_("CLEARED"), "escalated": N_("ESCALATED")}
KIND_NAMES = {
    "threshold": N_("threshold"), "rate": N_("rate"), "offline": N_("offline"),
    "gateway_offline": N_("gateway offline"), "backlog": N_("backlog"),
    "expiry": N_("expiry"), "expired": N_("expired"), "low_stock": N_("low stock"),
    "overstock": N_("overstock"), "broker_session": N_("broker session"),
    "audit_chain": N_("audit chain"), "calibration_due": N_("calibration due"),
    "calibration_mismatch": N_("calibration mismatch"),
    "alarm_test_due": N_("alarm test due"),
}


def word(table: dict[str, str], key: str) -> Text:
    """A marked word of `table` as a Text (unknown keys: the key itself)."""
    return Text(table.get(str(key), str(key).replace("_", " ")))


def group_language(rules: AlarmRules, group: str, default: str = ENGLISH) -> str:
    """The language a group's messages are written in: its own, else the site's."""
    recipients = rules.recipients.get(group)
    return (recipients.language if recipients is not None else None) or default
