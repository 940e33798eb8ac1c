"""The confirm link of a test alarm (alerts/challenge/): `GET /alarm-tests/confirm/{token}`
shows the test and a Confirm button, and only the button's POST confirms, so a mail
system's link scanner that opens every link confirms nothing. No login: the token,
unguessable and for one recipient, is the proof; it confirms once (a second POST is
409 and says who confirmed and when)."""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from alerts.challenge import repository
from alerts.challenge.schemas import ConfirmView
from hub.deps import HubDep
from hub.web.layout import _, render
from kernel.clock import utcnow
from kernel.errors import Conflict, NotFound

router = APIRouter(include_in_schema=False)

Token = Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# The token is in the address: nothing of the page may carry it elsewhere, or keep it.
HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
           "X-Robots-Tag": "noindex"}
MAX_FORM = 4096
# The one NotFound of a confirm link (alerts/challenge/repository.py), in the page's words.
UNKNOWN_LINK = _("This confirm link is not known (mistyped, or replaced by a newer send of "
                 "the same test).")


def _page(request: Request, view: ConfirmView | None, *, status: int = 200,
          said: str = "", said_params: dict[str, str] | None = None,
          token: str = "") -> HTMLResponse:
    # `said` is English, marked; the template translates it (with its placeholders).
    response = render(request, "alarm_test_confirm.html", title=_("Confirm test alarm"),
                      bare=True, no_script=True, view=view, said=said,
                      said_params=said_params or {}, token=token)
    response.status_code = status
    response.headers.update(HEADERS)
    return response


@router.get("/alarm-tests/confirm/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, hub: HubDep, token: Token) -> HTMLResponse:
    try:
        with hub.sessions() as session:
            view = repository.view(session, token)
    except NotFound:
        return _page(request, None, status=404, said=UNKNOWN_LINK)
    return _page(request, view, token=token)


@router.post("/alarm-tests/confirm/{token}", response_class=HTMLResponse)
async def confirm(request: Request, hub: HubDep, token: Token) -> HTMLResponse:
    raw = (await request.body())[:MAX_FORM].decode("utf-8", errors="replace")
    name = (parse_qs(raw).get("name") or [""])[0].strip()[:100] or None

    def store() -> HTMLResponse:
        try:
            with hub.writes() as session:
                view = repository.confirm(session, token, name, utcnow()).get()
        except NotFound:
            return _page(request, None, status=404, said=UNKNOWN_LINK)
        except Conflict as exc:  # the one Conflict of a confirm: confirmed already, by whom
            with hub.sessions() as session:
                view = repository.view(session, token)
            return _page(request, view, status=409,
                         said=_("This test was already confirmed by %(by)s on %(at)s UTC."),
                         said_params={key: str(value) for key, value in exc.params.items()})
        return _page(request, view, said=_("Thank you: the test is confirmed."))

    return await asyncio.to_thread(store)
