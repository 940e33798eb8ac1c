"""People and alarm routing at `/settings/users` and `/settings/alarms`: the users and
their API tokens (admin, as the API allows: its user routes are admin-only), and the
alarm rules with their recipients and routes (read by everyone logged in, edited by an
admin when they are not loaded from a file). Thin routes like every page: the rows
come from and the changes go to `/api/v1/users` and `/api/v1/alarms/rules` with the
page's token; the page asks the reason and the signature the site requires (docs/web.md,
"Users and tokens", "Alarm rules and recipients")."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hub.deps import HubDep
from hub.web.layout import _, render

router = APIRouter(include_in_schema=False)


@router.get("/settings/users", response_class=HTMLResponse)
def users_page(request: Request, hub: HubDep) -> HTMLResponse:
    settings = hub.settings
    # The password policy's figures, for the form's hint (the hub checks them anyway and
    # its refusal is shown as it words it) and each password's expiry.
    return render(request, "users.html", title=_("Users and tokens"), page_config={
        "passwordMinLength": settings.password_min_length,
        "passwordMaxAgeDays": settings.password_max_age_days,
    })


@router.get("/settings/alarms", response_class=HTMLResponse)
def alarm_rules_page(request: Request, hub: HubDep) -> HTMLResponse:
    settings = hub.settings
    return render(request, "alarmrules.html", title=_("Alarm rules and recipients"), page_config={
        "signing": {"required": list(settings.signature_required)},
        "reasonRequired": list(settings.audit_reason_required),
        "alarmsRunning": hub.alarms is not None,
    })
