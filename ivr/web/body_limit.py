"""A size limit on every request body, checked before anything parses it.

Starlette reads a form or an upload in full before a route can refuse it: an unauthenticated
200 MB POST to the sign-in page used to be read to the end (into memory and temporary files)
before the answer. ``BodyLimit`` refuses a request whose ``Content-Length`` is over the limit
at once, with 413 and without reading it, and counts the bytes of a body sent without a length
(chunked), refusing it with 413 as soon as it passes the limit. Each path may have its own
limit (a prompt recording is larger than a form); every other path has the default.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ivr.core.digits import whole_number

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 1024 * 1024  # a form, a flow draft, a delivery report


def too_large(limit: int) -> str:
    size = f"{limit / 1048576:g} MB" if limit >= 1048576 else f"{limit // 1024} kB"
    return f"The request is too large: at most {size} here."


class BodyLimit:
    """ASGI middleware: bodies of at most ``limits[path]`` bytes (``default`` elsewhere)."""

    def __init__(
        self, app: ASGIApp, default: int = DEFAULT_LIMIT, limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.default = default
        self.limits = dict(limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None:
            length = whole_number(declared.decode("latin-1"))
            if length is None:
                await _refuse(scope, receive, send, 400, "The Content-Length is not a number.")
                return
            if length > limit:
                log.warning(
                    "refused %s %s: a body of %d bytes, over %d",
                    scope["method"], scope["path"], length, limit,
                )  # fmt: skip
                await _refuse(scope, receive, send, 413, too_large(limit))
                return
        received, over = 0, False

        async def counted() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    log.warning(
                        "refused %s %s: the body passed %d bytes",
                        scope["method"], scope["path"], limit,
                    )  # fmt: skip
                    # Raised inside the app's read of the body: the app's error handling
                    # answers 413 like any other refusal, and the rest is never read.
                    raise HTTPException(413, too_large(limit))
            return message

        async def closing(message: Message) -> None:
            if over and message["type"] == "http.response.start":
                # Without it the server would read (and drop) the rest of the body.
                message = {**message, "headers": [*message["headers"], (b"connection", b"close")]}
            await send(message)

        await self.app(scope, counted, closing)


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    """Answer at once; the server closes the connection rather than read the unread body."""
    response = PlainTextResponse(message + "\n", status, headers={"connection": "close"})
    await response(scope, receive, send)
