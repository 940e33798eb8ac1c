"""Printable labels: bins, scanner commands and lots, as an A4 PDF (3 x 8 labels)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.deps import HubDep, SessionDep
from hub.language import language_for
from inventory.labels.render import render_pdf
from inventory.labels.sheets import LabelSheet, labels_for

router = APIRouter(tags=["labels"])


@router.post("/labels.pdf", response_class=Response,
             responses={200: {"content": {"application/pdf": {}}},
                        404: {"description": "unknown bin, zone or lot"},
                        422: {"description": "nothing to print, too many, or a lot without GTIN"}})
def labels_pdf(body: LabelSheet, hub: HubDep, session: SessionDep, request: Request) -> Response:
    """Location labels (Code 128 of `LOC:<code>`), command labels (Code 128 of
    `CMD:<command>`) and lot labels (GS1 DataMatrix of GTIN, expiry and lot). Their words
    in `?lang=en|zh-CN`, else the user's language or Accept-Language (hub/language.py)."""
    labels = labels_for(session, body, location_prefix=hub.settings.scan_location_prefix,
                        command_prefix=hub.settings.scan_command_prefix)
    pdf = render_pdf(labels, language_for(request))
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": 'inline; filename="stockwarden-labels.pdf"'})
