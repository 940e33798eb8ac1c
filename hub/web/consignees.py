"""The consignees' page `/settings/consignees`: the customers and receiving sites a
dispatch names (the recall's answer: who received a lot). Listed for everyone logged
in, created, changed and deactivated by supervisors, as the API allows. A thin route
like every page: the rows come from and the changes go to `/api/v1/consignees` with
the page's token (docs/web.md, "Consignees")."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hub.deps import HubDep
from hub.web.layout import _, render

router = APIRouter(include_in_schema=False)


@router.get("/settings/consignees", response_class=HTMLResponse)
def consignees_page(request: Request, hub: HubDep) -> HTMLResponse:
    return render(request, "consignees.html", title=_("Consignees"), page_config={
        "consigneeRequired": hub.settings.dispatch_consignee_required,
    })
