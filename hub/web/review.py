"""The audit trail's review page at `/audit` (supervisors and admins): the trail
filtered by period, user, entity, key and action, the old and new value of each
changed field side by side, paging, the CSV and PDF exports, and the hash chain's
state at the top. A thin route like every page: the rows come from `GET
/api/v1/audit` with the page's token (docs/web.md, "The audit trail")."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hub.web.layout import _, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100  # rows per page of the table
# The entities the trail records today (docs/compliance.md), offered in the filter;
# any other name can be typed.
ENTITIES = ["zone", "storage_class", "sensor", "calibration", "alarm_rules", "lot", "item",
            "location", "stocktake", "scanner", "user", "token", "records", "items", "stock",
            "consignee"]
ACTIONS = ["create", "update", "delete", "qc_status", "login", "lock", "unlock", "issue",
           "revoke", "open", "count", "recount", "approve", "cancel", "purge", "import"]


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> HTMLResponse:
    return render(request, "audit.html", title=_("Audit trail"), entities=ENTITIES,
                  actions=ACTIONS, page_config={"pageSize": PAGE_SIZE})
