"""The excursion page at `/excursions/{id}`: one excursion's live figures (peak so
far, time beyond the limit, time left to the tolerance), the lots it will hold or has
held, collapsed, and one decision for many of them (release or reject, one reason).
A thin route like every page: the data comes from the API (docs/web.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from hub.deps import HubDep
from hub.web.layout import _, render
from hub.web.monitoring import signing_config

router = APIRouter(include_in_schema=False)

# How often the page asks for the figures again while the excursion lasts (the alarm
# engine stores them with every reading and tick).
EXCURSION_REFRESH_S = 2


@router.get("/excursions/{excursion_id}", response_class=HTMLResponse)
def excursion_page(request: Request, hub: HubDep,
                   excursion_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> HTMLResponse:
    return render(request, "excursion.html", title=_("Excursion %(id)s"),
                  title_params={"id": excursion_id}, page_config={
        "excursion": excursion_id, "refreshSeconds": EXCURSION_REFRESH_S,
        "signing": signing_config(hub)})
