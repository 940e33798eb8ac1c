"""The monitoring pages: the overview at `/` (zones, open alarms, expiring lots,
gateways offline) and the alarms page at `/alarms`. Thin routes like every page:
the data comes from the API with the page's token (docs/web.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from alerts.model import AlarmKind
from alerts.rules.document import Defaults
from hub.deps import HubDep
from hub.web.layout import _, render

router = APIRouter(include_in_schema=False)

# How often the overview asks again for what the alarm feed does not carry
# (readings, lots, gateways); alarms arrive through the feed at once.
OVERVIEW_REFRESH_S = 5
EXPIRY_HORIZON_DAYS = 30


def _warning_margins(hub: HubDep) -> dict[str, float]:
    """How far inside a storage class's limits a value turns amber: the alarm
    rules' own warning margin, so the tile and the default alarms agree."""
    defaults = hub.alarms.rules.defaults if hub.alarms is not None else Defaults()
    return {str(quantity): margin for quantity, margin in defaults.warning_margin.items()}


def signing_config(hub: HubDep) -> dict[str, list[str]]:
    """Which decisions a page asks a signature for (kernel/signatures.py settings)."""
    return {"required": list(hub.settings.signature_required),
            "ackSeverities": list(hub.settings.signature_ack_severities)}


def _feed_config(hub: HubDep) -> dict[str, Any]:
    return {"alarmsRunning": hub.alarms is not None, "signing": signing_config(hub)}


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, hub: HubDep) -> HTMLResponse:
    return render(request, "overview.html", title=_("Overview"), page_config={
        **_feed_config(hub), "warningMargin": _warning_margins(hub),
        "refreshSeconds": OVERVIEW_REFRESH_S, "expiryDays": EXPIRY_HORIZON_DAYS,
    })


@router.get("/alarms", response_class=HTMLResponse)
def alarms_page(request: Request, hub: HubDep) -> HTMLResponse:
    return render(request, "alarms.html", title=_("Alarms"), page_config={
        **_feed_config(hub), "kinds": [kind.value for kind in AlarmKind]})


@router.get("/alarms/{alarm_id}", response_class=HTMLResponse)
def alarm_page(request: Request, hub: HubDep,
               alarm_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> HTMLResponse:
    """The link in every alarm message: the alarms page with this alarm shown first
    (whatever its state), ready to acknowledge."""
    return render(request, "alarms.html", title=_("Alarm %(id)s"),
                  title_params={"id": alarm_id}, page_config={
        **_feed_config(hub), "kinds": [kind.value for kind in AlarmKind], "focus": alarm_id})
