"""The rest of the master data under `/settings` (the storage conditions are
hub/web/masterdata.py's `/settings/zones`): items at `/settings/items`, bins and their
label sheets at `/settings/locations`, gateways and their serial scanners at
`/settings/gateways`. Thin routes like every page: the rows come from and the changes go
to the API with the page's token, so each page offers what the API allows its role
(items, locations and scanner registrations are written by admins; everyone logged in
reads items, locations and gateways). docs/web.md, "Settings"."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hub.deps import HubDep
from hub.web.layout import _, render

router = APIRouter(include_in_schema=False)

# The settings pages, in the order of their sub-navigation (templates/settings_nav.html).
SETTINGS_PAGES = ["/settings/zones", "/settings/items", "/settings/locations",
                  "/settings/consignees", "/settings/gateways", "/settings/users",
                  "/settings/alarms"]


def _config(hub: HubDep) -> dict[str, object]:
    # What the site requires (kernel/audit.py): the page asks a reason before sending
    # when the change is of a kind that needs one, and again if the hub says so.
    return {"reasonRequired": list(hub.settings.audit_reason_required)}


@router.get("/settings/items", response_class=HTMLResponse)
def items_page(request: Request, hub: HubDep) -> HTMLResponse:
    return render(request, "items.html", title=_("Items"), page_config=_config(hub))


@router.get("/settings/locations", response_class=HTMLResponse)
def locations_page(request: Request, hub: HubDep) -> HTMLResponse:
    return render(request, "locations.html", title=_("Locations"), page_config=_config(hub))


@router.get("/settings/gateways", response_class=HTMLResponse)
def gateways_page(request: Request, hub: HubDep) -> HTMLResponse:
    return render(request, "gateways.html", title=_("Gateways and scanners"),
                  page_config=_config(hub))
