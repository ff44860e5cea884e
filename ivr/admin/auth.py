"""Signing in and out, and the dependencies every admin route uses: ``viewer``,
``supervisor``, ``admin`` (the lowest role that may) — each also checks the CSRF token of an
unsafe request (POST/PUT/PATCH/DELETE): the ``X-CSRF-Token`` header or a ``csrf_token`` form
field must equal the session's token.

The session cookie is HttpOnly and SameSite=Lax; ``IVR_ADMIN_SECURE_COOKIE=1`` adds Secure
(serve the admin web over HTTPS behind a proxy then). The sign-in form, which has no session
yet, uses a double-submit token: a cookie and a form field that must match. Five wrong
passwords for one user name in 15 minutes lock that name for the rest of the 15 minutes. Each
attempt is counted (an atomic increment of live state) before its password is checked, and a
right password clears the count, so guesses sent all at once get no more than five checks.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ivr.admin.context import admin_of
from ivr.admin.pages import render
from ivr.admin.users import SignedIn, User

log = logging.getLogger(__name__)
router = APIRouter()

COOKIE = "ivr_admin"
LOGIN_COOKIE = "ivr_login"
SAFE = {"GET", "HEAD", "OPTIONS"}
MAX_FAILURES = 5
LOCK_SECONDS = 900


class NotSignedIn(Exception):
    """No valid session: pages redirect to the sign-in form, API calls get 401."""


async def signed_in(request: Request) -> SignedIn:
    admin = admin_of(request)
    found = await run_in_threadpool(admin.users.session_for, request.cookies.get(COOKIE, ""))
    if found is None:
        raise NotSignedIn()
    request.state.signed_in = found
    if request.method not in SAFE:
        sent = request.headers.get("x-csrf-token")
        if sent is None and _is_form(request):
            sent = str((await request.form()).get("csrf_token") or "")
        if not sent or not hmac.compare_digest(sent, found.csrf):
            raise HTTPException(
                403,
                "The security token of this form is missing or out of date: "
                "reload the page and try again.",
            )
    return found


def require(role: str) -> Callable[..., Awaitable[User]]:
    async def dependency(signed: SignedIn = Depends(signed_in)) -> User:  # noqa: B008
        if not signed.user.may(role):
            raise HTTPException(
                403, f"This needs the {role} role; you are signed in as a {signed.user.role}."
            )
        return signed.user

    return dependency


viewer = require("viewer")
supervisor = require("supervisor")
admin = require("admin")


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def _safe_next(target: str) -> str:
    """Only a path of this admin web: never another site (an open redirect)."""
    if target.startswith("/admin") and not target.startswith("//") and "\\" not in target:
        return target
    return "/admin"


@router.get("/admin/login")
def login_form(request: Request, next: str = "/admin") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", next=_safe_next(next), login_token=token)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path="/admin")
    return response


@router.post("/admin/login")
async def login(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or "/admin"))
    token = str(form.get("csrf_token") or "")
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not token or not cookie or not hmac.compare_digest(token, cookie):
        raise HTTPException(403, "The sign-in form is out of date: reload it and try again.")
    context = admin_of(request)
    state = context.services.state
    failures_key = f"admin:login-failures:{username.casefold()}"

    def again(message: str, status: int) -> Response:
        fresh = secrets.token_urlsafe(24)
        response = render(
            request,
            "login.html",
            status,
            next=target,
            login_token=fresh,
            error=message,
            username=username,
        )
        response.set_cookie(LOGIN_COOKIE, fresh, httponly=True, samesite="strict", path="/admin")
        return response

    if not username or not password:
        return again("Enter your user name and password.", 400)
    # The attempt is counted before the password is checked, in one atomic INCR: a count read
    # before the slow scrypt check and written after it let 40 guesses sent at once all pass.
    attempts = await run_in_threadpool(state.incr, failures_key)
    if attempts > MAX_FAILURES:
        log.warning("admin sign-in refused: %s is locked after %d failures", username, MAX_FAILURES)
        return again("Too many wrong passwords: try again in 15 minutes.", 429)
    await run_in_threadpool(state.expire, failures_key, LOCK_SECONDS)
    result = await run_in_threadpool(context.users.sign_in, username, password)
    if result is None:
        log.warning("admin sign-in failed for %s", username)
        return again("Wrong user name or password.", 401)
    await run_in_threadpool(state.delete, failures_key)
    session_token, signed = result
    log.info("admin %s (%s) signed in", signed.user.username, signed.user.role)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        session_token,
        httponly=True,
        samesite="lax",
        secure=bool(context.settings.admin_secure_cookie),
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/admin")
    return response


@router.post("/admin/logout")
async def logout(request: Request, signed: SignedIn = Depends(signed_in)) -> Response:  # noqa: B008
    await run_in_threadpool(admin_of(request).users.sign_out, request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
