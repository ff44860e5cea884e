"""Errors as the admin sees them: a page (or JSON for API calls) with a plain message, never
a stack trace. A request wants JSON when it asks for it (``Accept``) or is not a browser GET.
Unexpected errors are logged with a short reference the page shows, to find them in the log."""

from __future__ import annotations

import logging
import secrets

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ivr.admin.auth import NotSignedIn
from ivr.admin.pages import render

log = logging.getLogger(__name__)


def wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


def problem(request: Request, status: int, message: str) -> Response:
    if wants_html(request):
        return render(request, "error.html", status, status=status, message=message)
    return JSONResponse({"error": message}, status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if request.method == "GET" and wants_html(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/admin/login?next={_quote(target)}", status_code=303)
        return JSONResponse({"error": "Sign in first."}, status_code=401)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "The request was refused."
        if exc.status_code == 404 and message == "Not Found":
            message = "There is no such page."
        if exc.status_code == 405:
            message = "This address does not take that method."
        return problem(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query"))
            parts.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
        return problem(request, 422, "; ".join(parts) or "The request is not valid.")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        reference = secrets.token_hex(4)
        log.exception("admin web error %s on %s %s", reference, request.method, request.url.path)
        message = f"Something went wrong on the server (reference {reference}); it is logged."
        return problem(request, 500, message)


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


__all__ = ["HTTPException", "install", "problem", "wants_html"]
