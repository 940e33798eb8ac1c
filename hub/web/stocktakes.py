"""The stocktake pages: `/stocktakes`, the list (newest first, by state) with "Open a
stocktake" for a zone or chosen bins, and `/stocktakes/{id}`, one stocktake followed
live: progress by bin, the lines (the variance table with book, counted, difference
and value for supervisors; book quantities hidden from operators in a blind count, as
the API hides them), recounts of chosen lines or bins, approval with the electronic
signature, and cancelling. Operators read both pages and get no buttons they cannot
use (the API's writes here are a supervisor's). Thin routes like every page: the data
comes from `/api/v1/stocktakes` with the page's token (docs/web.md, "Stocktakes")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from hub.deps import HubDep
from hub.web.layout import _, render
from hub.web.monitoring import signing_config

router = APIRouter(include_in_schema=False)

# How often a stocktake's page asks again while it is being counted: counts come from
# handhelds at a person's pace, so every few seconds follows them closely enough.
STOCKTAKE_REFRESH_S = 3


@router.get("/stocktakes", response_class=HTMLResponse)
def stocktakes_page(request: Request) -> HTMLResponse:
    return render(request, "stocktakes.html", title=_("Stocktakes"))


@router.get("/stocktakes/{stocktake_id}", response_class=HTMLResponse)
def stocktake_page(request: Request, hub: HubDep,
                   stocktake_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> HTMLResponse:
    return render(request, "stocktake.html", title=_("Stocktake %(id)s"),
                  title_params={"id": stocktake_id}, page_config={
        "stocktake": stocktake_id, "refreshSeconds": STOCKTAKE_REFRESH_S,
        "signing": signing_config(hub)})
