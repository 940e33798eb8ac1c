"""The storage conditions' master data at `/settings/zones`: storage classes (limits,
excursion tolerance), zones (storage class, own tolerance) and sensors (zone, name),
listed for everyone logged in and edited by admins, as the API allows (its writes
are admin-only). A thin route like every page: the rows come from and the changes go
to `/api/v1/storage-classes`, `/zones` and `/sensors` with the page's token; the page
asks a reason and a signature where the site requires them (docs/web.md, "Zones")."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hub.deps import HubDep
from hub.web.layout import _, render

router = APIRouter(include_in_schema=False)


@router.get("/settings/zones", response_class=HTMLResponse)
def zones_page(request: Request, hub: HubDep) -> HTMLResponse:
    settings = hub.settings
    # What the site requires (kernel/signatures.py, kernel/audit.py): the page asks
    # before sending, and asks again if the hub answers reason_required anyway.
    return render(request, "zones.html", title=_("Zones and sensors"), page_config={
        "signing": {"required": list(settings.signature_required)},
        "reasonRequired": list(settings.audit_reason_required),
    })
