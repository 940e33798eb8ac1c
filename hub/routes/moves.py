"""Stock moves: receive, dispatch (or preview the pick list), transfer, adjust,
count, return; and the ledger, as JSON pages or a streamed CSV export.

Every booking needs an `Idempotency-Key` header: a resend with the same key gets
the first answer (header `Idempotent-Replayed: true`) and books nothing."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from hub.auth import CurrentUser, IdempotencyDep, Supervisor
from hub.container import Hub
from hub.deps import DbSession, HubDep, SessionDep
from hub.routes.common import Answer, json_response
from inventory import queries, services
from inventory.commands import Adjust, Count, Dispatch, PickPreview, Receive, Return, Transfer
from inventory.schemas import BookingPublic, LedgerRowPublic, PickListPublic
from kernel import csv_cells
from kernel.fields import MAX_ID, IsoDateTime
from kernel.uow import Done, Idempotency, jsonable

router = APIRouter(tags=["stock moves"])

PROBLEMS = {
    404: {"description": "unknown item, lot or location"},
    409: {"description": "insufficient_stock, or another conflict named in `error`"},
    422: {"description": "invalid request, refused placement, or reused idempotency key"},
    503: {"description": "busy_retry: the stock stayed locked; send the same request again"},
}


def _book(hub: Hub, use_case: Callable[[DbSession, Idempotency | None], Done[BookingPublic]],
          idem: Idempotency) -> Response:
    """Run a booking with its key; the answer rendered once (hub/routes/common.py).
    The session is opened here, in the route's worker thread, not by a generator
    dependency: that costs the event loop an exit stack and a cancel scope per request."""
    answer = Answer(BookingPublic)
    with hub.writes() as session:
        return answer.response(use_case(session, answer.keyed(idem)))


booking = {"response_model": BookingPublic, "status_code": 201, "responses": PROBLEMS}


@router.post("/moves/receive", **booking)
def receive(body: Receive, hub: HubDep, user: CurrentUser,
            idem: IdempotencyDep) -> Response:
    """Goods in, into a bin whose zone suits the item; a new lot may start in quarantine."""
    return _book(hub, lambda session, key: services.receive(session, body, user, key), idem)


@router.post("/moves/dispatch", **booking)
def dispatch(body: Dispatch, hub: HubDep, user: CurrentUser,
             idem: IdempotencyDep) -> Response:
    """Goods out: the lots are chosen FEFO (or FIFO); the answer lists what to pick where."""
    return _book(hub, lambda session, key: services.dispatch(session, body, user, key), idem)


@router.post("/moves/dispatch/preview", response_model=PickListPublic, responses=PROBLEMS)
def preview_dispatch(body: PickPreview, hub: HubDep, _user: CurrentUser) -> Response:
    """The pick list a dispatch would book now; books nothing."""
    with hub.sessions() as session:
        picks = services.preview_pick(session, body)
    return json_response(picks.model_dump(mode="json"))


@router.post("/moves/transfer", **booking)
def transfer(body: Transfer, hub: HubDep, user: CurrentUser,
             idem: IdempotencyDep) -> Response:
    return _book(hub, lambda session, key: services.transfer(session, body, user, key), idem)


@router.post("/moves/count", **booking)
def count(body: Count, hub: HubDep, user: CurrentUser,
          idem: IdempotencyDep) -> Response:
    """Book a physical count; the difference becomes a count move (none if equal)."""
    return _book(hub, lambda session, key: services.count(session, body, user, key), idem)


@router.post("/moves/return", **booking)
def return_goods(body: Return, hub: HubDep, user: CurrentUser,
                 idem: IdempotencyDep) -> Response:
    """Returned goods, held in their bin until inspected (see `/returns`) unless
    `quarantine` is false (supervisor or admin only: an operator's is 403
    `return_inspection_required`, nothing booked); the rest of the lot stays available."""
    return _book(hub, lambda session, key: services.return_goods(session, body, user, key), idem)


@router.post("/moves/adjust", **booking)
def adjust(body: Adjust, hub: HubDep, user: Supervisor,
           idem: IdempotencyDep) -> Response:
    """Correct a balance with a reason (supervisor or admin)."""
    return _book(hub, lambda session, key: services.adjust(session, body, user, key), idem)


@router.get("/moves", response_model=list[LedgerRowPublic])
def list_moves(
    session: SessionDep,
    item: str | None = None,
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
    after_id: int = Query(0, ge=0, le=MAX_ID, description="page on: the last id you have"),
    limit: int = Query(500, ge=1, le=5000),
) -> list[LedgerRowPublic]:
    return list(queries.ledger(session, item=item, since=since, until=until,
                               after_id=after_id, limit=limit))


@router.get("/moves.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}}})
def export_moves(
    hub: HubDep, item: str | None = None, since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
) -> StreamingResponse:
    """The whole ledger (or a slice) as CSV, streamed row by row."""

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv_cells.writer(buffer)
        writer.writerow(queries.LEDGER_COLUMNS)
        with hub.sessions() as session:
            for n, row in enumerate(queries.ledger(session, item=item, since=since,
                                                   until=until), 1):
                writer.writerow(jsonable(row).values())
                if n % 500 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(rows(), media_type="text/csv", headers={
        "Content-Disposition": 'attachment; filename="stockwarden-ledger.csv"'})
