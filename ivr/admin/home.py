"""The admin home page, the users page (admins only) and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ivr.admin.auth import admin, viewer
from ivr.admin.context import admin_of
from ivr.admin.pages import render
from ivr.admin.users import ROLES, User, UserError

router = APIRouter()


@router.get("/admin")
def home(request: Request, user: User = Depends(viewer)) -> Response:  # noqa: B008
    context = admin_of(request)
    flows = context.services.flows.current()
    return render(
        request,
        "home.html",
        flows=list(flows),
        ami=context.ami is not None,
        audit=context.users.audit_log(15),
    )


@router.get("/admin/users")
def users_page(request: Request, user: User = Depends(admin)) -> Response:  # noqa: B008
    return _users(request)


def _users(request: Request, error: str = "", status: int = 200) -> Response:
    users = admin_of(request).users.listed()
    return render(request, "users.html", status, users=users, roles=ROLES, error=error)


@router.post("/admin/users")
async def create_user(request: Request, user: User = Depends(admin)) -> Response:  # noqa: B008
    form = await request.form()
    context = admin_of(request)
    name, role = str(form.get("username") or "").strip(), str(form.get("role") or "")
    try:
        await run_in_threadpool(context.users.create, name, str(form.get("password") or ""), role)
    except UserError as exc:
        return _users(request, str(exc), 422)
    await run_in_threadpool(context.users.audit, user.username, "user-create", name, role)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}")
async def change_user(
    request: Request,
    username: str,
    user: User = Depends(admin),  # noqa: B008
) -> Response:
    form = await request.form()
    context = admin_of(request)
    role = str(form.get("role") or "") or None
    password = str(form.get("password") or "") or None
    disabled = {"1": True, "0": False}.get(str(form.get("disabled") or ""))
    existing = {u.username: (u, off) for u, off in context.users.listed()}
    if username not in existing:
        raise HTTPException(404, f"There is no user {username!r}.")
    was, was_disabled = existing[username]
    losing_admin = (
        was.role == "admin"
        and not was_disabled
        and ((role is not None and role != "admin") or disabled is True)
    )
    if losing_admin and context.users.count_admins() <= 1:
        return _users(request, "The last admin cannot lose the admin role or be disabled.", 422)
    try:
        await run_in_threadpool(context.users.change, username, role, password, disabled)
    except UserError as exc:
        return _users(request, str(exc), 422)
    changed = ", ".join(
        what
        for what, value in (("role " + (role or ""), role), ("password", password))
        if value is not None
    ) or ("disabled" if disabled else "enabled")
    await run_in_threadpool(context.users.audit, user.username, "user-change", username, changed)
    return RedirectResponse("/admin/users", status_code=303)
