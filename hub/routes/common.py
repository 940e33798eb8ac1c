"""Helpers shared by the API routers: how a unit of work's result becomes the
route's answer (`Answer`: the one way the first answer is recorded for replays
and a resend is answered with it), and the optional idempotency key of
master-data changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel

from hub.auth import CurrentUser, idempotency
from kernel.fields import MAX_ID
from kernel.uow import Done, Idempotency, Recorded

# A row id in a path: bounded to the database's integer, so a huge id is a 422, not a 500.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

P = TypeVar("P", bound=BaseModel)


def as_model(model: type[P], value: Any, present: Callable[[Any], P] | None = None) -> P:
    """A service's value as the route's response model."""
    if present is not None:
        return present(value)
    if type(value) is model:  # a subclass may show more fields than the route's model
        return value
    return model.model_validate(value, from_attributes=True)


def http_status(created: bool) -> int:
    """The result kinds as HTTP: something created is 201, anything else 200."""
    return 201 if created else 200


class Answer:
    """How every write route answers: the response model validated and dumped once,
    that JSON stored as the first answer when there is a key (in the unit of work's
    transaction), and sent as bytes, so FastAPI does not validate the model a second
    time: 201 when the use case created something, else 200; a resend gets the
    stored first answer, its status and `Idempotent-Replayed: true`. The route still
    declares `response_model` for the OpenAPI document."""

    def __init__(self, model: type[P], present: Callable[[Any], P] | None = None) -> None:
        self.model, self.present = model, present
        self.body: Any = None

    def render(self, value: Any, created: bool) -> Recorded:
        self.body = as_model(self.model, value, self.present).model_dump(mode="json")
        return Recorded(http_status(created), self.body)

    def keyed(self, idem: Idempotency | None) -> Idempotency | None:
        """The key, told to store this answer (the unit of work calls `render`)."""
        return None if idem is None else idem._replace(render=self.render)

    def body_of(self, done: Done[Any]) -> tuple[int, Any, bool]:
        """(status, JSON body, replayed) of a unit of work's result."""
        if done.replay is not None:
            return done.replay.status, done.replay.body, True
        if self.body is None:  # no key: nothing rendered it yet
            self.render(done.value, done.created)
        return http_status(done.created), self.body, False

    def response(self, done: Done[Any]) -> Response:
        status, body, replayed = self.body_of(done)
        return json_response(body, status, replayed)


def json_response(body: Any, status: int = 200, replayed: bool = False) -> Response:
    """JSON already shaped by a response model, as bytes."""
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(orjson.dumps(body), status_code=status, headers=headers,
                    media_type="application/json")


async def optional_idempotency(
    request: Request,
    actor: CurrentUser,
    key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=8, max_length=128)] = None,
) -> Idempotency | None:
    if key is None:
        return None
    return await idempotency(request, actor, key)


OptionalIdempotencyDep = Annotated[Idempotency | None, Depends(optional_idempotency)]


# Why a change is made, for the audit trail, where the body has no `reason` field
# (a rules document, a DELETE). Required for the kinds of change the site marks.
ReasonQuery = Annotated[str | None, Query(
    max_length=500, description="why: kept in the audit trail; required for limits, "
    "alarm rules, QC status, a sensor's zone, purges and imports (site setting)")]
