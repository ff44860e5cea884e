"""The emergency announcement page: viewers see it, supervisors switch it on and off.

Times on the form are in the flows' time zone (a ``datetime-local`` has no zone of its own);
they are stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ivr.admin.auth import supervisor, viewer
from ivr.admin.context import AdminContext, admin_of
from ivr.admin.pages import render
from ivr.admin.users import User
from ivr.core.languages import LANGUAGES
from ivr.records.announcements import AnnouncementError, Announcements

router = APIRouter()
DEFAULT_ZONE = "Asia/Ho_Chi_Minh"
FORM_TIME = "%Y-%m-%dT%H:%M"


def announcements_of(context: AdminContext) -> Announcements:
    found: Announcements = context.services.announcements
    return found


def zone_of(context: AdminContext) -> str:
    for flow in context.services.flows.current():
        return str(flow.timezone)
    return DEFAULT_ZONE


@router.get("/admin/announcement")
def announcement_page(request: Request, user: User = Depends(viewer)) -> Response:  # noqa: B008
    return _page(request)


def _page(
    request: Request,
    values: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = admin_of(request)
    zone = ZoneInfo(zone_of(context))
    announcements = announcements_of(context)
    now = context.services.clock()
    history = announcements.history()
    active = next((a for a in history if a.starts_at <= now < a.ends_at), None)
    scheduled = [a for a in history if a.starts_at > now and a.ends_at > a.starts_at]
    if values is None:
        max_minutes = announcements.max_minutes
        values = {
            "starts_at": now.astimezone(zone).strftime(FORM_TIME),
            "ends_at": (now + timedelta(minutes=max_minutes)).astimezone(zone).strftime(FORM_TIME),
        }

    def local(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return render(
        request,
        "announcement.html",
        status,
        active=active,
        scheduled=scheduled,
        history=history,
        languages=LANGUAGES,
        values=values,
        problems=problems or {},
        zone=zone.key,
        local=local,
        max_minutes=announcements.max_minutes,
    )


@router.post("/admin/announcement")
async def switch_on(request: Request, user: User = Depends(supervisor)) -> Response:  # noqa: B008
    form = await request.form()
    values = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    context = admin_of(request)
    zone = ZoneInfo(zone_of(context))
    problems: dict[str, str] = {}
    starts_at = _parse(values.get("starts_at", ""), zone, "start", problems, "starts_at")
    ends_at = _parse(values.get("ends_at", ""), zone, "end", problems, "ends_at")
    texts = {lang: values.get(f"text_{lang}", "") for lang in LANGUAGES}
    announcements = announcements_of(context)
    try:
        kept, ends = announcements.check(
            texts, starts_at or context.services.clock(), ends_at, bool(values.get("longer"))
        )
    except AnnouncementError as exc:
        problems = {**exc.problems, **problems}
    if problems:
        return await run_in_threadpool(_page, request, values, problems, 422)
    start = starts_at or context.services.clock()
    await run_in_threadpool(
        announcements.switch_on, kept, start, ends, user.username, bool(values.get("longer"))
    )
    detail = f"{start.astimezone(zone):%Y-%m-%d %H:%M} to {ends.astimezone(zone):%H:%M %Z}; "
    detail += ", ".join(sorted(kept))
    await run_in_threadpool(context.users.audit, user.username, "announcement-on", "", detail)
    return RedirectResponse("/admin/announcement", status_code=303)


@router.post("/admin/announcement/off")
async def switch_off(request: Request, user: User = Depends(supervisor)) -> Response:  # noqa: B008
    context = admin_of(request)
    count = await run_in_threadpool(announcements_of(context).switch_off, user.username)
    await run_in_threadpool(
        context.users.audit, user.username, "announcement-off", "", f"{count} ended"
    )
    return RedirectResponse("/admin/announcement", status_code=303)


def _parse(value: str, zone: ZoneInfo, what: str, problems: dict[str, str], field: str) -> Any:
    """A form's local date and time as UTC; None when empty (the default is taken)."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        problems[field] = f"The {what} time is not a date and time like 2026-11-23T09:30."
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)
