"""Request bodies bounded in size and in time, before anything reads them.

Pure ASGI middleware, outside every route, dependency and token check: a body larger
than its route takes is refused with 413 at once when Content-Length says so, and as
soon as a chunked body passes the limit; a body that has not fully arrived within the
timeout (a slow or stalled client holding a connection) is refused with 408. Both
answers close the connection and carry the API's error body. A body within the limits
is read here and handed on whole, so the app sees no difference.

docs/deploy.md ("Request sizes and timeouts") gives the limits and why."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def in_words(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} bytes"


class BodyLimits:
    def __init__(self, app: ASGIApp, *, max_bytes: int, per_path: Mapping[str, int],
                 timeout_s: float) -> None:
        self.app = app
        self.max_bytes, self.timeout_s = max_bytes, timeout_s
        # Longest prefix first, so /api/v1/x/y can differ from /api/v1/x.
        self.per_path = sorted(per_path.items(), key=lambda kv: len(kv[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.per_path:
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: bytes | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        if (declared is None and not chunked) or declared == b"0":
            await self.app(scope, receive, send)  # no body: nothing to bound
            return
        limit = self.limit_for(scope["path"])
        if declared is not None and int(declared) > limit:  # the server checked it is a number
            await self._too_large(send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.timeout_s):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        return  # the client went away: nobody to answer
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        await self._too_large(send, limit)
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await _refuse(send, 408, "request_timeout",
                          f"the request body did not arrive within {self.timeout_s:g} seconds; "
                          "send the request again")
            return
        whole: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        handed = False

        async def replay() -> Message:
            nonlocal handed
            if handed:
                return await receive()  # after the body: the disconnect, when it comes
            handed = True
            return whole

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send, limit: int) -> None:
        await _refuse(send, 413, "too_large",
                      f"the request body is larger than this route takes (at most "
                      f"{in_words(limit)}); nothing was done with it")


async def _refuse(send: Send, status: int, code: str, detail: str) -> None:
    body = json.dumps({"error": code, "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        # The rest of the body is never read: the connection cannot carry another request.
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
